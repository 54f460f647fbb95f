#!/usr/bin/env node
// A deliberately tiny stand-in for the `timetracker` binary that follows the SSO contract the
// e2e tests are written against. It exists ONLY to check the harness itself
// (`./run.sh --selftest`): if a test fails against this fake, the test or the harness is wrong,
// not the app. It is not a reference implementation: no signature checks, no security.
//
//   fake-timetracker.mjs --data-dir D serve --host 127.0.0.1 --port P
//   fake-timetracker.mjs --data-dir D user add NAME [--password-stdin] [--admin] [--full-name N] [--email E]
//   fake-timetracker.mjs --data-dir D user list --json
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const argv = process.argv.slice(2);
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const flag = (name) => argv.includes(name);
const DATA = opt('--data-dir') || '.';
const USERS_FILE = path.join(DATA, 'users.json');
fs.mkdirSync(DATA, { recursive: true });
const load = () => { try { return JSON.parse(fs.readFileSync(USERS_FILE, 'utf8')); } catch { return []; } };
const save = (u) => fs.writeFileSync(USERS_FILE, JSON.stringify(u, null, 1));
const pub = ({ password, oidc_sub, oidc_issuer, ...u }) => ({ ...u, has_password: !!password });
const positional = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1] || '').match(/^--(data-dir|host|port|full-name|email)$/));

if (positional[0] === 'user') {
  const users = load();
  if (positional[1] === 'list') {
    console.log(JSON.stringify(users.map(pub)));
  } else if (positional[1] === 'add') {
    const name = positional[2];
    const password = flag('--password-stdin') ? fs.readFileSync(0, 'utf8').split('\n')[0] : null;
    users.push({ id: users.length + 1, username: name, full_name: opt('--full-name') || null, email: opt('--email') || null,
      is_admin: flag('--admin'), is_active: true, auth_provider: 'local', password });
    save(users);
    console.log(`created user ${name}`);
  }
  process.exit(0);
}

const env = process.env;
const MODE = (env.AUTH_METHOD || 'local').toLowerCase();
const SSO = MODE === 'oidc' || MODE === 'both';
const SELF_REGISTER = !/^(false|0|no|off)$/i.test(env.ALLOW_SELF_REGISTER || 'true');
const CSRF = crypto.randomBytes(32).toString('base64url'); // one token for all: this is a fake
const sessions = new Map(); // sid -> { userId, idToken }
const pending = new Map();  // state -> { nonce, verifier, next }
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const rnd = () => crypto.randomBytes(24).toString('base64url');
const log = (m) => console.log(`${new Date().toISOString()} ${m}`);

const page = (title, user, body) => `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>
<header class="topbar"><a href="/">TimeTracker</a>${user ? `<nav><a href="/">Dashboard</a> <a href="/profile">${esc(user.full_name || user.username)}</a>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf_token" value="${CSRF}"><button type="submit">Sign out</button></form></nav>` : ''}</header>
${user && MODE === 'both' && !user.password ? '<div class="banner">You have no password yet. <a href="/profile">Set one</a></div>' : ''}
<main>${body}</main></body></html>`;

function cookies(req) {
  return Object.fromEntries((req.headers.cookie || '').split(';').map((c) => c.trim().split('=')).filter((p) => p[0]));
}
function current(req) {
  const s = sessions.get(cookies(req).tt_session);
  if (!s) return null;
  const user = load().find((u) => u.id === s.userId);
  return user ? { user, session: s, sid: cookies(req).tt_session } : null;
}
const redirect = (res, to, extra = {}) => { res.writeHead(303, { location: to, ...extra }); res.end(); };
const html = (res, status, body) => { res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }); res.end(body); };
const safeNext = (n) => (n && /^\/(?![/\\])/.test(n) ? n : null);
const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v != null)).toString();

function loginPage(res, status, { next, ssoError, notice, error, username } = {}) {
  const ssoHref = `/login/oidc${next ? `?${qs({ next })}` : ''}`;
  html(res, status, page('Sign in', null, `<h1>Sign in</h1>
${notice ? `<p class="notice">${esc(notice)}</p>` : ''}
${ssoError ? `<div class="alert" role="alert"><h2>Single sign-on failed</h2><p>Reason: ${esc(ssoError)}</p><p><a class="button" href="${ssoHref}">Try again</a></p></div>` : ''}
${error ? `<p class="alert" role="alert">${esc(error)}</p>` : ''}
${MODE !== 'oidc' ? `<form method="post" action="/login"><input type="hidden" name="csrf_token" value="${CSRF}">
${next ? `<input type="hidden" name="next" value="${esc(next)}">` : ''}
<label>Username <input name="username" value="${esc(username)}"></label>
<label>Password <input type="password" name="password"></label><button type="submit">Sign in</button></form>` : ''}
${SSO && !ssoError ? `<a class="button sso" href="${ssoHref}">Sign in with SSO</a>` : ''}`));
}

async function discovery() {
  const r = await fetch(`${env.OIDC_ISSUER}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(2000) });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  const d = await r.json();
  if (d.issuer !== env.OIDC_ISSUER) throw new Error('issuer mismatch');
  return d;
}
const fail = (res, reason) => { log(`OIDC callback redirect to login: reason=${reason}`); redirect(res, `/login?sso_error=${reason}`); };
const body = async (req) => { let b = ''; for await (const c of req) b += c; return new URLSearchParams(b); };

