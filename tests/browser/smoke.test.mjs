// The browser harness itself: chromium starts under playwright-core and renders a page served by parleyd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startParleyd, launchBrowser } from './lib/harness.mjs';

test('chromium renders the demo page served by parleyd', async () => {
  const server = await startParleyd();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const response = await page.goto(server.url + '/demo/');
    assert.equal(response.status(), 200);
    assert.ok((await page.title()).length > 0);
  } finally {
    await browser.close();
    await server.stop();
  }
});
