// The panel's plugin sections against a parleyd with knowledge_base and crm_webhooks loaded: the sections appear
// because GET /api/v1/plugins says so; an entry added in the panel answers the "what would the bot do" test;
// a webhook endpoint shows its secret once and its test delivery's result; a client_user gets no write control.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startParleyd, launchBrowser } from './lib/harness.mjs';
import { seed, signIn } from './lib/panel-fixtures.mjs';

const pluginsPath = join(process.env.PARLEY_BINARY_DIR || '', 'plugins');
// The library itself: configuring alone makes the folders.
const built = ['knowledge_base', 'crm_webhooks'].every((id) => existsSync(join(pluginsPath, id, id + '.so')));
let server, browser, data;

before(async () => {
  if (!built) return;
  server = await startParleyd({ env: { PARLEY_PLUGINS: 'knowledge_base,crm_webhooks', PARLEY_PLUGINS_PATH: pluginsPath } });
  browser = await launchBrowser();
  data = await seed(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const skip = built ? false : `plugins not built under ${pluginsPath} (cmake --build build)`;

test('knowledge base: add an entry, ask the bot, see it answer', { skip }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, server.url + '/admin/', 'boss@acme.test');
  await page.getByRole('link', { name: 'Knowledge base' }).click();
  await page.getByRole('heading', { name: 'New entry' }).waitFor();
  await page.getByLabel('Question', { exact: true }).first().fill('What are your opening hours?');
  await page.getByLabel('Answer').fill('We are open from 9 to 5.');
  await page.getByRole('button', { name: 'Add entry' }).click();
  await page.getByRole('cell', { name: 'We are open from 9 to 5.' }).waitFor();
  await page.getByLabel('Question', { exact: true }).last().fill('when are you open');
  await page.getByRole('button', { name: 'What would the bot do?' }).click();
  await page.getByText(/Decision: (answer|suggest)/).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('webhooks: a new endpoint shows its secret once and the test result', { skip }, async () => {
  const page = await browser.newPage();
  await signIn(page, server.url + '/admin/', 'boss@acme.test');
  await page.getByRole('link', { name: 'Webhooks' }).click();
  // A private address the guarded outgoing HTTP refuses: the endpoint is stored, its test fails visibly.
  await page.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:9/hook');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const box = page.locator('.secret-box');
  await box.getByText('shown this once').waitFor();
  assert.match(await box.locator('code').textContent(), /\S{16,}/);
  await box.getByText(/Test delivery (failed|answered)/).waitFor();
  await page.getByRole('link', { name: 'http://127.0.0.1:9/hook' }).waitFor();
  await page.close();
});

test('a client_user sees both plugin sections without write controls', { skip }, async () => {
  const page = await browser.newPage();
  await signIn(page, server.url + '/admin/', 'viewer@acme.test');
  for (const name of ['Knowledge base', 'Webhooks']) {
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    await page.waitForFunction(() => !document.getElementById('content').hasAttribute('aria-busy'));
    assert.equal(await page.locator('[data-write]').count(), 0, name);
  }
  await page.close();
});
