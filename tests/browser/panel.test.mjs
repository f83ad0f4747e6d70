// The control panel in chromium against a real parleyd: sign-in and sign-out with CSRF, the widget
// configurator (live preview of unsaved edits, save, a 422 shown beside its field, the embed snippet copied),
// a client_user seeing no write controls, analytics, and hostile strings rendered as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startParleyd, launchBrowser } from './lib/harness.mjs';
import { seed, signIn, http, Visitor } from './lib/panel-fixtures.mjs';

let server, browser, data;
const XSS = '<img src=x onerror="window.__xss=1">';

before(async () => {
  server = await startParleyd();
  browser = await launchBrowser();
  data = await seed(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage(permissions = []) {
  const context = await browser.newContext({ permissions });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  return page;
}

test('sign in, a write needs the CSRF header, sign out', async () => {
  const page = await newPage();
  await signIn(page, server.url + '/admin/', 'boss@acme.test');
  await page.getByRole('heading', { name: 'Widgets', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Main site' }).waitFor();
  // The session cookie alone cannot write: the same request without X-CSRF-Token is refused.
  const refused = await page.evaluate(async (tenant) => {
    const r = await fetch(`/api/v1/tenants/${tenant}/widgets`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky' }) });
    return [r.status, (await r.json()).error.code];
  }, data.tenant.id);
  assert.deepEqual(refused, [403, 'csrf_failed']);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(me, 401);
  // A wrong password is reported, not thrown.
  await signIn(page, server.url + '/admin/', 'boss@acme.test', 'wrong-password-1');
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the configurator previews unsaved edits live, saves, shows a 422 beside its field, copies the snippet', async () => {
  const page = await newPage(['clipboard-read', 'clipboard-write']);
  await signIn(page, server.url + '/admin/', 'boss@acme.test');
  await page.getByRole('link', { name: 'Main site' }).click();
  await page.getByRole('heading', { name: 'Widget “Main site”' }).waitFor();
  const frame = page.frameLocator('iframe[title^="Widget preview"]');
  const previewFrame = () => page.frames().find((f) => f.url().includes('/admin/preview.html'));
  // The real widget renders in the preview with the stored colour first.
  await page.waitForFunction(() => {
    const f = document.querySelector('iframe.preview-frame')?.contentWindow;
    return f && f.LiveChatWidget && f.LiveChatWidget.config && f.document.querySelector('parley-chat');
  });
  // Edit colour and welcome message: the preview follows before anything is saved.
  await page.getByLabel('Primary colour', { exact: true }).fill('#ff5500');
  await page.getByLabel('Welcome message').fill('Hi from the preview!');
  await previewFrame().waitForFunction(() => window.LiveChatWidget && window.LiveChatWidget.config &&
    window.LiveChatWidget.config.branding.primary_color === '#ff5500' &&
    document.querySelector('parley-chat')?.shadowRoot?.textContent.includes('Hi from the preview!'));
  let stored = await http(server, 'GET', `/api/v1/widgets/${data.widget.public_key}/config`);
  assert.notEqual(stored.branding.primary_color, '#ff5500', 'nothing is saved yet');
  assert.ok(frame);

  // Save: the version goes up and the public config has the change.
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved: now version 2.' }).waitFor();
  stored = await http(server, 'GET', `/api/v1/widgets/${data.widget.public_key}/config`);
  assert.equal(stored.branding.primary_color, '#ff5500');
  assert.equal(stored.behavior.welcome_message, 'Hi from the preview!');

  // A value only the server refuses: its message appears next to that field, which is marked invalid.
  const color = page.getByLabel('Primary colour', { exact: true });
  await color.fill('blue-ish');
  await page.getByRole('button', { name: 'Save' }).click();
  const error = page.locator('.field-error').filter({ hasText: "config.branding.primary_color" });
  await error.waitFor();
  assert.equal(await color.getAttribute('aria-invalid'), 'true');
  const describedBy = await color.getAttribute('aria-describedby');
  assert.ok(describedBy.includes(await error.getAttribute('id')));
  assert.ok(await color.evaluate((el) => document.activeElement === el), 'focus moves to the bad field');
  // Fixing it clears the error on the next save.
  await color.fill('#00aa00');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved: now version 3.' }).waitFor();
  assert.equal(await page.locator('.field-error').count(), 0);

  // The one-line embed snippet, from GET …/embed, copied to the clipboard.
  const embed = await http(server, 'GET', `/api/v1/tenants/${data.tenant.id}/widgets/${data.widget.id}/embed`, { token: data.root });
  await page.locator('[data-copy="0"]').click();
  await page.locator('[data-copy="0"]', { hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), embed.snippet);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a client_user sees every section read-only, with no write control', async () => {
  const page = await newPage();
  await signIn(page, server.url + '/admin/', 'viewer@acme.test');
  await page.getByRole('link', { name: 'Main site' }).waitFor();
  const sections = ['widgets', `widgets/${data.widget.id}`, 'conversations', 'leads', 'analytics', 'agents', 'canned', 'users', 'audit', 'plugins'];
  for (const s of sections) {
    await page.evaluate((h) => (location.hash = h), '#/' + s);
    await page.waitForFunction((id) => {
      const box = document.querySelector('#content .section');
      return box && box.dataset.section === id.split('/')[0] && !document.getElementById('content').hasAttribute('aria-busy');
    }, s);
    assert.equal(await page.locator('[data-write]').count(), 0, `no write control in ${s}`);
  }
  // The configurator's fields are there to read, disabled.
  await page.evaluate((h) => (location.hash = h), `#/widgets/${data.widget.id}`);
  await page.getByLabel('Welcome message').waitFor();
  assert.ok(await page.getByLabel('Welcome message').isDisabled());
  assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Tenants' }).count(), 0);
  // The server refuses a write anyway.
  const status = await page.evaluate(async (t) => (await fetch(`/api/v1/tenants/${t}/widgets`, { method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': document.cookie.match(/parley_csrf=([^;]+)/)[1] },
    body: JSON.stringify({ name: 'x' }) })).status, data.tenant.id);
  assert.equal(status, 403);
  // A client admin does get write controls on the same screens.
  const admin = await newPage();
  await signIn(admin, server.url + '/admin/', 'boss@acme.test');
  await admin.getByRole('button', { name: 'Create widget' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await admin.context().close();
});

test('analytics count conversations, leads and ratings; hostile strings render as text', async () => {
  const v = await new Visitor(server, data.widget).start({ page_url: 'https://acme.test/pricing', utm: { source: 'google' } },
    { name: XSS });
  await v.say(XSS);
  await v.post('/lead', { name: XSS, email: 'lead@acme.test', consent: true });
  await v.post('/end');
  await v.post('/rating', { rating: 4 });
  // A canned response and a member with hostile text too.
  await http(server, 'POST', '/api/v1/agent/canned-responses', { token: data.root, tenant: data.tenant.id,
    body: { shortcut: 'xss', text: XSS } });

  const page = await newPage();
  await signIn(page, server.url + '/admin/', 'viewer@acme.test');
  await page.getByRole('link', { name: 'Analytics' }).click();
  await page.locator('[data-metric="leads"] .tile-value', { hasText: '1' }).waitFor();
  assert.equal(await page.locator('[data-metric="conversations"] .tile-value').textContent(), '1');
  assert.match(await page.locator('[data-metric="rating"] .tile-value').textContent(), /^4\.0 \/ 5/);
  for (const [link, text] of [['Leads', XSS], ['Conversations', XSS], ['Canned responses', XSS]]) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await page.getByText(text).first().waitFor();
  }
  await page.getByRole('link', { name: 'Conversations', exact: true }).click();
  await page.locator('td a').first().click();
  await page.locator('.transcript').getByText(XSS).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('#content img').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
