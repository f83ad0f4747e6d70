// A visitor chats through the embedded widget: bot replies with quick replies, an agent with typing and read
// receipts, the lead form, an image, history across a reload, a network drop with nothing lost or doubled,
// XSS as text, keyboard use, right-to-left, and the widget events the server counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib/harness.mjs';
import { startWidgetServer, startHostSite, hostPage, launcher, panel, messages, startAgent, storedConversation, until, api }
  from './lib/widget-fixtures.mjs';

let server, host, browser;
const pages = {};
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

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

async function visitor(path, key = server.key, context) {
  pages[path] = hostPage(`<script src="${server.url}/widget/widget.js" data-key="${key}" async></script>`);
  const ctx = context || (await browser.newContext());
  const page = await ctx.newPage();
  await page.goto(host.url + path);
  return { page, ctx };
}
const shadow = (page, css) => page.locator('parley-chat').locator(css);
const input = (page) => shadow(page, 'textarea#parley-input');
async function say(page, text) {
  await input(page).fill(text);
  await input(page).press('Enter');
}
const texts = (page) => messages(page).locator('.bb').allTextContents();
const stored = (page) => shadow(page, 'ol.log > li[data-seq] .bb').allTextContents();
const bubble = (page, text) => shadow(page, 'ol.log > li .bb').filter({ hasText: text });

