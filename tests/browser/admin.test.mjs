// The web admin under /admin, in Chromium: an editor writes a press
// release without JavaScript (preview, draft, schedule, the timer
// publishes it, edit, restore a revision), axe-core finds no violation on
// the admin's pages, every page works without JavaScript and asks no
// other host, and the editor and dashboard fit a 320 px screen.
//
// The suite's server runs with --dev-http: over http://127.0.0.1 Chromium
// keeps no cookie of the normal mode (see the test "normal mode: ...").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AXE, launchBrowser } from './helpers.mjs';
import { publicPage, publicStatus, signIn, startAdminHerald } from './admin-helpers.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const EDITOR = { email: 'editor@example.org', name: 'Eddie Tor', role: 'editor',
  password: 'editor password 1' };
const ADMIN = { email: 'admin@example.org', name: 'Ada Min', role: 'admin',
  password: 'admin password 12' };
const WIDTH = 320;

let server;
let browser;

before(async () => {
  server = await startAdminHerald({ users: [EDITOR, ADMIN], devHttp: true });
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
// leaves `page` on it and returns the status of the document. state
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
    await assertAlert(page, /Give it a title/);
    return resp.status() === 422 ? 200 : resp.status();
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
];
const ADMIN_PAGES = [
  ['users page', async (page) => (await page.goto(server.base + '/admin/users')).status()],
  ['audit page', async (page) => (await page.goto(server.base + '/admin/audit')).status()],
];

async function assertAlert(page, re) {
  const alert = page.getByRole('alert');
  assert.ok(await alert.count() > 0, 'no role=alert on the page');
  assert.match(await alert.first().innerText(), re);
}

// ---- 1, 2: the flow of the issue, without JavaScript ----------------------

test('without JavaScript: an editor previews, saves, schedules, edits and restores a press release',
  { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const foreign = [];
    context.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith('data:') && !u.startsWith('about:') && new URL(u).origin !== server.base) {
        foreign.push(u);
      }
    });
    try {
      const page = await context.newPage();
      const resp = await signIn(page, server.base, EDITOR);
      assert.equal(resp.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/admin');
      assert.equal(await page.locator('h1').innerText(), 'Dashboard');

      // an editor does not see the audit log
      const audit = await page.goto(server.base + '/admin/audit');
      assert.equal(audit.status(), 403, 'an editor reaches /admin/audit');
      const users = await page.goto(server.base + '/admin/users');
      assert.equal(users.status(), 403, 'an editor reaches /admin/users');

      const stamp = Date.now().toString(36);
      const title = `Networks meet on safe migration ${stamp}`;
      const slug = `networks-meet-${stamp}`;
      const url = `/press-releases/${slug}`;
      const tag = 'browsertests';
      const body1 = 'The networks **agreed on a plan** for the region.';
      const body2 = 'The plan was _revised_ after the meeting: **second version**.';

      await page.goto(server.base + '/admin/items/new?kind=press-release');
      await page.getByLabel('Title', { exact: true }).fill(title);
      await page.getByLabel('Address (slug)').fill(slug);
      await page.getByLabel('Summary').fill('Networks met.');
      await page.getByLabel('Text (Markdown)').fill(body1);
      await page.getByLabel('Tags').fill(tag);
      await page.getByLabel('Language').fill('en');

      // Preview: the rendered text, nothing saved
      let r = await submit(page, 'Preview');
      assert.equal(r.status(), 200);
      const preview = page.locator('section.preview');
      assert.equal(await preview.count(), 1, 'no preview section');
      assert.equal(await preview.locator('strong').innerText(), 'agreed on a plan');
      assert.ok(!(await preview.innerText()).includes('**'), 'the preview shows raw Markdown');
      assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), title,
        'the preview lost the title');
      assert.equal(await page.getByLabel('Text (Markdown)').inputValue(), body1);
      assert.equal(await publicStatus(server.base, url), 404, 'a preview is public');

      // Save: a draft, not public
      r = await submit(page, 'Save');
      assert.equal(r.status(), 200);
      const id = itemId(page.url());
      assert.match(await page.locator('.status').first().innerText(), /draft/);
      assert.equal(await page.getByLabel('Tags').inputValue(), tag);
      assert.equal(await publicStatus(server.base, url), 404, 'a draft is public');
      // the admin's preview of the saved draft
      const pv = await page.getByRole('link', { name: 'Preview the page' }).getAttribute('href');
      const pvr = await context.request.get(server.base + pv);
      assert.equal(pvr.status(), 200, `${pv} answered ${pvr.status()}`);
      assert.match(await pvr.text(), /<strong>agreed on a plan<\/strong>/);

      // Schedule 2 s ahead, in UTC
      const when = Math.ceil(Date.now() / 1000) + 2;
      await page.getByLabel('Date and time').fill(utcLocal(when));
      await page.getByLabel('Offset from UTC').fill('+00:00');
      r = await submit(page, 'Schedule');
      assert.equal(r.status(), 200);
      assert.equal(itemId(page.url()), id);
      assert.match(new URL(page.url()).search, /done=scheduled/);
      assert.match(await page.locator('.status').first().innerText(), /scheduled/);
      assert.equal(await publicStatus(server.base, url), 404, 'a scheduled item is public before its time');
      assert.ok(Date.now() / 1000 < when, 'the 404 check came after the scheduled time');

      // the timer publishes it
      const reader = await context.newPage();
      const deadline = Date.now() + 15_000;
      let live = false;
      for (;;) {
        const pr = await reader.goto(server.base + url);
        if (pr.status() === 200 && (await reader.locator('h1').first().innerText()).includes(title)) {
          live = true;
          break;
        }
        if (Date.now() > deadline) break;
        await sleep(250);
      }
      assert.ok(live, `${url} did not go live within 15 s of its time`);
      assert.ok(Date.now() / 1000 >= when - 1, 'it went live before its time');
      assert.equal(await reader.locator('main strong', { hasText: 'agreed on a plan' }).count(), 1);
      // its tag links to the tag's page
      const tagLink = reader.locator('a', { hasText: tag });
      assert.ok(await tagLink.count() > 0, 'no tag link on the public page');
      assert.equal(await tagLink.first().getAttribute('href'), `/tags/${tag}`);
      const tr = await reader.goto(server.base + `/tags/${tag}`);
      assert.equal(tr.status(), 200);
      assert.ok(await reader.getByRole('link', { name: title }).count() > 0, 'the tag page does not list it');

      // edit the published item
      await page.goto(`${server.base}/admin/items/${id}`);
      assert.match(await page.locator('.status').first().innerText(), /published/);
      assert.equal(await page.getByRole('link', { name: 'View on the site' }).getAttribute('href'), url);
      await page.getByLabel('Text (Markdown)').fill(body2);
      r = await submit(page, 'Save');
      assert.equal(r.status(), 200);
      assert.match(new URL(page.url()).search, /done=saved/);
      assert.match(await page.locator('.status').first().innerText(), /published/);
      let pub = await publicPage(server.base, url);
      assert.equal(pub.status, 200);
      assert.match(pub.text, /<strong>second version<\/strong>/, 'the public page does not show the edit');
      assert.ok(!pub.text.includes('agreed on a plan'), 'the public page still shows the first text');

      // Revisions: restore the first
      r = await follow(page, 'Revisions');
      assert.equal(r.status(), 200);
      assert.equal(new URL(page.url()).pathname, `/admin/items/${id}/revisions`);
      assert.equal(await page.locator('table tbody tr').count(), 4,
        'revisions: save, schedule, the timer\'s publish, save');
      // compare the first and the last, without JavaScript
      await page.getByLabel('Compare from revision 1').check();
      await page.getByLabel('Compare to revision 4').check();
      r = await submit(page, 'Compare');
      assert.equal(r.status(), 200);
      assert.match(await page.locator('main').innerText(), /second version/);
      await page.goBack();
      r = await submit(page, 'Restore revision 1');
      assert.equal(r.status(), 200);
      assert.equal(itemId(page.url()), id);
      assert.match(new URL(page.url()).search, /done=restored/);
      assert.match(await page.locator('.status').first().innerText(), /published/,
        'a restore changed the status');
      assert.equal((await page.getByLabel('Text (Markdown)').inputValue()).trimEnd(), body1);
      pub = await publicPage(server.base, url);
      assert.equal(pub.status, 200, 'the restored item is no longer public');
      assert.match(pub.text, /<strong>agreed on a plan<\/strong>/, 'the public page does not show the restored text');
      assert.ok(!pub.text.includes('second version'), 'the public page still shows the edit');
      await reader.goto(server.base + url);
      assert.ok((await reader.locator('h1').first().innerText()).includes(title));

      assert.deepEqual(foreign, [], `the flow asked other hosts:\n${foreign.join('\n')}`);
    } finally {
      await context.close();
    }
  });

