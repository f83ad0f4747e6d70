/* Parley full widget: the chat panel in the loader's shadow root (docs/widget.md). widget.js loads this file and
 * is called back through ChatWidget.parley(factory): the factory receives {api, config, base, ui, emit, fail, log}
 * (ui: the loader's host, shadow root, wrapper and launcher) and returns the methods LiveChatWidget forwards:
 * open, close, toggle, isOpen, sendMessage, identify, setLocale. Every string from the server or the config goes
 * into the page as text (textContent, attributes, checked URLs), never as HTML. */
(() => {
'use strict';
const w = window, d = document;

const I18N = {
  en: {
    placeholder: 'Type your message…', send: 'Send', attach: 'Attach a file', close: 'Close chat', end: 'End chat',
    human: 'Talk to a human', typing: '{name} is typing…', agent: 'Agent', sending: 'Sending…', sent: 'Sent',
    seen: 'Seen', failed: 'Not sent yet: retrying', queue: 'You are number {n} in the queue', waiting: 'Waiting for an agent',
    joined: '{name} joined the chat', ended: 'This chat has ended.', rate: 'How was this chat?', comment: 'Comment (optional)',
    thanks: 'Thank you for your feedback!', helpful: 'Helpful', not_helpful: 'Not helpful', new_chat: 'Start a new chat',
    consent_needed: 'Please accept first.', prechat: 'Tell us who you are', name: 'Name', email: 'Email', phone: 'Phone',
    message: 'Message', start: 'Start chat', submit: 'Send', offline_title: 'We are offline', lead_thanks: 'Thanks, we will get back to you.',
    reconnecting: 'Connection lost. Reconnecting…', too_big: 'This file is larger than {size} MB.', upload_failed: 'The file could not be sent: {error}',
    messages: 'Messages', stars: '{n} of 5', contact_needed: 'Please give an email or a phone number.', bot: 'Assistant', you: 'You',
  },
  es: {
    placeholder: 'Escribe tu mensaje…', send: 'Enviar', attach: 'Adjuntar un archivo', close: 'Cerrar chat', end: 'Terminar chat',
    human: 'Hablar con una persona', typing: '{name} está escribiendo…', agent: 'Agente', sending: 'Enviando…', sent: 'Enviado',
    seen: 'Visto', failed: 'Aún no enviado: reintentando', queue: 'Eres el número {n} en la cola', waiting: 'Esperando a un agente',
    joined: '{name} se ha unido al chat', ended: 'Este chat ha terminado.', rate: '¿Qué tal ha ido?', comment: 'Comentario (opcional)',
    thanks: '¡Gracias por tu opinión!', helpful: 'Útil', not_helpful: 'No útil', new_chat: 'Empezar otro chat',
    consent_needed: 'Acepta primero, por favor.', prechat: 'Dinos quién eres', name: 'Nombre', email: 'Correo', phone: 'Teléfono',
    message: 'Mensaje', start: 'Empezar', submit: 'Enviar', offline_title: 'Estamos desconectados', lead_thanks: 'Gracias, te responderemos pronto.',
    reconnecting: 'Conexión perdida. Reconectando…', too_big: 'El archivo supera {size} MB.', upload_failed: 'No se pudo enviar el archivo: {error}',
    messages: 'Mensajes', stars: '{n} de 5', contact_needed: 'Indica un correo o un teléfono.', bot: 'Asistente', you: 'Tú',
  },
  fr: {
    placeholder: 'Écrivez votre message…', send: 'Envoyer', attach: 'Joindre un fichier', close: 'Fermer le chat', end: 'Terminer',
    human: 'Parler à une personne', typing: '{name} écrit…', agent: 'Conseiller', sending: 'Envoi…', sent: 'Envoyé', seen: 'Vu',
    queue: 'Vous êtes numéro {n} dans la file', waiting: 'En attente d’un conseiller', ended: 'Ce chat est terminé.',
    rate: 'Comment s’est passé ce chat ?', thanks: 'Merci !', name: 'Nom', email: 'E-mail', phone: 'Téléphone', message: 'Message',
    start: 'Commencer', submit: 'Envoyer', offline_title: 'Nous sommes absents', messages: 'Messages',
  },
  de: {
    placeholder: 'Nachricht schreiben…', send: 'Senden', attach: 'Datei anhängen', close: 'Chat schließen', end: 'Chat beenden',
    human: 'Mit einem Menschen sprechen', typing: '{name} schreibt…', agent: 'Mitarbeiter', sending: 'Wird gesendet…', sent: 'Gesendet',
    seen: 'Gelesen', queue: 'Sie sind Nummer {n} in der Warteschlange', waiting: 'Warten auf einen Mitarbeiter', ended: 'Der Chat ist beendet.',
    rate: 'Wie war der Chat?', thanks: 'Danke!', name: 'Name', email: 'E-Mail', phone: 'Telefon', message: 'Nachricht', start: 'Starten',
    submit: 'Senden', offline_title: 'Wir sind offline', messages: 'Nachrichten',
  },
  ar: {
    placeholder: 'اكتب رسالتك…', send: 'إرسال', attach: 'إرفاق ملف', close: 'إغلاق المحادثة', end: 'إنهاء المحادثة',
    human: 'التحدث مع موظف', typing: '{name} يكتب…', agent: 'موظف', sending: 'جارٍ الإرسال…', sent: 'أُرسلت', seen: 'قُرئت',
    queue: 'ترتيبك {n} في قائمة الانتظار', waiting: 'في انتظار موظف', ended: 'انتهت هذه المحادثة.', rate: 'كيف كانت المحادثة؟',
    thanks: 'شكرًا لك!', name: 'الاسم', email: 'البريد الإلكتروني', phone: 'الهاتف', message: 'الرسالة', start: 'ابدأ', submit: 'إرسال',
    offline_title: 'نحن غير متصلين', messages: 'الرسائل', bot: 'المساعد', you: 'أنت',
  },
};
const RTL = ['ar', 'he', 'fa', 'ur'];

const CSS = `
.w{font:14px/1.45 var(--f),system-ui,sans-serif;color:#1f2328;--bg:#fff;--mu:#5b636e}
*{box-sizing:border-box}[hidden]{display:none!important}
.p{position:absolute;display:flex;flex-direction:column;width:min(370px,calc(100vw - 40px));height:min(580px,calc(100vh - 110px));background:var(--bg);border-radius:var(--r2,14px);box-shadow:0 12px 40px #0004;overflow:hidden;text-align:start}
.bottom .p{bottom:68px}.top .p{top:68px}.right .p{right:0}.left .p{left:0}
.sq .p,.sq button,.sq input,.sq textarea{border-radius:4px}
header{display:flex;align-items:center;gap:10px;padding:12px 10px 12px 14px;background:var(--pc);color:var(--tc)}
header img{width:32px;height:32px;border-radius:50%;object-fit:cover;background:#fff}
.hd{flex:1;min-width:0}h2{margin:0;font-size:16px;line-height:1.2}.st{margin:2px 0 0;font-size:12px;opacity:.9;min-height:1em}
.ib{width:34px;height:34px;border:0;border-radius:8px;background:none;color:inherit;font-size:20px;line-height:1;cursor:pointer}
.ib:hover{background:#fff3}.tx{width:auto;padding:0 8px;font-size:12px}
button:focus-visible,input:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid var(--sc);outline-offset:1px}
.bn{margin:0;padding:6px 12px;background:#fff4d6;color:#5c4400;font-size:12px}
.log{flex:1;overflow-y:auto;margin:0;padding:12px;list-style:none;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}
.m{display:flex;flex-direction:column;align-items:flex-start;max-width:85%}
.m.visitor{align-self:flex-end;align-items:flex-end}
.nm{font-size:11px;color:var(--mu);margin:0 4px 2px}
.bb{padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #e3e6ea;white-space:pre-wrap;overflow-wrap:anywhere}
.visitor .bb{background:var(--pc);color:var(--tc);border-color:transparent}
.system .bb{background:none;border:0;color:var(--mu);font-size:12px;text-align:center}.m.system{align-self:center}
.bb img{display:block;max-width:220px;max-height:220px;border-radius:8px}
.bb a{color:inherit}
.rc{font-size:11px;color:var(--mu);margin:2px 4px 0}
.qr,.fb,.stars{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.qr button,.card button,.fb button,.stars button,.bt{padding:6px 12px;border:1px solid var(--pc);border-radius:16px;background:#fff;color:var(--pc);font:inherit;cursor:pointer}
.fb button{padding:2px 8px;font-size:12px;border-color:#c9ced6;color:var(--mu)}.fb [aria-pressed=true]{background:var(--pc);color:var(--tc);border-color:var(--pc)}
.stars button{font-size:18px;padding:2px 8px}.stars [aria-pressed=true]{background:var(--pc);color:var(--tc)}
.card{border:1px solid #e3e6ea;border-radius:12px;background:#fff;overflow:hidden;max-width:260px}
.card img{width:100%;display:block}.card div{padding:8px 12px}.card h3{margin:0 0 4px;font-size:14px}.card p{margin:0 0 6px}
form.f{display:flex;flex-direction:column;gap:8px;padding:10px 12px;background:#fff;border:1px solid #e3e6ea;border-radius:12px}
.pane{flex:1;overflow-y:auto;padding:16px}.pane form.f{border:0;padding:0}.pane h3{margin:0 0 8px;font-size:15px}
label{display:flex;flex-direction:column;gap:2px;font-size:12px;color:var(--mu)}
label.ck{flex-direction:row;align-items:flex-start;gap:8px;color:#1f2328}
input:not([type]),input[type=email],input[type=tel],input[type=text],textarea{font:inherit;color:#1f2328;padding:8px 10px;border:1px solid #c9ced6;border-radius:8px;background:#fff;width:100%}
.pb{padding:10px 14px;border:0;border-radius:8px;background:var(--pc);color:var(--tc);font:600 14px var(--f),system-ui,sans-serif;cursor:pointer}
.er{color:#b42318;font-size:12px;margin:0}
.ty{margin:0;padding:2px 14px 4px;font-size:12px;color:var(--mu);background:#f6f7f9;min-height:0}
.act{display:flex;gap:6px;padding:6px 10px 0;background:var(--bg)}
.cs{margin:0;padding:8px 12px 0}
.cp{display:flex;align-items:flex-end;gap:6px;padding:8px 10px 10px;background:var(--bg);border-top:1px solid #e3e6ea}
.cp textarea{resize:none;max-height:120px;min-height:38px}
.cp .ib{color:var(--pc);flex:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d92d20;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}
[dir=rtl] .badge{right:auto;left:-4px}
@media (max-width:600px){.w .p{position:fixed;top:0;bottom:0;left:0;right:0;width:auto;height:auto;border-radius:0}.open .l{display:none}}
`;

w.ChatWidget.parley(({ api, config: cfg, base, ui, emit, fail, log }) => {
  const b = cfg.branding || {}, be = cfg.behavior || {}, fe = cfg.features || {}, loc = cfg.localization || {};
  const key = cfg.public_key, apiBase = new URL('api/v1/widgets/' + encodeURIComponent(key) + '/', base);
  const wsUrl = new URL('api/v1/realtime?key=' + encodeURIComponent(key), base);
  wsUrl.protocol = wsUrl.protocol == 'https:' ? 'wss:' : 'ws:';

  // ---- storage: per widget in localStorage (visitor, conversation, attribution), per tab in sessionStorage
  const P = 'parley.' + key + '.';
  const store = (s) => ({
    get: (k, def) => { try { const v = s.getItem(P + k); return v == null ? def : JSON.parse(v); } catch { return def; } },
    set: (k, v) => { try { v == null ? s.removeItem(P + k) : s.setItem(P + k, JSON.stringify(v)); } catch {} },
  });
  const ls = store(w.localStorage), ss = store(w.sessionStorage);
  const rid = (p) => p + (crypto.randomUUID ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36));
  const visitorId = ls.get('visitor') || rid('v_');
  ls.set('visitor', visitorId);
  const sessionId = ss.get('session') || rid('s_');
  ss.set('session', sessionId);
  let conv = ls.get('conversation'); // {id, token, seen}
  let info = ls.get('info', {}); // identify() and the pre-chat form

  // ---- attribution (utm config): first touch kept for good, last touch replaced when a page brings parameters
  const u = cfg.utm || {}, q = new URLSearchParams(location.search);
  const touch = { utm: {}, custom: {}, page_url: location.href, host: location.host, referrer: d.referrer, at: Date.now() };
  for (const [f, k] of [['captureSource', 'source'], ['captureMedium', 'medium'], ['captureCampaign', 'campaign'], ['captureTerm', 'term'], ['captureContent', 'content']])
    if (u[f] !== false && q.get('utm_' + k)) touch.utm[k] = q.get('utm_' + k);
  if (u.captureCustom !== false) for (const k of u.customParams || []) if (q.get(k)) touch.custom[k] = q.get(k);
  const hasParams = Object.keys(touch.utm).length + Object.keys(touch.custom).length > 0;
  const first = ls.get('first_touch') || touch;
  ls.set('first_touch', first);
  const last = hasParams || !ls.get('last_touch') ? touch : ls.get('last_touch');
  ls.set('last_touch', last);
  const landing = ss.get('landing') || location.href;
  ss.set('landing', landing);
  const device = /iPad|Tablet/i.test(navigator.userAgent) ? 'tablet' : /Mobi|Android/i.test(navigator.userAgent) || innerWidth < 600 ? 'mobile' : 'desktop';

  // ---- language
  let lang;
  function pickLang() {
    const supported = (loc.supported_languages || ['en']).map((l) => l.toLowerCase());
    const want = [ls.get('locale'), ...(navigator.languages || [navigator.language])].filter(Boolean).map((l) => l.toLowerCase());
    for (const l of want) {
      if (supported.includes(l)) return l;
      const p = l.split('-')[0];
      if (supported.includes(p)) return p;
    }
    return (loc.default_language || 'en').toLowerCase();
  }
  const t = (k, vars = {}) => {
    const o = loc.custom_text_overrides || {}, p = lang.split('-')[0];
    let s = (o[lang] || {})[k] ?? (o[p] || {})[k] ?? (typeof o[k] == 'string' ? o[k] : null) ?? (I18N[lang] || {})[k] ?? (I18N[p] || {})[k] ?? I18N.en[k] ?? k;
    for (const v in vars) s = s.replace('{' + v + '}', vars[v]);
    return s;
  };

  // ---- DOM helpers: el(tag, props, ...children); strings become text nodes, never markup.
  function el(tag, props = {}, ...kids) {
    const e = d.createElement(tag);
    for (const k in props) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k == 'class') e.className = v;
      else if (k == 'text') e.textContent = v;
      else if (k in e && typeof v != 'string') e[k] = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.flat().filter((k) => k != null && k !== false));
    return e;
  }
  // Only http(s) and same-server paths become links or images.
  const safeUrl = (s) => {
    try { const x = new URL(s, base); return /^https?:$/.test(x.protocol) ? x.href : null; } catch { return null; }
  };

  // ---- the panel
  const root = ui.root, wrap = ui.wrap, launcher = ui.launcher;
  root.prepend(el('style', { text: CSS }));
  wrap.style.setProperty('--sc', b.secondary_color || '#1E40AF');
  if (b.widget_shape == 'square') wrap.classList.add('sq');
  const $ = {};
  const logoUrl = b.logo_url && safeUrl(b.logo_url);
  const panel = el('div', { class: 'p', role: 'dialog', 'aria-labelledby': 'parley-title', hidden: true },
    el('header', {}, logoUrl && el('img', { src: logoUrl, alt: '' }),
      el('div', { class: 'hd' }, el('h2', { id: 'parley-title', text: b.title || 'Chat' }), ($.status = el('p', { class: 'st', 'aria-live': 'polite' }))),
      ($.end = el('button', { class: 'ib tx', type: 'button', hidden: true, onclick: endChat })),
      ($.close = el('button', { class: 'ib', type: 'button', text: '×', onclick: () => setOpen(false, true) }))),
    ($.banner = el('p', { class: 'bn', role: 'status', hidden: true })),
    ($.pane = el('div', { class: 'pane', hidden: true })),
    ($.log = el('ol', { class: 'log', role: 'log', 'aria-live': 'polite' })),
    ($.typing = el('p', { class: 'ty', 'aria-live': 'polite' })),
    ($.actions = el('div', { class: 'act' }, ($.human = el('button', { class: 'bt', type: 'button', onclick: talkToHuman })))),
    ($.consent = el('label', { class: 'ck cs' }, ($.consentBox = el('input', { type: 'checkbox', onchange: onConsent })), el('span', { text: fe.gdpr_text || '' }))),
    ($.composer = el('form', { class: 'cp', onsubmit: (e) => (e.preventDefault(), sendText()) },
      ($.taLabel = el('label', { class: 'sr', for: 'parley-input' })),
      ($.input = el('textarea', { id: 'parley-input', rows: 1, maxlength: 4000, oninput: onInput, onkeydown: onKey })),
      fe.file_upload_enabled !== false && ($.attach = el('button', { class: 'ib', type: 'button', text: '📎', onclick: () => $.file.click() })),
      ($.file = el('input', { type: 'file', hidden: true, onchange: onFile, accept: 'image/*,.pdf,.txt,.csv,.zip,.doc,.docx,.xls,.xlsx' })),
      ($.send = el('button', { class: 'ib', type: 'submit', text: '➤' })))));
  wrap.prepend(panel);
  root.addEventListener('keydown', (e) => e.key == 'Escape' && open && (e.stopPropagation(), setOpen(false, true)));
  $.badge = el('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  launcher.style.position = 'relative';
  launcher.append($.badge);

  // Static strings, again on setLocale.
  function paint() {
    wrap.setAttribute('lang', lang);
    wrap.dir = RTL.includes(lang.split('-')[0]) ? 'rtl' : 'ltr';
    $.end.textContent = t('end');
    $.close.setAttribute('aria-label', t('close'));
    $.human.textContent = t('human');
    $.taLabel.textContent = t('message');
    $.input.placeholder = t('placeholder');
    $.send.setAttribute('aria-label', t('send'));
    if ($.attach) $.attach.setAttribute('aria-label', t('attach'));
    $.log.setAttribute('aria-label', t('messages'));
    $.banner.textContent = t('reconnecting');
    if (welcomeLi) welcomeLi.querySelector('.bb').textContent = welcomeText();
    refreshStatus();
  }

  // ---- state
  let open = false, touched = false, ws = null, wsReady = false, attempts = 0, retryTimer = 0, pingTimer = 0;
  let status = 'bot', agentName = '', queuePos = 0, agentRead = 0, lastSeq = 0, unread = 0, typingTimer = 0, sentTyping = 0, stopTyping = 0;
  const byId = new Map(), pending = new Map(); // message id → li; client_message_id → {frame, li}
  let consented = !fe.gdpr_consent_required || !!ls.get('consent');
  const welcomeText = () => (cfg.status && cfg.status.message) || be.welcome_message || '';
  let welcomeLi = null;

  function refreshStatus() {
    const s = status == 'active' ? agentName || t('agent') : status == 'queued' ? (queuePos > 0 ? t('queue', { n: queuePos }) : t('waiting')) : status == 'closed' ? t('ended') : cfg.status && cfg.status.open === false && !conv ? t('offline_title') : '';
    $.status.textContent = s;
    $.end.hidden = !conv || status == 'closed';
    $.actions.hidden = !(status == 'bot' && fe.chatbot_enabled !== false) || !open || paneShown();
    $.consent.hidden = consented || paneShown();
    $.composer.hidden = status == 'closed' || paneShown();
    for (const li of $.log.querySelectorAll('.m.visitor[data-seq]')) {
      const rc = li.querySelector('.rc');
      if (rc) rc.textContent = +li.dataset.seq <= agentRead ? t('seen') : t('sent');
    }
  }
  const paneShown = () => !$.pane.hidden;

  // ---- messages
  function bubble(m) {
    const p = m.payload || {}, kids = [];
    if (m.type == 'image' || m.type == 'file') {
      const f = p.file || {}, url = safeUrl(f.url);
      if (m.type == 'image' && url) kids.push(el('a', { href: url, target: '_blank', rel: 'noopener' }, el('img', { src: url, alt: f.name || 'image' })));
      else if (url) kids.push(el('a', { href: url, target: '_blank', rel: 'noopener', download: f.name || '', text: '📄 ' + (f.name || 'file') }));
      if (m.text) kids.push(el('div', { text: m.text }));
    } else if (m.type == 'card' && p.card) {
      const c = p.card, img = c.image_url && safeUrl(c.image_url);
      return el('div', { class: 'card' }, img && el('img', { src: img, alt: '' }),
        el('div', {}, el('h3', { text: c.title || '' }), c.text && el('p', { text: c.text }),
          (c.buttons || []).map((btn) => btn.url && safeUrl(btn.url)
            ? el('a', { class: 'bt', href: safeUrl(btn.url), target: '_blank', rel: 'noopener', text: btn.label })
            : el('button', { type: 'button', text: btn.label, onclick: () => send('quick_reply', btn.label, { value: String(btn.value ?? btn.label), reply_to: m.id }) }))));
    } else if (m.type == 'form' && m.sender_type != 'visitor') {
      kids.push(el('div', { text: m.text || '' }), leadForm(m));
    } else if (m.type == 'form') {
      const f = p.fields || {};
      kids.push(el('div', { text: m.text || Object.keys(f).filter((k) => typeof f[k] != 'boolean').map((k) => k + ': ' + f[k]).join('\n') }));
    } else kids.push(m.text || '');
    return el('div', { class: 'bb' }, kids);
  }

  function render(m) {
    const who = m.sender_type, li = el('li', { class: 'm ' + who, 'data-seq': m.seq, 'data-id': m.id });
    if (who == 'agent') li.append(el('span', { class: 'nm', text: (m.payload && m.payload.agent_name) || agentName || t('agent') }));
    if (who == 'bot') li.append(el('span', { class: 'nm', text: t('bot') }));
    li.append(bubble(m));
    if (who == 'visitor') li.append(el('span', { class: 'rc' }));
    if (who == 'bot' && m.type == 'text' && fe.chatbot_enabled !== false) li.append(feedback(m));
    if (m.payload && Array.isArray(m.payload.quick_replies) && m.payload.quick_replies.length) li.quick = m.payload.quick_replies;
    return li;
  }

  // Puts a message in seq order (before unsent ones); a repeat of a known id is ignored.
  function place(m) {
    if (byId.has(m.id)) return false;
    const cid = m.client_message_id, mine = cid && pending.get(cid);
    const li = render(m);
    byId.set(m.id, li);
    if (mine) pending.delete(cid);
    if (mine && mine.li.isConnected) mine.li.replaceWith(li);
    else {
      const after = [...$.log.children].find((x) => x.classList.contains('pending') || +x.dataset.seq > m.seq);
      $.log.insertBefore(li, after || null);
    }
    lastSeq = Math.max(lastSeq, m.seq || 0);
    return true;
  }

  function refreshQuick() {
    $.log.querySelectorAll('.qr').forEach((x) => x.remove());
    const lastLi = [...$.log.querySelectorAll('.m[data-seq]')].pop();
    if (lastLi && lastLi.quick && !lastLi.classList.contains('visitor') && status != 'closed')
      lastLi.append(el('div', { class: 'qr', role: 'group' }, lastLi.quick.map((label) => el('button', { type: 'button', text: label, onclick: () => send('quick_reply', label, { value: label, reply_to: lastLi.dataset.id }) }))));
  }
  const scroll = () => ($.log.scrollTop = $.log.scrollHeight);

  function onMessage(m) {
    const fresh = m.seq > ((conv && conv.seen) || 0);
    if (!place(m)) return;
    refreshQuick();
    refreshStatus();
    scroll();
    if (m.sender_type != 'visitor') $.typing.textContent = '';
    if (m.sender_type == 'agent' && m.payload && m.payload.agent_name) agentName = m.payload.agent_name;
    if (fresh) {
      conv.seen = m.seq;
      ls.set('conversation', conv);
      emit('message', { message: m });
      if (m.sender_type != 'visitor') open ? markRead() : badge(++unread);
    }
  }
  function badge(n) {
    unread = n;
    $.badge.hidden = !n;
    $.badge.textContent = n > 9 ? '9+' : n;
  }

  function feedback(m) {
    const cur = (m.payload || {}).feedback;
    const mk = (val, label, icon) => el('button', { type: 'button', 'aria-label': t(label), title: t(label), 'aria-pressed': String(cur == val), text: icon,
      onclick: async (e) => {
        const btn = e.currentTarget; // read before the await: a shadow-tree event loses its target after dispatch
        const r = await post('conversations/' + conv.id + '/messages/' + m.id + '/feedback', { helpful: val == 'helpful' });
        if (r) for (const x of btn.parentNode.children) x.setAttribute('aria-pressed', String(x == btn));
      } });
    return el('div', { class: 'fb' }, mk('helpful', 'helpful', '👍'), mk('not_helpful', 'not_helpful', '👎'));
  }

  // The bot's lead form (payload.form "lead"): POST …/lead, then a form message so the chat shows it.
  function leadForm(m) {
    const fields = ((m.payload || {}).fields || ['name', 'email', 'phone']).filter((f) => f != 'consent');
    if (conv && (conv.leads || []).includes(m.id)) return el('p', { class: 'rc', text: t('lead_thanks') });
    const f = contactForm(fields, t('submit'), async (v) => {
      const r = await post('conversations/' + conv.id + '/lead', { ...v, consent: true });
      if (!r) return false;
      conv.leads = [...(conv.leads || []), m.id];
      ls.set('conversation', conv);
      send('form', '', { form: 'lead', fields: v });
      f.replaceWith(el('p', { class: 'rc', text: t('lead_thanks') }));
      return true;
    });
    return f;
  }

  // A small form of contact fields; submit(values) resolves true when done. One of email or phone is required.
  function contactForm(fields, label, submit, extra = []) {
    const inputs = {};
    const err = el('p', { class: 'er', role: 'alert' });
    const type = { email: 'email', phone: 'tel' };
    const form = el('form', { class: 'f', novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const v = {};
        for (const k in inputs) if (inputs[k].value.trim()) v[k] = inputs[k].value.trim();
        if ((fields.includes('email') || fields.includes('phone')) && !v.email && !v.phone) return (err.textContent = t('contact_needed'));
        if (fields.includes('email') && v.email && !inputs.email.checkValidity()) return (err.textContent = t('email') + '?');
        if (!consented) return (err.textContent = t('consent_needed'));
        err.textContent = '';
        btn.disabled = true;
        if (!(await submit(v))) btn.disabled = false;
      } },
      fields.map((k) => el('label', {}, t(k), (inputs[k] = k == 'message' ? el('textarea', { rows: 3, name: k }) : el('input', { type: type[k] || 'text', name: k, autocomplete: k == 'phone' ? 'tel' : k })))),
      extra, err, el('button', { class: 'pb', type: 'submit', text: label }));
    const btn = form.lastChild;
    return form;
  }

  // ---- HTTP to the server (visitor routes); failures show as text in the chat and go to livechat:error.
  async function post(path, body, raw) {
    try {
      const headers = raw ? raw.headers : { 'Content-Type': 'application/json' };
      if (conv) headers['X-Visitor-Token'] = conv.token;
      const res = await fetch(new URL(path, apiBase), { method: 'POST', headers, body: raw ? raw.body : JSON.stringify(body), credentials: 'omit' });
      const out = await res.json().catch(() => ({}));
      if (!res.ok) throw Error((out.error && out.error.message) || 'HTTP ' + res.status);
      return out;
    } catch (e) {
      fail(path.split('/').pop() + ': ' + e.message);
      return null;
    }
  }

  function context() {
    return {
      page_url: location.href, referrer: d.referrer, landing_page: landing, device, language: lang,
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, utm: last.utm, custom: last.custom,
      first_touch: first, last_touch: last, consent: consented && fe.gdpr_consent_required ? { given: true, at: ls.get('consent') } : undefined,
    };
  }

  let starting = null;
  function ensureConversation() {
    if (conv) return Promise.resolve(conv);
    return (starting = starting || post('conversations', { visitor_id: visitorId, session_id: sessionId, visitor_info: info, context: context() }).then((r) => {
      starting = null;
      if (!r) return null;
      conv = { id: r.conversation.id, token: r.visitor_token, seen: 0 };
      ls.set('conversation', conv);
      status = r.conversation.status;
      agentRead = 0;
      disconnect(); // from the visitor-only socket to the conversation's
      connect();
      refreshStatus();
      return conv;
    }));
  }

  // ---- sending: over the socket with a client_message_id; unacknowledged frames are sent again after a
  // reconnect, and the server answers a repeat with the first message, so nothing is lost or doubled.
  async function send(type, text, payload) {
    if (!consented) { $.consentBox.focus(); return fail(t('consent_needed')), false; }
    const cid = rid('c_');
    const li = el('li', { class: 'm visitor pending' }, el('div', { class: 'bb', text: text || (payload && payload.fields ? Object.values(payload.fields).join(', ') : '') }), el('span', { class: 'rc', text: t('sending') }));
    if (type != 'form') $.log.append(li);
    scroll();
    const frame = { type: 'message', id: cid, client_message_id: cid, message_type: type, text: text || undefined, payload };
    pending.set(cid, { frame, li });
    if (!(await ensureConversation())) { li.querySelector('.rc').textContent = t('failed'); return false; }
    $.log.querySelectorAll('.qr').forEach((x) => x.remove());
    if (wsReady) ws.send(JSON.stringify(frame));
    return true;
  }
  function sendText() {
    const text = $.input.value.trim();
    if (!text) return;
    if (!consented) return $.consentBox.focus(), fail(t('consent_needed'));
    $.input.value = '';
    typing(false);
    send('text', text);
  }
  function onKey(e) {
    if (e.key == 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
  }
  // Typing: true at most every 2 s while typing, false after 3 s of quiet or on send.
  function onInput() {
    if (!wsReady) return;
    const now = Date.now();
    if (now - sentTyping > 2000) { sentTyping = now; ws.send('{"type":"typing","state":true}'); }
    clearTimeout(stopTyping);
    stopTyping = setTimeout(() => typing(false), 3000);
  }
  function typing(state) {
    clearTimeout(stopTyping);
    if (sentTyping && wsReady) ws.send(JSON.stringify({ type: 'typing', state }));
    sentTyping = 0;
  }
  function markRead() {
    badge(0);
    if (wsReady && lastSeq) ws.send(JSON.stringify({ type: 'read', seq: lastSeq }));
  }
  function onConsent() {
    consented = $.consentBox.checked;
    ls.set('consent', consented ? Date.now() : null);
    refreshStatus();
  }

  async function onFile() {
    const file = $.file.files[0];
    $.file.value = '';
    if (!file) return;
    const max = fe.max_file_size || 10485760;
    if (file.size > max) return system(t('too_big', { size: Math.floor(max / 1048576) }));
    if (!consented) return $.consentBox.focus(), fail(t('consent_needed'));
    if (!(await ensureConversation())) return;
    const r = await post('conversations/' + conv.id + '/files?name=' + encodeURIComponent(file.name.slice(-200).replace(/[\/\\]/g, '_')), null,
      { headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file });
    if (!r) return system(t('upload_failed', { error: file.name }));
    send(/^image\//.test(r.file.content_type) ? 'image' : 'file', '', { file_id: r.file.id });
  }
  const system = (text) => ($.log.append(el('li', { class: 'm system' }, el('div', { class: 'bb', text }))), scroll());

  async function talkToHuman() {
    if (!consented) return $.consentBox.focus(), fail(t('consent_needed'));
    if (!(await ensureConversation())) return;
    const r = await post('conversations/' + conv.id + '/handoff', {});
    if (r) { status = r.conversation.status; queuePos = r.queue_position || 0; refreshStatus(); }
  }

  async function endChat() {
    if (!conv) return;
    const r = await post('conversations/' + conv.id + '/end', {});
    if (r) closed();
  }
  // The conversation is over (either side): offer a rating once, then a new chat.
  function closed() {
    if (status == 'closed' && $.log.querySelector('.rate,.again')) return;
    status = 'closed';
    refreshQuick();
    refreshStatus();
    system(t('ended'));
    if (fe.rating_enabled !== false && conv && !conv.rated) $.log.append(rating());
    $.log.append(el('li', { class: 'm system again' }, el('button', { class: 'bt', type: 'button', text: t('new_chat'), onclick: newChat })));
    scroll();
  }
  function rating() {
    let stars = 0;
    const comment = el('textarea', { rows: 2, 'aria-label': t('comment'), placeholder: t('comment') });
    const row = el('div', { class: 'stars', role: 'group', 'aria-label': t('rate') }, [1, 2, 3, 4, 5].map((n) =>
      el('button', { type: 'button', text: '★', 'aria-label': t('stars', { n }), 'aria-pressed': 'false', onclick: () => {
        stars = n;
        [...row.children].forEach((x, i) => x.setAttribute('aria-pressed', String(i < n)));
      } })));
    const li = el('li', { class: 'm system rate' }, el('form', { class: 'f', onsubmit: async (e) => {
      e.preventDefault();
      if (!stars) return row.firstChild.focus();
      if (await post('conversations/' + conv.id + '/rating', { rating: stars, comment: comment.value.trim() })) {
        conv.rated = true;
        ls.set('conversation', conv);
        li.replaceChildren(el('div', { class: 'bb', text: t('thanks') }));
      }
    } }, el('span', { text: t('rate') }), row, comment, el('button', { class: 'pb', type: 'submit', text: t('submit') })));
    return li;
  }
  function newChat() {
    disconnect();
    conv = null;
    ls.set('conversation', null);
    status = 'bot'; agentName = ''; queuePos = 0; agentRead = 0; lastSeq = 0;
    byId.clear();
    pending.clear();
    $.log.replaceChildren();
    welcome();
    refreshStatus();
    $.input.focus();
  }

  // ---- realtime: hello with last_seq; back-off 0.5 s … 15 s (with jitter) after a drop, at once when online
  // Before a conversation the socket says hello with the visitor id only: it hears incoming commands.
  function connect() {
    if (ws) return;
    clearTimeout(retryTimer);
    let sock;
    try { sock = ws = new WebSocket(wsUrl); } catch (e) { return retry(); }
    sock.onopen = () => sock.send(JSON.stringify(conv ? { type: 'hello', conversation_id: conv.id, visitor_token: conv.token, last_seq: lastSeq } : { type: 'hello', visitor_id: visitorId }));
    sock.onmessage = (e) => { try { frame(JSON.parse(e.data)); } catch (err) { log('bad frame', err); } };
    sock.onclose = (e) => {
      if (ws != sock) return;
      ws = null;
      wsReady = false;
      clearInterval(pingTimer);
      log('socket closed', e.code, e.reason);
      if (e.code == 1008 && /not_found/.test(e.reason) && conv) return forget();
      retry();
    };
  }
  function retry() {
    $.banner.hidden = attempts < 1 || !conv;
    const delay = Math.min(15000, 500 * 2 ** attempts++) * (0.8 + Math.random() * 0.4);
    retryTimer = setTimeout(connect, delay);
  }
  function disconnect() {
    const s = ws;
    ws = null;
    wsReady = false;
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    if (s) s.close();
  }
  // The server no longer knows this conversation (or the token): start afresh.
  function forget() {
    log('conversation unknown: starting afresh');
    newChat();
  }
  w.addEventListener('online', () => { if (!ws) { attempts = 0; connect(); } });

  function frame(f) {
    switch (f.type) {
      case 'welcome': {
        wsReady = true;
        attempts = 0;
        $.banner.hidden = true;
        const c = f.conversation || {};
        status = c.status || status;
        agentRead = Math.max(agentRead, c.agent_read_seq || 0);
        queuePos = f.queue_position || 0;
        pingTimer = setInterval(() => wsReady && ws.send('{"type":"ping"}'), 25000);
        if (f.conversation) for (const p of pending.values()) ws.send(JSON.stringify(p.frame));
        refreshStatus();
        if (status == 'closed') closed();
        break;
      }
      case 'message': onMessage(f.message); break;
      case 'ack': if (f.message) onMessage(f.message); break;
      case 'typing':
        if (f.from == 'agent') {
          clearTimeout(typingTimer);
          $.typing.textContent = f.state === false ? '' : t('typing', { name: f.name || agentName || t('agent') });
          typingTimer = setTimeout(() => ($.typing.textContent = ''), 8000);
        }
        break;
      case 'read': if (f.by == 'agent') { agentRead = Math.max(agentRead, f.seq || 0); refreshStatus(); } break;
      case 'status': {
        const name = f.agent && f.agent.name;
        if (name && name != agentName && f.status == 'active') system(t('joined', { name }));
        agentName = name || agentName;
        status = f.status;
        if (status != 'queued') queuePos = 0;
        status == 'closed' ? closed() : refreshStatus();
        break;
      }
      case 'queue': queuePos = f.position || 0; refreshStatus(); break;
      case 'command': command(f); break;
      case 'error':
        log('server error', f.error);
        if (f.error && f.error.code == 'conversation_closed') closed();
        else if (f.ref && pending.has(f.ref)) { pending.get(f.ref).li.querySelector('.rc').textContent = f.error.message; pending.delete(f.ref); }
        break;
    }
  }

  // ---- incoming commands (POST /api/v1/widgets/{key}/commands), each once by id
  const seenCommands = new Set();
  function command(f) {
    if (seenCommands.has(f.id)) return;
    seenCommands.add(f.id);
    const data = f.data || {};
    log('command', f.command, data);
    emit('command', { command: f.command, data });
    if (f.command == 'open_chat') setOpen(true, false, true);
    else if (f.command == 'show_notification') {
      system((data.title ? data.title + ': ' : '') + (data.text || ''));
      if (!open) badge(unread + 1);
    } else if (f.command == 'update_settings') {
      for (const [section, values] of Object.entries(data))
        if (values && typeof values == 'object' && cfg[section]) Object.assign(cfg[section], values);
      paint();
    } else if (f.command == 'identify') api.identify && api.identify(data);
  }

  // ---- views: offline form (outside working hours), pre-chat form, chat
  function showPane(kids) {
    $.pane.replaceChildren(...kids);
    $.pane.hidden = false;
    $.log.hidden = $.typing.hidden = true;
    refreshStatus();
  }
  function hidePane() {
    $.pane.hidden = true;
    $.log.hidden = $.typing.hidden = false;
    refreshStatus();
  }
  const consentField = () => fe.gdpr_consent_required && !consented
    ? el('label', { class: 'ck' }, el('input', { type: 'checkbox', onchange: (e) => { $.consentBox.checked = e.target.checked; onConsent(); } }), el('span', { text: fe.gdpr_text || '' }))
    : null;
  function views() {
    if (conv) return hidePane();
    if (cfg.status && cfg.status.open === false) {
      return showPane([el('h3', { text: t('offline_title') }), el('p', { text: be.offline_message || '' }),
        contactForm(['name', 'email', 'phone', 'message'], t('submit'), async (v) => {
          const { message, ...contact } = v;
          info = { ...info, ...(contact.name && { name: contact.name }), ...(contact.email && { email: contact.email }) };
          if (!(await ensureConversation())) return false;
          if (message) await send('text', message);
          if (!(await post('conversations/' + conv.id + '/lead', { ...contact, consent: true }))) return false;
          $.pane.replaceChildren(el('p', { role: 'status', text: t('lead_thanks') }));
          return true;
        }, consentField())]);
    }
    if (fe.pre_chat_form_enabled && !info.email && !info.name) {
      return showPane([el('h3', { text: t('prechat') }),
        contactForm(['name', 'email'], t('start'), async (v) => {
          info = { ...info, ...v };
          ls.set('info', info);
          hidePane();
          $.input.focus();
          return true;
        }, consentField())]);
    }
    hidePane();
  }
  function welcome() {
    if (!welcomeText()) return;
    welcomeLi = el('li', { class: 'm bot welcome' }, el('div', { class: 'bb', text: welcomeText() }));
    $.log.prepend(welcomeLi);
  }

  // ---- open / close, link-out, widget events, triggers
  function event(type) {
    fetch(new URL('events', apiBase), { method: 'POST', keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type, page_url: location.href, utm: { ...last.utm, ...last.custom }, visitor_id: visitorId, conversation_id: conv ? conv.id : undefined }) })
      .catch((e) => log('event not sent', type, e));
  }

  // Link-out: open the window inside the click (so no pop-up blocker stops it), then send it to the first URL
  // that answers: the primary, else the fallback.
  function linkOut() {
    const lo = be.link_out || {}, target = lo.target == 'popup' ? 'popup' : 'tab';
    const primary = safeUrl(lo.url || '');
    if (!primary) return fail('behavior.link_out.url is not an http(s) URL');
    const params = {};
    for (const k in last.utm) params['utm_' + k] = last.utm[k];
    Object.assign(params, last.custom);
    if (u.appendPageContext !== false) Object.assign(params, { host: location.host, page: location.href, ref: d.referrer });
    if (u.appendTimestamp !== false) params.timestamp = new Date().toISOString();
    Object.assign(params, lo.params || {}, { visitor_id: visitorId });
    const withParams = (s) => { const x = new URL(s); for (const k in params) if (params[k]) x.searchParams.set(k, params[k]); return x.href; };
    const win = target == 'popup' ? w.open('', 'parley_chat', `popup,width=${lo.width || 420},height=${lo.height || 640}`) : w.open('', '_blank');
    if (!win) return fail('the browser blocked the chat window');
    win.opener = null;
    const go = (url) => { win.location.href = url; emit('opened', { url }); event('opened'); };
    const fallback = lo.fallback_url && safeUrl(lo.fallback_url);
    if (!fallback) return go(withParams(primary));
    fetch(primary, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(lo.timeout_ms || 4000) })
      .then(() => go(withParams(primary)), () => { log('link-out: primary did not answer; fallback'); go(withParams(fallback)); });
  }

  function setOpen(want, byUser, auto) {
    if (!auto) touched = true;
    if (want && be.mode == 'link_out') return linkOut();
    if (want == open) return;
    const focusInside = !!root.activeElement;
    open = want;
    panel.hidden = !open;
    wrap.classList.toggle('open', open);
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      views();
      scroll();
      markRead();
      if (byUser) (paneShown() ? $.pane.querySelector('input,textarea') : $.input)?.focus();
    } else if (byUser || focusInside) launcher.focus();
    refreshStatus();
    emit(open ? 'opened' : 'closed', {});
    event(open ? 'opened' : 'closed');
  }

  // Triggers (behavior.triggers) open the chat by themselves, within behavior.frequency_cap, never after the
  // visitor has opened or closed it on this page.
  function capOk() {
    const cap = be.frequency_cap || {}, max = cap.max_auto_opens;
    const rec = (cap.period == 'session' ? ss : ls).get('auto', { n: 0, at: 0, day: '' });
    const today = new Date().toDateString();
    if (cap.period == 'day' && rec.day != today) Object.assign(rec, { n: 0, day: today });
    if (max != null && rec.n >= max) return false;
    if (cap.min_minutes_between && Date.now() - rec.at < cap.min_minutes_between * 60000) return false;
    return true;
  }
  function autoOpen(why) {
    if (touched || open || !capOk()) return;
    log('auto-open:', why);
    const cap = be.frequency_cap || {}, s = cap.period == 'session' ? ss : ls;
    const rec = s.get('auto', { n: 0, at: 0, day: new Date().toDateString() });
    s.set('auto', { n: rec.n + 1, at: Date.now(), day: rec.day || new Date().toDateString() });
    setOpen(true, false, true);
  }
  function triggers() {
    if (be.mode == 'link_out') return;
    const tr = be.triggers || {}, urls = tr.urls || [];
    const here = (p) => RegExp('^' + p.split('*').map((s) => s.replace(/\W/g, '\\$&')).join('.*') + '$').test(location.href) || location.href.includes(p);
    if (urls.length && !urls.some(here)) return;
    if (be.auto_open_enabled) setTimeout(() => autoOpen('auto_open'), (be.auto_open_delay_seconds || 0) * 1000);
    if (tr.time_on_page_seconds > 0) setTimeout(() => autoOpen('time_on_page'), tr.time_on_page_seconds * 1000);
    if (tr.scroll_percent > 0) {
      const onScroll = () => {
        const h = d.documentElement, pct = ((h.scrollTop + innerHeight) / h.scrollHeight) * 100;
        if (pct >= tr.scroll_percent) { removeEventListener('scroll', onScroll); autoOpen('scroll'); }
      };
      addEventListener('scroll', onScroll, { passive: true });
    }
    if (tr.exit_intent) {
      const onOut = (e) => { if (!e.relatedTarget && e.clientY <= 0) { d.removeEventListener('mouseout', onOut); autoOpen('exit_intent'); } };
      d.addEventListener('mouseout', onOut);
    }
  }

  lang = pickLang();
  welcome();
  paint();
  views();
  connect();
  event('loaded');
  triggers();
  log('chat ready', { lang, conversation: conv && conv.id });

  api.isOpen = () => open;
  return {
    open: (o) => setOpen(true, !!(o && o.focus)),
    close: () => setOpen(false, false),
    toggle: (byUser) => setOpen(!open, !!byUser),
    isOpen: () => open,
    sendMessage: (text) => (text = String(text || '').trim()) && send('text', text),
    identify(o = {}) {
      const { name, email, attributes } = o;
      info = { ...info, ...(name && { name: String(name) }), ...(email && { email: String(email) }), ...(attributes && { attributes }) };
      ls.set('info', info);
      if (open) views();
    },
    setLocale(l) {
      ls.set('locale', l ? String(l).toLowerCase() : null);
      lang = pickLang();
      paint();
      if (open) views();
    },
  };
});
})();
