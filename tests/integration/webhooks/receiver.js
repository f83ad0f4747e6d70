// A loopback webhook receiver for tests/integration/webhooks_test.cpp. Each path /hook/<name> is one
// receiver with its own secret and mode; every request is verified with the standardwebhooks package's own
// Webhook.verify and recorded. /n8n/<name> behaves like n8n's Webhook node in "Respond to Webhook" mode.
//   POST /_control/<name> {"secret", "mode": "ok"|"down"|"gone"|"hang", "delay_ms", "reply", "status"}
//   GET  /_log/<name>  -> [{"id", "type", "verified", "error", "body"}]
const http = require('http');
const { Webhook } = require('standardwebhooks');

const receivers = {};
const get = (name) => (receivers[name] ||= { secret: null, mode: 'ok', delay_ms: 0, log: [], reply: null, status: 200 });

function verify(r, headers, body) {
  if (!r.secret) return { verified: false, error: 'no secret set' };
  try {
    new Webhook(r.secret).verify(body, {
      'webhook-id': headers['webhook-id'], 'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    });
    return { verified: true, error: null };
  } catch (e) {
    return { verified: false, error: String(e.message || e) };
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const [, kind, name] = req.url.split('?')[0].split('/');
    const r = get(name || '');
    const json = (status, value) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(value)); };
    if (kind === '_control') { Object.assign(r, JSON.parse(body || '{}')); return json(200, { ok: true }); }
    if (kind === '_log') return json(200, r.log);
    if (kind !== 'hook' && kind !== 'n8n') return json(404, { error: 'no such path' });
    const v = verify(r, req.headers, body);
    let parsed = null;
    try { parsed = JSON.parse(body); } catch (e) { /* recorded as null */ }
    r.in_flight = (r.in_flight || 0) + 1;  // requests to this receiver being answered now, this one included
    r.log.push({ id: req.headers['webhook-id'] || null, type: parsed && (parsed.type || parsed.event), verified: v.verified,
                 error: v.error, legacy_signature: req.headers['signature'] || null, body: parsed, mode: r.mode,
                 in_flight: r.in_flight });
    res.on('finish', () => { r.in_flight--; });
    const answer = () => {
      if (r.mode === 'hang') return;  // never answers: the sender's timeout must fire
      if (r.mode === 'down') return json(503, { error: 'down for maintenance' });
      if (r.mode === 'gone') return json(410, { error: 'gone' });
      if (kind === 'n8n') return json(r.status, r.reply === null ? { reply: 'n8n saw: ' + (parsed?.message?.text ?? '') } : r.reply);
      return json(200, { received: true });
    };
    if (r.delay_ms > 0) setTimeout(answer, r.delay_ms); else answer();
  });
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
