// Debian Chromium through playwright-core, plus page helpers for the app and the test IdP.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { CHROMIUM, SCREENSHOT_DIR } from './paths.mjs';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y --no-install-recommends chromium (or set CHROMIUM)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const track = new WeakMap(); // page -> { navs: [{url, at}], lastNavAt, lastDoc: {url, status} }

function trackPage(page) {
  const st = { navs: [], lastNavAt: Date.now(), lastDoc: null };
  track.set(page, st);
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      st.navs.push({ url: req.url(), at: Date.now() });
      st.lastNavAt = Date.now();
    }
  });
  page.on('response', (res) => {
    const req = res.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      st.lastDoc = { url: res.url(), status: res.status() };
      st.lastNavAt = Date.now();
    }
  });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) st.lastNavAt = Date.now(); });
}

/**
 * A fresh browser context (own cookie jar). Every non-loopback request is aborted and
 * recorded in ctx.blocked; console errors and page errors go to ctx.consoleErrors.
 */
export async function newContext(browser, { viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(20000);
  context.blocked = [];
  context.consoleErrors = [];
  await context.route((url) => !LOOPBACK.has(url.hostname), (route) => {
    context.blocked.push({ url: route.request().url(), from: route.request().frame()?.url() });
    return route.abort();
  });
  context.on('page', (page) => {
    trackPage(page);
    page.on('console', (msg) => {
      if (msg.type() === 'error') context.consoleErrors.push({ url: page.url(), text: msg.text() });
    });
    page.on('pageerror', (err) => context.consoleErrors.push({ url: page.url(), text: String(err) }));
  });
  return context;
}

/** Main-frame navigation requests seen so far on `page` (redirect hops included). */
export function navigations(page) {
  return track.get(page)?.navs ?? [];
}

/** The last main-frame document response: { url, status } (redirect hops included). */
export function lastDocument(page) {
  return track.get(page)?.lastDoc ?? null;
}

/**
 * Wait until the main frame has had no navigation for `quietMs` and the document has loaded.
 * Works after clicks, form posts and redirect chains through the IdP alike.
 */
export async function settle(page, { quietMs = 400, timeoutMs = 20000 } = {}) {
  const st = track.get(page);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`page did not settle within ${timeoutMs} ms (at ${page.url()})`);
    await sleep(50);
    if (st && Date.now() - st.lastNavAt < quietMs) continue;
    let ready = false;
    try {
      ready = await page.evaluate(() => document.readyState === 'complete');
    } catch { /* navigating: context destroyed */ }
    if (ready && (!st || Date.now() - st.lastNavAt >= quietMs)) return page.url();
  }
}

/** Fail when the page navigates again within `ms` (e.g. a redirect loop on an error page). */
export async function expectNoFurtherNavigation(page, ms = 2000) {
  const before = navigations(page).length;
  const url = page.url();
  await sleep(ms);
  const extra = navigations(page).slice(before);
  if (extra.length) {
    throw new Error(`expected the page to stay on ${url}, but it navigated ${extra.length} more time(s): `
      + extra.map((n) => n.url).join(' -> '));
  }
}

/** Heading + first paragraphs of the current page, for error messages. */
export async function describePage(page) {
  const doc = lastDocument(page);
  let text = '';
  try {
    text = await page.evaluate(() => {
      const main = document.querySelector('main') || document.body;
      return (main?.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 400);
    });
  } catch { /* navigating */ }
  return `${page.url()} (HTTP ${doc?.status ?? '?'}): "${text}"`;
}

/** Screenshot into e2e/screenshots/<name>.png (full page). */
export async function shot(page, name, { fullPage = true } = {}) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Screenshots at 1280x800 (`<name>-desktop.png`) and 390x844 (`<name>-phone.png`). */
export async function shotBoth(page, name) {
  const vp = page.viewportSize();
  await page.setViewportSize(DESKTOP);
  await shot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await shot(page, `${name}-phone`);
  if (vp) await page.setViewportSize(vp);
}

// ---------------------------------------------------------------------------------------------
// App pages

