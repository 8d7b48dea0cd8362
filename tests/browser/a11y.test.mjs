// axe-core finds no WCAG 2.1 A/AA or best-practice violation on any page
// type. The site's CSP forbids scripts, so this context (and only this one)
// bypasses it to inject axe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AXE, axeViolations, describeViolations, launchBrowser, openEmailAnswer, pageTypes, PAGE_TYPES,
  startHerald,
} from './helpers.mjs';

// Page types, in the order the tests run; resolved to paths in before().
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
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  // axe in every document before it loads (faster than addScriptTag on
  // each page: one compile, reused); a page reused for all the runs
  await context.addInitScript({ path: AXE });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
});


for (const type of TYPES) {
  test(`axe: no violation on the ${type}`, { timeout: 60_000 }, async () => {
    const resp = await page.goto(server.base + paths[type]);
    assert.equal(resp.status(), type === '404 page' ? 404 : 200, `${paths[type]}`);
    const v = await axeViolations(page);
    assert.equal(v.length, 0, `${v.length} axe violations on ${paths[type]}:\n${describeViolations(v)}`);
  });
}

test('axe: no violation on the e-mail answer page', { timeout: 60_000 }, async () => {
  const resp = await openEmailAnswer(page, server.base);
  assert.equal(resp.status(), 200);
  const v = await axeViolations(page);
  assert.equal(v.length, 0, `${v.length} axe violations on the e-mail answer page:\n${describeViolations(v)}`);
});

test('the server exits 0 on SIGTERM after the axe run', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
