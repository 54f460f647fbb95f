// The test OpenID Provider (idp.mjs) as a child process.
import path from 'node:path';
import { E2E_DIR } from './paths.mjs';
import { freePort, spawnLogged, stopProcess, waitForHttp, tail } from './procs.mjs';

export const CLIENT_ID = 'timetracker';
export const CLIENT_SECRET = 'timetracker-secret';

export class Idp {
  /**
   * @param {object} o
   * @param {string} o.dir             scratch dir (log file goes there)
   * @param {number} [o.port]          default: a free port
   * @param {string[]} o.redirectUris  registered redirect_uris (the app's callback)
   * @param {string[]} o.postLogoutUris registered post_logout_redirect_uris
   */
  constructor({ dir, port, redirectUris, postLogoutUris, env = {} }) {
    this.dir = dir;
    this.port = port;
    this.redirectUris = redirectUris;
    this.postLogoutUris = postLogoutUris;
    this.extraEnv = env;
    this.logFile = path.join(dir, 'idp.log');
    this.proc = null;
  }

  /** Issuer exactly as oidc-provider reports it (no trailing slash). */
  get issuer() { return `http://127.0.0.1:${this.port}`; }
  get origin() { return this.issuer; }

  async start({ timeoutMs = 15000 } = {}) {
    if (!this.port) this.port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME || '/root',
      NODE_NO_WARNINGS: '1',
      IDP_PORT: String(this.port),
      IDP_CLIENT_ID: CLIENT_ID,
      IDP_CLIENT_SECRET: CLIENT_SECRET,
      IDP_REDIRECT_URI: this.redirectUris.join(','),
      IDP_POST_LOGOUT_URI: this.postLogoutUris.join(','),
      ...this.extraEnv,
    };
    this.proc = spawnLogged('idp', process.execPath, [path.join(E2E_DIR, 'idp.mjs')],
      { env, cwd: E2E_DIR, logFile: this.logFile });
    await waitForHttp(`${this.issuer}/.well-known/openid-configuration`, { timeoutMs, proc: this.proc });
    return this;
  }

  async stop() {
    await stopProcess(this.proc);
    this.proc = null;
  }

  /** Change a test user's groups; applies to the next ID token / userinfo for that user. */
  async setGroups(user, groups) {
    const res = await fetch(`${this.issuer}/__test/groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, groups }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`setGroups(${user}): HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }

  /** Requests the IdP has seen: [{method, path, query}]. */
  async requestLog() {
    const res = await fetch(`${this.issuer}/__test/log`, { signal: AbortSignal.timeout(5000) });
    return res.json();
  }

  /** End of the log without oidc-provider's start-up warnings. */
  tail(n = 60) {
    return tail(this.logFile, n + 5).split('\n').filter((l) => !l.startsWith('oidc-provider WARNING')).slice(-n).join('\n');
  }
}
