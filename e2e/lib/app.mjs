// The TimeTracker binary under test: build check, CLI helpers, server start/stop.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR, TT_BIN } from './paths.mjs';
import { freePort, run, spawnLogged, stopProcess, waitForHttp, tail } from './procs.mjs';

// Which subcommands this binary has (`timetracker <words...> --help` exits 0), per binary.
const commandCache = new Map();

// Direct SQLite access for what the CLI cannot do yet, with Python's built-in sqlite3 module
// (no native npm module to compile on every `npm ci`). JSON in: {db, sql, params}; JSON out.
const SQL_PY = `
import json, sqlite3, sys
a = json.load(sys.stdin)
c = sqlite3.connect(a["db"], timeout=10)
c.execute("PRAGMA busy_timeout = 10000")
cur = c.execute(a["sql"], a["params"])
cols = [d[0] for d in cur.description] if cur.description else []
rows = [dict(zip(cols, r)) for r in cur.fetchall()]
c.commit()
print(json.dumps({"rows": rows, "lastrowid": cur.lastrowid}))
`;

/** Make sure the binary exists; builds it with `cargo build` when TT_BIN is not set. */
export async function ensureBinary() {
  if (fs.existsSync(TT_BIN)) return TT_BIN;
  if (process.env.TT_BIN) throw new Error(`TT_BIN=${process.env.TT_BIN} does not exist`);
  console.error(`# ${TT_BIN} missing: running cargo build in ${REPO_DIR} ...`);
  const r = await run('cargo', ['build'], { cwd: REPO_DIR, env: process.env, timeoutMs: 30 * 60 * 1000 });
  if (r.code !== 0 || !fs.existsSync(TT_BIN)) {
    throw new Error(`cargo build failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  }
  return TT_BIN;
}

/**
 * A clean environment for the app: nothing inherited except what a process needs to run,
 * so a developer's OIDC_* / AUTH_METHOD / DATABASE_URL never leaks into a test.
 */
export function baseEnv(extra = {}) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || '/root',
    TZ: 'UTC',
    RUST_BACKTRACE: '1',
    LOG_LEVEL: process.env.E2E_APP_LOG_LEVEL || 'info',
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v !== undefined && v !== null) env[k] = String(v);
  }
  return env;
}

export class App {
  /**
   * @param {object} o
   * @param {string} o.dir    scratch dir of the test (cwd of the process, so no stray .env)
   * @param {object} o.env    extra env vars (AUTH_METHOD, OIDC_*, ...)
   * @param {number} [o.port]
   */
  constructor({ dir, env = {}, port }) {
    this.dir = dir;
    this.dataDir = path.join(dir, 'data');
    this.logFile = path.join(dir, 'app.log');
    this.extraEnv = env;
    this.port = port;
    this.proc = null;
    fs.mkdirSync(this.dataDir, { recursive: true });
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get env() { return baseEnv(this.extraEnv); }

  /** `timetracker --data-dir D <args...>`; throws on a non-zero exit unless allowFail. */
  async cli(args, { input, allowFail = false, timeoutMs = 30000 } = {}) {
    const r = await run(TT_BIN, ['--data-dir', this.dataDir, ...args], {
      env: this.env, cwd: this.dir, input, timeoutMs,
    });
    fs.appendFileSync(this.logFile, `\n===== cli: timetracker ${args.join(' ')} -> exit ${r.code}\n${r.stdout}${r.stderr}`);
    if (r.code !== 0 && !allowFail) {
      throw new Error(`timetracker ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    }
    return r;
  }

  /** Create a local user with a password (via --password-stdin). */
  async addUser(name, { password = 'password123', admin = false, fullName, email } = {}) {
    const args = ['user', 'add', name, '--password-stdin'];
    if (admin) args.push('--admin');
    if (fullName) args.push('--full-name', fullName);
    if (email) args.push('--email', email);
    await this.cli(args, { input: `${password}\n` });
  }

  /** Whether the binary has this subcommand, e.g. hasCommand('settings', 'set'). Cached. */
  async hasCommand(...words) {
    const key = `${TT_BIN}\0${words.join(' ')}`;
    if (!commandCache.has(key)) {
      const r = await run(TT_BIN, [...words, '--help'], { env: this.env, cwd: this.dir });
      commandCache.set(key, r.code === 0);
    }
    return commandCache.get(key);
  }

  /** The SQLite database file (DATABASE_URL is never set by the harness). */
  get dbPath() { return path.join(this.dataDir, 'timetracker.db'); }

  /**
   * One SQL statement against the app's database (python3's sqlite3; waits for locks).
   * For set-up the CLI cannot do yet; prefer the CLI or the web UI. Returns { rows, lastrowid }.
   */
  async sql(statement, params = []) {
    const input = JSON.stringify({ db: this.dbPath, sql: statement, params });
    const r = await run('python3', ['-c', SQL_PY], { input, cwd: this.dir });
    if (r.code !== 0) throw new Error(`SQL failed (${statement}):\n${r.stderr}`);
    fs.appendFileSync(this.logFile, `\n===== sql: ${statement} ${JSON.stringify(params)}\n`);
    return JSON.parse(r.stdout);
  }

  /**
   * An admin setting (`kiosk.enabled`, ...): `timetracker settings set KEY VALUE` when the
   * binary has it (validated like the admin page), else the row in the settings table.
   */
  async setSetting(key, value) {
    if (await this.hasCommand('settings', 'set')) {
      await this.cli(['settings', 'set', key, String(value)]);
      return;
    }
    await this.sql(`INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, strftime('%s', 'now'))
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, [key, String(value)]);
  }

  /** A project: `timetracker project add NAME` when the binary has it, else a projects row. */
  async addProject(name) {
    if (await this.hasCommand('project', 'add')) {
      await this.cli(['project', 'add', name]);
      return;
    }
    await this.sql(`INSERT INTO projects (name, billable, archived, created_at)
      VALUES (?1, 1, 0, strftime('%s', 'now'))`, [name]);
  }

  /** `user list --json` parsed. */
  async users() {
    const r = await this.cli(['user', 'list', '--json']);
    return JSON.parse(r.stdout);
  }

  async user(name) {
    return (await this.users()).find((u) => u.username === name);
  }

  /** Start `serve` and wait for /healthz 200. */
  async start({ timeoutMs = 20000 } = {}) {
    if (!this.port) this.port = await freePort();
    this.proc = spawnLogged('timetracker', TT_BIN,
      ['--data-dir', this.dataDir, 'serve', '--host', '127.0.0.1', '--port', String(this.port)],
      { env: this.env, cwd: this.dir, logFile: this.logFile });
    await waitForHttp(`${this.url}/healthz`, { timeoutMs, proc: this.proc });
    return this;
  }

  async stop() {
    await stopProcess(this.proc);
    this.proc = null;
  }

  /** The app's log so far (stdout + stderr + CLI calls). */
  log() {
    try { return fs.readFileSync(this.logFile, 'utf8'); } catch { return ''; }
  }

  tail(n = 60) { return tail(this.logFile, n); }
}
