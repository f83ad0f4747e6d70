// Webhook delivery benchmark driver: sets up a tenant, widget and endpoints on a running parleyd, starts a
// fast loopback receiver, sends visitor messages as fast as CONCURRENCY allows (a flood: a backlog builds when
// ingest outruns delivery) or at a steady RATE per second (what a healthy system sees), and reports deliveries
// per second and the delay from commit (message.created_at) to arrival at the receiver, p50/p99.
// Usage: node bench.js <parleyd base url> <admin email> <admin password>
// Env: MESSAGES (default 4000), CONCURRENCY (32; with RATE, the most requests in flight), CONVERSATIONS (200),
//      ENDPOINTS (4), RATE (messages per second, open loop; unset: flood), ARRIVALS_FILE (write every delivery's
//      arrival and commit times there), WARMUP (messages before the measured ones, not counted: 200, or with RATE
//      two seconds' worth on the same schedule; either way all their deliveries arrive before the measured part
//      starts, and with RATE the time that took is printed as warmup_drain_ms)
const http = require('http');
const [base, email, password] = process.argv.slice(2);
const MESSAGES = +(process.env.MESSAGES || 4000), CONCURRENCY = +(process.env.CONCURRENCY || 32);
const CONVERSATIONS = +(process.env.CONVERSATIONS || 200), ENDPOINTS = +(process.env.ENDPOINTS || 4);
const RATE = +(process.env.RATE || 0), WARMUP = +(process.env.WARMUP ?? -1);
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

const arrivals = [];  // [arrival ms, commit ms] of the measured messages
let warmArrivals = 0;
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      if (body.type !== 'message.created') { /* not ours */ }
      else if (body.data.message.text === 'warm-up') warmArrivals++;
      else arrivals.push([now, body.data.message.created_at]);
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
  const post = (i, text = 'bench ' + i) => {
    const [id, tok] = convs[i % convs.length];
    return call('POST', `/api/v1/widgets/${widget.public_key}/conversations/${id}/messages`, { text },
                { ...visitor, 'X-Visitor-Token': tok });
  };
  // Warm-up, not measured: the setup's own events (conversations started) are dispatched, every connection has
  // its statements prepared, PostgreSQL has statistics for the growing tables, and both ends' code is hot. With
  // RATE, the warm-up messages are the first of the same steady schedule (so there is no burst and no gap).
  const warmup = WARMUP >= 0 ? WARMUP : RATE > 0 ? 2 * RATE : 200;
  if (!(RATE > 0)) {
    for (let i = 0; i < warmup; i += CONCURRENCY)
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, warmup - i) }, (_, k) => post(i + k, 'warm-up')));
    for (const until = Date.now() + 60000; warmArrivals < warmup * ENDPOINTS && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 20));
    if (warmArrivals !== warmup * ENDPOINTS) throw new Error(`warm-up: ${warmArrivals} of ${warmup * ENDPOINTS} deliveries arrived`);
  }
  const expected = MESSAGES * ENDPOINTS;
  let started = Date.now();
  let next = 0, late = 0, warmupDrain = null;
  // Open loop: message i is due at its time in the schedule, whatever the answers before it took. One that
  // cannot start on time (CONCURRENCY requests already in flight) is counted as late and sent when one returns.
  const paced = async (count, text, onLate) => {
    const inFlight = new Set();
    const begin = Date.now();
    for (let i = 0; i < count; i++) {
      const wait = begin + (i * 1000) / RATE - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight.size >= CONCURRENCY) {
        onLate();
        await Promise.race(inFlight);
      }
      const p = post(i, text).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  };
  if (RATE > 0) {
    // The warm-up runs on the same schedule; its deliveries must all have arrived before the measured part
    // starts (on a fresh database the first seconds build a backlog: printed as warmup_drain_ms, not counted).
    await paced(warmup, 'warm-up', () => {});
    const warmSent = Date.now();
    for (const until = warmSent + 60000; warmArrivals < warmup * ENDPOINTS && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 5));
    if (warmArrivals !== warmup * ENDPOINTS) throw new Error(`warm-up: ${warmArrivals} of ${warmup * ENDPOINTS} deliveries arrived`);
    warmupDrain = Date.now() - warmSent;
    started = Date.now();
    await paced(MESSAGES, undefined, () => late++);
  } else {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) await post(next++);
    }));
  }
  const sent = Date.now();
  const deadline = Date.now() + 120000;
  while ((arrivals.length < expected || warmArrivals < warmup * ENDPOINTS) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const done = Date.now();
  if (process.env.ARRIVALS_FILE)  // every delivery as "arrival_ms commit_ms", to plot the delay over time
    require('fs').writeFileSync(process.env.ARRIVALS_FILE, arrivals.map(([a, c]) => a + ' ' + c).join('\n') + '\n');
  const delays = arrivals.map(([a, c]) => a - c).sort((x, y) => x - y);
  const first = Math.min(...arrivals.map((a) => a[0]));
  const last = Math.max(...arrivals.map((a) => a[0]));
  console.log(JSON.stringify({
    messages: MESSAGES, endpoints: ENDPOINTS, ...(RATE > 0 ? { rate: RATE, late_sends: late, warmup_drain_ms: warmupDrain } : {}), deliveries: arrivals.length, expected,
    ingest_per_s: Math.round(MESSAGES / ((sent - started) / 1000)),
    deliveries_per_s: Math.round(arrivals.length / ((last - first) / 1000)),
    drain_after_last_ack_ms: done - sent,
    delay_p50_ms: pct(delays, 0.5), delay_p99_ms: pct(delays, 0.99), delay_max_ms: delays[delays.length - 1],
  }));
  process.exit(arrivals.length === expected ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