test('a visitor chats with the bot, uses quick replies and rates an answer', async () => {
  const { page, ctx } = await visitor('/bot');
  await launcher(page).click();
  await say(page, 'hello');
  await bubble(page, 'Hi! What do you need?').waitFor();
  const quick = shadow(page, '.qr button');
  assert.deepEqual(await quick.allTextContents(), ['Pricing', 'Opening hours']);
  await quick.first().click();
  await bubble(page, 'A loaf costs 5 euros.').waitFor();
  assert.equal(await shadow(page, '.qr').count(), 0); // answered: the buttons go
  // Helpful on the bot's answer: recorded by the server.
  const answer = shadow(page, 'li.bot').filter({ hasText: 'A loaf costs' });
  await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
  await until(async () => (await answer.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')) == 'true', 'feedback');
  assert.deepEqual((await texts(page)).slice(1), ['hello', 'Hi! What do you need?', 'Pricing', 'A loaf costs 5 euros.']);
  await ctx.close();
});

test('an agent answers live with typing and read receipts; reload keeps the history', async () => {
  const agent = await startAgent(browser, server);
  const { page, ctx } = await visitor('/agent');
  await launcher(page).click();
  await say(page, 'I need a cake for Saturday');
  await bubble(page, 'You said: I need a cake for Saturday').waitFor();
  const conv = await storedConversation(page, server.key);
  assert.equal((await agent.assign(conv.id)).status, 200);
  await shadow(page, '.st').filter({ hasText: 'Maya' }).waitFor();
  // Visitor typing reaches the agent; agent typing shows in the widget.
  await input(page).pressSequentially('Chocolate', { delay: 10 });
  await agent.waitFrame('typing', { from: 'visitor' });
  await agent.typing(conv.id, true);
  await shadow(page, '.ty').filter({ hasText: 'Maya is typing…' }).waitFor();
  await agent.send(conv.id, 'Happy to help! Which size?');
  await bubble(page, 'Happy to help! Which size?').waitFor();
  assert.equal(await shadow(page, '.ty').textContent(), '');
  assert.equal(await shadow(page, 'li.agent .nm').last().textContent(), 'Maya');
  // The visitor's message is marked Seen once the agent reads it.
  await input(page).fill('');
  await say(page, 'Large, please');
  const sent = await agent.waitFrame('message', { text: 'Large, please' });
  const mine = shadow(page, 'li.visitor').filter({ hasText: 'Large, please' });
  await mine.locator('.rc').filter({ hasText: 'Sent' }).waitFor();
  await agent.read(conv.id, sent.message.seq);
  await mine.locator('.rc').filter({ hasText: 'Seen' }).waitFor();
  // The widget told the agent what it read.
  await agent.waitFrame('read');

  const before = await stored(page);
  await page.reload();
  await launcher(page).click();
  await bubble(page, 'Large, please').waitFor();
  assert.deepEqual(await stored(page), before);
  await ctx.close();
  await agent.stop();
});

test('a network drop loses nothing and doubles nothing', async () => {
  const agent = await startAgent(browser, server);
  const ctx = await browser.newContext();
  const sockets = [];
  let blocked = false;
  await ctx.routeWebSocket(/\/api\/v1\/realtime/, (ws) => {
    if (blocked) return ws.close({ code: 4000, reason: 'offline' });
    const upstream = ws.connectToServer();
    sockets.push({ ws, upstream });
  });
  const { page } = await visitor('/drop', server.key, ctx);
  await launcher(page).click();
  await say(page, 'quiet');
  const conv = await until(() => storedConversation(page, server.key), 'a conversation');
  await agent.assign(conv.id);
  await agent.send(conv.id, 'before the drop');
  await bubble(page, 'before the drop').waitFor();

  blocked = true;
  for (const s of sockets.splice(0)) { s.upstream.close(); s.ws.close({ code: 4000, reason: 'dropped' }); }
  await shadow(page, '.bn').waitFor(); // "Reconnecting…"
  await agent.send(conv.id, 'during the drop 1');
  await agent.send(conv.id, 'during the drop 2');
  await say(page, 'sent while offline');
  await shadow(page, 'li.pending').filter({ hasText: 'sent while offline' }).waitFor();
  blocked = false;
  await bubble(page, 'during the drop 2').waitFor();
  await shadow(page, 'li.visitor[data-seq]').filter({ hasText: 'sent while offline' }).waitFor();
  await shadow(page, '.bn').waitFor({ state: 'hidden' });
  const all = await texts(page);
  for (const t of ['before the drop', 'during the drop 1', 'during the drop 2', 'sent while offline'])
    assert.equal(all.filter((x) => x == t).length, 1, t + ' once in ' + JSON.stringify(all));
  const stored = (await agent.history(conv.id)).body.messages.filter((m) => m.text == 'sent while offline');
  assert.equal(stored.length, 1);
  await ctx.close();
  await agent.stop();
});

test('with no agent online, talk to a human brings the lead form; it is stored as a lead', async () => {
  const { page, ctx } = await visitor('/lead');
  await launcher(page).click();
  await say(page, 'quiet');
  await shadow(page, 'li.visitor[data-seq]').waitFor();
  await shadow(page, '.act button').filter({ hasText: 'Talk to a human' }).click();
  const form = shadow(page, 'li.bot form.f');
  await form.waitFor();
  await form.getByLabel('Name').fill('Ana');
  await form.getByLabel('Email').fill('ana@example.com');
  await form.getByRole('button', { name: 'Send' }).click();
  await shadow(page, 'li.bot').filter({ hasText: 'Thanks, we will get back to you.' }).waitFor();
  const conv = await storedConversation(page, server.key);
  const history = await api(server, 'GET', `/api/v1/agent/conversations/${conv.id}/messages?after_seq=0`, { token: server.root, tenant: server.tenant });
  const form_message = history.messages.find((m) => m.type == 'form' && m.sender_type == 'visitor');
  assert.equal(form_message.payload.fields.email, 'ana@example.com');
  await ctx.close();
});

test('an image upload shows in the chat', async () => {
  const { page, ctx } = await visitor('/image');
  await launcher(page).click();
  await shadow(page, 'input[type=file]').setInputFiles({ name: 'cake.png', mimeType: 'image/png', buffer: PNG });
  const img = shadow(page, 'li.visitor[data-seq] img');
  await img.waitFor();
  assert.match(await img.getAttribute('src'), /\/api\/v1\/files\//);
  await until(() => img.evaluate((i) => i.complete && i.naturalWidth == 1), 'the image to load');
  await ctx.close();
});

test('markup in messages shows as text on the visitor side', async () => {
  const { page, ctx } = await visitor('/xss');
  let dialogs = 0;
  page.on('dialog', (d) => (dialogs++, d.dismiss()));
  await launcher(page).click();
  const attack = '<img src=x onerror=alert(1)><script>alert(2)</script>';
  await say(page, attack);
  await bubble(page, 'You said: ' + attack).waitFor();
  assert.equal(await shadow(page, 'ol.log img').count(), 0);
  assert.equal(await shadow(page, 'ol.log script').count(), 0);
  assert.ok((await texts(page)).includes(attack));
  assert.equal(dialogs, 0);
  await ctx.close();
});

test('keyboard: Tab reaches the launcher, Enter opens with focus in the input, Escape closes back to it', async () => {
  const { page, ctx } = await visitor('/keys');
  await launcher(page).waitFor();
  await page.locator('#own').focus();
  await page.keyboard.press('Tab');
  assert.equal(await launcher(page).evaluate((l) => l.getRootNode().activeElement === l), true);
  await page.keyboard.press('Enter');
  await panel(page).waitFor();
  await until(() => input(page).evaluate((i) => i.getRootNode().activeElement === i), 'focus in the input');
  assert.equal(await panel(page).getAttribute('role'), 'dialog');
  assert.equal(await shadow(page, 'header button.ib').last().getAttribute('aria-label'), 'Close chat');
  await page.keyboard.press('Escape');
  await panel(page).waitFor({ state: 'hidden' });
  assert.equal(await launcher(page).evaluate((l) => l.getRootNode().activeElement === l), true);
  assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');
  await ctx.close();
});

test('Arabic runs right to left; GDPR consent comes before the first message; phones get a full screen', async () => {
  const w = await server.createWidget({
    localization: { default_language: 'ar', supported_languages: ['ar'] },
    features: { gdpr_consent_required: true, gdpr_text: 'I agree' },
  });
  const ctx = await browser.newContext({ viewport: { width: 390, height: 700 }, isMobile: true, hasTouch: true, locale: 'ar' });
  const { page } = await visitor('/rtl', w.public_key, ctx);
  await launcher(page).click();
  await panel(page).waitFor();  // chat.js loads on the first click: the panel and its direction come with it
  assert.equal(await shadow(page, '.w').getAttribute('dir'), 'rtl');
  assert.equal(await input(page).getAttribute('placeholder'), 'اكتب رسالتك…');
  const box = await panel(page).boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 390, await page.evaluate(() => innerHeight)]);
  await say(page, 'quiet');
  assert.equal(await shadow(page, 'li.visitor').count(), 0); // not sent without consent
  await shadow(page, 'label.cs input').check();
  await say(page, 'quiet');
  await shadow(page, 'li.visitor[data-seq]').waitFor();
  const conv = await storedConversation(page, w.public_key);
  const list = await api(server, 'GET', '/api/v1/agent/conversations', { token: server.root, tenant: server.tenant });
  assert.equal(list.conversations.find((c) => c.id == conv.id).context.consent.given, true);
  await ctx.close();
});

test('link-out opens the configured URL with the captured parameters, or the fallback when it does not answer', async () => {
  pages['/chat-here'] = '<!doctype html><title>external chat</title>';
  const w = await server.createWidget({ behavior: { mode: 'link_out', link_out: { url: 'http://127.0.0.1:9/chat', fallback_url: host.url + '/chat-here', target: 'popup', timeout_ms: 3000 } } });
  const { page, ctx } = await visitor('/linkout', w.public_key);
  await page.goto(host.url + '/linkout?utm_source=google&utm_campaign=spring&gclid=abc');
  await launcher(page).waitFor();
  await page.waitForFunction(() => window.LiveChatWidget.isOpen);
  const [popup] = await Promise.all([ctx.waitForEvent('page'), launcher(page).click()]);
  await popup.waitForURL(/\/chat-here\?/);
  const q = new URL(popup.url()).searchParams;
  assert.equal(q.get('utm_source'), 'google');
  assert.equal(q.get('utm_campaign'), 'spring');
  assert.equal(q.get('gclid'), 'abc');
  assert.equal(q.get('page'), host.url + '/linkout?utm_source=google&utm_campaign=spring&gclid=abc');
  assert.ok(q.get('timestamp') && q.get('visitor_id'));
  assert.equal(await panel(page).count() ? await panel(page).isVisible() : false, false);
  await ctx.close();
});

test('the server counts the widget events (loaded, opened, closed)', async () => {
  const metrics = await (await fetch(server.url + '/metrics')).text();
  for (const type of ['loaded', 'opened', 'closed'])
    assert.match(metrics, new RegExp(`parley_widget_${type}_total [1-9]`), type);
});
