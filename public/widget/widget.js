/* Parley widget loader. Embeds: <script src="…/widget/widget.js" data-key="pk_…" async>, or
 * widget.js?id=pk_…, or widget.js then ChatWidget.setup({siteId: "…"}). ?debug=true or data-debug logs steps.
 * Loads the public config from the server it came from, draws a launcher and panel in a Shadow DOM, and offers
 * window.LiveChatWidget: open({focus}) close() toggle() isOpen() on(name, fn) off(name, fn) config queue, plus window
 * events livechat:ready|opened|closed|error. Failures are reported, never thrown at the host page. */
(() => {
  'use strict';
  const w = window, d = document, P = '[Parley]';
  if (w.ChatWidget && w.ChatWidget.parley) return; // loaded twice: the first copy wins

  // Our <script> (currentScript is set while a classic script runs, async too); the server root is its ../
  const me = d.currentScript || [...d.querySelectorAll('script[src*="widget.js"]')].pop();
  const src = new URL((me && me.src) || '/widget/widget.js', location.href), base = new URL('../', src);
  let debug = src.searchParams.get('debug') === 'true' || (!!me && me.hasAttribute('data-debug') && me.dataset.debug !== 'false');

  const api = (w.LiveChatWidget = w.LiveChatWidget || {});
  const queue = Array.isArray(api.queue) ? api.queue : [];
  const handlers = {};
  let state = 'idle'; // idle → loading → ready | failed
  let ui, isOpen = false, wanted = null, touched = false;

  const log = (...a) => (debug || api.debug) && console.debug(P, ...a);
  const run = (fn, arg = api) => { try { fn(arg); } catch (e) { console.error(P, 'callback failed:', e); } };

  // on(name) handlers get `arg` (the API for ready) or the detail; then livechat:<name> goes to window.
  function emit(name, detail, arg = detail) {
    log(name, detail);
    (handlers[name] || []).slice().forEach((fn) => run(fn, arg));
    w.dispatchEvent(new CustomEvent('livechat:' + name, { detail }));
  }
  function fail(message) {
    console.error(P, message);
    emit('error', { message });
  }

  // GET JSON: three tries 1 s then 2 s apart, 10 s each; a 4xx other than 408/429 is final.
  async function getJson(url) {
    let err;
    for (let i = 0; i < 3; i++) {
      if (i) await new Promise((r) => setTimeout(r, 1000 * i));
      const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), 10000);
      try {
        log('GET', url);
        const res = await fetch(url, { signal: ctl.signal, credentials: 'omit' });
        const body = await res.json().catch(() => null);
        if (res.ok && body) return body;
        const e = (body && body.error) || {};
        err = Error(`HTTP ${res.status}${e.code ? ` ${e.code}: ${e.message}` : ''}`);
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (e) {
        // A refusal of this page's domain lands here too: it carries no CORS header, so it reads as a network error.
        err = Error(e.name === 'AbortError' ? 'timed out after 10 s' : 'network error (server down, or domain not allowed)');
      } finally {
        clearTimeout(timer);
      }
      log('try', i + 1, 'failed:', err.message);
    }
    throw err;
  }

  async function load(path, what, unwrap) {
    if (state !== 'idle') return log('already', state, '- ignoring', what);
    state = 'loading';
    try {
      const body = await getJson(new URL(path, base).href), cfg = unwrap ? body.config : body;
      if (!cfg || !cfg.branding || !cfg.behavior) throw Error('not a widget config');
      log('config', cfg);
      api.config = cfg;
      if (!d.body) await new Promise((r) => d.addEventListener('DOMContentLoaded', r));
      render(cfg);
    } catch (e) {
      state = 'failed';
      return fail(`could not load the chat widget for ${what}: ${e.message}`);
    }
    state = 'ready';
    emit('ready', { config: api.config }, api);
    // Queued functions, also on an array the page may have put in place of ours meanwhile.
    new Set([queue, api.queue]).forEach((q) => Array.isArray(q) && q.splice(0).forEach((fn) => run(fn)));
    api.queue = queue;
    const be = api.config.behavior;
    if (wanted !== null) setOpen(wanted);
    else if (be.auto_open_enabled) setTimeout(() => touched || setOpen(true, 0, 1), 1000 * be.auto_open_delay_seconds || 0);
  }

  const CSS = `.w{font:14px/1.45 var(--f),sans-serif;color:#222}
.l{display:flex;align-items:center;gap:8px;min-width:56px;height:56px;padding:0 18px;border:0;border-radius:var(--r);background:var(--pc);color:var(--tc);font:600 15px var(--f),sans-serif;cursor:pointer;box-shadow:0 4px 14px #0004}
.i{padding:0;justify-content:center}img{width:28px;height:28px}button:focus-visible{outline:3px solid var(--pc);outline-offset:2px}
.p{position:absolute;width:min(340px,calc(100vw - 40px));background:#fff;border-radius:var(--pr);box-shadow:0 12px 40px #0004;overflow:hidden}
.bottom .p{bottom:68px}.top .p{top:68px}.right .p{right:0}.left .p{left:0}.p:focus{outline:0}
header{display:flex;align-items:center;padding:12px 12px 12px 16px;background:var(--pc);color:var(--tc)}
h2{flex:1;margin:0;font-size:16px}.x{width:32px;height:32px;border:0;background:none;color:inherit;font-size:22px;cursor:pointer}
p{margin:16px;white-space:pre-line}.n{margin-top:0;color:#666;font-size:13px}`;
  const CHAT = '<path fill="currentColor" d="M6 3h12a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-7l-5 4v-4a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z"/>';
  const HELP = '<g fill="none" stroke="currentColor" stroke-width="2"><circle cx="12" cy="12" r="9"/><path d="M9.5 9.5a2.5 2.5 0 1 1 3.4 2.3c-.6.3-.9.8-.9 1.4v.6M12 17v.5"/></g>';
  const colour = (v, def) => (/^#([\da-f]{3}|[\da-f]{6}|[\da-f]{8})$/i.test(v) ? v : def);
  const px = (n) => (Number.isInteger(n) ? Math.min(Math.max(n, 0), 500) : 20) + 'px';

  function render(cfg) {
    const b = cfg.branding, be = cfg.behavior, title = b.title || 'Chat with us', text = b.launcher_text;
    const [v, h] = /^(top|bottom)-(left|right)$/.test(be.position) ? be.position.split('-') : ['bottom', 'right'];
    const sq = b.widget_shape === 'square';
    const host = d.createElement('div');
    host.id = 'parley-chat-widget';
    // !important inline styles: page rules cannot move, hide or restyle the host box.
    host.style.cssText = `all:initial!important;position:fixed!important;z-index:2147483000!important;${v}:${px(be.offset_y)}!important;${h}:${px(be.offset_x)}!important`;
    const root = host.attachShadow({ mode: 'open' });
    // Fixed markup only; config strings go in below through textContent and properties, never as HTML.
    root.innerHTML = `<style>${CSS}</style><div class="w ${v} ${h}"><div class="p" id="p" role="dialog" aria-labelledby="t" aria-describedby="m" tabindex="-1" hidden><header><h2 id="t"></h2><button class="x" type="button" aria-label="Close chat">×</button></header><p id="m"></p><p class="n">Live chat is coming soon.</p></div><button class="l" type="button" aria-expanded="false" aria-controls="p"></button></div>`;
    const $ = (s) => root.querySelector(s), launcher = $('.l');
    const vars = {
      '--pc': colour(b.primary_color, '#3B82F6'), '--tc': colour(b.text_color, '#FFFFFF'), '--f': b.font_family || 'system-ui',
      '--r': sq ? '4px' : b.widget_shape === 'circle' || text ? '28px' : '16px', '--pr': sq ? '4px' : '14px',
    };
    for (const k in vars) $('.w').style.setProperty(k, vars[k]);
    $('#t').textContent = title;
    $('#m').textContent = (cfg.status || {}).message || be.welcome_message || '';

    // Icon: an http(s) or /path image when launcher_icon is custom, else a built-in SVG; then launcher_text.
    const url = b.launcher_icon === 'custom' && /^(https?:\/\/|\/)/i.test(b.launcher_icon_url) && b.launcher_icon_url;
    if (url) launcher.append(Object.assign(d.createElement('img'), { alt: '', src: new URL(url, base).href }));
    else launcher.innerHTML = `<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">${b.launcher_icon === 'help' ? HELP : CHAT}</svg>`;
    if (text) launcher.append(Object.assign(d.createElement('span'), { textContent: text }));
    else launcher.classList.add('i');
    launcher.setAttribute('aria-label', title);
    launcher.title = title;

    launcher.onclick = () => setOpen(!isOpen, 1);
    $('.x').onclick = () => setOpen(false, 1);
    root.addEventListener('keydown', (e) => e.key === 'Escape' && isOpen && (e.stopPropagation(), setOpen(false, 1)));
    ui = { root, launcher, panel: $('.p') };
    d.body.append(host);
    log('rendered', v, h);
  }

  // From the launcher, focus moves into the panel and back; API calls and auto-open leave focus alone
  // (unless it is inside the panel being closed).
  function setOpen(open, byUser, auto) {
    open = !!open;
    if (!auto) touched = true;
    if (state !== 'ready') return void (wanted = open); // applied once ready
    if (open === isOpen) return;
    const focusInside = !!ui.root.activeElement; // read before hiding the panel drops its focus
    isOpen = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute('aria-expanded', open);
    if (open && byUser) ui.panel.focus();
    if (!open && (byUser || focusInside)) ui.launcher.focus();
    emit(open ? 'opened' : 'closed', {});
  }

  Object.assign(api, {
    version: '0.1.0',
    config: api.config || null,
    open: (o) => setOpen(true, o && o.focus), // open({focus: true}) also moves focus into the panel
    close: () => setOpen(false),
    toggle: () => setOpen(state === 'ready' ? !isOpen : !wanted),
    isOpen: () => isOpen,
    // on('ready', fn) gets the API, at once if already ready; other events pass their detail. Returns an unsubscriber.
    on(name, fn) {
      (handlers[name] = handlers[name] || []).push(fn);
      if (name === 'ready' && state === 'ready') run(fn);
      return () => api.off(name, fn);
    },
    off: (name, fn) => void (handlers[name] = (handlers[name] || []).filter((f) => f !== fn)),
  });
  // Pushed once ready, a function runs at once.
  queue.push = (...fns) => fns.forEach((fn) => (state === 'ready' ? run(fn) : Array.prototype.push.call(queue, fn)));
  api.queue = queue;

  // Seed 000's embed calls ChatWidget.setup({siteId}) after this script has loaded.
  w.ChatWidget = {
    parley: true,
    setup(o) {
      o = o || {};
      if (o.debug) debug = true;
      const id = o.siteId || o.key;
      if (!id) fail('ChatWidget.setup needs {siteId: "…"}');
      else load('api/load-config?siteId=' + encodeURIComponent(id), `site id "${id}"`, true);
      return api;
    },
  };

  const key = (me && me.dataset.key) || src.searchParams.get('id');
  log('from', src.href, key ? 'key ' + key : 'waiting for ChatWidget.setup()');
  if (key) load(`api/v1/widgets/${encodeURIComponent(key)}/config`, `key "${key}"`);
})();
