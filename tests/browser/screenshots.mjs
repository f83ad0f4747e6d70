// Takes the screenshots in docs/images/ (not a test: run tests/browser/take-screenshots): the widget closed and
// open with a short bot exchange on a host page, the widget on a phone, the panel's configurator with its live
// preview, and the inbox with a conversation an agent answers. Everything is seeded on a throwaway parleyd.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from './lib/harness.mjs';
import { startWidgetServer, startHostSite, launcher, panel, api, until } from './lib/widget-fixtures.mjs';
import { signIn, PASSWORD } from './lib/panel-fixtures.mjs';

const OUT = join(process.env.PARLEY_SOURCE_DIR, 'docs', 'images');
mkdirSync(OUT, { recursive: true });

const BAKERY = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Harbor Lane Bakery</title><style>
  body { margin: 0; font: 17px/1.6 Georgia, serif; color: #2b2118; background: #fbf7f0; }
  header { padding: 18px 48px; background: #3b2a1d; color: #fbf7f0; font-size: 22px; letter-spacing: 1px; }
  main { max-width: 760px; padding: 32px 48px; } h1 { font-size: 36px; margin: 0 0 12px; }
  .menu { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; margin-top: 24px; }
  .menu div { padding: 16px; background: #fff; border: 1px solid #eadfcd; border-radius: 10px; }
  .menu b { display: block; }
</style></head><body><header>Harbor Lane Bakery</header><main>
<h1>Fresh bread every morning</h1><p>Sourdough, rye and sweet buns, baked at five and sold until they are gone.
Order a cake for the weekend, or ask us anything in the chat.</p>
<div class="menu"><div><b>Sourdough</b>5.00 €</div><div><b>Rye loaf</b>4.50 €</div><div><b>Cinnamon buns</b>2.20 €</div>
<div><b>Baguette</b>2.00 €</div><div><b>Apple cake</b>18.00 €</div><div><b>Croissant</b>1.80 €</div></div>
</main>
SNIPPET</body></html>`;

const shots = [];
async function shot(page, name, options = {}) {
  const path = join(OUT, name);
  await page.screenshot({ path, ...options });
  shots.push([name, statSync(path).size]);
}
// The region from the widget panel's top-left corner (with a margin) to the viewport's bottom-right corner.
async function widgetClip(page, margin = 24) {
  const box = await panel(page).boundingBox();
  const vp = page.viewportSize();
  const x = Math.max(0, box.x - margin), y = Math.max(0, box.y - margin);
  return { x, y, width: vp.width - x, height: vp.height - y };
}
const shadow = (page, css) => page.locator('parley-chat').locator(css);
async function say(page, text) {
  await shadow(page, 'textarea#parley-input').fill(text);
  await shadow(page, 'textarea#parley-input').press('Enter');
}
const bubble = (page, text) => shadow(page, 'ol.log > li .bb').filter({ hasText: text });

process.env.PARLEY_PUBLIC_RATE_LIMIT = '0';
const server = await startWidgetServer({ widgetConfig: {
  branding: { primary_color: '#9a3412', title: 'Harbor Lane Bakery', launcher_text: 'Chat with us' },
  behavior: { welcome_message: 'Hi! Ask us about bread, cakes or your order.' },
} });
await api(server, 'POST', `/api/v1/tenants/${server.tenant}/users`,
  { token: server.root, body: { email: 'boss@example.com', role: 'client_admin', password: PASSWORD, name: 'Bo' } });
const host = await startHostSite();
host.pages['/'] = BAKERY.replace('SNIPPET', `<script src="${server.url}/widget/widget.js" data-key="${server.key}" async></script>`);
const browser = await launchBrowser();
try {
  // The widget closed, then open with the bot, on a desktop page with UTM parameters (the inbox shows them).
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await desktop.newPage();
  await page.goto(host.url + '/?utm_source=newsletter&utm_medium=email&utm_campaign=spring-cakes');
  await launcher(page).waitFor();
  await page.waitForTimeout(300);
  await shot(page, 'widget-closed.png', { clip: { x: 1280 - 560, y: 800 - 300, width: 560, height: 300 } });
  await launcher(page).click();
  await say(page, 'hello');
  await bubble(page, 'Hi! What do you need?').waitFor();
  await shadow(page, '.qr button', { hasText: 'Pricing' }).first().click();
  await bubble(page, 'A loaf costs 5 euros.').waitFor();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  await shot(page, 'widget-open.png', { clip: await widgetClip(page) });

  // The widget on a phone: full screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36' });
  const mobile = await phone.newPage();
  await mobile.goto(host.url + '/');
  await launcher(mobile).waitFor();
  await launcher(mobile).tap();
  await say(mobile, 'Do you bake gluten-free bread?');
  await bubble(mobile, 'You said: Do you bake gluten-free bread?').waitFor();
  await mobile.waitForTimeout(300);
  await shot(mobile, 'widget-phone.png');
  await phone.close();

  // The inbox: the agent is online, the desktop visitor asks for a human and gets an answer.
  const inboxContext = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const inbox = await inboxContext.newPage();
  await signIn(inbox, server.url + '/inbox/', 'agent@example.com', 'agent-password-1');
  await inbox.locator('#connection', { hasText: 'online' }).waitFor();
  await until(async () => {
    const { agents } = await api(server, 'GET', '/api/v1/agent/agents', { token: server.root, tenant: server.tenant });
    return agents.some((a) => a.status === 'online');
  }, 'the agent online');
  await shadow(page, 'button', { hasText: 'Talk to a human' }).filter({ hasText: 'Talk to a human' }).first().click();
  await inbox.locator('#mine-list [data-conversation]').first().click();
  await inbox.locator('#messages').getByText('A loaf costs 5 euros.').waitFor();
  await inbox.getByLabel('Reply').fill('Hello, Maya here. Would you like to order a cake for Saturday?');
  await inbox.getByLabel('Reply').press('Enter');
  await bubble(page, 'Would you like to order a cake').waitFor();
  await say(page, 'Yes please, an apple cake for 8 people.');
  await inbox.locator('#messages').getByText('an apple cake for 8 people').waitFor();
  await inbox.locator('#context').getByText('newsletter', { exact: true }).waitFor();
  await inbox.mouse.move(0, 0);
  await inbox.waitForTimeout(300);
  await shot(inbox, 'inbox.png');
  await inboxContext.close();
  await desktop.close();

  // The control panel: the configurator with the live preview of an unsaved edit.
  const adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const admin = await adminContext.newPage();
  await signIn(admin, server.url + '/admin/', 'boss@example.com');
  await admin.getByRole('link', { name: 'Bakery site' }).click();
  await admin.getByRole('heading', { name: 'Widget “Bakery site”' }).waitFor();
  await admin.waitForFunction(() => document.querySelector('iframe.preview-frame')?.contentDocument?.querySelector('parley-chat'));
  await admin.getByLabel('Primary colour', { exact: true }).fill('#0f766e');
  await admin.getByLabel('Welcome message').fill('Fresh bread until noon! How can we help?');
  const preview = admin.frames().find((f) => f.url().includes('/admin/preview.html'));
  await preview.waitForFunction(() => document.querySelector('parley-chat')?.shadowRoot?.textContent.includes('Fresh bread until noon'));
  // The top of the configurator (heading, general, branding) beside the preview, with no field focused.
  await admin.evaluate(() => { document.activeElement?.blur(); scrollTo(0, 0); });
  await admin.waitForTimeout(300);
  await shot(admin, 'panel-configurator.png');
  await adminContext.close();
} finally {
  await browser.close();
  await host.close();
  await server.stop();
}
for (const [name, size] of shots) console.log(`docs/images/${name}  ${(size / 1024).toFixed(0)} KiB`);
