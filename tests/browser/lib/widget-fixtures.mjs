// Widget test fixtures: a parleyd with a small Lua bot, a tenant, a widget and an agent seeded through the API as
// a super admin; a host site on another origin (http://localhost:<port>, while parleyd is http://127.0.0.1:<port>);
// and an agent simulated in its own browser context over the realtime socket, as the inbox would.
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startParleyd, freePort } from './harness.mjs';

// Greets "hello" with quick replies, answers "Pricing", echoes everything else (so every turn has a reply).
const BOT = `-- Browser-test bot.
parley.on("message.inbound", function(ctx)
  local m = ctx.message
  if m.type ~= "text" and m.type ~= "quick_reply" then return end
  local text = m.text or ""
  if text == "hello" then
    ctx:reply("Hi! What do you need?", {quick_replies = {"Pricing", "Opening hours"}})
  elseif text == "Pricing" then
    ctx:reply("A loaf costs 5 euros.")
  elseif text ~= "quiet" then
    ctx:reply("You said: " .. text)
  end
end)
`;

export async function api(server, method, path, { token, body, tenant } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (tenant) headers['X-Parley-Tenant'] = tenant;
  const res = await fetch(server.url + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return json;
}

// Starts parleyd with the bot, a super admin, a tenant, a widget (allowed on localhost only) and an agent.
export async function startWidgetServer({ config = {}, widgetConfig = {}, siteId } = {}) {
  const scripts = mkdtempSync(join(tmpdir(), 'parley-widget-scripts-'));
  writeFileSync(join(scripts, 'bot.lua'), BOT);
  const server = await startParleyd({ config, env: { PARLEY_LUA_SCRIPTS_DIR: scripts } });
  server.run(['create-admin', '--email=root@example.com', '--password=correct-horse-battery']);
  const login = await api(server, 'POST', '/api/v1/auth/login',
    { body: { email: 'root@example.com', password: 'correct-horse-battery', mode: 'bearer' } });
  const root = login.token;
  const tenant = await api(server, 'POST', '/api/v1/tenants', { token: root, body: { name: 'Harbor Lane Bakery', plan: 'business' } });
  await api(server, 'POST', `/api/v1/tenants/${tenant.id}/users`,
    { token: root, body: { email: 'agent@example.com', role: 'agent', password: 'agent-password-1', name: 'Maya' } });
  server.root = root;
  server.tenant = tenant.id;
  server.createWidget = async (cfg = widgetConfig, extra = {}) =>
    api(server, 'POST', `/api/v1/tenants/${tenant.id}/widgets`,
      { token: root, body: { name: 'Bakery site', allowed_domains: ['localhost'], config: cfg, ...extra } });
  server.widget = await server.createWidget(widgetConfig, siteId ? { site_id: siteId } : {});
  server.key = server.widget.public_key;
  return server;
}

// A host site on another origin. pages: {'/path': html or (req, res) => …}; `pages` may change while it runs.
export async function startHostSite(pages = {}) {
  const port = await freePort();
  const srv = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const html = pages[path];
    if (typeof html == 'function') return html(req, res);
    if (html == null) { res.writeHead(404); return res.end('not found'); }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return {
    url: `http://localhost:${port}`,
    pages,
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
  };
}

// A plain page with deliberately hostile CSS around an embed snippet.
export function hostPage(embed, { head = '', body = '' } = {}) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title><style>
  body { font: 18px Georgia, serif; } button { text-transform: uppercase; padding: 3px 7px; }
  div { line-height: 3; } * { letter-spacing: 1px; } svg { display: none; } img { border: 5px solid red; }
  parley-chat { display: none !important; opacity: 0 !important; } .l, .p { display: none !important; }
</style>${head}</head><body><h1>Host page</h1><button id="own">Own button</button><p id="status">page script ran</p>${body}
${embed}</body></html>`;
}

// The shadow-root launcher and panel of the embedded widget.
export const launcher = (page) => page.locator('parley-chat').locator('button.l');
export const panel = (page) => page.locator('parley-chat').locator('.p');
export const messages = (page) => page.locator('parley-chat').locator('ol.log > li');

// An agent in its own browser context on parleyd's origin: cookie sign-in, the realtime socket, presence online.
export async function startAgent(browser, server) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + '/');
  await page.evaluate(async ({ tenant }) => {
    const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'agent@example.com', password: 'agent-password-1', mode: 'cookie' }) });
    const { csrf_token } = await r.json();
    window.csrf = csrf_token;
    window.F = [];
    const ws = (window.ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/v1/realtime'));
    ws.onmessage = (e) => window.F.push(JSON.parse(e.data));
    await new Promise((ok) => (ws.onopen = ok));
    ws.send(JSON.stringify({ type: 'hello', tenant_id: tenant, csrf_token }));
    await new Promise((ok) => { const t = setInterval(() => window.F.some((f) => f.type == 'welcome') && (clearInterval(t), ok()), 20); });
    ws.send(JSON.stringify({ type: 'presence', status: 'online' }));
  }, { tenant: server.tenant });
  const frame = (f) => page.evaluate((f) => window.ws.send(JSON.stringify(f)), f);
  const http = (method, path, body) => page.evaluate(async ({ method, path, body, tenant }) => {
    const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': window.csrf, 'X-Parley-Tenant': tenant },
      body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, { method, path, body, tenant: server.tenant });
  return {
    page,
    // Waits for a server frame matching {type, …fields} (fields compared shallowly, message text via `text`).
    waitFrame: (type, { text, from } = {}) => page.waitForFunction(({ type, text, from }) => window.F.find((f) => f.type == type &&
      (text == null || (f.message && f.message.text == text)) && (from == null || f.from == from)), { type, text, from }).then((h) => h.jsonValue()),
    send: (conversation_id, text, extra = {}) => frame({ type: 'message', conversation_id, text, client_message_id: 'a_' + Math.random(), ...extra }),
    typing: (conversation_id, state = true) => frame({ type: 'typing', conversation_id, state }),
    read: (conversation_id, seq) => frame({ type: 'read', conversation_id, seq }),
    assign: (id) => http('POST', `/api/v1/agent/conversations/${id}/assign`),
    close: (id) => http('POST', `/api/v1/agent/conversations/${id}/close`),
    history: (id) => http('GET', `/api/v1/agent/conversations/${id}/messages?after_seq=0`),
    // Goes offline first, so later tests see no agent online.
    async stop() {
      await frame({ type: 'presence', status: 'offline' });
      await page.waitForFunction(() => window.ws.bufferedAmount == 0);
      await http('POST', '/api/v1/agent/presence', { status: 'offline' });
      await context.close();
    },
  };
}

// The conversation the widget stored for this page's origin (after it started one).
export const storedConversation = (page, key) =>
  page.evaluate((key) => JSON.parse(localStorage.getItem(`parley.${key}.conversation`) || 'null'), key);

// Resolves once check() is truthy (polled every 25 ms), or fails after `ms` naming `what`.
export async function until(check, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 25));
  }
}
