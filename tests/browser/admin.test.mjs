// The web admin under /admin, in Chromium: an editor writes a press
// release without JavaScript (preview, draft, schedule, the timer
// publishes it, edit, restore a revision), axe-core finds no violation on
// the admin's pages, every page works without JavaScript and asks no
// other host, and the editor and dashboard fit a 320 px screen.
//
// The server runs in its normal mode (no --dev-http): Chromium takes
// http://127.0.0.1 as a secure context and keeps the "__Host-" Secure
// cookies (the first test checks the session cookie).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  axeViolations as axe, describeViolations as describe, launchBrowser, overflow,
} from './helpers.mjs';
import { publicPage, publicStatus, signIn, startAdminHerald } from './admin-helpers.mjs';

const EDITOR = { email: 'editor@example.org', name: 'Eddie Tor', role: 'editor',
  password: 'editor password 1' };
const ADMIN = { email: 'admin@example.org', name: 'Ada Min', role: 'admin',
  password: 'admin password 12' };
const WIDTH = 320;

let server;
let browser;

before(async () => {
  server = await startAdminHerald({ users: [EDITOR, ADMIN] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// "YYYY-MM-DDTHH:MM:SS" in UTC of t (seconds since the epoch).
function utcLocal(t) {
  return new Date(t * 1000).toISOString().slice(0, 19);
}

// Clicks a submit button and waits for the page the form leads to;
// resolves to the response of the last document (after redirects).
async function submit(page, name) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return resp;
}

async function follow(page, name) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('link', { name, exact: true }).first().click(),
  ]);
  return resp;
}

// The item id of an editor URL "/admin/items/ID?done=...".
function itemId(url) {
  const m = /\/admin\/items\/(\d+)(?:\?|$)/.exec(new URL(url).pathname + new URL(url).search);
  assert.ok(m, `not an item's editor: ${url}`);
  return Number(m[1]);
}

// The pages every suite below visits, in order, each an opener that
// leaves `page` on it and returns the status of the document (200 when
// as expected). state
// carries the item made along the way.
const SIGNED_OUT = [
  ['login page', async (page) => (await page.goto(server.base + '/admin/login')).status()],
];
const EDITOR_PAGES = [
  ['dashboard', async (page) => (await page.goto(server.base + '/admin')).status()],
  ['items list', async (page) => (await page.goto(server.base + '/admin/items')).status()],
  ['new item editor', async (page) =>
    (await page.goto(server.base + '/admin/items/new?kind=press-release')).status()],
  ['editor with a validation error', async (page) => {
    await page.goto(server.base + '/admin/items/new?kind=press-release');
    // a title of spaces passes the browser's "required" and is empty to
    // the server
    await page.getByLabel('Title', { exact: true }).fill('   ');
    const resp = await submit(page, 'Save');
    assert.equal(resp.status(), 422, 'an empty title is not refused with 422');
    await assertAlert(page, /Give it a title/);
    return 200;
  }],
  ['preview state', async (page) => {
    await page.goto(server.base + '/admin/items/new?kind=press-release');
    await page.getByLabel('Title', { exact: true }).fill('A preview');
    await page.getByLabel('Text (Markdown)').fill('Some **strong** words.\n\n- one\n- two\n');
    const resp = await submit(page, 'Preview');
    assert.equal(await page.locator('section.preview strong').innerText(), 'strong');
    return resp.status();
  }],
  ['revisions page', async (page, state) => {
    // an item with two revisions
    await page.goto(server.base + '/admin/items/new?kind=press-release');
    await page.getByLabel('Title', { exact: true }).fill(`Revised ${state.tag}`);
    await page.getByLabel('Text (Markdown)').fill('The first text.');
    await submit(page, 'Save');
    state.id = itemId(page.url());
    await page.getByLabel('Text (Markdown)').fill('The second text.');
    await submit(page, 'Save');
    const resp = await follow(page, 'Revisions');
    assert.equal(new URL(page.url()).pathname, `/admin/items/${state.id}/revisions`);
    assert.equal(await page.getByRole('button', { name: /^Restore revision \d+$/ }).count(), 2);
    return resp.status();
  }],
  ['compare page', async (page, state) => {
    if (!/\/revisions$/.test(new URL(page.url()).pathname)) {
      await page.goto(`${server.base}/admin/items/${state.id}/revisions`);
    }
    await page.getByLabel('Compare from revision 1').check();
    await page.getByLabel('Compare to revision 2').check();
    const resp = await submit(page, 'Compare');
    assert.equal(new URL(page.url()).pathname, `/admin/items/${state.id}/compare`);
    const text = await page.locator('main').innerText();
    assert.match(text, /first text/);
    assert.match(text, /second text/);
    return resp.status();
  }],
  ['images page', async (page) => (await page.goto(server.base + '/admin/media')).status()],
  ['account page', async (page) => (await page.goto(server.base + '/admin/account')).status()],
  ['newsletters page', async (page) => (await page.goto(server.base + '/admin/newsletters')).status()],
  ['new newsletter editor', async (page) => (await page.goto(server.base + '/admin/newsletters/new')).status()],
];
const ADMIN_PAGES = [
  ['users page', async (page) => (await page.goto(server.base + '/admin/users')).status()],
  ['audit page', async (page) => (await page.goto(server.base + '/admin/audit')).status()],
  ['subscribers page', async (page) => (await page.goto(server.base + '/admin/subscribers')).status()],
];