function signIn(res, user, extra, next) {
  const sid = rnd();
  sessions.set(sid, { userId: user.id, ...extra });
  redirect(res, next || '/', { 'set-cookie': `tt_session=${sid}; HttpOnly; SameSite=Lax; Path=/` });
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const q = Object.fromEntries(url.searchParams);
  const cur = current(req);
  const p = url.pathname;
  if (p === '/healthz') return html(res, 200, 'ok');
  if (p === '/api/v1/me') {
    res.writeHead(cur ? 200 : 401, { 'content-type': 'application/json' });
    if (!cur) return res.end('{"error":"unauthorized"}');
    const u = cur.user;
    return res.end(JSON.stringify({ id: u.id, username: u.username, full_name: u.full_name, email: u.email, is_admin: u.is_admin, auth_provider: u.auth_provider }));
  }
  if (p === '/' && req.method === 'GET') {
    if (!cur) return redirect(res, '/login');
    return html(res, 200, page('Dashboard', cur.user, `<h1>Hello, ${esc(cur.user.full_name || cur.user.username)}</h1>`));
  }
  if (p === '/profile') {
    if (!cur) return redirect(res, `/login?${qs({ next: '/profile' })}`);
    return html(res, 200, page('Profile', cur.user, '<h1>Your profile</h1>'));
  }
  if (p === '/login' && req.method === 'GET') {
    const next = safeNext(q.next);
    if (cur) return redirect(res, next || '/');
    if (MODE === 'oidc' && !q.sso_error && !q.notice) return redirect(res, `/login/oidc${next ? `?${qs({ next })}` : ''}`);
    return loginPage(res, 200, { next, ssoError: q.sso_error, notice: q.notice && 'You are signed out.' });
  }
  if (p === '/login' && req.method === 'POST') {
    const f = await body(req);
    const next = safeNext(f.get('next'));
    const users = load();
    const u = users.find((x) => x.username === f.get('username'));
    if (u && u.password && u.password === f.get('password')) return signIn(res, u, {}, next);
    return loginPage(res, 401, { next, error: 'Invalid username or password.', username: f.get('username') });
  }
  if (p === '/login/oidc') {
    let d;
    try { d = await discovery(); } catch { return fail(res, 'discovery_failed'); }
    const state = rnd(); const nonce = rnd(); const verifier = crypto.randomBytes(32).toString('base64url');
    pending.set(state, { nonce, verifier, next: safeNext(q.next) });
    return redirect(res, `${d.authorization_endpoint}?${qs({
      client_id: env.OIDC_CLIENT_ID, response_type: 'code', scope: env.OIDC_SCOPES || 'openid profile email',
      redirect_uri: env.OIDC_REDIRECT_URI, state, nonce, code_challenge_method: 'S256',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    })}`, { 'set-cookie': `tt_oidc=${state}; HttpOnly; SameSite=Lax; Path=/` });
  }
  if (p === '/auth/oidc/callback') {
    if (q.error) return fail(res, 'idp_error');
    const st = pending.get(q.state);
    if (!st || cookies(req).tt_oidc !== q.state) return fail(res, 'token_exchange_failed');
    pending.delete(q.state);
    const d = await discovery();
    const tr = await fetch(d.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${env.OIDC_CLIENT_ID}:${env.OIDC_CLIENT_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: q.code, redirect_uri: env.OIDC_REDIRECT_URI, code_verifier: st.verifier }),
    });
    if (!tr.ok) return fail(res, 'token_exchange_failed');
    const tok = await tr.json();
    const parts = tok.id_token.split('.');
    if (parts.length !== 3) return fail(res, 'unsupported_algorithm_or_jwe');
    const c = JSON.parse(Buffer.from(parts[1], 'base64url'));
    if (c.nonce !== st.nonce) return fail(res, 'id_token_invalid');
    const users = load();
    let u = users.find((x) => x.oidc_issuer === c.iss && x.oidc_sub === c.sub);
    if (!u) {
      if (!SELF_REGISTER) return fail(res, 'self_registration_disabled');
      u = { id: users.length + 1, username: c.preferred_username, is_active: true, auth_provider: 'oidc', password: null, oidc_issuer: c.iss, oidc_sub: c.sub };
      users.push(u);
    }
    Object.assign(u, { full_name: c.name, email: c.email, is_admin: (c.groups || []).includes(env.OIDC_ADMIN_GROUP) });
    save(users);
    return signIn(res, u, { idToken: tok.id_token }, st.next);
  }
  if (p === '/logout') {
    if (req.method === 'POST') await body(req);
    if (cur) sessions.delete(cur.sid);
    if (cur?.session.idToken && env.OIDC_POST_LOGOUT_REDIRECT_URI) {
      const d = await discovery();
      return redirect(res, `${d.end_session_endpoint}?${qs({
        id_token_hint: cur.session.idToken, post_logout_redirect_uri: env.OIDC_POST_LOGOUT_REDIRECT_URI, client_id: env.OIDC_CLIENT_ID,
      })}`);
    }
    return redirect(res, '/login?notice=signed_out');
  }
  return html(res, 404, page('Not found', null, '<h1>Not found</h1>'));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => { console.error(e); if (!res.headersSent) html(res, 500, String(e)); });
});
server.listen(Number(opt('--port') || 8000), opt('--host') || '127.0.0.1', () => log(`fake timetracker listening (AUTH_METHOD=${MODE})`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
