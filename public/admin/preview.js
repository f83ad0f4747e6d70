// The widget configurator's sample page: runs the real widget from /widget/ with the panel's unsaved config.
// The parent (sections/widgets.js) answers our "ready" with {config, widget, open}; we answer the widget's
// config request with it, so the widget code runs unchanged. A widget that offers
// LiveChatWidget.applyConfig(config) gets later edits in place; otherwise the parent reloads this page.
const realFetch = window.fetch.bind(window);
let preview = null;

// The public config as GET /api/v1/widgets/{key}/config would answer it.
function publicConfig() {
  const { widget, config } = preview;
  const be = config.behavior || {};
  return {
    widget_id: widget.id, public_key: widget.public_key, name: widget.name, version: widget.version,
    cache_key: `${widget.id}-preview`, api_url: new URL('/api/v1', location.href).href,
    websocket_url: new URL('/api/v1/realtime', location.href).href.replace(/^http/, 'ws'),
    cdn_url: new URL('/widget/', location.href).href, ...config,
    status: { open: true, message: be.welcome_message || '' },
    preview: true,
  };
}

const json = (body, status = 200) =>
  Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));

window.fetch = (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url, location.href);
  if (preview && url.origin === location.origin) {
    if (/^\/api\/v1\/widgets\/[^/]+\/config$/.test(url.pathname)) return json(publicConfig());
    if (url.pathname === '/api/load-config') {
      return json({ success: true, siteId: preview.widget.site_id || preview.widget.public_key, clientName: '',
        config: publicConfig(), source: 'preview' });
    }
    // Conversations and events: the preview is not a live chat.
    if (url.pathname.startsWith('/api/')) {
      return json({ error: { code: 'preview', message: 'This is a preview: the chat is not live here.' } }, 503);
    }
  }
  return realFetch(input, init);
};

function boot() {
  window.LiveChatWidget = { queue: [(w) => preview.open && w.open()] };
  const script = document.createElement('script');
  script.src = '/widget/widget.js';
  script.async = true;
  script.dataset.key = preview.widget.public_key;
  document.body.append(script);
}

window.addEventListener('message', (e) => {
  if (e.origin !== location.origin || e.source !== window.parent || !e.data || e.data.type !== 'parley-preview') return;
  const first = !preview;
  preview = e.data;
  if (first) return boot();
  const w = window.LiveChatWidget;
  if (w && typeof w.applyConfig === 'function') w.applyConfig(publicConfig());
  else location.reload();
});

window.parent.postMessage({ type: 'parley-preview-ready' }, location.origin);
