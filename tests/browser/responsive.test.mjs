// On a 320 x 640 phone no page scrolls sideways, and the skip link shows
// when the keyboard reaches it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launchBrowser, openEmailAnswer, overflow, pageTypes, PAGE_TYPES, startHerald,
} from './helpers.mjs';

const WIDTH = 320;
const HEIGHT = 640;
const TYPES = PAGE_TYPES;

let server;
let browser;
let context;
let paths;
let page;

before(async () => {
  server = await startHerald();
  paths = await pageTypes(server.base);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT } });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
});


for (const type of TYPES) {
  test(`320px: no horizontal scroll on the ${type}`, { timeout: 30_000 }, async () => {
    await page.goto(server.base + paths[type]);
    const o = await overflow(page);
    assert.ok(o.scrollWidth <= WIDTH,
      `${paths[type]} is ${o.scrollWidth}px wide at ${WIDTH}px: ${o.wide.join(', ')}`);
  });
}

test('320px: no horizontal scroll on the e-mail answer page', { timeout: 30_000 }, async () => {
  await openEmailAnswer(page, server.base);
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= WIDTH, `the answer page is ${o.scrollWidth}px wide: ${o.wide.join(', ')}`);
});

for (const type of ['home', 'press release', '404 page']) {
  test(`skip link: first Tab shows it, Enter jumps to main, on the ${type}`, { timeout: 30_000 }, async () => {
    const page = await context.newPage();
    try {
      await page.goto(server.base + paths[type]);
      await page.keyboard.press('Tab');
      const s = await page.evaluate(() => {
        const a = document.activeElement;
        if (!a || a.tagName !== 'A') return { tag: a && a.tagName };
        const r = a.getBoundingClientRect();
        const cs = getComputedStyle(a);
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        const main = document.querySelector('main');
        return {
          tag: 'A',
          href: a.getAttribute('href'),
          text: a.innerText.trim(),
          rect: { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height },
          visibility: cs.visibility,
          opacity: Number(cs.opacity),
          clip: cs.clip,
          clipPath: cs.clipPath,
          onTop: !!hit && (hit === a || a.contains(hit)),
          mainId: main && main.id,
          targetExists: !!document.getElementById((a.getAttribute('href') || '#').slice(1)),
        };
      });
      assert.equal(s.tag, 'A', `the first Tab focuses <${s.tag}>, not the skip link`);
      assert.ok(s.href && s.href.startsWith('#') && s.targetExists,
        `the first focused link goes to ${s.href}, not to the main content`);
      assert.ok(s.text.length > 0, 'the skip link has no text');
      const r = s.rect;
      assert.ok(r.width >= 10 && r.height >= 10, `the focused skip link is ${r.width}x${r.height}px`);
      assert.ok(r.left >= 0 && r.top >= 0 && r.right <= WIDTH && r.bottom <= HEIGHT,
        `the focused skip link is off screen: ${JSON.stringify(r)}`);
      assert.ok(s.visibility === 'visible' && s.opacity > 0.5, `the focused skip link is hidden (${s.visibility}, opacity ${s.opacity})`);
      assert.ok(s.clipPath === 'none' && (s.clip === 'auto' || s.clip === ''),
        `the focused skip link is clipped (${s.clip}, ${s.clipPath})`);
      assert.ok(s.onTop, 'something covers the focused skip link');
      await page.keyboard.press('Enter');
      await page.waitForURL((u) => u.hash === s.href, { timeout: 5000 });
    } finally {
      await page.close();
    }
  });
}

test('the server exits 0 on SIGTERM after the phone run', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
