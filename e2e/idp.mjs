// Test OpenID Provider for TimeTracker's browser end-to-end tests (npm oidc-provider 9.x, ESM).
// Adapted from the verified example setup. Runs on Node 20 (prints an "Unsupported runtime"
// warning; harmless). Listens ONLY on 127.0.0.1, plain http.
//
//   IDP_PORT=9400 node idp.mjs
//
// Env (all optional):
//   IDP_PORT            default 9400 (issuer = http://127.0.0.1:<port>, no trailing slash)
//   IDP_CLIENT_ID       default "timetracker"
//   IDP_CLIENT_SECRET   default "timetracker-secret"
//   IDP_REDIRECT_URI    default "http://127.0.0.1:8000/auth/oidc/callback" (comma-separated list ok)
//   IDP_POST_LOGOUT_URI default "http://127.0.0.1:8000/"                   (comma-separated list ok)
//   IDP_AUTH_METHOD     token_endpoint_auth_method, default "client_secret_basic"
//                       (or "client_secret_post")
//   IDP_CONSENT=1       show the dev consent page instead of auto-granting
//
// Clients:
//   <IDP_CLIENT_ID>        confidential client, RS256-signed ID token
//   <IDP_CLIENT_ID>-jwe    same redirect URIs + secret, but the ID token is ENCRYPTED
//                          (JWE compact, RSA-OAEP-256 / A256GCM) -> negative test
// Users (dev login page: the username; the password field is required but ignored):
//   alice  groups ["timetracker-admins", "staff"]
//   bob    groups ["staff"]
//   carol  groups []
//   anything else -> the RP gets error=access_denied ("unknown test user")
//
// Test control endpoints (loopback only, like the whole server; never part of a real IdP):
//   GET  /__test/users                       -> {"alice": {...}, ...}
//   POST /__test/groups  {"user","groups"}   -> change a user's groups; the next token/userinfo
//                                               issued for that user carries the new groups
//   GET  /__test/log                         -> recent requests to the OP endpoints
//                                               [{method, path, query}] (newest last)
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const PORT = Number(process.env.IDP_PORT || 9400);
const ISSUER = `http://127.0.0.1:${PORT}`;
const CLIENT_ID = process.env.IDP_CLIENT_ID || 'timetracker';
const CLIENT_SECRET = process.env.IDP_CLIENT_SECRET || 'timetracker-secret';
const list = (v, d) => (v || d).split(',').map((s) => s.trim()).filter(Boolean);
const REDIRECT_URIS = list(process.env.IDP_REDIRECT_URI, 'http://127.0.0.1:8000/auth/oidc/callback');
const POST_LOGOUT_URIS = list(process.env.IDP_POST_LOGOUT_URI, 'http://127.0.0.1:8000/');
const AUTH_METHOD = process.env.IDP_AUTH_METHOD || 'client_secret_basic';
const AUTO_CONSENT = process.env.IDP_CONSENT !== '1';

const USERS = {
  alice: { email: 'alice@example.test', name: 'Alice Admin', groups: ['timetracker-admins', 'staff'] },
  bob: { email: 'bob@example.test', name: 'Bob User', groups: ['staff'] },
  carol: { email: 'carol@example.test', name: 'Carol Nogroups', groups: [] },
};

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
// Signing key for ID tokens (fresh per process; clients fetch it from jwks_uri).
const sigJwk = { ...rsa().privateKey.export({ format: 'jwk' }), kid: 'sig-rs256', use: 'sig', alg: 'RS256' };
// The JWE client's *public* encryption key (the app under test never gets the private half).
const encJwk = { ...rsa().publicKey.export({ format: 'jwk' }), kid: 'rp-enc', use: 'enc', alg: 'RSA-OAEP-256' };

const baseClient = {
  client_secret: CLIENT_SECRET,
  redirect_uris: REDIRECT_URIS,
  post_logout_redirect_uris: POST_LOGOUT_URIS,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: AUTH_METHOD,
  id_token_signed_response_alg: 'RS256',
};

const pages = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

