// SSO failures that must end on a clear /login?sso_error=<code> page (SPEC §4), never a loop.
import assert from 'node:assert/strict';
import { e2eTest, ssoLogin, me, expectSsoError, shot, isIdpLoginPage, settle, describePage } from '../lib/index.mjs';

const reasons = (app) => [...app.log().matchAll(/OIDC callback redirect to login: reason=([a-z_]+)/g)].map((m) => m[1]);

e2eTest('jwe: an encrypted ID token -> unsupported_algorithm_or_jwe',
  { auth: 'oidc', clientId: 'timetracker-jwe' }, async (s) => {
    const { page, app, idp, context } = s;
    await ssoLogin(page, app, idp, 'alice', { expectError: true });
    const text = await expectSsoError(page, app, 'unsupported_algorithm_or_jwe');
    assert.match(text, /\S/);
    await shot(page, 'sso-error-jwe-desktop');
    assert.equal((await me(context, app)).status, 401);
    assert.equal(await app.user('alice'), undefined, 'no account created');
    assert.ok(reasons(app).includes('unsupported_algorithm_or_jwe'),
      `log line "OIDC callback redirect to login: reason=unsupported_algorithm_or_jwe" (got ${JSON.stringify(reasons(app))})`);
  });

e2eTest('idp error: cancelling at the IdP -> idp_error', { auth: 'oidc' }, async (s) => {
  const { page, app, context } = s;
  const { idp } = s;
  await page.goto(`${app.url}/login/oidc`);
  await settle(page);
  assert.ok(isIdpLoginPage(page, idp), `expected the IdP login page; ended on ${await describePage(page)}`);
  await page.click('text=[ Cancel ]');
  await settle(page);
  await expectSsoError(page, app, 'idp_error');
  assert.equal((await me(context, app)).status, 401);
  assert.ok(reasons(app).includes('idp_error'), `reason=idp_error logged (got ${JSON.stringify(reasons(app))})`);
});
