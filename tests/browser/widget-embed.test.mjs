// The widget on a host page of another origin: sizes, the three embeds, the pre-load API queue, debug logging,
// isolation from the page's CSS, and failures (unknown key, server down, blocked origin) that never break the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { launchBrowser } from './lib/harness.mjs';
import { startWidgetServer, startHostSite, hostPage, launcher, panel, until } from './lib/widget-fixtures.mjs';

let server, host, browser;
const pages = {};

before(async () => {
  server = await startWidgetServer({ siteId: 'bakery', widgetConfig: { branding: { primary_color: '#123456', title: 'Ask the bakery' } } });
  host = await startHostSite(pages);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
});

// Opens `path` of the host site with `html`, collecting console messages and livechat:* events.
async function visit(path, html) {
  pages[path] = html;
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.type() + ': ' + m.text()));
  await page.addInitScript(() => {
    window.__events = [];
    for (const n of ['ready', 'opened', 'closed', 'message', 'error'])
      addEventListener('livechat:' + n, (e) => window.__events.push([n, e.detail]));
  });
  await page.goto(host.url + path);
  return { page, consoleLines };
}
const events = (page) => page.evaluate(() => window.__events.map(([n]) => n));
const waitEvent = (page, name) => page.waitForFunction((n) => window.__events.some(([e]) => e == n), name);

test('the loader is under 3 KB and the full widget under 30 KB, gzipped', () => {
  const dir = join(process.env.PARLEY_SOURCE_DIR, 'public', 'widget');
  const loader = gzipSync(readFileSync(join(dir, 'widget.js'))).length;
  const chat = gzipSync(readFileSync(join(dir, 'chat.js'))).length;
  console.log(`widget.js ${loader} B gzipped, chat.js ${chat} B gzipped`);
  assert.ok(loader < 3 * 1024, `widget.js is ${loader} bytes gzipped (limit 3072)`);
  assert.ok(chat < 30 * 1024, `chat.js is ${chat} bytes gzipped (limit 30720)`);
});

test('the three embeds show the launcher and open the chat', async () => {
  const src = `${server.url}/widget/widget.js`;
  const embeds = {
    '/data-key': `<script src="${src}" data-key="${server.key}" async></script>`,
    '/query-id': `<script src="${src}?id=${server.key}" async></script>`,
    '/setup': `<script src="${src}"></script><script>ChatWidget.setup({ siteId: "bakery" });</script>`,
  };
  for (const [path, embed] of Object.entries(embeds)) {
    const { page } = await visit(path, hostPage(embed));
    await launcher(page).waitFor();
    assert.equal(await launcher(page).getAttribute('aria-label'), 'Ask the bakery', path);
    await waitEvent(page, 'ready');
    await launcher(page).click();
    await panel(page).waitFor();
    assert.equal(await launcher(page).getAttribute('aria-expanded'), 'true', path);
    await waitEvent(page, 'opened');
    assert.equal(await page.locator('#status').textContent(), 'page script ran');
    await page.close();
  }
});

test("the host page's CSS cannot reach the widget, and the widget's cannot reach the page", async () => {
  const { page } = await visit('/css', hostPage(`<script src="${server.url}/widget/widget.js" data-key="${server.key}" async></script>`));
  await launcher(page).waitFor();
  const look = await launcher(page).evaluate((l) => {
    const s = getComputedStyle(l), host = getComputedStyle(l.getRootNode().host);
    return { bg: s.backgroundColor, transform: s.textTransform, display: host.display, opacity: host.opacity, position: host.position, svg: getComputedStyle(l.querySelector('svg')).display };
  });
  // The page says display:none, opacity:0 and uppercase; the widget keeps its own (blockified by position:fixed and flex).
  assert.deepEqual(look, { bg: 'rgb(18, 52, 86)', transform: 'none', display: 'block', opacity: '1', position: 'fixed', svg: 'block' });
  assert.ok(await launcher(page).isVisible());
  await launcher(page).click();
  await panel(page).waitFor();
  // The page's own button keeps the page's styles.
  const own = await page.locator('#own').evaluate((b) => [getComputedStyle(b).textTransform, getComputedStyle(b).paddingLeft]);
  assert.deepEqual(own, ['uppercase', '7px']);
  await page.close();
});

