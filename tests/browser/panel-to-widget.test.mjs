// From the control panel to a live site: a client admin edits the primary colour and the welcome message in the
// configurator (the preview follows at once) and saves; the widget already embedded on a host page of another
// origin shows both after a plain reload, the snippet untouched, because the public config is revalidated by ETag.
// (A blocked origin getting no widget is proved in widget-embed.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib/harness.mjs';
import { startWidgetServer, startHostSite, hostPage, launcher, panel, api } from './lib/widget-fixtures.mjs';
import { signIn, PASSWORD } from './lib/panel-fixtures.mjs';

let server, host, browser;
const pages = {};

before(async () => {
  server = await startWidgetServer({ widgetConfig: { branding: { primary_color: '#123456', title: 'Ask the bakery' },
    behavior: { welcome_message: 'Hello from the old config.' } } });
  await api(server, 'POST', `/api/v1/tenants/${server.tenant}/users`,
    { token: server.root, body: { email: 'boss@example.com', role: 'client_admin', password: PASSWORD, name: 'Bo' } });
  host = await startHostSite(pages);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
});

const launcherColour = (page) => launcher(page).evaluate((l) => getComputedStyle(l).backgroundColor);
// The config request as the visitor's browser repeats it: from the host origin, with the ETag it holds.
const revalidate = (etag) => fetch(`${server.url}/api/v1/widgets/${server.key}/config`,
  { headers: { Origin: host.url, 'If-None-Match': etag } });
const panelText = (page) => panel(page).evaluate((p) => p.textContent);

test('a colour and welcome message edited and saved in the panel reach the embedded widget on reload', async () => {
  // The visitor's browser: the host page with the one-line snippet, every config response recorded.
  pages['/'] = hostPage(`<script src="${server.url}/widget/widget.js" data-key="${server.key}" async></script>`);
  const visitor = await (await browser.newContext()).newPage();
  const errors = [];
  visitor.on('pageerror', (e) => errors.push(e.message));
  // Recorded in the order they arrive; the headers are read later. The page may show the launcher before the
  // response event reaches this process, so a check waits until the count it expects has arrived.
  const responses = [];
  visitor.on('response', (r) => {
    if (r.url().endsWith(`/widgets/${server.key}/config`))
      responses.push((async () => ({ status: r.status(), etag: await r.headerValue('etag'),
        ifNoneMatch: await r.request().headerValue('if-none-match') }))());
  });
  const configsSeen = async (n) => {
    for (const start = Date.now(); responses.length < n && Date.now() - start < 10000;)
      await new Promise((r) => setTimeout(r, 20));
    return Promise.all(responses);
  };
  await visitor.goto(host.url + '/');
  await launcher(visitor).waitFor();
  assert.equal(await launcherColour(visitor), 'rgb(18, 52, 86)');
  await launcher(visitor).click();
  await panel(visitor).getByText('Hello from the old config.').waitFor();

  // A reload with nothing changed revalidates the config: the browser sends the ETag it has, and the server
  // answers that tag with 304 (playwright reports the cached 200, so the 304 is checked with the same request).
  await visitor.reload();
  await launcher(visitor).waitFor();
  let configs = await configsSeen(2);
  assert.equal(configs.length, 2, JSON.stringify(configs));
  const firstEtag = configs[0].etag;
  assert.ok(firstEtag, 'the config carries an ETag');
  assert.equal(configs[1].ifNoneMatch, firstEtag, JSON.stringify(configs));
  assert.equal((await revalidate(firstEtag)).status, 304);

  // The client admin, in another browser context on parleyd's origin, edits both fields; the preview follows.
  const admin = await (await browser.newContext()).newPage();
  admin.on('pageerror', (e) => errors.push('panel: ' + e.message));
  await signIn(admin, server.url + '/admin/', 'boss@example.com');
  await admin.getByRole('link', { name: 'Bakery site' }).click();
  await admin.getByRole('heading', { name: 'Widget “Bakery site”' }).waitFor();
  // No absent value printed as text (Element.append(null) writes "null").
  assert.equal(await admin.evaluate(() => [...document.querySelectorAll('#content, #content *')].flatMap((e) => [...e.childNodes])
    .filter((n) => n.nodeType == 3 && /^(null|undefined)$/.test(n.data.trim())).length), 0);
  const preview = () => admin.frames().find((f) => f.url().includes('/admin/preview.html'));
  await admin.waitForFunction(() => document.querySelector('iframe.preview-frame')?.contentDocument?.querySelector('parley-chat'));
  await admin.getByLabel('Primary colour', { exact: true }).fill('#ff5500');
  await admin.getByLabel('Welcome message').fill('Fresh bread until noon!');
  await preview().waitForFunction(() => {
    const root = document.querySelector('parley-chat')?.shadowRoot, l = root?.querySelector('button.l');
    return l && getComputedStyle(l).backgroundColor == 'rgb(255, 85, 0)' && root.textContent.includes('Fresh bread until noon!');
  });
  // Nothing is saved yet: the visitor's widget still gets the old config.
  await visitor.reload();
  await launcher(visitor).waitFor();
  assert.equal(await launcherColour(visitor), 'rgb(18, 52, 86)');
  configs = await configsSeen(3);

  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByRole('status').filter({ hasText: 'Saved: now version 2.' }).waitFor();

  // The host page reloads with the same snippet: a new ETag, the new colour on the launcher and the new welcome.
  const before = configs.length;
  await visitor.reload();
  await launcher(visitor).waitFor();
  configs = await configsSeen(before + 1);
  const last = configs[configs.length - 1];
  assert.equal(configs.length, before + 1);
  assert.equal(last.ifNoneMatch, firstEtag, 'the snippet and the browser did nothing special');
  assert.notEqual(last.etag, firstEtag);
  assert.equal((await revalidate(firstEtag)).status, 200, 'the old tag no longer matches');
  assert.equal(await launcherColour(visitor), 'rgb(255, 85, 0)');
  await launcher(visitor).click();
  await panel(visitor).getByText('Fresh bread until noon!').waitFor();
  assert.ok(!(await panelText(visitor)).includes('Hello from the old config.'));
  assert.equal(await visitor.locator('#status').textContent(), 'page script ran');
  assert.deepEqual(errors, []);
  await admin.context().close();
  await visitor.context().close();
});
