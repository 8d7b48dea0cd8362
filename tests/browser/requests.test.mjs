// No page makes the browser ask any host but the server, nothing on a page
// breaks the Content-Security-Policy, and the stylesheet really applies
// (served as text/css under nosniff).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, openEmailAnswer, pageTypes, PAGE_TYPES, startHerald } from './helpers.mjs';

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
  context = await browser.newContext();
  page = await context.newPage();
  resetSeen();
  listen(page);
});

after(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
});

// What the page asked and broke since the last reset.
let seen;
function resetSeen() {
  seen = { requests: [], failed: [], console: [] };
}

function listen(page) {
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('requestfailed', (r) => seen.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.request().resourceType() !== 'document' && u.pathname !== '/favicon.ico' && r.status() >= 400) {
      seen.failed.push(`${r.url()}: ${r.status()}`);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.console.push(m.text());
  });
  page.on('pageerror', (e) => seen.console.push(String(e)));
}

// Opens a page with `open(page)`, and reports what it asked and broke.
async function visit(open) {
  resetSeen();
  await open(page);
  const css = await page.evaluate(() => {
    let rules = 0;
    for (const s of document.styleSheets) {
      try { rules += s.cssRules.length; } catch { /* cross-origin */ }
    }
    return { sheets: document.styleSheets.length, rules };
  });
  // events of this page may still be on their way
  await page.waitForTimeout(50);
  return { ...seen, css, url: page.url() };
}

function check(r, what) {
  const foreign = r.requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('about:')) return false;
    return new URL(u).origin !== server.base;
  });
  assert.deepEqual(foreign, [], `${what} asked other hosts:\n${foreign.join('\n')}`);
  assert.ok(r.requests.length >= 1);
  const csp = r.console.filter((t) => /Content Security Policy|Refused to/i.test(t));
  assert.deepEqual(csp, [], `${what} breaks its CSP:\n${csp.join('\n')}`);
  assert.deepEqual(r.failed, [], `${what}: failed subresources:\n${r.failed.join('\n')}`);
  assert.ok(r.css.sheets >= 1 && r.css.rules > 0,
    `${what}: the stylesheet did not apply (${r.css.sheets} sheets, ${r.css.rules} rules)`);
}

for (const type of TYPES) {
  test(`requests: only to the server, no CSP violation, on the ${type}`, { timeout: 30_000 }, async () => {
    const r = await visit((page) => page.goto(server.base + paths[type]));
    check(r, paths[type]);
  });
}

test('requests: only to the server, no CSP violation, on the e-mail answer page', { timeout: 30_000 }, async () => {
  const r = await visit((page) => openEmailAnswer(page, server.base));
  check(r, 'the e-mail answer page');
});

test('the server exits 0 on SIGTERM after the request run', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
