// Local (username + password) sign-in in a real browser. Must pass with today's app.
import assert from 'node:assert/strict';
import {
  e2eTest, localLogin, submitLoginForm, signOut, me, settle, shotBoth, lastDocument,
} from '../lib/index.mjs';

const ERIN = { name: 'erin', password: 'correct horse battery', fullName: 'Erin Example', email: 'erin@example.test' };

e2eTest('local: sign in, profile, sign out (+ screenshots)', { auth: 'local', users: [ERIN] }, async (s) => {
  const { page, app, context } = s;

  // Signed out: / sends the browser to the login page.
  await page.goto(`${app.url}/`);
  await settle(page);
  assert.equal(new URL(page.url()).pathname, '/login', `signed-out / should end on /login, got ${page.url()}`);

  // The login form: username, password, hidden CSRF token; no SSO button in local mode.
  await page.goto(`${app.url}/login`);
  assert.equal(lastDocument(page).status, 200);
  const form = page.locator('form[action="/login"]');
  await assert.doesNotReject(form.locator('input[name="username"]').waitFor());
  assert.equal(await form.locator('input[name="password"][type="password"]').count(), 1, 'password field');
  const csrf = await form.locator('input[type="hidden"][name="csrf_token"]').getAttribute('value');
  assert.ok(csrf && csrf.length >= 16, `hidden csrf_token with a value, got ${JSON.stringify(csrf)}`);
  assert.equal(await page.getByText('Sign in with SSO').count(), 0, 'no SSO button in local mode');
  await shotBoth(page, 'login');

  // Sign in.
  await submitLoginForm(page, ERIN.name, ERIN.password);
  assert.equal(page.url(), `${app.url}/`, 'POST /login lands on /');
  await assert.doesNotReject(page.getByRole('heading', { name: `Hello, ${ERIN.fullName}` }).waitFor(),
    'dashboard greets the user by display name');
  await shotBoth(page, 'dashboard');

  const who = await me(context, app);
  assert.equal(who.status, 200);
  assert.equal(who.body.username, ERIN.name);
  assert.equal(who.body.full_name, ERIN.fullName);
  assert.equal(who.body.email, ERIN.email);
  assert.equal(who.body.is_admin, false);
  assert.equal(who.body.auth_provider, 'local');

  // Profile page.
  await page.goto(`${app.url}/profile`);
  assert.equal(lastDocument(page).status, 200, '/profile answers 200');
  assert.equal(new URL(page.url()).pathname, '/profile');
  await shotBoth(page, 'profile');

  // Sign out with the top-bar button.
  await signOut(page);
  assert.equal(new URL(page.url()).pathname, '/login', `after sign-out we are on /login, got ${page.url()}`);
  await shotBoth(page, 'login-signed-out');
  assert.equal((await me(context, app)).status, 401, '/api/v1/me is 401 after sign-out');

  await page.goto(`${app.url}/`);
  await settle(page);
  assert.equal(new URL(page.url()).pathname, '/login', '/ requires login again after sign-out');

  // Everything the app served came from the app itself (no CDN), without console errors.
  assert.deepEqual(context.blocked, [], 'no request left 127.0.0.1');
  assert.deepEqual(context.consoleErrors, [], 'no console errors / CSP violations');
});

// Self-registration off, so an unknown username is refused like a wrong password
// (with it on, local mode creates the account: SPEC §3).
e2eTest('local: wrong password is refused generically and keeps the username',
  { auth: 'local', selfRegister: false, users: [ERIN] }, async (s) => {
  const { page, app, context } = s;
  await localLogin(page, app, ERIN.name, 'wrong-password-123');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(lastDocument(page).status, 401);
  await assert.doesNotReject(page.getByText('Invalid username or password').waitFor({ timeout: 5000 }));
  assert.equal(await page.inputValue('input[name="username"]'), ERIN.name, 'typed username is kept');
  await shotBoth(page, 'login-error');

  // Unknown user: the same message, no account created.
  await localLogin(page, app, 'nobody', 'whatever-123');
  await assert.doesNotReject(page.getByText('Invalid username or password').waitFor({ timeout: 5000 }));
  assert.equal((await me(context, app)).status, 401);
  assert.equal(await app.user('nobody'), undefined, 'no account for an unknown username');
});

e2eTest('local: next= survives the login round trip', { auth: 'local', users: [ERIN] }, async (s) => {
  const { page, app } = s;
  await page.goto(`${app.url}/profile`);
  await settle(page);
  const u = new URL(page.url());
  assert.equal(u.pathname, '/login', `signed-out /profile should go to /login, got ${page.url()}`);
  assert.equal(u.searchParams.get('next'), '/profile', `next=/profile expected, got ${page.url()}`);
  await submitLoginForm(page, ERIN.name, ERIN.password);
  assert.equal(page.url(), `${app.url}/profile`, 'back on /profile after login');

  // An off-site next is ignored.
  await signOut(page);
  await page.goto(`${app.url}/login?next=${encodeURIComponent('//evil.example/x')}`);
  await submitLoginForm(page, ERIN.name, ERIN.password);
  assert.equal(page.url(), `${app.url}/`, 'an off-site next falls back to /');
});
