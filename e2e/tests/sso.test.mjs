// Single sign-on against a real OpenID Provider (oidc-provider 9.x) in a real browser.
// Written against the SSO contract (SPEC §4); the flow tests fail until /login/oidc is built,
// with "SSO start did not send the browser to the IdP ... HTTP 503" as the reason.
import assert from 'node:assert/strict';
import {
  e2eTest, ssoLogin, localLogin, signOut, me, settle, shotBoth, shot, lastDocument, navigations,
  isIdpLoginPage, expectSsoError, expectNoFurtherNavigation, describePage, jwtPayload,
} from '../lib/index.mjs';

const reasons = (app) => [...app.log().matchAll(/OIDC callback redirect to login: reason=([a-z_]+)/g)].map((m) => m[1]);

async function expectDashboard(page, app, name) {
  const u = new URL(page.url());
  assert.equal(`${u.origin}${u.pathname}`, `${app.url}/`, `expected the dashboard; ended on ${await describePage(page)}`);
  await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor({ timeout: 5000 });
}

// ---------------------------------------------------------------------------------------------
// Pages that exist today (no SSO flow needed)

e2eTest('oidc: /login goes to /login/oidc; an sso_error page renders without redirecting',
  { auth: 'oidc' }, async (s) => {
    const { page, app, context } = s;
    const res = await context.request.get(`${app.url}/login?next=%2Fprofile`, { maxRedirects: 0 });
    assert.equal(res.status(), 303, 'GET /login in oidc mode redirects');
    assert.equal(res.headers().location, '/login/oidc?next=%2Fprofile', 'to /login/oidc, keeping next');

    await page.goto(`${app.url}/login?sso_error=discovery_failed`);
    assert.equal(lastDocument(page).status, 200);
    assert.equal(await page.locator('input[name="password"]').count(), 0, 'no password field in oidc mode');
    const text = await expectSsoError(page, app, 'discovery_failed');
    assert.match(text, /\S/, 'an explanation is shown');
    assert.equal(await page.getByRole('link', { name: 'Try again' }).getAttribute('href'), '/login/oidc');
    await shotBoth(page, 'sso-error-discovery-failed');
  });

e2eTest('both: login page shows the form and the SSO button; local login works',
  { auth: 'both', users: [{ name: 'dave', fullName: 'Dave Local' }] }, async (s) => {
    const { page, app, context } = s;
    await page.goto(`${app.url}/login`);
    assert.equal(lastDocument(page).status, 200);
    assert.equal(await page.locator('form[action="/login"] input[name="username"]').count(), 1);
    assert.equal(await page.locator('form[action="/login"] input[name="password"]').count(), 1);
    const sso = page.getByRole('link', { name: 'Sign in with SSO' });
    assert.equal(await sso.getAttribute('href'), '/login/oidc');
    await shotBoth(page, 'login-both');

    await localLogin(page, app, 'dave', 'password123');
    await expectDashboard(page, app, 'Dave Local');
    assert.equal((await me(context, app)).body.auth_provider, 'local');
  });

// ---------------------------------------------------------------------------------------------
// The SSO flow (FUTURE until the flow lands)

e2eTest('oidc: SSO login as alice (admin by group), next= survives the round trip',
  { auth: 'oidc' }, async (s) => {
    const { page, app, idp, context } = s;
    // Signed out, /profile -> /login -> /login/oidc -> IdP login page -> back on /profile.
    const landed = await ssoLogin(page, app, idp, 'alice', { start: () => page.goto(`${app.url}/profile`) });
    assert.equal(landed, `${app.url}/profile`, 'next=/profile survived the SSO round trip');
    await shotBoth(page, 'profile-sso');

    await page.goto(`${app.url}/`);
    await expectDashboard(page, app, 'Alice Admin');
    await shotBoth(page, 'dashboard-sso');

    const who = await me(context, app);
    assert.equal(who.status, 200);
    assert.deepEqual(
      { username: who.body.username, email: who.body.email, full_name: who.body.full_name, is_admin: who.body.is_admin, auth_provider: who.body.auth_provider },
      { username: 'alice', email: 'alice@example.test', full_name: 'Alice Admin', is_admin: true, auth_provider: 'oidc' },
    );
    const alice = await app.user('alice');
    assert.equal(alice.auth_provider, 'oidc');
    assert.equal(alice.has_password, false);
    assert.equal(alice.is_admin, true);

    // What the app asked the IdP for: code flow + PKCE S256 + state + nonce, our redirect URI.
    const auth = (await idp.requestLog()).find((r) => r.path === '/auth' && r.query.client_id);
    assert.ok(auth, 'the app sent the browser to the authorization endpoint');
    assert.equal(auth.query.response_type, 'code');
    assert.equal(auth.query.code_challenge_method, 'S256');
    assert.ok(auth.query.code_challenge && auth.query.state && auth.query.nonce, 'code_challenge, state and nonce are sent');
    assert.equal(auth.query.redirect_uri, `${app.url}/auth/oidc/callback`);
    assert.deepEqual(auth.query.scope.split(' ').sort(), ['email', 'groups', 'openid', 'profile']);
    assert.deepEqual(reasons(app), [], 'no SSO failure was logged');
  });

