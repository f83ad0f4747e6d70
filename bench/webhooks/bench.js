// Webhook delivery benchmark driver: sets up a tenant, widget and endpoints on a running parleyd, starts a
// fast loopback receiver, sends visitor messages as fast as CONCURRENCY allows, and reports deliveries per
// second and the delay from commit (message.created_at) to arrival at the receiver, p50/p99.
// Usage: node bench.js <parleyd base url> <admin email> <admin password>
// Env: MESSAGES (default 4000), CONCURRENCY (32), CONVERSATIONS (200), ENDPOINTS (4)
const http = require('http');
const [base, email, password] = process.argv.slice(2);
const MESSAGES = +(process.env.MESSAGES || 4000), CONCURRENCY = +(process.env.CONCURRENCY || 32);
const CONVERSATIONS = +(process.env.CONVERSATIONS || 200), ENDPOINTS = +(process.env.ENDPOINTS || 4);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(base + path, { method, agent, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 300) return reject(new Error(method + ' ' + path + ' -> ' + res.statusCode + ' ' + text));
        resolve(text ? JSON.parse(text) : null);
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const arrivals = [];  // [arrival ms, commit ms]
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      if (body.type === 'message.created') arrivals.push([now, body.data.message.created_at]);
    } catch (e) { /* test pings */ }
    res.writeHead(204);
    res.end();
  });
});
receiver.keepAliveTimeout = 5000;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

(async () => {
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const port = receiver.address().port;
  const { token } = await call('POST', '/api/v1/auth/login', { email, password, mode: 'bearer' });
  const auth = { Authorization: 'Bearer ' + token };
  const tenant = (await call('POST', '/api/v1/tenants', { name: 'Bench', plan: 'unlimited' }, auth)).id;
  const widget = await call('POST', `/api/v1/tenants/${tenant}/widgets`, { name: 'Bench', allowed_domains: ['bench.example'] }, auth);
  for (let i = 0; i < ENDPOINTS; i++)
    await call('POST', '/api/v1/plugins/crm_webhooks/endpoints', { url: `http://127.0.0.1:${port}/hook/${i}`, events: ['message.created'] },
               { ...auth, 'X-Parley-Tenant': tenant });
  const visitor = { Origin: 'https://bench.example' };
  const convs = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const r = await call('POST', `/api/v1/widgets/${widget.public_key}/conversations`,
                         { visitor_id: 'v' + i, session_id: 's' + i, context: { utm: { source: 'bench' } } }, visitor);
    convs.push([r.conversation.id, r.visitor_token]);
  }
  const expected = MESSAGES * ENDPOINTS;
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < MESSAGES) {
      const i = next++;
      const [id, tok] = convs[i % convs.length];
      await call('POST', `/api/v1/widgets/${widget.public_key}/conversations/${id}/messages`, { text: 'bench ' + i },
                 { ...visitor, 'X-Visitor-Token': tok });
    }
  }));
  const sent = Date.now();
  const deadline = Date.now() + 120000;
  while (arrivals.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const done = Date.now();
  const delays = arrivals.map(([a, c]) => a - c).sort((x, y) => x - y);
  const first = Math.min(...arrivals.map((a) => a[0]));
  const last = Math.max(...arrivals.map((a) => a[0]));
  console.log(JSON.stringify({
    messages: MESSAGES, endpoints: ENDPOINTS, deliveries: arrivals.length, expected,
    ingest_per_s: Math.round(MESSAGES / ((sent - started) / 1000)),
    deliveries_per_s: Math.round(arrivals.length / ((last - first) / 1000)),
    drain_after_last_ack_ms: done - sent,
    delay_p50_ms: pct(delays, 0.5), delay_p99_ms: pct(delays, 0.99), delay_max_ms: delays[delays.length - 1],
  }));
  process.exit(arrivals.length === expected ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
