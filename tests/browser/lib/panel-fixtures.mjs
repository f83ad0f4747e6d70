// Seeding for the panel and inbox browser tests: a super admin made by `parleyd create-admin`, then a tenant,
// a widget and members through the HTTP API with bearer tokens; a visitor driven over HTTP and the realtime
// WebSocket from Node (Node's global WebSocket: run-test turns it on for Node 20).
import assert from 'node:assert/strict';

export const PASSWORD = 'correct-horse-battery';

export async function http(server, method, path, { token, body, tenant, headers = {} } = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(tenant ? { 'X-Parley-Tenant': tenant } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return data;
}

export async function bearer(server, email, password = PASSWORD) {
  return (await http(server, 'POST', '/api/v1/auth/login', { body: { email, password, mode: 'bearer' } })).token;
}

// A super admin, a tenant "Acme" with a widget, and members: boss (client_admin), viewer (client_user),
// ana and bob (agents). Everyone's password is PASSWORD.
export async function seed(server) {
  server.run(['create-admin', '--email=root@parley.test', `--password=${PASSWORD}`, '--name=Root']);
  const root = await bearer(server, 'root@parley.test');
  const tenant = await http(server, 'POST', '/api/v1/tenants', { token: root, body: { name: 'Acme', plan: 'business' } });
  const widget = await http(server, 'POST', `/api/v1/tenants/${tenant.id}/widgets`,
    { token: root, body: { name: 'Main site', site_id: 'acme-main' } });
  const users = {};
  for (const [name, role] of [['boss', 'client_admin'], ['viewer', 'client_user'], ['ana', 'agent'], ['bob', 'agent']]) {
    const r = await http(server, 'POST', `/api/v1/tenants/${tenant.id}/users`,
      { token: root, body: { email: `${name}@acme.test`, name: name[0].toUpperCase() + name.slice(1), role, password: PASSWORD } });
    users[name] = { ...r.user, email: `${name}@acme.test` };
  }
  return { root, tenant, widget, users };
}

// Signs in through the form of the panel or the inbox.
export async function signIn(page, url, email, password = PASSWORD) {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// A visitor of `widget`: starts a conversation over HTTP and keeps a realtime socket with every frame it got.
export class Visitor {
  constructor(server, widget) {
    this.server = server;
    this.key = widget.public_key;
    this.frames = [];
    this.waiters = [];
  }

  async start(context = {}, visitorInfo = { name: 'Vera Visitor' }) {
    const r = await http(this.server, 'POST', `/api/v1/widgets/${this.key}/conversations`,
      { body: { visitor_id: 'v_' + Math.random().toString(36).slice(2), visitor_info: visitorInfo, context } });
    this.conversation = r.conversation;
    this.token = r.visitor_token;
    return this;
  }

  post(path, body) {
    return http(this.server, 'POST', `/api/v1/widgets/${this.key}/conversations/${this.conversation.id}${path}`,
      { body, headers: { 'X-Visitor-Token': this.token } });
  }

  say(text) {
    return this.post('/messages', { text, client_message_id: 'c_' + Math.random().toString(36).slice(2) });
  }

  handoff() {
    return this.post('/handoff');
  }

  // Opens the socket and says hello; resolves on `welcome`.
  connect(lastSeq = 0) {
    const ws = new WebSocket(this.server.url.replace(/^http/, 'ws') + `/api/v1/realtime?key=${this.key}`);
    this.ws = ws;
    ws.addEventListener('message', (e) => {
      const frame = JSON.parse(e.data);
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => !(w.test(frame) && (w.resolve(frame), true)));
    });
    return new Promise((resolve, reject) => {
      ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'hello', conversation_id: this.conversation.id,
        visitor_token: this.token, last_seq: lastSeq })));
      ws.addEventListener('error', () => reject(new Error('visitor socket failed')));
      this.waitFor((f) => f.type === 'welcome').then(resolve, reject);
    });
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  // Resolves with the first frame (already received or coming) that passes `test`; fails after `ms`.
  waitFor(test, ms = 10000, what = 'a frame') {
    const hit = this.frames.find(test);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`visitor: no ${what} within ${ms} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`)), ms);
      this.waiters.push({ test, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  messages() {
    return this.frames.filter((f) => f.type === 'message').map((f) => f.message);
  }

  close() {
    if (this.ws) this.ws.close();
  }
}

export { assert };