async function assertAlert(page, re) {
  const alert = page.getByRole('alert');
  assert.ok(await alert.count() > 0, 'no role=alert on the page');
  assert.match(await alert.first().innerText(), re);
}

// ---- 1, 2: the flow of the issue, without JavaScript ----------------------
// One editor's session, step by step (each step needs the ones before).

const flow = {};

// Opens the public page of the item in a new tab of the flow's context,
// as the editor would, and closes the tab (a tab left open would put the
// editor's in the background, where Chromium slows it down).
async function onTheSite(pathname) {
  const tab = await flow.context.newPage();
  try {
    const resp = await tab.goto(server.base + pathname);
    return {
      status: resp.status(),
      h1: await tab.locator('h1').first().innerText().catch(() => ''),
      html: await tab.content(),
    };
  } finally {
    await tab.close();
  }
}

test('flow (no JavaScript): the editor signs in; /admin/audit and /admin/users answer 403', { timeout: 30_000 }, async () => {
  flow.context = await browser.newContext({ javaScriptEnabled: false });
  flow.foreign = [];
  flow.context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('about:') && new URL(u).origin !== server.base) {
      flow.foreign.push(u);
    }
  });
  const stamp = Date.now().toString(36);
  Object.assign(flow, {
    title: `Networks meet on safe migration ${stamp}`,
    slug: `networks-meet-${stamp}`,
    tag: 'browsertests',
    body1: 'The networks **agreed on a plan** for the region.',
    body2: 'The plan was _revised_ after the meeting: **second version**.',
  });
  flow.url = `/press-releases/${flow.slug}`;
  const page = flow.page = await flow.context.newPage();
  const resp = await signIn(page, server.base, EDITOR);
  assert.equal(resp.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/admin');
  assert.equal(await page.locator('h1').innerText(), 'Dashboard');
  // the session cookie of the normal mode, kept by Chromium
  const cookies = await flow.context.cookies();
  const session = cookies.find((c) => c.name === '__Host-herald-session');
  assert.ok(session, `no __Host-herald-session cookie; kept: ${cookies.map((c) => c.name).join(', ') || 'none'}`);
  assert.deepEqual([session.secure, session.httpOnly, session.sameSite, session.path, session.domain],
    [true, true, 'Strict', '/', '127.0.0.1']);
  assert.ok(!cookies.some((c) => c.name === 'herald-session'), 'a --dev-http cookie in normal mode');
  // the navigation offers neither
  assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
  const audit = await page.goto(server.base + '/admin/audit');
  assert.equal(audit.status(), 403, 'an editor reaches /admin/audit');
  const users = await page.goto(server.base + '/admin/users');
  assert.equal(users.status(), 403, 'an editor reaches /admin/users');
});

