// Shared by the browser tests: starts a herald server of its own (as the
// pytest fixture does: init + serve on a free loopback port, SIGTERM at the
// end, which must exit 0 with no sanitizer report), launches Debian's
// Chromium through playwright-core (never a downloaded browser), and finds
// one URL of each page type on the demo site.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const HERALD = path.resolve(process.env.HERALD || path.join(ROOT, 'build/herald'));
export const AXE = path.join(HERE, 'node_modules/axe-core/axe.min.js');
export const PRESS_RELEASE =
  '/press-releases/holding-back-progress-the-barriers-to-ending-trafficking-in-persons';
export const MEDIA_CONTACT = 'jasmin.qureshi@example.org';
export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts `herald serve` on a free port, with users [{ email, name, role,
// password }] made by `herald user add` before it serves; devHttp adds
// --dev-http. Resolves to { base, port, stderr(), stop() }.
export async function startHerald({ revealLimit = 5, users = [], devHttp = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-browser-'));
  const db = path.join(dir, 'site.db');
  const fail = (msg) => {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(msg);
  };
  const init = spawnSync(HERALD, ['init', '--db', db], { encoding: 'utf8', timeout: 120_000 });
  if (init.status !== 0) fail(`herald init --db ${db} failed (${init.status ?? init.error}): ${init.stderr}`);
  for (const u of users) {
    const add = spawnSync(HERALD, ['user', 'add', '--db', db, '--email', u.email, '--name', u.name,
      '--role', u.role], { input: u.password + '\n', encoding: 'utf8', timeout: 60_000 });
    if (add.status !== 0) fail(`herald user add ${u.email} failed (${add.status ?? add.error}): ${add.stderr}`);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const errPath = path.join(dir, 'stderr.log');
  const errFd = openSync(errPath, 'w');
  const args = ['serve', '--db', db, '--listen', `127.0.0.1:${port}`,
    '--base-url', base, '--access-log', path.join(dir, 'access.log'),
    '--reveal-limit', String(revealLimit)];
  if (devHttp) args.push('--dev-http');
  const proc = spawn(HERALD, args, { stdio: ['ignore', 'ignore', errFd] });
  let exited = null;
  const exitP = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); });
  });
  const stderr = () => { try { return readFileSync(errPath, 'utf8'); } catch { return ''; } };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      closeSync(errFd);
      throw new Error(`herald serve exited (${exited.code}) at start:\n${stderr()}`);
    }
    try {
      const r = await fetch(base + '/', { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      closeSync(errFd);
      throw new Error(`herald serve did not answer within 10 s:\n${stderr()}`);
    }
    await sleep(50);
  }
  let stopped = null;
  return {
    base,
    port,
    stderr,
    // SIGTERM; throws unless it exits 0 within 5 s with a clean stderr.
    async stop() {
      if (stopped) return stopped;
      stopped = (async () => {
        if (!exited) proc.kill('SIGTERM');
        const r = await Promise.race([exitP, sleep(5000).then(() => null)]);
        if (!r) {
          proc.kill('SIGKILL');
          await exitP;
        }
        closeSync(errFd);
        const err = stderr();
        rmSync(dir, { recursive: true, force: true });
        if (!r) throw new Error(`herald did not exit within 5 s of SIGTERM:\n${err}`);
        if (/ERROR: \w*Sanitizer|runtime error:/.test(err)) {
          throw new Error(`sanitizer report on herald's stderr:\n${err}`);
        }
        if (r.code !== 0) throw new Error(`herald exited ${r.code} (${r.signal}) after SIGTERM:\n${err}`);
      })();
      return stopped;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
}

// The site path of an href found on a page of base (null if elsewhere).
export function sitePath(base, href) {
  const u = new URL(href, base + '/');
  return u.origin === base ? u.pathname : null;
}

async function hrefs(base, pathname) {
  const r = await fetch(base + pathname, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`GET ${pathname} -> ${r.status}`);
  const html = await r.text();
  const out = [];
  for (const m of html.matchAll(/<a\b[^>]*?\bhref\s*=\s*"([^"]*)"/gi)) {
    const p = sitePath(base, m[1].replace(/&amp;/g, '&'));
    if (p) out.push(p);
  }
  return out;
}

async function firstItem(base, listing, re) {
  const found = (await hrefs(base, listing)).find((p) => re.test(p));
  if (!found) throw new Error(`${listing} links to no page matching ${re}`);
  return found;
}

// The page types every browser suite visits, in order (pageTypes gives
// their paths).
export const PAGE_TYPES = ['home', 'news listing', 'press releases listing',
  'press release', 'news item', 'events listing', 'event', 'tags index',
  'tag page', 'regions', 'region page', 'publications', 'publication',
  'members', 'member page', 'about', 'search form', 'search results',
  '404 page'];

// One path per page type; 'email answer' is reached by a click (see
// openEmailAnswer), so it is not here.
export async function pageTypes(base) {
  return {
    home: '/',
    'news listing': '/news/',
    'press releases listing': '/press-releases/',
    'press release': PRESS_RELEASE,
    'news item': await firstItem(base, '/news/', /^\/news\/(?!page\/)[a-z0-9-]+$/),
    'events listing': '/events/',
    event: await firstItem(base, '/events/', /^\/events\/(?!page\/)[a-z0-9-]+$/),
    'tags index': '/tags/',
    'tag page': '/tags/beijing20',
    regions: '/regions/',
    'region page': await firstItem(base, '/regions/', /^\/regions\/[a-z0-9-]+$/),
    publications: '/publications/',
    publication: await firstItem(base, '/publications/', /^\/publications\/[a-z0-9-]+$/),
    members: '/members/',
    about: '/about',
    'member page': '/members/la-strada-international',
    'search form': '/search',
    'search results': '/search?q=migrants',
    '404 page': '/no-such-page-here',
  };
}

// The media contact's reveal button on the press release page: the first
// e-mail button after her name.
export function mediaContactButton(page) {
  return page.locator("xpath=(//text()[contains(., 'Jasmin Qureshi')])[1]" +
    "/following::button[contains(concat(' ', normalize-space(@class), ' '), ' email ')][1]");
}

// From the press release, reveals the media contact's address; returns
// the navigation response (the e-mail answer page is then loaded).
export async function openEmailAnswer(page, base) {
  await page.goto(base + PRESS_RELEASE);
  const button = mediaContactButton(page);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' &&
      new URL(r.url()).pathname === '/email', { timeout: 15_000 }),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  return resp;
}

// The axe-core rules every page must pass.
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

// axe-core's violations on the page (AXE_TAGS), as plain objects.
export async function axeViolations(page) {
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
  }, AXE_TAGS);
}

// The violations as readable lines, for an assertion message.
export function describeViolations(violations) {
  return violations.map((v) => [
    `- ${v.id} (${v.impact}): ${v.help}`,
    `  ${v.helpUrl}`,
    ...v.nodes.slice(0, 5).map((n) =>
      `    at ${n.target.join(' ')}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`),
    v.nodes.length > 5 ? `    ... and ${v.nodes.length - 5} more` : '',
  ].filter(Boolean).join('\n')).join('\n');
}

// The document's scroll width and the widest elements past the viewport.
export async function overflow(page) {
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
