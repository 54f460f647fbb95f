// Child processes with bounded lifetimes: every process spawned here is tracked and killed
// when the test file's process exits (normally, on SIGINT/SIGTERM, or after a test timeout).
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set();

function killAllSync() {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAllSync(); process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]); });
}

/** A free TCP port on 127.0.0.1 (asked from the OS, so no clash with other servers). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawn a long-running process with stdout+stderr appended to `logFile`.
 * Returns { child, logFile, exited: Promise<{code, signal}>, name }.
 */
export function spawnLogged(name, cmd, args, { env, cwd, logFile }) {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n===== ${new Date().toISOString()} ${name}: ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  live.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); });
    child.once('error', (err) => { live.delete(child); resolve({ code: -1, signal: null, error: err }); });
  });
  return { child, logFile, exited, name };
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopProcess(proc, graceMs = 3000) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  try { proc.child.kill('SIGTERM'); } catch { /* gone */ }
  const t = sleep(graceMs).then(() => 'timeout');
  if (await Promise.race([proc.exited, t]) === 'timeout') {
    try { proc.child.kill('SIGKILL'); } catch { /* gone */ }
    await proc.exited;
  }
}

/** Last `n` lines of a file ('' when missing). */
export function tail(file, n = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Poll `url` until it answers `status` (default 200). Fails early when `proc` exits,
 * with the end of its log in the message.
 */
export async function waitForHttp(url, { status = 200, timeoutMs = 15000, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  proc?.exited.then((e) => { exited = e; });
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`${proc.name} exited (code ${exited.code}, signal ${exited.signal}) before ${url} answered.\n`
        + `--- ${proc.logFile} (tail) ---\n${tail(proc.logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${url} (last: ${last})`
    + (proc ? `\n--- ${proc.logFile} (tail) ---\n${tail(proc.logFile)}` : ''));
}

/**
 * Run a short command to completion. Resolves { code, stdout, stderr } (never rejects on a
 * non-zero exit; callers decide). Killed after `timeoutMs`.
 */
export function run(cmd, args, { env, cwd, input, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env, cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        live.delete(child);
        if (err && typeof err.code !== 'number') {
          reject(new Error(`${cmd} ${args.join(' ')}: ${err.killed ? `killed after ${timeoutMs} ms` : err.message}\n${stderr}`));
          return;
        }
        resolve({ code: err ? err.code : 0, stdout, stderr });
      });
    live.add(child);
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}
