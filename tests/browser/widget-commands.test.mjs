// Incoming commands reach the embedded widget: a business's server signs a command with the widget's secret
// (Standard Webhooks), the widget, listening before any conversation exists, opens and shows a notification.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { launchBrowser } from './lib/harness.mjs';
import { startWidgetServer, startHostSite, hostPage, panel, until } from './lib/widget-fixtures.mjs';

let server, host, browser;
const pages = {};

before(async () => {
  server = await startWidgetServer();
  host = await startHostSite(pages);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
});

// Signs like any Standard Webhooks sender: v1,base64(HMAC-SHA256(secret bytes, "id.timestamp.body")).
async function command(body, id = 'cmd_' + randomUUID()) {
  const ts = Math.floor(Date.now() / 1000);
  const key = Buffer.from(server.widget.secret.slice(3), 'base64url');
  const text = JSON.stringify(body);
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${text}`).digest('base64');
  const r = await fetch(`${server.url}/api/v1/widgets/${server.key}/commands`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,' + sig },
    body: text,
  });
  return { status: r.status, body: await r.json() };
}

test('a signed open_chat opens the widget and show_notification shows its text', async () => {
  pages['/'] = hostPage(`<script src="${server.url}/widget/widget.js" data-key="${server.key}" async></script>`);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(host.url + '/');
  const visitor = await until(() => page.evaluate((k) => JSON.parse(localStorage.getItem(`parley.${k}.visitor`) || 'null'), server.key), 'visitor id');
  assert.equal(await panel(page).isVisible(), false);
  // The widget's socket comes up once the full widget has loaded (when the browser is idle): until then the
  // command waits for the visitor, and is delivered at their hello.
  const opened = await command({ command: 'open_chat', target: { visitor_id: visitor } });
  assert.equal(opened.status, 202);
  await panel(page).waitFor({ state: 'visible' });
  // Live now: a notification to the whole site.
  await until(async () => (await command({ command: 'show_notification', data: { text: 'Free delivery today' } })).body.delivered >= 1, 'a live socket', 10000);
  await page.locator('parley-chat').locator('li.system .bb').filter({ hasText: 'Free delivery today' }).first().waitFor();
  // A bad signature is refused with a clear error, and the widget sees nothing.
  const forged = await fetch(`${server.url}/api/v1/widgets/${server.key}/commands`, {
    method: 'POST', headers: { 'webhook-id': 'x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
    body: JSON.stringify({ command: 'open_chat' }) });
  assert.equal(forged.status, 401);
  assert.equal((await forged.json()).error.code, 'invalid_signature');
  await ctx.close();
});
