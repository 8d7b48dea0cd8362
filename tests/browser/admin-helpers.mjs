// For the admin's browser tests: a herald server of its own with users
// made by `herald user add` before it serves (helpers.mjs's startHerald
// takes no users), and signing in through the login form.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HERALD } from './helpers.mjs';

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

// Starts `herald serve` on the demo site with users [{ email, name, role,
// password }]; devHttp adds --dev-http. Resolves to { base, port,
// stderr(), stop() } as startHerald does.
export async function startAdminHerald({ users = [], devHttp = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-admin-browser-'));
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
  const args = ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--base-url', base,
    '--access-log', path.join(dir, 'access.log')];
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
      fail(`herald serve exited (${exited.code}) at start:\n${stderr()}`);
    }
    try {
      const r = await fetch(base + '/', { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      await exitP;
      closeSync(errFd);
      fail(`herald serve did not answer within 10 s:\n${stderr()}`);
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

// Signs in through /admin/login as a person would; resolves to the
// response of the page the form lands on.
export async function signIn(page, base, { email, password }) {
  await page.goto(base + '/admin/login');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  return resp;
}

// The GET status of path on base, with no cookie (as the public sees it).
export async function publicStatus(base, pathname) {
  const r = await fetch(base + pathname, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await r.arrayBuffer();
  return r.status;
}

// The public HTML of path (status and text), with no cookie.
export async function publicPage(base, pathname) {
  const r = await fetch(base + pathname, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  return { status: r.status, text: await r.text() };
}