test('flow: Preview shows the rendered text, unsaved, and the public URL is 404', { timeout: 30_000 }, async () => {
  const { page } = flow;
  await page.goto(server.base + '/admin/items/new?kind=press-release');
  await page.getByLabel('Title', { exact: true }).fill(flow.title);
  await page.getByLabel('Address (slug)').fill(flow.slug);
  await page.getByLabel('Summary').fill('Networks met.');
  await page.getByLabel('Text (Markdown)').fill(flow.body1);
  await page.getByLabel('Tags').fill(flow.tag);
  await page.getByLabel('Language').fill('en');
  const r = await submit(page, 'Preview');
  assert.equal(r.status(), 200);
  const preview = page.locator('section.preview');
  assert.equal(await preview.count(), 1, 'no preview section');
  assert.equal(await preview.locator('strong').innerText(), 'agreed on a plan');
  assert.ok(!(await preview.innerText()).includes('**'), 'the preview shows raw Markdown');
  // the form keeps what was typed
  assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), flow.title);
  assert.equal(await page.getByLabel('Address (slug)').inputValue(), flow.slug);
  assert.equal(await page.getByLabel('Text (Markdown)').inputValue(), flow.body1);
  assert.equal(await page.getByLabel('Tags').inputValue(), flow.tag);
  assert.equal(await publicStatus(server.base, flow.url), 404, 'a preview is public');
});

test('flow: Save makes a draft; the public URL is 404; the admin preview shows it', { timeout: 30_000 }, async () => {
  const { page } = flow;
  const r = await submit(page, 'Save');
  assert.equal(r.status(), 200);
  flow.id = itemId(page.url());
  assert.match(new URL(page.url()).search, /done=created/);
  assert.match(await page.locator('.status').first().innerText(), /draft/);
  assert.equal(await page.getByLabel('Tags').inputValue(), flow.tag);
  assert.equal(await page.getByRole('link', { name: 'View on the site' }).count(), 0);
  assert.equal(await publicStatus(server.base, flow.url), 404, 'a draft is public');
  assert.equal((await onTheSite(flow.url)).status, 404, 'a draft is public');
  // the admin's preview of the draft, as the site will show it
  const pv = await follow(page, 'Preview the page');
  assert.equal(pv.status(), 200, `${page.url()} answered ${pv.status()}`);
  assert.equal(new URL(page.url()).pathname, `/admin/items/${flow.id}/preview`);
  assert.ok((await page.locator('h1').first().innerText()).includes(flow.title));
  assert.equal(await page.locator('main strong', { hasText: 'agreed on a plan' }).count(), 1);
  await page.goBack();
  assert.equal(itemId(page.url()), flow.id);
});

