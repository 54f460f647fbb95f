// Kiosk mode (SPEC §7, W1, W11, W12) in a real browser: badge scan → start → automatic return
// to the idle screen → the idle timeout ends the session on the server → PIN → stop; keyboard
// only use; touch targets; screenshots at 1280×800 and 800×480 (e2e/screenshots/kiosk-*.png).
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  e2eTest, newContext, localLogin, settle, shot, lastDocument, navigations, describePage, TT_BIN,
} from '../lib/index.mjs';

const IDLE_SECONDS = 10; // the smallest kiosk.idle_seconds the app accepts
const SMALL = { width: 800, height: 480 }; // a 7"/10" touch panel
const LARGE = { width: 1280, height: 800 };
const ALICE = { name: 'alice', password: 'alice-password-1', fullName: 'Alice Ash' };
const PIN = '4711';
const BADGE = '0042137';
const PROJECTS = ['Workshop', 'Assembly line 3'];

// The harness self-test's fake binary has no kiosk.
const SKIP = path.basename(TT_BIN).startsWith('fake-timetracker') && 'the self-test binary has no kiosk';

async function enableKiosk(app) {
  await app.setSetting('kiosk.enabled', 'true');
  await app.setSetting('kiosk.idle_seconds', String(IDLE_SECONDS));
}

/** Screenshots of what the terminal shows (the viewport, as nobody scrolls a kiosk) at both sizes. */
async function shots(page, name) {
  const vp = page.viewportSize();
  await page.setViewportSize(LARGE);
  await shot(page, `kiosk-${name}-1280x800`, { fullPage: false });
  await page.setViewportSize(SMALL);
  await shot(page, `kiosk-${name}-800x480`, { fullPage: false });
  if (vp) await page.setViewportSize(vp);
}

const path_ = (page) => new URL(page.url()).pathname;

async function expectPath(page, want, what) {
  assert.equal(path_(page), want, `${what}: expected ${want}, ended on ${await describePage(page)}`);
}

/** Every visible button (and button-like link) on the page is at least 64×64 CSS px. */
async function assertTouchTargets(page, where) {
  const small = await page.evaluate(() => [...document.querySelectorAll('button, a.k-button, [role=button]')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => { const r = el.getBoundingClientRect(); return { text: el.textContent.trim().replace(/\s+/g, ' '), w: r.width, h: r.height }; })
    .filter((b) => b.w < 64 || b.h < 64));
  assert.deepEqual(small, [], `${where}: buttons smaller than 64×64 px`);
}

/** A keyboard-wedge badge reader: fast keystrokes outside any input field, then Enter. */
async function scanBadge(page, code) {
  await page.evaluate(() => document.activeElement?.blur());
  assert.equal(await page.evaluate(() => document.activeElement === document.body), true, 'focus is on the page body');
  await page.keyboard.type(code, { delay: 10 });
  await page.keyboard.press('Enter');
  return settle(page);
}

async function pinLogin(page, username, pin) {
  await page.fill('form#identify input[name="username"]', username);
  await page.fill('form#identify input[name="pin"]', pin);
  await page.click('form#identify button[type="submit"]');
  return settle(page);
}

async function doneText(page) {
  return (await page.locator('[role="status"] h1').innerText()).trim();
}

/** Alice's entries with source kiosk: `export entries --format json` if the CLI has it, else the API. */
async function kioskEntries(s) {
  const { app, browser } = s;
  let entries;
  if (await app.hasCommand('export', 'entries')) {
    const day = new Date().toISOString().slice(0, 10);
    const r = await app.cli(['export', 'entries', '--from', day, '--to', day, '--user', ALICE.name, '--format', 'json']);
    entries = JSON.parse(r.stdout).entries;
  } else {
    // Alice signs in normally in a browser of her own and reads GET /api/v1/time-entries.
    const ctx = await newContext(browser);
    try {
      const page = await ctx.newPage();
      await localLogin(page, app, ALICE.name, ALICE.password);
      const res = await ctx.request.get(`${app.url}/api/v1/time-entries`, { failOnStatusCode: false });
      assert.equal(res.status(), 200, `GET /api/v1/time-entries: ${await res.text()}`);
      entries = (await res.json()).entries;
    } finally { await ctx.close(); }
  }
  return entries.filter((e) => e.username === ALICE.name && e.source === 'kiosk');
}