e2eTest('both: SSO login as bob via the button; local login still works',
  { auth: 'both', users: [{ name: 'dave', fullName: 'Dave Local' }] }, async (s) => {
    const { page, app, idp, context } = s;
    await page.goto(`${app.url}/login`);
    await ssoLogin(page, app, idp, 'bob', {
      start: () => page.getByRole('link', { name: 'Sign in with SSO' }).click(),
    });
    await expectDashboard(page, app, 'Bob User');
    const who = await me(context, app);
    assert.equal(who.body.username, 'bob');
    assert.equal(who.body.auth_provider, 'oidc');
    assert.equal(who.body.is_admin, false, 'bob is not in the admin group');
    // SPEC §3: users without a password who sign in by SSO in `both` are prompted to set one.
    await page.getByText('You have no password yet').waitFor({ timeout: 5000 });
    await shotBoth(page, 'dashboard-sso-both-banner');
    await page.goto(`${app.url}/profile`);
    await shotBoth(page, 'profile-sso-both');
    await page.goto(`${app.url}/`);

    await signOut(page);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal((await me(context, app)).status, 401);

    await localLogin(page, app, 'dave', 'password123');
    await expectDashboard(page, app, 'Dave Local');
    assert.equal((await me(context, app)).body.auth_provider, 'local');
  });

e2eTest('oidc: admin is granted by group and revoked on the next login', { auth: 'oidc' }, async (s) => {
  const { page, app, idp, context } = s;
  await ssoLogin(page, app, idp, 'alice');
  assert.equal((await me(context, app)).body.is_admin, true, 'alice is admin (group timetracker-admins)');

  await idp.setGroups('alice', ['staff']);
  await signOut(page);
  assert.equal((await me(context, app)).status, 401, 'signed out');
  // The IdP session is still alive, so this round trip does not show the IdP login form.
  await ssoLogin(page, app, idp, 'alice');
  await expectDashboard(page, app, 'Alice Admin');
  assert.equal((await me(context, app)).body.is_admin, false, 'admin revoked when the group is gone');
  assert.equal((await app.user('alice')).is_admin, false, 'user list --json agrees');

  await idp.setGroups('alice', ['timetracker-admins']);
  await signOut(page);
  await ssoLogin(page, app, idp, 'alice');
  assert.equal((await me(context, app)).body.is_admin, true, 'granted again when the group is back');
  assert.equal((await app.users()).filter((u) => u.username.startsWith('alice')).length, 1, 'still one account');
});

e2eTest('oidc: self-registration off -> self_registration_disabled, Try again, no loop',
  { auth: 'oidc', selfRegister: false }, async (s) => {
    const { page, app, idp, context } = s;
    await ssoLogin(page, app, idp, 'carol', { expectError: true });
    const text = await expectSsoError(page, app, 'self_registration_disabled');
    assert.match(text, /\S/);
    await shotBoth(page, 'sso-error-self-registration-disabled');
    assert.equal((await me(context, app)).status, 401);
    assert.equal(await app.user('carol'), undefined, 'no account created');
    assert.ok(reasons(app).includes('self_registration_disabled'),
      `log line "OIDC callback redirect to login: reason=self_registration_disabled" (got ${JSON.stringify(reasons(app))})`);
  });

e2eTest('both: RP-initiated logout goes through the IdP end_session_endpoint and back',
  { auth: 'both', postLogout: true }, async (s) => {
    const { page, app, idp, context } = s;
    await ssoLogin(page, app, idp, 'alice');
    await expectDashboard(page, app, 'Alice Admin');

    await signOut(page);
    const end = new URL(page.url());
    assert.equal(`${end.origin}${end.pathname}`, `${idp.origin}/session/end`,
      `sign-out should go to the IdP end_session_endpoint; ended on ${await describePage(page)}`);
    const q = Object.fromEntries(end.searchParams);
    assert.equal(q.post_logout_redirect_uri, `${app.url}/`);
    assert.equal(q.client_id, 'timetracker');
    assert.ok(q.id_token_hint, 'id_token_hint is sent');
    const hint = jwtPayload(q.id_token_hint);
    assert.equal(hint.sub, 'alice');
    assert.equal(hint.iss, idp.issuer);
    assert.equal((await me(context, app)).status, 401, 'the local session is gone before the IdP round trip');

    const before = navigations(page).length;
    await page.click('button[name="logout"]');
    await settle(page);
    const hops = navigations(page).slice(before).map((n) => n.url);
    assert.ok(hops.some((h) => h === `${app.url}/` || h.startsWith(`${app.url}/?`)),
      `the IdP sent the browser back to the post-logout URI (hops: ${hops.join(' -> ')})`);
    assert.equal(new URL(page.url()).origin, app.url);
    assert.equal(new URL(page.url()).pathname, '/login', '/ now requires login');
    assert.equal((await me(context, app)).status, 401);

    // The IdP session ended too: the next SSO attempt shows the IdP login form again.
    await page.goto(`${app.url}/login/oidc`);
    await settle(page);
    assert.ok(isIdpLoginPage(page, idp), `IdP asks for credentials again; ended on ${await describePage(page)}`);
  });

e2eTest('oidc: IdP down at app start -> discovery_failed; works once the IdP is up',
  { auth: 'oidc', startIdp: false }, async (s) => {
    const { page, app, idp, context } = s;
    // The app started (healthz answered) although the IdP is not running.
    await page.goto(`${app.url}/login/oidc`);
    await settle(page);
    await expectSsoError(page, app, 'discovery_failed');
    await shot(page, 'sso-error-idp-down-desktop');

    await idp.start();
    await ssoLogin(page, app, idp, 'alice', {
      start: () => page.getByRole('link', { name: 'Try again' }).or(page.getByRole('button', { name: 'Try again' })).first().click(),
    });
    await expectDashboard(page, app, 'Alice Admin');
    assert.equal((await me(context, app)).body.auth_provider, 'oidc');
  });