test('flow: Schedule 2 s ahead: 404 right after, then the timer publishes it; its tag links to /tags/', { timeout: 30_000 }, async () => {
  const { page } = flow;
  await page.getByLabel('Offset from UTC').fill('+00:00');
  // never on a whole minute: Chromium writes "…T04:03:00" back as
  // "…T04:03", and Playwright's fill then calls the value malformed
  let when = Math.ceil(Date.now() / 1000) + 2;
  if (when % 60 === 0) when += 1;
  await page.getByLabel('Date and time').fill(utcLocal(when));
  const [posted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Schedule', exact: true }).click(),
  ]);
  // right after the answer: not public yet
  const early = await publicStatus(server.base, flow.url);
  const checkedAt = Date.now() / 1000;
  await page.waitForURL(/\/admin\/items\/\d+\?/, { waitUntil: 'load' });
  assert.equal(posted.status(), 303, `Schedule answered ${posted.status()}`);
  assert.equal(itemId(page.url()), flow.id);
  assert.match(new URL(page.url()).search, /done=scheduled/);
  assert.match(await page.locator('.status').first().innerText(), /scheduled/);
  assert.ok(checkedAt < when, 'the 404 check came after the scheduled time');
  assert.equal(early, 404, 'a scheduled item is public before its time');

  // poll the public page, reloading it, for at most 15 s
  const tab = await flow.context.newPage();
  try {
    const deadline = Date.now() + 15_000;
    let live = false;
    for (;;) {
      const pr = await tab.goto(server.base + flow.url);
      if (pr.status() === 200 && (await tab.locator('h1').first().innerText()).includes(flow.title)) {
        live = true;
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    assert.ok(live, `${flow.url} did not go live within 15 s of its time`);
    assert.ok(Date.now() / 1000 >= when - 1, 'it went live before its time');
    assert.equal(await tab.locator('main strong', { hasText: 'agreed on a plan' }).count(), 1);
    const tagLink = tab.locator('main a', { hasText: flow.tag });
    assert.ok(await tagLink.count() > 0, 'no tag link on the public page');
    assert.equal(await tagLink.first().getAttribute('href'), `/tags/${flow.tag}`);
    const [tr] = await Promise.all([
      tab.waitForNavigation({ waitUntil: 'load' }),
      tagLink.first().click(),
    ]);
    assert.equal(tr.status(), 200);
    assert.ok(await tab.getByRole('link', { name: flow.title }).count() > 0, 'the tag page does not list it');
  } finally {
    await tab.close();
  }
  await page.goto(`${server.base}/admin/items/${flow.id}`);
  assert.match(await page.locator('.status').first().innerText(), /published/);
  assert.equal((await page.getByRole('link', { name: 'View on the site' }).getAttribute('href')).split('?')[0], flow.url);
});

// A reader's view: a new browser context (an empty HTTP cache).
async function readerSees(pathname) {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  try {
    const tab = await ctx.newPage();
    const resp = await tab.goto(server.base + pathname);
    return { status: resp.status(), html: await tab.content(),
      h1: await tab.locator('h1').first().innerText().catch(() => '') };
  } finally {
    await ctx.close();
  }
}

test('flow: an edit of the published item, saved, is on the public page at once', { timeout: 30_000 }, async () => {
  const { page } = flow;
  // the old page is in the server's cache
  assert.match((await publicPage(server.base, flow.url)).text, /agreed on a plan/);
  await page.getByLabel('Text (Markdown)').fill(flow.body2);
  const [posted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Save', exact: true }).click(),
  ]);
  // the save is committed when its answer comes
  const pub = await publicPage(server.base, flow.url);
  await page.waitForURL(/done=saved/, { waitUntil: 'load' });
  assert.equal(posted.status(), 303);
  assert.match(await page.locator('.status').first().innerText(), /published/);
  assert.equal(pub.status, 200);
  assert.match(pub.text, /<strong>second version<\/strong>/, 'right after the save, the public page is the old one');
});

test('flow: a reader then sees the edit', { timeout: 30_000 }, async () => {
  const seen = await readerSees(flow.url);
  assert.equal(seen.status, 200);
  assert.match(seen.html, /<strong>second version<\/strong>/, 'the public page does not show the edit');
  assert.ok(!seen.html.includes('agreed on a plan'), 'the public page still shows the first text');
});

test('flow: "View on the site" in the editor\'s browser shows the edit', { timeout: 30_000 }, async () => {
  const { page } = flow;
  await page.goto(`${server.base}/admin/items/${flow.id}?done=saved`);
  const [v] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('link', { name: 'View on the site' }).click(),
  ]);
  assert.equal(v.status(), 200);
  const html = await page.content();
  assert.match(html, /<strong>second version<\/strong>/,
    `the editor's browser shows the old page (Cache-Control: ${v.headers()['cache-control']})`);
});

