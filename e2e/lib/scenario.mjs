// One test = one scenario: a scratch dir, the app (own data dir and port), optionally the test
// IdP, and a fresh Chromium. Everything is torn down at the end, pass or fail; on failure the
// page screenshot and the logs' tails are attached to the error.
import fs from 'node:fs';
import path from 'node:path';
import { test, after } from 'node:test';
import { App, ensureBinary } from './app.mjs';
import { Idp, CLIENT_ID, CLIENT_SECRET } from './idp.mjs';
import { launchBrowser, newContext, describePage, DESKTOP } from './browser.mjs';
import { freePort } from './procs.mjs';
import { RESULTS_DIR } from './paths.mjs';

export const TEST_TIMEOUT_MS = Number(process.env.E2E_TEST_TIMEOUT_MS || 60000);

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);

/**
 * @typedef {object} ScenarioOptions
 * @property {'none'|'local'|'oidc'|'both'} [auth]   AUTH_METHOD (default local)
 * @property {boolean} [sso]          configure OIDC_* for the test IdP (default: auth is oidc/both)
 * @property {boolean} [startIdp]     start the IdP before the app (default true when sso)
 * @property {boolean} [postLogout]   set OIDC_POST_LOGOUT_REDIRECT_URI=<app>/
 * @property {boolean} [selfRegister] ALLOW_SELF_REGISTER (default true)
 * @property {string}  [clientId]     OIDC_CLIENT_ID (default "timetracker")
 * @property {object}  [env]          more app env vars
 * @property {Array<object>} [users]  local users to create with the CLI before the app starts:
 *                                    { name, password, admin, fullName, email }
 * @property {boolean} [startApp]     default true
 * @property {string|boolean} [skip]  skip the test (with this reason) without any set-up
 */
export class Scenario {
  constructor(name, opts = {}) {
    this.name = name;
    this.opts = opts;
    this.dir = path.join(RESULTS_DIR, slug(name));
    this.browser = null;
    this.context = null;
    this.page = null;
    this.app = null;
    this.idp = null;
  }

  async setup() {
    const o = this.opts;
    const auth = o.auth || 'local';
    const sso = o.sso ?? (auth === 'oidc' || auth === 'both');
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    await ensureBinary();

    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const env = { AUTH_METHOD: auth, ALLOW_SELF_REGISTER: o.selfRegister === false ? 'false' : 'true' };
    if (sso) {
      const idpPort = await freePort();
      this.idp = new Idp({
        dir: this.dir,
        port: idpPort,
        redirectUris: [`${appUrl}/auth/oidc/callback`],
        postLogoutUris: [`${appUrl}/`],
      });
      Object.assign(env, {
        OIDC_ISSUER: this.idp.issuer,
        OIDC_CLIENT_ID: o.clientId || CLIENT_ID,
        OIDC_CLIENT_SECRET: CLIENT_SECRET,
        OIDC_REDIRECT_URI: `${appUrl}/auth/oidc/callback`,
        OIDC_SCOPES: 'openid profile email groups',
        OIDC_ADMIN_GROUP: 'timetracker-admins',
        OIDC_METADATA_RETRY_ATTEMPTS: '1',
        OIDC_METADATA_RETRY_DELAY: '1',
        OIDC_METADATA_FETCH_TIMEOUT: '2',
        OIDC_METADATA_REFRESH_INTERVAL: '0',
      });
      if (o.postLogout) env.OIDC_POST_LOGOUT_REDIRECT_URI = `${appUrl}/`;
      if (o.startIdp !== false) await this.idp.start();
    }
    Object.assign(env, o.env || {});
    this.app = new App({ dir: this.dir, env, port: appPort });
    for (const u of o.users || []) await this.app.addUser(u.name, u);
    if (o.startApp !== false) await this.app.start();

    this.browser = await launchBrowser();
    this.context = await newContext(this.browser, { viewport: o.viewport || DESKTOP });
    this.page = await this.context.newPage();
    return this;
  }

  /** Add failure context to `err`: where the browser is, a screenshot, log tails. */
  async annotate(err) {
    const lines = [];
    try {
      if (this.page && !this.page.isClosed()) {
        lines.push(`browser at: ${await describePage(this.page)}`);
        const png = path.join(this.dir, 'failure.png');
        await this.page.screenshot({ path: png, fullPage: true, timeout: 5000 });
        lines.push(`screenshot: ${png}`);
      }
    } catch (e) { lines.push(`(no screenshot: ${e.message})`); }
    if (this.app) lines.push(`--- app log (${this.app.logFile}), tail ---\n${this.app.tail(30)}`);
    if (this.idp) lines.push(`--- idp log (${this.idp.logFile}), tail ---\n${this.idp.tail(20)}`);
    const extra = `\n\n[e2e] ${lines.join('\n')}`;
    try { err.message += extra; } catch { /* frozen */ }
    // V8 formats `stack` lazily, so it may already include the new message.
    try { if (typeof err.stack === 'string' && !err.stack.includes('[e2e] ')) err.stack += extra; } catch { /* ignore */ }
  }

  async teardown({ failed }) {
    const steps = [
      () => this.context?.close(),
      () => this.browser?.close(),
      () => this.app?.stop(),
      () => this.idp?.stop(),
    ];
    for (const step of steps) {
      try { await step(); } catch { /* keep tearing down */ }
    }
    if (!failed && !process.env.E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

let exitGuard = false;

/**
 * `node:test` test with a Scenario: e2eTest('name', { auth: 'oidc' }, async (s, t) => { ... })
 * Bounded by TEST_TIMEOUT_MS; everything started is stopped at the end, also when the test
 * body hangs (the teardown runs at the deadline; the body's pending calls then fail).
 */
export function e2eTest(name, opts, fn) {
  if (!exitGuard) {
    exitGuard = true;
    // Safety net: once the file's tests are done, don't let a leftover handle keep the
    // process (and, through its exit handler, the children) alive.
    after(() => { setTimeout(() => process.exit(), 3000).unref(); });
  }
  // node:test's own timeout is a backstop; ours fires first so the teardown can run.
  return test(name, { timeout: TEST_TIMEOUT_MS + 15000, skip: opts.skip || false }, async (t) => {
    const s = new Scenario(name, opts);
    let failed = false;
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`e2e test timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS);
    });
    try {
      await Promise.race([(async () => { await s.setup(); await fn(s, t); })(), deadline]);
    } catch (err) {
      failed = true;
      await s.annotate(err);
      throw err;
    } finally {
      clearTimeout(timer);
      await s.teardown({ failed });
    }
  });
}
