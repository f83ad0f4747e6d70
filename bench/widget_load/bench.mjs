// Widget load benchmark: the loader's and the full widget's sizes as parleyd serves them (gzip), and in chromium,
// through the Performance API, the time from navigation start to the launcher on screen and to the first message
// (acknowledged by the server, answered by the bot) on a plain host page of another origin. Prints a markdown table.
// Run by bench/widget_load/run (which sets PARLEYD_PATH, PARLEY_SOURCE_DIR and finds chromium). Env: RUNS (20).
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { launchBrowser } from '../../tests/browser/lib/harness.mjs';
import { startWidgetServer, startHostSite } from '../../tests/browser/lib/widget-fixtures.mjs';

const RUNS = +(process.env.RUNS || 20);

// The bytes parleyd sends for `path` when the browser accepts gzip: [on the wire, encoding].
const served = (base, path) => new Promise((resolve, reject) => {
  request(base + path, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } }, (res) => {
    let n = 0;
    res.on('data', (c) => (n += c.length));
    res.on('end', () => resolve([n, res.headers['content-encoding'] || 'identity']));
  }).on('error', reject).end();
});

// Records, in the page's own clock (performance.now(), 0 = navigation start), when the launcher is first in a
// frame, when Enter is pressed in the widget, when the server's copy of that message replaces the pending one
// (the ack) and when the bot's first stored reply is in the log (not the welcome bubble, which has no seq). "In a frame" = the animation frame after the change.
function instrument() {
  const marks = (window.__marks = {});
  const frame = (name) => requestAnimationFrame(() => (marks[name] ??= performance.now()));
  addEventListener('keydown', (e) => { if (e.key == 'Enter') marks.send ??= performance.now(); }, true);
  const watchRoot = (root) => new MutationObserver(() => {
    if (!marks.launcherDom && root.querySelector('button.l')) (marks.launcherDom = performance.now()), frame('launcher');
    if (!marks.ackDom && root.querySelector('li.m.visitor[data-seq]')) (marks.ackDom = performance.now()), frame('ack');
    if (!marks.replyDom && root.querySelector('li.m.bot[data-seq]')) (marks.replyDom = performance.now()), frame('reply');
  }).observe(root, { childList: true, subtree: true });
  new MutationObserver((_, obs) => {
    const host = document.querySelector('parley-chat');
    if (!host?.shadowRoot) return;
    obs.disconnect();
    if (host.shadowRoot.querySelector('button.l')) (marks.launcherDom = performance.now()), frame('launcher');
    watchRoot(host.shadowRoot);
  }).observe(document, { childList: true, subtree: true });
}

const PAGE = (server) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Plain host page</title></head>
<body><h1>A plain page</h1><p>Some text, then the one-line snippet.</p>
<script src="${server.url}/widget/widget.js" data-key="${server.key}" async></script></body></html>`;

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };

async function oneRun(browser, url) {
  const context = await browser.newContext(); // empty cache: a first visit
  const page = await context.newPage();
  await page.addInitScript(instrument);
  await page.goto(url);
  const shadow = page.locator('parley-chat');
  await page.waitForFunction(() => window.__marks.launcher);
  // The visitor opens the chat at once, types and sends.
  await shadow.locator('button.l').click();
  await shadow.locator('textarea#parley-input').fill('hello');
  await shadow.locator('textarea#parley-input').press('Enter');
  await page.waitForFunction(() => window.__marks.ack && window.__marks.reply, null, { timeout: 15000 });
  const m = await page.evaluate(() => window.__marks);
  // A repeat visit in the same browser: cached loader, config revalidated (304).
  await page.evaluate(() => (window.__marks = null));
  await page.reload();
  await page.waitForFunction(() => window.__marks?.launcher);
  const repeat = await page.evaluate(() => window.__marks.launcher);
  await context.close();
  return { launcher: m.launcher, sentAck: m.ack, ack: m.ack - m.send, reply: m.reply - m.send, repeat };
}

process.env.PARLEY_PUBLIC_RATE_LIMIT = '0';
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadAtStart = load();
const server = await startWidgetServer();
const host = await startHostSite();
host.pages['/'] = PAGE(server);
const browser = await launchBrowser();
try {
  const src = process.env.PARLEY_SOURCE_DIR;
  const sizes = [];
  for (const file of ['widget.js', 'chat.js']) {
    const raw = readFileSync(join(src, 'public', 'widget', file));
    const [wire, enc] = await served(server.url, '/widget/' + file);
    sizes.push({ file, raw: raw.length, wire, enc, gz9: gzipSync(raw, { level: 9 }).length });
  }
  await oneRun(browser, host.url + '/'); // warm-up (parleyd's caches, chromium's start)
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(browser, host.url + '/'));

  const kb = (n) => (n / 1024).toFixed(1) + ' KiB';
  const ms = (x) => x.toFixed(0) + ' ms';
  const version = browser.version();
  console.log(`\nWidget load; chromium ${version}; ${RUNS} runs; ${cpus().length} CPUs (shared); load average (1, 5, 15 min) ` +
    `${loadAtStart} at the start, ${load()} at the end; ${new Date().toISOString().slice(0, 16)}Z\n`);
  console.log('| file | raw | as served (' + sizes[0].enc + ') | gzip -9 |\n|---|---:|---:|---:|');
  for (const s of sizes) console.log(`| ${s.file} | ${kb(s.raw)} | ${kb(s.wire)} | ${kb(s.gz9)} |`);
  const total = sizes.reduce((a, s) => a + s.wire, 0);
  console.log(`| **both** | ${kb(sizes.reduce((a, s) => a + s.raw, 0))} | **${kb(total)}** | ${kb(sizes.reduce((a, s) => a + s.gz9, 0))} |`);
  console.log('\n| measure (first visit, empty cache) | p50 | p95 |\n|---|---:|---:|');
  const row = (name, key) => console.log(`| ${name} | ${ms(pct(runs.map((r) => r[key]), 0.5))} | ${ms(pct(runs.map((r) => r[key]), 0.95))} |`);
  row('navigation start → launcher on screen', 'launcher');
  row('navigation start → first message acknowledged (scripted visitor opens, types, sends)', 'sentAck');
  row('Enter → server ack rendered (conversation created, message committed)', 'ack');
  row('Enter → bot reply rendered', 'reply');
  row('repeat visit: navigation start → launcher on screen (config 304)', 'repeat');
  console.log('\n| widget | transferred, compressed | source |\n|---|---:|---|');
  console.log(`| Parley (loader + full widget) | ${kb(total)} | measured above |`);
  console.log('| Chatwoot | about 170 KiB | published figure, not measured here |');
  console.log('| Crisp | about 130 KB | published figure, not measured here |');
} finally {
  await browser.close();
  await host.close();
  await server.stop();
}
