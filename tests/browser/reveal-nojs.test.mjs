// A reader without JavaScript goes home -> the press release "Holding back
// progress..." -> the media contact's "show e-mail address" button, and
// gets a mailto: link to her address.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  MEDIA_CONTACT, PRESS_RELEASE, launchBrowser, mediaContactButton, sitePath, startHerald,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startHerald();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
});

test('without JavaScript: home -> press release -> reveal the media contact', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const home = await page.goto(server.base + '/');
    assert.equal(home.status(), 200);

    // the press release, linked from home (or from its section's listing)
    const title = /Holding back progress/i;
    let link = page.getByRole('link', { name: title }).first();
    if (await link.count() === 0) {
      await page.getByRole('link', { name: /press releases/i }).first().click();
      link = page.getByRole('link', { name: title }).first();
    }
    assert.ok(await link.count() > 0, 'no link to the press release from home');
    await link.click();
    await page.waitForLoadState('load');
    assert.equal(sitePath(server.base, page.url()), PRESS_RELEASE);
    assert.match(await page.locator('h1').first().innerText(), title);

    // no address in the page as shown
    const shown = await page.locator('body').innerText();
    assert.ok(!shown.includes(MEDIA_CONTACT), 'the address is on the page before the click');
    assert.ok(!(await page.content()).includes(MEDIA_CONTACT), 'the address is in the DOM');

    // the media contact's button
    const button = mediaContactButton(page);
    assert.equal(await button.count(), 1, 'no e-mail button after "Jasmin Qureshi"');
    assert.ok(await button.isVisible(), 'the reveal button is not visible');
    const label = (await button.innerText()).trim();
    assert.ok(label.length > 0, 'the reveal button has no text');

    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' &&
        new URL(r.url()).pathname === '/email', { timeout: 15_000 }),
      button.click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(resp.status(), 200, `POST /email answered ${resp.status()}`);
    const mailto = page.locator(`a[href="mailto:${MEDIA_CONTACT}"]`);
    assert.equal(await mailto.count(), 1, `no mailto: link to ${MEDIA_CONTACT} on the answer page`);
    assert.ok(await mailto.isVisible());
    assert.equal((await mailto.innerText()).trim(), MEDIA_CONTACT);
  } finally {
    await context.close();
  }
});

test('the server exits 0 on SIGTERM after the browser run', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
