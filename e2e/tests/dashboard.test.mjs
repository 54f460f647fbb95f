// Dashboard timer in a real browser: start, live tick (assets/timer.js under the strict CSP),
// stop, and the entry in "Recent entries". Self-contained: it starts its own server and uses
// only node:test and playwright-core (Debian chromium), like the other e2e tests.
//   TT_BIN=target/debug/timetracker node --test e2e/tests/dashboard.test.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.TT_BIN ? path.resolve(process.env.TT_BIN) : path.join(REPO, 'target', 'debug', 'timetracker');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

function cli(dataDir, args, input) {
  const r = spawnSync(BIN, ['--data-dir', dataDir, ...args], {
    input, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: os.tmpdir(), TZ: 'UTC' },
  });
  assert.equal(r.status, 0, `timetracker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('dashboard: start a timer, watch it tick, stop it', async (t) => {
  assert.ok(fs.existsSync(BIN), `${BIN} missing: cargo build (or set TT_BIN)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-e2e-dash-'));
  const dataDir = path.join(dir, 'data');
  cli(dataDir, ['user', 'add', 'dana', '--full-name', 'Dana D', '--password-stdin'], 'dana-password-1\n');
  cli(dataDir, ['project', 'add', 'Website', '--client', 'Acme']);

  const port = await freePort();
  const server = spawn(BIN, ['--data-dir', dataDir, 'serve', '--port', String(port)], {
    env: { PATH: process.env.PATH, HOME: dir, TZ: 'UTC', LOG_LEVEL: 'warn' }, stdio: 'ignore',
  });
  t.after(() => { server.kill('SIGTERM'); fs.rmSync(dir, { recursive: true, force: true }); });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not up yet */ }
    assert.ok(i < 200, 'server did not start');
    await sleep(50);
  }

  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'UTC' });
  const errors = [];
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(`${base}/login`);
  await page.fill('input[name="username"]', 'dana');
  await page.fill('input[name="password"]', 'dana-password-1');
  await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/login"] button[type="submit"]')]);
  await page.getByRole('heading', { name: 'Hello, Dana D' }).waitFor();

  await page.selectOption('select[name="project_id"]', { label: 'Website · Acme' });
  await page.fill('input[name="notes"]', 'e2e landing page');
  await Promise.all([page.waitForURL(`${base}/`), page.click('#start')]);
  await page.getByRole('heading', { name: 'Running: Website' }).waitFor();

  // The live tick: H:MM:SS from timer.js, changing every second.
  const elapsed = page.locator('.elapsed[data-started-at]');
  await page.waitForFunction(() => /^\d+:\d\d:\d\d$/.test(document.querySelector('.elapsed').textContent));
  const first = await elapsed.textContent();
  await page.waitForFunction((f) => document.querySelector('.elapsed').textContent !== f, first, { timeout: 5000 });
  assert.equal(await page.locator('form[action="/timer/switch"]').count(), 1, 'switch is offered while running');

  await Promise.all([page.waitForURL(`${base}/`), page.click('#stop')]);
  await page.getByRole('heading', { name: 'Start a timer' }).waitFor();
  const row = page.locator('table.entries tbody tr').first();
  assert.match(await row.textContent(), /Website/);
  assert.match(await row.textContent(), /e2e landing page/);

  const api = await page.evaluate(async () => (await fetch('/api/v1/timer')).json());
  assert.deepEqual(api, { running: false, entry: null });
  assert.deepEqual(errors, [], 'no console errors (a CSP violation would show here)');
});
