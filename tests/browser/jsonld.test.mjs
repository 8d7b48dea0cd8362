// The schema.org JSON-LD in page heads is data: Chromium runs no script on
// the home page, a press release or an event (every <script> is an
// application/ld+json data block that parses as JSON), and nothing breaks
// the Content-Security-Policy, which allows no script at all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PRESS_RELEASE, launchBrowser, startHerald } from './helpers.mjs';

const PAGES = {
  home: ['/', 'Organization'],
  'press release': [PRESS_RELEASE, 'NewsArticle'],
  event: ['/events/asia-pacific-civil-society-forum-on-beijing-20', 'Event'],
};

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

for (const [what, [path, type]] of Object.entries(PAGES)) {
  test(`JSON-LD on the ${what} is data that runs nothing`, { timeout: 30_000 }, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      const r = await page.goto(server.base + path);
      assert.equal(r.status(), 200);
      const scripts = await page.evaluate(() => [...document.scripts].map((s) => ({
        type: s.type, src: s.src, text: s.textContent, inHead: s.parentElement === document.head,
      })));
      assert.equal(scripts.length, 1, `${path}: ${scripts.length} script elements`);
      const [s] = scripts;
      assert.equal(s.type, 'application/ld+json');
      assert.equal(s.src, '');
      assert.ok(s.inHead);
      const data = JSON.parse(s.text);
      assert.equal(data['@type'], type);
      assert.equal(data['@context'], 'https://schema.org');
      // a data block leaves no trace a script would: no CSP report, no error
      await page.waitForTimeout(50);
      assert.deepEqual(problems, [], `${path}: ${problems.join('\n')}`);
    } finally {
      await context.close();
    }
  });
}