test('calls queued before the loader runs are applied once it is ready', async () => {
  const { page } = await visit('/queue', hostPage(`<script>
    window.LiveChatWidget = { queue: [function (w) { window.__queued = typeof w.open; w.on('opened', function () { window.__onOpened = true; }); }] };
    LiveChatWidget.queue.push(function (w) { w.open(); });
  </script><script src="${server.url}/widget/widget.js?id=${server.key}" async></script>`));
  await panel(page).waitFor();
  assert.equal(await page.evaluate(() => window.__queued), 'function');
  await page.waitForFunction(() => window.__onOpened === true);
  assert.equal(await page.evaluate(() => LiveChatWidget.isOpen()), true);
  await page.evaluate(() => LiveChatWidget.close());
  await panel(page).waitFor({ state: 'hidden' });
  assert.deepEqual((await events(page)).filter((e) => e != 'message'), ['ready', 'opened', 'closed']);
  await page.evaluate(() => LiveChatWidget.toggle());
  await panel(page).waitFor();
  await page.close();
});

test('?debug=true logs the loading steps', async () => {
  const { page, consoleLines } = await visit('/debug', hostPage(`<script src="${server.url}/widget/widget.js?id=${server.key}&debug=true" async></script>`));
  await waitEvent(page, 'ready');
  assert.ok(consoleLines.some((l) => l.startsWith('debug: [Parley] config')), consoleLines.join('\n'));
  await page.close();
});

test('an unknown key reports livechat:error and the console, and the page keeps working', async () => {
  const { page, consoleLines } = await visit('/unknown', hostPage(`<script src="${server.url}/widget/widget.js" data-key="pk_nope" async></script>`));
  await waitEvent(page, 'error');
  const detail = await page.evaluate(() => window.__events.find(([n]) => n == 'error')[1].message);
  assert.match(detail, /pk_nope: HTTP 404 no widget/);
  assert.ok(consoleLines.some((l) => l.startsWith('error: [Parley]')), consoleLines.join('\n'));
  assert.equal(await page.locator('parley-chat').count(), 0);
  assert.equal(await page.locator('#status').textContent(), 'page script ran');
  await page.close();
});

test('a config server that fails is tried three times with back-off, then reported', async () => {
  // The loader served by the host site itself, whose API answers 503: the loader retries, then gives up.
  let tries = 0;
  pages['/widget/widget.js'] = (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/javascript' });
    res.end(readFileSync(join(process.env.PARLEY_SOURCE_DIR, 'public', 'widget', 'widget.js')));
  };
  pages[`/api/v1/widgets/${server.key}/config`] = (req, res) => {
    tries++;
    res.writeHead(503, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    res.end('{"error":{"code":"database_busy","message":"try later"}}');
  };
  const { page } = await visit('/down', hostPage(`<script src="/widget/widget.js" data-key="${server.key}" async></script>`));
  await waitEvent(page, 'error');
  const detail = await page.evaluate(() => window.__events.find(([n]) => n == 'error')[1].message);
  assert.match(detail, /HTTP 503 try later/);
  assert.equal(tries, 3);
  assert.equal(await page.locator('parley-chat').count(), 0);
  assert.equal(await page.locator('#status').textContent(), 'page script ran');
  await page.close();
});

test('a blocked origin gets no widget and a clear console message', async () => {
  const blocked = await server.createWidget({}, { allowed_domains: [], blocked_domains: ['localhost'] });
  const { page, consoleLines } = await visit('/blocked', hostPage(`<script src="${server.url}/widget/widget.js" data-key="${blocked.public_key}" async></script>`));
  await waitEvent(page, 'error');
  assert.ok(consoleLines.some((l) => /error: \[Parley\] chat widget pk_.*not allowed/.test(l)), consoleLines.join('\n'));
  assert.equal(await page.locator('parley-chat').count(), 0);
  await page.close();
});

test('display rules hide the widget on excluded URLs', async () => {
  const hidden = await server.createWidget({ display_rules: { exclude_urls: ['*/checkout*'] } });
  const { page, consoleLines } = await visit('/checkout', hostPage(`<script src="${server.url}/widget/widget.js?id=${hidden.public_key}&debug=true" async></script>`));
  await until(() => consoleLines.some((l) => l.includes('[Parley] hidden')), 'the hidden log line');
  assert.equal(await page.locator('parley-chat').count(), 0);
  assert.ok(!consoleLines.some((l) => l.startsWith('error')));
  await page.close();
});
