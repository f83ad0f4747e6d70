// The widget config sections as the configurator shows them: one entry per field, path under `config`.
// Types: color, text, textarea, select, number, checkbox, list (one item per line), json (an object),
// multi (checkboxes of options), schedule (one line per weekday). docs/http-api.md#widgets lists the fields.
export const SECTIONS = [
  { key: 'branding', label: 'Branding', fields: [
    { path: 'title', label: 'Title', type: 'text' },
    { path: 'primary_color', label: 'Primary colour', type: 'color' },
    { path: 'secondary_color', label: 'Secondary colour', type: 'color' },
    { path: 'text_color', label: 'Text colour', type: 'color' },
    { path: 'font_family', label: 'Font family', type: 'text' },
    { path: 'widget_shape', label: 'Shape', type: 'select', options: ['rounded', 'square', 'circle'] },
    { path: 'logo_url', label: 'Logo URL', type: 'text', hint: 'http(s)://… or /path; empty for none.' },
    { path: 'launcher_icon', label: 'Launcher icon', type: 'select', options: ['chat', 'message', 'help', 'custom'] },
    { path: 'launcher_icon_url', label: 'Custom icon URL', type: 'text' },
    { path: 'launcher_text', label: 'Launcher text', type: 'text', hint: 'Empty shows the icon alone.' },
  ] },
  { key: 'behavior', label: 'Behaviour', fields: [
    { path: 'mode', label: 'Mode', type: 'select', options: ['chat', 'link_out'],
      hint: 'link_out opens the chat URL below instead of the built-in chat.' },
    { path: 'position', label: 'Position', type: 'select', options: ['bottom-right', 'bottom-left', 'top-right', 'top-left'] },
    { path: 'offset_x', label: 'Horizontal offset (px)', type: 'number', min: 0, max: 500 },
    { path: 'offset_y', label: 'Vertical offset (px)', type: 'number', min: 0, max: 500 },
    { path: 'welcome_message', label: 'Welcome message', type: 'textarea' },
    { path: 'offline_message', label: 'Offline message', type: 'textarea' },
    { path: 'auto_open_enabled', label: 'Open by itself', type: 'checkbox' },
    { path: 'auto_open_delay_seconds', label: 'Auto-open delay (s)', type: 'number', min: 0, max: 3600 },
    { path: 'link_out.url', label: 'Link-out chat URL', type: 'text', hint: 'Captured parameters (UTM, page) are appended.' },
    { path: 'link_out.fallback_url', label: 'Link-out fallback URL', type: 'text', hint: 'Used when the first URL does not answer.' },
    { path: 'link_out.open_in', label: 'Link-out opens in', type: 'select', options: ['tab', 'popup'] },
    { path: 'triggers', label: 'Triggers (JSON)', type: 'json', hint: 'e.g. {"time_on_page_seconds": 30, "scroll_percent": 50, "exit_intent": true}' },
    { path: 'frequency_cap', label: 'Frequency cap (JSON)', type: 'json', hint: 'e.g. {"max_auto_opens_per_day": 1}' },
  ] },
  { key: 'localization', label: 'Localization', fields: [
    { path: 'default_language', label: 'Default language', type: 'text' },
    { path: 'supported_languages', label: 'Supported languages', type: 'list', hint: 'One code per line (en, de, ar, …).' },
    { path: 'custom_text_overrides', label: 'Text overrides (JSON)', type: 'json', hint: 'e.g. {"de": {"title": "Chatten Sie mit uns"}}' },
  ] },
  { key: 'features', label: 'Features', fields: [
    { path: 'chatbot_enabled', label: 'Bot answers first', type: 'checkbox' },
    { path: 'bot_confidence_threshold', label: 'Bot answer threshold (0–1)', type: 'number', min: 0, max: 1, step: 0.05 },
    { path: 'bot_suggestion_threshold', label: 'Bot suggestion threshold (0–1)', type: 'number', min: 0, max: 1, step: 0.05 },
    { path: 'bot_fallback', label: 'When the bot does not know', type: 'select', options: ['handoff', 'capture_lead', 'webhook'] },
    { path: 'file_upload_enabled', label: 'File upload', type: 'checkbox' },
    { path: 'max_file_size', label: 'Largest file (bytes)', type: 'number', min: 0, max: 104857600 },
    { path: 'emoji_enabled', label: 'Emoji', type: 'checkbox' },
    { path: 'pre_chat_form_enabled', label: 'Pre-chat form', type: 'checkbox' },
    { path: 'gdpr_consent_required', label: 'Ask for consent before the first message', type: 'checkbox' },
    { path: 'gdpr_text', label: 'Consent text', type: 'textarea' },
    { path: 'rating_enabled', label: 'Rating at the end', type: 'checkbox' },
  ] },
  { key: 'working_hours', label: 'Working hours', fields: [
    { path: 'enabled', label: 'Limit to working hours', type: 'checkbox' },
    { path: 'timezone', label: 'Time zone', type: 'text', hint: 'IANA name, e.g. Europe/Berlin.' },
    { path: 'schedule', label: 'Schedule', type: 'schedule' },
    { path: 'holidays', label: 'Holidays', type: 'list', hint: 'One YYYY-MM-DD per line.' },
  ] },
  { key: 'utm', label: 'UTM and attribution', fields: [
    { path: 'captureSource', label: 'utm_source', type: 'checkbox' },
    { path: 'captureMedium', label: 'utm_medium', type: 'checkbox' },
    { path: 'captureCampaign', label: 'utm_campaign', type: 'checkbox' },
    { path: 'captureTerm', label: 'utm_term', type: 'checkbox' },
    { path: 'captureContent', label: 'utm_content', type: 'checkbox' },
    { path: 'captureCustom', label: 'Custom parameters', type: 'checkbox' },
    { path: 'customParams', label: 'Custom parameter names', type: 'list', hint: 'One per line: gclid, fbclid, msclkid, …' },
    { path: 'appendPageContext', label: 'Page host, URL and referrer', type: 'checkbox' },
    { path: 'appendTimestamp', label: 'Timestamp', type: 'checkbox' },
  ] },
  { key: 'display_rules', label: 'Display rules', fields: [
    { path: 'include_urls', label: 'Show only on URLs', type: 'list', hint: 'One pattern per line; empty: everywhere.' },
    { path: 'exclude_urls', label: 'Never show on URLs', type: 'list' },
    { path: 'devices', label: 'Devices', type: 'multi', options: ['desktop', 'mobile', 'tablet'] },
  ] },
];

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// [{start:"09:00",end:"17:00"}, …] ⇄ "09:00-17:00, 18:00-20:00"; "" is closed.
export function formatRanges(ranges) {
  return (ranges || []).map((r) => `${r.start}-${r.end}`).join(', ');
}

export function parseRanges(text) {
  const out = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a range like 09:00-17:00`);
    out.push({ start: m[1].padStart(5, '0'), end: m[2].padStart(5, '0') });
  }
  return out;
}