// ---- 3: axe ------------------------------------------------------------------

function describe(violations) {
  return violations.map((v) => [
    `- ${v.id} (${v.impact}): ${v.help}`,
    `  ${v.helpUrl}`,
    ...v.nodes.slice(0, 5).map((n) =>
      `    at ${n.target.join(' ')}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`),
    v.nodes.length > 5 ? `    ... and ${v.nodes.length - 5} more` : '',
  ].filter(Boolean).join('\n')).join('\n');
}

async function axe(page) {
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

async function overflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const wide = [...document.querySelectorAll('body *')]
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.right > window.innerWidth + 0.5 && r.width > 0)
      .slice(0, 5)
      .map(({ e, r }) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
        `${e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/\s+/g, '.') : ''}` +
        ` (right edge ${Math.round(r.right)}px)`);
    return { scrollWidth: doc.scrollWidth, wide };
  });
}

test('320px: no horizontal scroll on the dashboard and the editor', { timeout: 30_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 640 } });
  try {
    const page = await context.newPage();
    await signIn(page, server.base, EDITOR);
    assert.equal(new URL(page.url()).pathname, '/admin');
    const bad = [];
    const measure = async (what) => {
      const o = await overflow(page);
      if (o.scrollWidth > WIDTH) bad.push(`${what} is ${o.scrollWidth}px wide: ${o.wide.join(', ')}`);
    };
    await measure('the dashboard');
    await page.goto(server.base + '/admin/items/new?kind=press-release');
    await measure('the new item editor');
    await page.getByLabel('Title', { exact: true }).fill('A rather long title to preview on a phone screen');
    await page.getByLabel('Text (Markdown)').fill('Some **strong** words and a https://example.org/a/very/long/address/that/does/not/break/easily');
    await submit(page, 'Save');
    await measure('the editor of a saved item');
    await submit(page, 'Preview');
    await measure('the editor with a preview');
    assert.deepEqual(bad, [], `at ${WIDTH}px:\n${bad.join('\n')}`);
  } finally {
    await context.close();
  }
});

// ---- the cookie of the normal mode ----------------------------------------------

test('normal mode: Chromium keeps the __Host- session cookie over http://127.0.0.1 and signs in',
  { timeout: 30_000 }, async () => {
    const normal = await startAdminHerald({ users: [EDITOR] });
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const resp = await signIn(page, normal.base, EDITOR);
      const cookies = (await context.cookies()).map((c) => `${c.name} (secure ${c.secure})`);
      assert.equal(new URL(page.url()).pathname, '/admin',
        `sign-in answered ${resp.status()} at ${page.url()}; cookies kept: ${cookies.join(', ') || 'none'}`);
      assert.ok(cookies.includes('__Host-herald-session (secure true)'), cookies.join(', '));
    } finally {
      await context.close();
      await normal.stop();
    }
  });

test('the server exits 0 on SIGTERM after the admin run', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