/** Fill and submit the local login form on the current /login page. */
export async function submitLoginForm(page, username, password) {
  await page.fill('form[action="/login"] input[name="username"]', username);
  if (password !== undefined) await page.fill('form[action="/login"] input[name="password"]', password);
  await page.click('form[action="/login"] button[type="submit"]');
  return settle(page);
}

/** Go to /login, sign in with the form, return the URL landed on. */
export async function localLogin(page, app, username, password = 'password123') {
  await page.goto(`${app.url}/login`);
  return submitLoginForm(page, username, password);
}

/** Click the "Sign out" button in the top bar; returns the URL landed on. */
export async function signOut(page) {
  const btn = page.locator('header form[action="/logout"] button', { hasText: 'Sign out' });
  await btn.click();
  return settle(page);
}

/** GET /api/v1/me with the context's cookies: { status, body }. */
export async function me(context, app) {
  const res = await context.request.get(`${app.url}/api/v1/me`, { failOnStatusCode: false, maxRedirects: 0 });
  let body = null;
  try { body = await res.json(); } catch { body = await res.text(); }
  return { status: res.status(), body };
}

// ---------------------------------------------------------------------------------------------
// Single sign-on

/** On the IdP's dev login page: sign in as `user` (the password is ignored by the test IdP). */
export async function idpLogin(page, user) {
  await page.waitForSelector('input[name="login"]', { state: 'visible' });
  await page.fill('input[name="login"]', user);
  await page.fill('input[name="password"]', 'any-password');
  await page.click('button[type="submit"]');
}

export function isIdpLoginPage(page, idp) {
  const u = new URL(page.url());
  return u.origin === idp.origin && u.pathname.startsWith('/interaction/');
}

/**
 * Run one SSO round trip: `start` (default: open /login/oidc) -> IdP login page (filled as `user`,
 * skipped when the IdP still has a session) -> back at the app. Returns the final URL.
 * Throws a descriptive error when the app never sends the browser to the IdP, and (unless
 * `expectError`) when the round trip ends on /login?sso_error=...
 */
export async function ssoLogin(page, app, idp, user, { start, next, expectError = false } = {}) {
  if (start) await start();
  else await page.goto(`${app.url}/login/oidc${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await settle(page);
  const reachedIdp = navigations(page).some((n) => n.url.startsWith(idp.origin));
  if (!reachedIdp) {
    throw new Error(`SSO start did not send the browser to the IdP (${idp.origin}); ended on ${await describePage(page)}`);
  }
  if (isIdpLoginPage(page, idp)) {
    await idpLogin(page, user);
    await settle(page);
  }
  const u = new URL(page.url());
  if (u.origin !== app.url) {
    throw new Error(`SSO round trip did not return to the app; ended on ${await describePage(page)}`);
  }
  if (!expectError && u.searchParams.has('sso_error')) {
    throw new Error(`SSO login as ${user} failed: sso_error=${u.searchParams.get('sso_error')}; ended on ${await describePage(page)}`);
  }
  return page.url();
}

/** Text of the app's SSO error box (h2 + paragraphs), '' when none. */
export async function ssoErrorText(page) {
  const box = page.locator('.alert[role="alert"]');
  if (!(await box.count())) return '';
  return (await box.first().innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * Assert the browser ended on the app's `/login?sso_error=<code>` page with a "Try again"
 * button, and stays there (no redirect loop). Returns the error box text.
 */
export async function expectSsoError(page, app, code, { stayMs = 2000 } = {}) {
  const u = new URL(page.url());
  if (u.origin !== app.url || u.pathname !== '/login' || u.searchParams.get('sso_error') !== code) {
    throw new Error(`expected to land on ${app.url}/login?sso_error=${code}; ended on ${await describePage(page)}`);
  }
  const doc = lastDocument(page);
  if (doc && doc.status >= 500) throw new Error(`sso_error page answered HTTP ${doc.status}`);
  const again = page.getByRole('link', { name: 'Try again' }).or(page.getByRole('button', { name: 'Try again' }));
  await again.first().waitFor({ state: 'visible', timeout: 5000 });
  await expectNoFurtherNavigation(page, stayMs);
  return ssoErrorText(page);
}

/** Payload of a compact JWS (no verification; for asserting what the app sent). */
export function jwtPayload(jwt) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) throw new Error(`not a JWS (${parts.length} parts)`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString());
}