test('flow: Revisions: compare, restore revision 1: a reader sees the first text, still published', { timeout: 30_000 }, async () => {
  const { page } = flow;
  await page.goto(`${server.base}/admin/items/${flow.id}`);
  let r = await follow(page, 'Revisions');
  assert.equal(r.status(), 200);
  assert.equal(new URL(page.url()).pathname, `/admin/items/${flow.id}/revisions`);
  assert.equal(await page.locator('table tbody tr').count(), 4,
    'revisions: save, schedule, the timer\'s publish, save');
  await page.getByLabel('Compare from revision 1').check();
  await page.getByLabel('Compare to revision 4').check();
  r = await submit(page, 'Compare');
  assert.equal(r.status(), 200);
  assert.match(await page.locator('main').innerText(), /second version/);
  await page.goBack();
  r = await submit(page, 'Restore revision 1');
  assert.equal(r.status(), 200);
  assert.equal(itemId(page.url()), flow.id);
  assert.match(new URL(page.url()).search, /done=restored/);
  assert.match(await page.locator('.status').first().innerText(), /published/, 'a restore changed the status');
  assert.equal((await page.getByLabel('Text (Markdown)').inputValue()).trimEnd(), flow.body1);
  assert.equal((await page.getByRole('link', { name: 'View on the site' }).getAttribute('href')).split('?')[0], flow.url);
  const seen = await readerSees(flow.url);
  assert.equal(seen.status, 200, 'the restored item is no longer public');
  assert.ok(seen.h1.includes(flow.title), `the public page's heading is "${seen.h1}"`);
  assert.match(seen.html, /<strong>agreed on a plan<\/strong>/, 'the public page does not show the restored text');
  assert.ok(!seen.html.includes('second version'), 'the public page still shows the edit');
});

test('flow: no request went to another host', async () => {
  assert.ok(flow.context, 'the flow did not run');
  await flow.context.close();
  assert.deepEqual(flow.foreign, [], `the flow asked other hosts:\n${flow.foreign.join('\n')}`);
});

// ---- 3: axe ------------------------------------------------------------------


// Runs check(page, name, status) on every page of the lists, as the
// editor and then the admin, in contexts made with options.
async function visitAll(options, check, onPage = () => {}) {
  const state = { tag: Date.now().toString(36) };
  const failures = [];
  const run = async (page, list, who) => {
    for (const [name, open] of list) {
      try {
        const status = await open(page, state);
        await check(page, `${name}${who}`, status);
      } catch (e) {
        failures.push(`${name}${who}: ${e.message}`);
      }
    }
  };
  const ctx = await browser.newContext(options);
  try {
    const page = await ctx.newPage();
    onPage(page);
    await run(page, SIGNED_OUT, '');
    await signIn(page, server.base, EDITOR);
    assert.equal(new URL(page.url()).pathname, '/admin', 'the editor could not sign in');
    await run(page, EDITOR_PAGES, '');
  } finally {
    await ctx.close();
  }
  const actx = await browser.newContext(options);
  try {
    const page = await actx.newPage();
    onPage(page);
    await signIn(page, server.base, ADMIN);
    assert.equal(new URL(page.url()).pathname, '/admin', 'the admin could not sign in');
    await run(page, ADMIN_PAGES, ' (admin)');
  } finally {
    await actx.close();
  }
  return failures;
}

test('axe: no violation on any admin page', { timeout: 60_000 }, async () => {
  const failures = await visitAll({ bypassCSP: true, viewport: { width: 1280, height: 900 } },
    async (page, name, status) => {
      assert.equal(status, 200, `answered ${status}`);
      const v = await axe(page);
      assert.equal(v.length, 0, `${v.length} axe violations on ${page.url()}:\n${describe(v)}`);
    });
  assert.deepEqual(failures, [], `\n${failures.join('\n\n')}`);
});

// ---- 4: without JavaScript; no other host ----------------------------------

