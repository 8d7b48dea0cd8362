// axe-core finds no WCAG 2.1 A/AA or best-practice violation on any page
// type. The site's CSP forbids scripts, so this context (and only this one)
// bypasses it to inject axe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AXE, launchBrowser, openEmailAnswer, pageTypes, PAGE_TYPES, startHerald,
} from './helpers.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
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

function describe(violations) {
  return violations.map((v) => [
    `- ${v.id} (${v.impact}): ${v.help}`,
    `  ${v.helpUrl}`,
    ...v.nodes.slice(0, 5).map((n) =>
      `    at ${n.target.join(' ')}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`),
    v.nodes.length > 5 ? `    ... and ${v.nodes.length - 5} more` : '',
  ].filter(Boolean).join('\n')).join('\n');
}

async function axe() {
  if (!await page.evaluate(() => typeof window.axe === 'object')) {
    await page.addScriptTag({ path: AXE });
  }
  return page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, TAGS);
}

for (const type of TYPES) {
  test(`axe: no violation on the ${type}`, { timeout: 60_000 }, async () => {
    const resp = await page.goto(server.base + paths[type]);
    assert.equal(resp.status(), type === '404 page' ? 404 : 200, `${paths[type]}`);
    const v = await axe();
    assert.equal(v.length, 0, `${v.length} axe violations on ${paths[type]}:\n${describe(v)}`);
  });
}

test('axe: no violation on the e-mail answer page', { timeout: 60_000 }, async () => {
  const resp = await openEmailAnswer(page, server.base);
  assert.equal(resp.status(), 200);
  const v = await axe();
  assert.equal(v.length, 0, `${v.length} axe violations on the e-mail answer page:\n${describe(v)}`);
});

test('the server exits 0 on SIGTERM after the axe run', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