const configuration = {
  clients: [
    { ...baseClient, client_id: CLIENT_ID, client_name: 'Timetracker (test)' },
    {
      ...baseClient,
      client_id: `${CLIENT_ID}-jwe`,
      client_name: 'Timetracker (JWE id_token)',
      id_token_encrypted_response_alg: 'RSA-OAEP-256',
      id_token_encrypted_response_enc: 'A256GCM',
      jwks: { keys: [encJwk] },
    },
  ],
  jwks: { keys: [sigJwk] },
  cookies: {
    keys: ['test-only-cookie-signing-key'],
    // Cookies are NOT port-scoped: the IdP and the app on 127.0.0.1 share one cookie jar.
    // Prefix the IdP's cookie names so they can't collide with the app's.
    names: { session: 'idp_session', interaction: 'idp_interaction', resume: 'idp_interaction_resume' },
  },
  // "groups" as a custom scope: every key of `claims` with an array value becomes a scope.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // Put scope-requested claims (email, groups, ...) into the ID token too, not only userinfo.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true }, // built-in login page at /interaction/:uid
    encryption: { enabled: true },       // allows id_token_encrypted_response_alg on clients
    rpInitiatedLogout: {
      enabled: true,                     // end_session_endpoint = /session/end
      // default pages @import Google Fonts; keep them self-contained (no network in tests)
      logoutSource: async (ctx, form) => {
        ctx.body = pages('Logout Request', `<h1>Sign out?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      postLogoutSuccessSource: async (ctx) => { ctx.body = pages('Sign-out Success', '<h1>Signed out</h1>'); },
    },
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = pages('Error', `<h1>oops! something went wrong</h1><pre>${
      Object.entries(out).map(([k, v]) => `${k}: ${String(v).replace(/[<>&]/g, '')}`).join('\n')}</pre>`);
  },
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(USERS, sub)) return undefined;
    return {
      accountId: sub,
      async claims(/* use, scope, claims, rejected */) {
        const u = USERS[sub]; // read at issue time: /__test/groups changes apply to the next login
        return {
          sub,
          email: u.email,
          email_verified: true,
          name: u.name,
          preferred_username: sub,
          groups: [...u.groups],
        };
      },
    };
  },
  // Skip the consent screen: auto-grant the requested scopes (recipe "skip consent").
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    if (!AUTO_CONSENT) return undefined;
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
};

const provider = new Provider(ISSUER, configuration);
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const readBody = async (req) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString();
};

const LOG = [];
const json = (ctx, status, body) => { ctx.status = status; ctx.type = 'application/json'; ctx.body = JSON.stringify(body); };

// Test control + request log. Registered first so it sees every request.
provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__test/')) {
    if (ctx.method === 'GET' && ctx.path === '/__test/users') return json(ctx, 200, USERS);
    if (ctx.method === 'GET' && ctx.path === '/__test/log') return json(ctx, 200, LOG);
    if (ctx.method === 'POST' && ctx.path === '/__test/groups') {
      let body;
      try { body = JSON.parse(await readBody(ctx.req)); } catch { return json(ctx, 400, { error: 'invalid JSON' }); }
      const { user, groups } = body || {};
      if (!Object.hasOwn(USERS, user || '')) return json(ctx, 404, { error: `unknown user ${user}` });
      if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
        return json(ctx, 400, { error: 'groups must be an array of strings' });
      }
      USERS[user].groups = groups;
      console.log(`[test] groups of ${user} set to ${JSON.stringify(groups)}`);
      return json(ctx, 200, { user, groups });
    }
    return json(ctx, 404, { error: 'unknown test endpoint' });
  }
  LOG.push({ method: ctx.method, path: ctx.path, query: Object.fromEntries(new URLSearchParams(ctx.querystring)) });
  if (LOG.length > 200) LOG.shift();
  console.log(`${ctx.method} ${ctx.path}`);
  return next();
});

// devInteractions accepts ANY username, and an accountId that findAccount doesn't know
// ends in a 500 inside oidc-provider. Reject unknown usernames up front instead, so the
// RP gets a normal error redirect: ?error=access_denied&error_description=...
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path)
      && ctx.is('application/x-www-form-urlencoded')) {
    const raw = await readBody(ctx.req);
    const form = new URLSearchParams(raw);
    if (form.get('prompt') === 'login' && !Object.hasOwn(USERS, form.get('login') || '')) {
      const to = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'unknown test user',
      }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(to);
      return;
    }
    ctx.request.body = raw; // oidc-provider re-parses this (logs a one-time warning)
  }
  await next();
});

const server = provider.listen(PORT, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${ISSUER} (discovery: ${ISSUER}/.well-known/openid-configuration)`);
  console.log(`clients: ${CLIENT_ID}, ${CLIENT_ID}-jwe; redirect_uris=${REDIRECT_URIS.join(' ')}; post_logout=${POST_LOGOUT_URIS.join(' ')}`);
});
server.on('error', (err) => { console.error(`idp: cannot listen on ${ISSUER}: ${err.message}`); process.exit(1); });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 500).unref();
  });
}
