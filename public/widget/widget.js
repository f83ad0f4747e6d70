// Parley widget loader: config, display rules, launcher, LiveChatWidget API; chat.js later (docs/widget.md).
(() => {
const w = window, d = document, P = '[Parley]', L = location;
if (w.ChatWidget?.parley) return;
const me = d.currentScript || {};
const src = new URL(me.src || '/widget/widget.js', L), base = new URL('../', src), ds = me.dataset || {};
let debug = src.searchParams.get('debug') == 'true' || ds.debug != null;
const api = (w.LiveChatWidget = w.LiveChatWidget || {}), queue = Array.isArray(api.queue) ? api.queue : [];
const on = {}, calls = [];
let state = 'idle', chat, chatLoad, ui;

const log = (...a) => debug && console.debug(P, ...a);
const run = (fn, a = api) => { try { return fn(a); } catch (e) { console.error(P, e); } };
const emit = (name, detail, a = detail) => {
  log(name, detail);
  (on[name] || []).slice().forEach((fn) => run(fn, a));
  w.dispatchEvent(new CustomEvent('livechat:' + name, { detail }));
};
const fail = (message) => (console.error(P, message), emit('error', { message }));

async function getJson(url) {
  let err;
  for (let i = 0; i < 3; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1000 * i));
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10000), credentials: 'omit' }), body = await res.json().catch(() => 0);
      if (res.ok && body) return body;
      err = Error('HTTP ' + res.status + ' ' + (body.error?.message || ''));
      if (res.status < 500 && res.status != 408 && res.status != 429) break;
    } catch (e) {
      err = Error(e.name == 'TimeoutError' ? 'timed out' : 'network error (server down or domain not allowed)');
    }
  }
  throw err;
}

const ua = navigator.userAgent, dev = /iPad|Tablet/i.test(ua) ? 'tablet' : /Mobi|Android/i.test(ua) || innerWidth < 600 ? 'mobile' : 'desktop';
const match = (p) => ((re) => re.test(L.href) || re.test(L.pathname))(RegExp('^' + p.split('*').map((s) => s.replace(/\W/g, '\\$&')).join('.*') + '$'));
const hidden = ({ exclude_urls: ex = [], include_urls: inc = [], devices } = {}) => ex.some(match) || (inc.length && !inc.some(match)) || (devices && !devices.includes(dev));

async function load(path, what, unwrap) {
  if (state != 'idle') return;
  state = 'loading';
  try {
    const body = await getJson(new URL(path, base)), cfg = unwrap ? body.config : body;
    if (!cfg?.behavior) throw Error('bad config');
    log('config', (api.config = cfg));
    if (hidden(cfg.display_rules)) return (state = 'hidden'), log('hidden');
    if (!d.body) await new Promise((r) => d.addEventListener('DOMContentLoaded', r));
    render(cfg.branding, cfg.behavior);
  } catch (e) {
    state = 'failed';
    return fail(`chat widget ${what}: ${e.message}`);
  }
  state = 'ready';
  emit('ready', { config: api.config }, api);
  queue.splice(0).forEach((fn) => run(fn));
  if (api.config.behavior.mode == 'link_out' || calls.length) loadChat();
  else (w.requestIdleCallback || setTimeout)(loadChat, { timeout: 3000 });
}

function render(b, be) {
  const text = b.launcher_text, host = d.createElement('parley-chat');
  const [v, h] = be.position.split('-');
  customElements.get('parley-chat') || customElements.define('parley-chat', class extends HTMLElement {});
  host.style.cssText = `all:initial!important;position:fixed!important;z-index:2147483000!important;${v}:${be.offset_y | 0}px!important;${h}:${be.offset_x | 0}px!important`;
  const root = host.attachShadow({ mode: 'open' });
  // Fixed markup: config strings go in as text, never HTML; !important keeps page rules off the host.
  root.innerHTML = `<style>.l{display:flex;align-items:center;gap:8px;min-width:56px;height:56px;padding:0 14px;border:0;border-radius:var(--r);background:var(--pc);color:var(--tc);font:600 15px var(--f),sans-serif;cursor:pointer;box-shadow:0 4px 14px #0004}.l:focus-visible{outline:3px solid var(--pc)}</style><div class="w ${v} ${h}"><button class="l" type="button" aria-expanded="false" aria-haspopup="dialog"><svg viewBox="0 0 24 24" width="28" aria-hidden="true"><path fill="currentColor" d="M3 4h18v13H9l-6 4z"/></svg></button></div>`;
  const wrap = root.lastChild, l = wrap.firstChild;
  wrap.style.cssText = `--pc:${b.primary_color};--tc:${b.text_color};--f:${b.font_family};--r:${b.widget_shape == 'square' ? 4 : b.widget_shape == 'circle' || text ? 28 : 16}px`;
  if (b.launcher_icon == 'help') l.firstChild.replaceWith('?');
  if (b.launcher_icon == 'custom' && /^(https?:|\/)/.test(b.launcher_icon_url)) l.replaceChildren(Object.assign(d.createElement('img'), { alt: '', src: new URL(b.launcher_icon_url, base) }));
  text && l.append(Object.assign(d.createElement('span'), { textContent: text }));
  l.setAttribute('aria-label', (l.title = b.title || 'Chat'));
  l.onclick = () => call('toggle', [1]);
  ui = { host, root, wrap, launcher: l };
  d.body.append(host);
}

function loadChat() {
  return (chatLoad = chatLoad || new Promise((ok, no) => {
    w.ChatWidget.parley = (factory) => {
      chat = run(factory, { api, config: api.config, base, ui, emit, fail, log });
      chat ? ok() : no(Error('failed'));
      calls.splice(0).forEach(([m, a]) => call(m, a));
    };
    const s = d.createElement('script');
    s.src = new URL('widget/chat.js?v=' + api.version, base);
    s.onerror = () => no(Error('not loaded'));
    d.head.append(s);
  }).catch((e) => fail('chat.js: ' + e.message)));
}
function call(m, a) {
  if (chat) return run(() => chat[m](...a));
  calls.push([m, a]);
  if (state == 'ready') loadChat();
}

Object.assign(api, {
  version: '1.0.0',
  on(name, fn) {
    (on[name] = on[name] || []).push(fn);
    if (name == 'ready' && state == 'ready') run(fn);
    return () => api.off(name, fn);
  },
  off: (name, fn) => void (on[name] = (on[name] || []).filter((f) => f != fn)),
});
for (const m of ['open', 'close', 'toggle', 'sendMessage', 'identify', 'setLocale']) api[m] = (...a) => call(m, a);
queue.push = (...f) => f.forEach((fn) => (state == 'ready' ? run(fn) : [].push.call(queue, fn)));
api.queue = queue;

w.ChatWidget = {
  parley: 1,
  setup(o = {}) {
    if (o.debug) debug = true;
    const id = o.siteId || o.key;
    id ? load('api/load-config?siteId=' + encodeURIComponent(id), id, 1) : fail('setup needs {siteId}');
    return api;
  },
};
const key = ds.key || src.searchParams.get('id');
if (key) load(`api/v1/widgets/${encodeURIComponent(key)}/config`, key);
})();
