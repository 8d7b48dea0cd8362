// For the admin's browser tests: a herald server with users, and signing
// in through the login form.
import { startHerald } from './helpers.mjs';

// A server of its own with users made before it serves (see startHerald).
export const startAdminHerald = (opts) => startHerald(opts);

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
