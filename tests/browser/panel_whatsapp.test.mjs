// The panel's WhatsApp section against a parleyd with the whatsapp plugin loaded and its Graph base URL on a
// closed local port (nothing reaches Meta): a client admin connects a number (the verify token shown once, the
// secrets masked afterwards) and sees its health line; a flow with a dangling edge shows the error naming the
// node; a CSV with bad rows shows them rejected row by row, and a broadcast's failed send shows its error; a
// broadcast to the contacts with a tag shows its progress live (pushed over the realtime socket: the page's own
// reads are cut off and it still reaches the end); a client_user sees the section without write controls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startParleyd, launchBrowser, freePort } from './lib/harness.mjs';
import { seed, signIn, http, bearer } from './lib/panel-fixtures.mjs';

const pluginsPath = join(process.env.PARLEY_BINARY_DIR || '', 'plugins');
const built = existsSync(join(pluginsPath, 'whatsapp'));
const skip = built ? false : `the whatsapp plugin is not built under ${pluginsPath} (cmake --build build --target whatsapp)`;
const SECRET = 'app-secret-value-5f1e';
const TOKEN = 'EAAG-access-token-for-tests-9a7c';
let server, browser, seeded;

before(async () => {
  if (!built) return;
  const closedPort = await freePort(); // nothing listens there: every Graph call fails at once
  server = await startParleyd({
    env: { PARLEY_PLUGINS: 'whatsapp', PARLEY_PLUGINS_PATH: pluginsPath },
    // One send a second: a broadcast of a few recipients takes long enough to watch it move.
    config: { plugins: { whatsapp: { graph_base_url: `http://127.0.0.1:${closedPort}`, max_attempts: 1, graph_timeout_ms: 500,
      sender_poll_ms: 50, send_rate_per_second: 1 } } },
  });
  browser = await launchBrowser();
  seeded = await seed(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openSection(page, email) {
  await signIn(page, server.url + '/admin/', email);
  await page.getByRole('link', { name: 'WhatsApp' }).click();
  await page.getByRole('heading', { name: 'WhatsApp', level: 1 }).waitFor();
  await page.waitForFunction(() => !document.getElementById('content').hasAttribute('aria-busy'));
}

test('a client admin connects a number: verify token once, secrets masked, health line', { skip }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openSection(page, 'boss@acme.test');
  await page.getByLabel('Phone number ID').fill('106540352242922');
  await page.getByLabel('Business account ID').fill('419561257915477');
  await page.getByLabel('Display number').fill('+1 555 078 3881');
  await page.getByLabel('App secret').fill(SECRET);
  await page.getByLabel('Access token').fill(TOKEN);
  await page.getByLabel('Window template', { exact: true }).fill('follow_up');
  await page.getByRole('button', { name: 'Connect number' }).click();
  const box = page.locator('.secret-box');
  await box.getByText('shown this once').waitFor();
  const verify = await box.locator('.verify-token').textContent();
  assert.match(verify, /^[0-9a-f]{32}$/);
  const row = page.getByRole('row', { name: /\+1 555 078 3881/ });
  await row.waitFor();
  assert.match(await row.textContent(), /access token \*\*\*\*9a7c, app secret \*\*\*\*5f1e, verify token \*\*\*\*/);
  assert.match(await row.locator('.health-line').textContent(), /^Healthy · last webhook never · last send never$/);
  await page.getByText('+1 555 078 3881: template “follow_up” (en_US)').waitFor();

  // Shown once: after a fresh render neither the verify token nor any secret is on the page.
  await page.reload();
  await page.getByRole('heading', { name: 'WhatsApp', level: 1 }).waitFor();
  await page.locator('.health-line').waitFor();
  const text = await page.locator('#content').textContent();
  for (const secret of [verify, SECRET, TOKEN]) assert.ok(!text.includes(secret), 'a secret is on the page after the reload');
  assert.equal(await page.locator('.secret-box').count(), 0);
  assert.doesNotMatch(text, /\bnull\b|undefined|\[object/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a flow with an error shows the error naming the node; a valid one is saved', { skip }, async () => {
  const page = await browser.newPage();
  await openSection(page, 'boss@acme.test');
  const bad = {
    name: 'Orders', trigger: { keywords: ['order'] }, start: 'ask',
    nodes: {
      ask: { type: 'ask', text: 'Track or cancel?', options: ['Track', 'Cancel'], save_as: 'choice', next: 'route' },
      route: { type: 'branch', variable: 'choice', cases: [{ equals: 'track', next: 'trak' }], default: 'bye' },
      bye: { type: 'end', text: 'Bye' },
    },
  };
  const editor = page.getByLabel('Flow (JSON)');
  await editor.fill(JSON.stringify(bad, null, 2));
  await page.getByRole('button', { name: 'Save flow' }).click();
  const item = page.locator('.flow-errors li').filter({ hasText: 'Node “route” → cases[0].next' });
  await item.waitFor();
  assert.match(await item.textContent(), /names no node 'trak'/);
  await item.getByRole('button', { name: 'Show node “route”' }).click();
  const selected = await editor.evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
  assert.equal(selected, '"route"');
  assert.equal(await page.getByRole('cell', { name: 'Orders' }).count(), 0, 'an invalid flow is not saved');

  bad.nodes.route.cases[0].next = 'bye';
  await editor.fill(JSON.stringify(bad));
  await page.getByRole('button', { name: 'Save flow' }).click();
  await page.getByRole('cell', { name: 'Orders', exact: true }).waitFor();
  assert.equal(await page.getByLabel('Enabled: Orders').isChecked(), true);
  await page.close();
});

test('broadcast CSV: bad rows are rejected by row; a failing send shows its error', { skip }, async () => {
  const page = await browser.newPage();
  await openSection(page, 'boss@acme.test');
  const form = page.locator('form').filter({ has: page.getByRole('heading', { name: 'New broadcast' }) });
  await form.getByLabel('Name').fill('Spring sale');
  await form.getByLabel('Template', { exact: true }).fill('spring_sale');
  const upload = (text) => form.getByLabel('Recipients (CSV file)').setInputFiles({ name: 'recipients.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });

  // Only bad rows: nothing is created, every row is named.
  await upload('phone,name\nnot-a-phone,Ana\n+0123,Bob\n');
  await page.waitForFunction(() => /not-a-phone/.test(document.querySelector('textarea[data-field=csv]').value));
  await form.getByRole('button', { name: 'Start broadcast' }).click();
  const report = form.locator('.broadcast-report');
  await report.getByText('Nothing was sent').waitFor();
  await report.getByRole('row', { name: /^2 'not-a-phone' is not an E\.164 number/ }).waitFor();
  await report.getByRole('row', { name: /^3 '\+0123' is not an E\.164 number/ }).waitFor();

  // One good row, one bad, one repeated: the broadcast starts with the good one and reports the others.
  await upload('phone,name\n+16505551234,Ana\nnope,Bob\n+16505551234,Ana again\n');
  await page.waitForFunction(() => /nope/.test(document.querySelector('textarea[data-field=csv]').value));
  await form.getByRole('button', { name: 'Start broadcast' }).click();
  await page.getByRole('heading', { name: 'Broadcast “Spring sale”' }).waitFor();
  await page.getByText('1 recipients accepted.').waitFor();
  await page.getByRole('row', { name: /^3 'nope' is not an E\.164 number/ }).waitFor();
  await page.getByRole('row', { name: /^4 \+16505551234 repeats row 2/ }).waitFor();
  // The Graph base URL is a closed port: the polled progress ends with the send failed and its error shown.
  const recipient = page.getByRole('row', { name: /\+16505551234 failed/ });
  await recipient.waitFor({ timeout: 20000 });
  assert.notEqual((await recipient.locator('td').nth(3).textContent()).trim(), '—');
  assert.match(await page.locator('.broadcast-progress').textContent(), /0 of 1 sent .*, 0 waiting, 1 failed/);
  assert.doesNotMatch(await page.locator('#content').textContent(), /\bnull\b|undefined|\[object/);
  await page.close();
});

test('a broadcast to the contacts with a tag shows its progress live, pushed over the realtime socket', { skip }, async () => {
  const tenant = seeded.tenant.id;
  const boss = await bearer(server, 'boss@acme.test');
  for (const [name, phone, tags] of [['Vic', '+1 650 555 0101', ['vip']], ['Val', '+16505550102', ['vip', 'newsletter']],
    ['Vin', '(+1) 650-555-0103', ['vip']], ['Vera', '+16505550104', ['VIP']], ['Noa', '', ['vip']], ['Ned', '+16505550199', ['newsletter']]]) {
    await http(server, 'POST', `/api/v1/tenants/${tenant}/contacts`, { token: boss, body: { name, phone, email: `${name.toLowerCase()}@x.test`, tags } });
  }
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openSection(page, 'boss@acme.test');
  const form = page.locator('form').filter({ has: page.getByRole('heading', { name: 'New broadcast' }) });
  await form.getByLabel('Name').fill('VIP preview');
  await form.getByLabel('Template', { exact: true }).fill('vip_preview');
  await form.getByLabel('Recipients (contacts with tag)').fill('vip');
  await form.getByRole('button', { name: 'Start broadcast' }).click();
  await page.getByRole('heading', { name: 'Broadcast “VIP preview”' }).waitFor();
  await page.getByText('4 recipients accepted.').waitFor();
  await page.getByRole('row', { name: /Noa\): has no phone number/ }).waitFor();
  await page.getByText('Live: progress updates as it happens.').waitFor();
  // From now on the page may not read the broadcast: whatever it shows next came over the socket.
  await page.route('**/api/v1/plugins/whatsapp/broadcasts/*', (route) => route.abort());
  // Four sends at one a second: not done yet when the reads stop (else this test would prove nothing).
  assert.doesNotMatch(await page.locator('.broadcast-progress').textContent(), /0 waiting/);
  await page.locator('.broadcast-progress').filter({ hasText: /0 of 4 sent .*, 0 waiting, 4 failed/ }).waitFor({ timeout: 20000 });
  await page.locator('.broadcast-status').filter({ hasText: 'completed' }).waitFor();
  assert.equal(await page.locator('progress').evaluate((p) => p.value), 4);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a client_user sees numbers, flows and broadcasts without write controls', { skip }, async () => {
  const page = await browser.newPage();
  await openSection(page, 'viewer@acme.test');
  await page.locator('.health-line').waitFor();
  await page.getByRole('cell', { name: 'Orders', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Spring sale' }).waitFor();
  await page.getByText('read-only').first().waitFor();
  assert.equal(await page.locator('[data-write]').count(), 0);
  assert.equal(await page.locator('#content form').count(), 0);
  await page.getByRole('link', { name: 'Spring sale' }).click();
  await page.getByRole('heading', { name: 'Broadcast “Spring sale”' }).waitFor();
  await page.waitForFunction(() => !document.getElementById('content').hasAttribute('aria-busy'));
  assert.equal(await page.locator('[data-write]').count(), 0);
  await page.close();
});