test('without JavaScript: every admin page works, asks only the server, keeps its CSP',
  { timeout: 60_000 }, async () => {
    let seen = { requests: [], failed: [], console: [] };
    // what each page asked and broke, on every page of both contexts
    const listen = (page) => {
      page.on('request', (r) => seen.requests.push(r.url()));
      page.on('requestfailed', (r) => seen.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        if (r.request().resourceType() !== 'document' && new URL(r.url()).pathname !== '/favicon.ico' &&
          r.status() >= 400) seen.failed.push(`${r.url()}: ${r.status()}`);
      });
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') seen.console.push(m.text());
      });
    };
    const failures = await visitAll({ javaScriptEnabled: false }, async (page, name, status) => {
      assert.equal(status, 200, `answered ${status}`);
      await page.waitForTimeout(50);
      const s = seen;
      seen = { requests: [], failed: [], console: [] };
      const other = s.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('about:') &&
        new URL(u).origin !== server.base);
      assert.deepEqual(other, [], `asked other hosts:\n${other.join('\n')}`);
      const csp = s.console.filter((t) => /Content Security Policy|Refused to/i.test(t));
      assert.deepEqual(csp, [], `breaks its CSP:\n${csp.join('\n')}`);
      assert.deepEqual(s.failed, [], `failed subresources:\n${s.failed.join('\n')}`);
      const css = await page.evaluate(() => {
        let rules = 0;
        for (const sh of document.styleSheets) {
          try { rules += sh.cssRules.length; } catch { /* cross-origin */ }
        }
        return rules;
      });
      assert.ok(css > 0, 'the stylesheet did not apply');
      assert.ok((await page.locator('h1').first().innerText()).trim().length > 0, 'no heading');
      // a page without scripts: none at all, so nothing needs them
      assert.equal(await page.locator('script').count(), 0, 'the page holds a script');
    }, listen).then((f) => f, (e) => [e.message]);
    assert.deepEqual(failures, [], `\n${failures.join('\n\n')}`);

  });

// ---- 5: 320 px ------------------------------------------------------------------


let narrow;

async function measure(what) {
  const o = await overflow(narrow);
  assert.ok(o.scrollWidth <= WIDTH, `${what} is ${o.scrollWidth}px wide at ${WIDTH}px: ${o.wide.join(', ')}`);
}

test('320px: no horizontal scroll on the dashboard', { timeout: 30_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 640 } });
  narrow = await context.newPage();
  await signIn(narrow, server.base, EDITOR);
  assert.equal(new URL(narrow.url()).pathname, '/admin');
  await measure('the dashboard');
});

test('320px: no horizontal scroll on the editor (new, and saved)', { timeout: 30_000 }, async () => {
  await narrow.goto(server.base + '/admin/items/new?kind=press-release');
  await measure('the new item editor');
  await narrow.getByLabel('Title', { exact: true }).fill('A rather long title, to save on a phone screen');
  await narrow.getByLabel('Text (Markdown)').fill('Some **strong** words.');
  await submit(narrow, 'Save');
  assert.match(narrow.url(), /done=created/);
  await measure('the editor of a saved item');
});

test('320px: no horizontal scroll on the editor\'s preview of a long web address', { timeout: 30_000 }, async () => {
  await narrow.goto(server.base + '/admin/items/new?kind=press-release');
  // (the Date fieldset is set aside: its own bug is the test above)
  await narrow.getByLabel('Title', { exact: true }).fill('A preview on a phone');
  await narrow.getByLabel('Text (Markdown)').fill(
    'See https://example.org/reports/2026/a-very-long-address-that-does-not-break-easily for the report.');
  await submit(narrow, 'Preview');
  const o = await narrow.evaluate((w) => {
    const r = document.querySelector('section.preview').getBoundingClientRect();
    return { right: Math.round(r.right), wide: [...document.querySelectorAll('section.preview *')]
      .filter((e) => e.getBoundingClientRect().right > w + 0.5)
      .map((e) => `${e.tagName.toLowerCase()} (right edge ${Math.round(e.getBoundingClientRect().right)}px)`) };
  }, WIDTH);
  assert.deepEqual(o.wide, [], `the preview overflows ${WIDTH}px: ${o.wide.join(', ')}`);
  await narrow.context().close();
  narrow = null;
});

test('the server exits 0 on SIGTERM after the admin run', async () => {
  await narrow?.context().close();
  await browser.close();
  browser = null;
  await server.stop();
});
