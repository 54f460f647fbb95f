// Dashboard timer in a real browser: start, live tick (assets/timer.js under the strict CSP),
// stop, and the entry in "Recent entries", on a phone-sized screen.
import assert from 'node:assert/strict';
import { e2eTest, localLogin } from '../lib/index.mjs';

const DANA = { name: 'dana', password: 'dana-password-1', fullName: 'Dana D' };

e2eTest('dashboard: start a timer, watch it tick, stop it',
  { auth: 'local', users: [DANA], viewport: { width: 390, height: 844 } }, async (s) => {
    const { page, app, context } = s;
    await app.cli(['project', 'add', 'Website', '--client', 'Acme']);
    await localLogin(page, app, DANA.name, DANA.password);
    await page.getByRole('heading', { name: 'Hello, Dana D' }).waitFor();

    await page.selectOption('select[name="project_id"]', { label: 'Website · Acme' });
    await page.fill('input[name="notes"]', 'e2e landing page');
    await Promise.all([page.waitForURL(`${app.url}/`), page.click('#start')]);
    await page.getByRole('heading', { name: 'Running: Website' }).waitFor();

    // The live tick: H:MM:SS from timer.js, changing every second.
    const elapsed = page.locator('.elapsed[data-started-at]');
    await page.waitForFunction(() => /^\d+:\d\d:\d\d$/.test(document.querySelector('.elapsed').textContent));
    const first = await elapsed.textContent();
    await page.waitForFunction((f) => document.querySelector('.elapsed').textContent !== f, first, { timeout: 5000 });
    assert.equal(await page.locator('form[action="/timer/switch"]').count(), 1, 'switch is offered while running');

    await Promise.all([page.waitForURL(`${app.url}/`), page.click('#stop')]);
    await page.getByRole('heading', { name: 'Start a timer' }).waitFor();
    const row = page.locator('table.entries tbody tr').first();
    assert.match(await row.textContent(), /Website/);
    assert.match(await row.textContent(), /e2e landing page/);

    const api = await page.evaluate(async () => (await fetch('/api/v1/timer')).json());
    assert.deepEqual(api, { running: false, entry: null });
    assert.deepEqual(context.consoleErrors, [], 'no console errors (a CSP violation would show here)');
    assert.deepEqual(context.blocked, [], 'nothing is fetched from outside the server');
  });