/** Kiosk on (idle 10 s), two projects, Alice with a PIN and a badge. */
async function prepare(app) {
  await enableKiosk(app);
  for (const p of PROJECTS) await app.addProject(p);
  await app.cli(['user', 'set-pin', ALICE.name, '--pin-stdin'], { input: `${PIN}\n` });
  await app.cli(['user', 'set-badge', ALICE.name, '--badge-stdin'], { input: `${BADGE}\n` });
}

/** Press Tab until `target` (a selector or locator) has the focus. */
async function tabTo(page, target, max = 40) {
  const loc = typeof target === 'string' ? page.locator(target) : target;
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await loc.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${loc} (at ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))})`);
}

function assertClean(context) {
  assert.deepEqual(context.blocked, [], 'no request left 127.0.0.1');
  assert.deepEqual(context.consoleErrors, [], 'no console errors / CSP violations');
}

e2eTest('kiosk (W11): badge → start → idle screen → idle timeout → PIN → stop (+ screenshots)',
  { auth: 'local', users: [ALICE], skip: SKIP }, async (s) => {
    const { page, app, context } = s;
    await prepare(app);

    // --- Idle screen: badge, username + PIN, username + password (local mode); no user list.
    await page.goto(`${app.url}/kiosk`);
    assert.equal(lastDocument(page).status, 200);
    await page.getByRole('heading', { name: 'Scan your badge or identify below' }).waitFor();
    const form = page.locator('form#identify');
    assert.equal(await form.locator('input[name="badge"][type="hidden"]').count(), 1, 'hidden badge field');
    assert.equal(await form.locator('input[name="pin"][type="password"]').count(), 1, 'PIN field');
    assert.equal(await form.locator('input[name="password"][type="password"]').count(), 1, 'password field (local mode)');
    assert.equal(await page.locator('[data-pick-user]').count(), 0, 'no user list unless the admin enables it');
    await page.waitForFunction(() => /^\d\d:\d\d$/.test(document.querySelector('[data-clock]')?.textContent || ''));
    await assertTouchTargets(page, 'idle 1280x800');
    await shots(page, 'idle');

    // --- 1. Badge scan (keyboard wedge) → Alice's screen.
    await scanBadge(page, BADGE);
    await expectPath(page, '/kiosk/home', 'after the badge scan');
    await page.getByRole('heading', { name: `Hello, ${ALICE.fullName}` }).waitFor();
    assert.equal(await page.getByText('No timer running').count(), 1);
    const tiles = page.locator('button.k-tile');
    assert.deepEqual((await tiles.locator('.k-tile-name').allInnerTexts()).sort(), [...PROJECTS].sort());
    assert.equal(await page.locator('input[name="stay"]').isChecked(), false, '"Stay signed in" is off by default');
    await assertTouchTargets(page, 'home 1280x800');
    await shots(page, 'home');
    await page.setViewportSize(SMALL);
    await assertTouchTargets(page, 'home 800x480');
    await page.setViewportSize(LARGE);

    // --- 2. Tap a project tile → confirmation, signed out of the terminal.
    await tiles.filter({ hasText: 'Workshop' }).click();
    await settle(page);
    await expectPath(page, '/kiosk/action', 'after tapping a tile');
    assert.equal(await doneText(page), 'Started Workshop.');
    await page.getByText(`Thank you, ${ALICE.fullName}. You are signed out of this terminal.`).waitFor();
    const doneAt = Date.now();
    assert.equal((await context.cookies()).some((c) => c.name === 'tt_kiosk'), false, 'kiosk cookie removed after the action');
    await shots(page, 'done-started');

    // --- 3. The confirmation goes back to the idle screen by itself (meta refresh, 4 s).
    await page.waitForURL((u) => u.pathname === '/kiosk', { timeout: 10000 });
    await settle(page);
    const back = (Date.now() - doneAt) / 1000;
    assert.ok(back >= 2.5 && back <= 8, `confirmation returned to the idle screen after ${back.toFixed(1)} s (expected about 4 s)`);
    await page.getByRole('heading', { name: 'Scan your badge or identify below' }).waitFor();

    // --- 4. Username + PIN; then nobody touches the screen.
    await page.fill('form#identify input[name="username"]', ALICE.name);
    await page.fill('form#identify input[name="pin"]', PIN);
    await shots(page, 'idle-pin-filled');
    assert.equal(await page.locator('input[name="pin"]').getAttribute('type'), 'password', 'the PIN is masked');
    await page.click('form#identify button[type="submit"]');
    await settle(page);
    await expectPath(page, '/kiosk/home', 'after username + PIN');
    const homeAt = Date.now();
    await page.getByText('Running', { exact: true }).waitFor();
    assert.match(await page.locator('.k-timer .k-project').innerText(), /^Workshop/);
    const elapsed = page.locator('[data-elapsed-seconds]');
    const tick1 = await elapsed.innerText();
    assert.match(tick1, /^\d+:\d\d:\d\d$/, 'live elapsed time h:mm:ss');
    await page.waitForFunction((t) => document.querySelector('[data-elapsed-seconds]').textContent !== t, tick1,
      { timeout: 3000 }).catch(() => assert.fail(`the elapsed time does not tick (stuck at ${tick1})`));
    await shots(page, 'home-running');
    await page.setViewportSize(LARGE);

    // --- 5. The idle timeout: the screen returns to /kiosk by itself, and the server has ended
    // the session (a GET /kiosk with a live kiosk session would bounce back to /kiosk/home).
    await page.waitForURL((u) => u.pathname === '/kiosk', { timeout: (IDLE_SECONDS + 8) * 1000 });
    await settle(page);
    const idleAfter = (Date.now() - homeAt) / 1000;
    assert.ok(idleAfter >= IDLE_SECONDS - 1, `returned after ${idleAfter.toFixed(1)} s, before the ${IDLE_SECONDS} s idle time`);
    await expectPath(page, '/kiosk', 'after the idle timeout');
    await page.getByRole('heading', { name: 'Scan your badge or identify below' }).waitFor();
    const before = navigations(page).length;
    await page.goto(`${app.url}/kiosk/home`);
    await settle(page);
    const hops = navigations(page).slice(before).map((n) => new URL(n.url).pathname);
    assert.deepEqual(hops, ['/kiosk/home', '/kiosk'], 'GET /kiosk/home after the idle timeout redirects to /kiosk');
    await expectPath(page, '/kiosk', 'GET /kiosk/home after the idle timeout');
    assert.equal((await context.cookies()).some((c) => c.name === 'tt_kiosk'), false, 'expired kiosk cookie removed');

    // --- 6. PIN again → Stop ("Stay signed in" unchecked) → "Stopped … after …" → idle.
    await pinLogin(page, ALICE.name, PIN);
    await expectPath(page, '/kiosk/home', 'second username + PIN');
    assert.equal(await page.locator('input[name="stay"]').isChecked(), false);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await settle(page);
    const stopped = await doneText(page);
    assert.match(stopped, /^Stopped Workshop after (\d+:\d\d|\d+ s)\.$/, `confirmation text: ${stopped}`);
    await shots(page, 'done-stopped');
    await page.waitForURL((u) => u.pathname === '/kiosk', { timeout: 10000 });
    await settle(page);
    await page.getByRole('heading', { name: 'Scan your badge or identify below' }).waitFor();

    // --- The record: exactly one finished kiosk entry, with a real duration (W11).
    const entries = await kioskEntries(s);
    const finished = entries.filter((e) => !e.running && e.end);
    assert.equal(finished.length, 1, `one finished kiosk entry: ${JSON.stringify(entries)}`);
    assert.equal(entries.length, 1, `no other kiosk entry: ${JSON.stringify(entries)}`);
    assert.equal(finished[0].project, 'Workshop');
    assert.ok(finished[0].duration_seconds >= IDLE_SECONDS, `duration ${finished[0].duration_seconds} s`);

    assertClean(context);
    assert.match(app.log(), /kiosk identification ok user=alice method=Badge/);
    assert.match(app.log(), /kiosk identification ok user=alice method=Pin/);
  });

e2eTest('kiosk: keyboard only: identify, start, switch with "Stay signed in", Done',
  { auth: 'local', users: [ALICE], skip: SKIP }, async (s) => {
    const { page, app, context } = s;
    await prepare(app);
    const tile = (name) => page.locator('button.k-tile').filter({ hasText: name });
    await page.goto(`${app.url}/kiosk`);
    await tabTo(page, 'input[name="username"]');
    // Human typing speed: a burst of keys faster than 50 ms each is a badge scanner.
    await page.keyboard.type(ALICE.name, { delay: 90 });
    await tabTo(page, 'input[name="pin"]');
    await page.keyboard.type(PIN, { delay: 90 });
    await page.keyboard.press('Enter');
    await settle(page);
    await expectPath(page, '/kiosk/home', 'keyboard: username, PIN, Enter');
    await tabTo(page, tile('Assembly line 3'));
    // The focus ring is visible (a kiosk without a mouse needs to show where it is).
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focused tile shows a focus outline');
    await shot(page, 'kiosk-home-keyboard-focus-1280x800', { fullPage: false });
    await page.keyboard.press('Enter');
    await settle(page);
    assert.equal(await doneText(page), 'Started Assembly line 3.', 'keyboard: Enter on a tile starts');
    // Switch, still by keyboard: Stay signed in (Space) then Enter on the other tile.
    await page.goto(`${app.url}/kiosk`);
    await scanBadge(page, BADGE);
    await expectPath(page, '/kiosk/home', 'badge scan for the switch');
    await tabTo(page, 'input[name="stay"]');
    await page.keyboard.press('Space');
    assert.equal(await page.locator('input[name="stay"]').isChecked(), true);
    await tabTo(page, tile('Workshop'));
    await page.keyboard.press('Enter');
    await settle(page);
    await expectPath(page, '/kiosk/home', 'switch with "Stay signed in" stays on the home screen');
    await page.getByText('Switched.').waitFor();
    assert.match(await page.locator('.k-timer .k-project').innerText(), /^Workshop/);
    await shots(page, 'home-switched-stay');
    // "Done" ends the session.
    await tabTo(page, page.getByRole('button', { name: 'Done' }));
    await page.keyboard.press('Enter');
    await settle(page);
    await expectPath(page, '/kiosk', '"Done"');
    await page.goto(`${app.url}/kiosk/home`);
    await settle(page);
    await expectPath(page, '/kiosk', '"Done" ended the session');

    const entries = await kioskEntries(s);
    assert.equal(entries.length, 2, `start, switch: two kiosk entries: ${JSON.stringify(entries)}`);
    assert.equal(entries.filter((e) => e.running).length, 1);
    assert.equal(entries.find((e) => e.running).project, 'Workshop');
    assert.equal(entries.find((e) => !e.running).project, 'Assembly line 3');
    assertClean(context);
  });

e2eTest('kiosk (oidc mode): PIN but no password field; a username alone or a password is refused (W1)',
  { auth: 'oidc', skip: SKIP }, async (s) => {
    const { page, app, context } = s;
    await enableKiosk(app);
    await app.addProject('Workshop');
    await app.cli(['user', 'add', 'bob', '--admin']);
    await app.cli(['user', 'set-pin', 'bob', '--pin-stdin'], { input: '13579\n' });

    await page.goto(`${app.url}/kiosk`);
    assert.equal(lastDocument(page).status, 200);
    const form = page.locator('form#identify');
    assert.equal(await form.locator('input[name="username"]').count(), 1, 'username field');
    assert.equal(await form.locator('input[name="pin"]').count(), 1, 'PIN field');
    assert.equal(await form.locator('input[name="password"]').count(), 0, 'no password field in oidc mode');
    assert.equal(await page.locator('[data-pick-user]').count(), 0, 'no user list');
    await page.setViewportSize(SMALL);
    await shot(page, 'kiosk-idle-oidc-800x480', { fullPage: false });
    await page.setViewportSize(LARGE);

    // A username alone (an admin's, even) opens nothing.
    await page.fill('form#identify input[name="username"]', 'bob');
    await page.click('form#identify button[type="submit"]');
    await settle(page);
    await expectPath(page, '/kiosk/identify', 'username alone');
    assert.equal(lastDocument(page).status, 400);
    await page.getByRole('alert').getByText('not enabled on this terminal').waitFor();
    assert.equal((await context.cookies()).some((c) => c.name === 'tt_kiosk'), false);

    // A password is no kiosk credential in oidc mode, even when a crafted form sends one.
    await page.evaluate(() => {
      const pw = Object.assign(document.createElement('input'), { type: 'password', name: 'password', value: 'anything-1' });
      document.getElementById('identify').append(pw);
    });
    await page.fill('form#identify input[name="username"]', 'bob');
    await page.click('form#identify button[type="submit"]');
    await settle(page);
    assert.equal(lastDocument(page).status, 400, 'username + password in oidc mode');
    await page.getByRole('alert').getByText('not enabled on this terminal').waitFor();
    assert.equal((await context.cookies()).some((c) => c.name === 'tt_kiosk'), false);

    // A wrong PIN: the generic answer, the username kept.
    await pinLogin(page, 'bob', '0000');
    assert.equal(lastDocument(page).status, 401);
    await page.getByText('Not recognised. Please try again.').waitFor();
    assert.equal(await page.inputValue('input[name="username"]'), 'bob');
    assert.match(app.log(), /kiosk identification failed/);

    // Username + PIN works.
    await pinLogin(page, 'bob', '13579');
    await expectPath(page, '/kiosk/home', 'username + PIN in oidc mode');
    await page.getByRole('heading', { name: 'Hello, bob' }).waitFor();
    // The kiosk session opens nothing else, even when its cookie is sent outside /kiosk (W1).
    const kioskCookie = (await context.cookies()).find((c) => c.name === 'tt_kiosk');
    assert.ok(kioskCookie, 'kiosk cookie set');
    assert.equal(kioskCookie.path, '/kiosk', 'kiosk cookie scoped to /kiosk');
    assert.equal(kioskCookie.httpOnly, true);
    for (const url of ['/api/v1/me', '/', '/profile']) {
      const res = await fetch(`${app.url}${url}`, { headers: { cookie: `tt_kiosk=${kioskCookie.value}` }, redirect: 'manual' });
      assert.ok([401, 403, 303].includes(res.status), `${url} with the kiosk cookie answered ${res.status}`);
      if (res.status === 303) assert.match(res.headers.get('location'), /^\/login/, `${url} redirects to the login page`);
    }
    assert.deepEqual(context.blocked, [], 'no request left 127.0.0.1');
    // Chromium logs the two refusals above (400, 401) as "Failed to load resource"; nothing else.
    const refusals = /^Failed to load resource: the server responded with a status of 40[01] /;
    assert.deepEqual(context.consoleErrors.filter((e) => !(refusals.test(e.text) && e.url.endsWith('/kiosk/identify'))), [],
      'no console errors / CSP violations');
  });

e2eTest('kiosk: a badge scanned while a field has focus still identifies, and leaves no trace in it',
  { auth: 'local', users: [ALICE], skip: SKIP }, async (s) => {
    const { page, app } = s;
    await prepare(app);
    await page.goto(`${app.url}/kiosk`);
    await page.focus('form#identify input[name="username"]');
    await page.keyboard.type(BADGE); // as fast as a scanner
    await page.keyboard.press('Enter');
    await settle(page);
    await expectPath(page, '/kiosk/home', 'badge scanned into the username field');
  });
