-- OpenID Connect: sign-ins in flight and the recent failure log.

-- state, nonce, PKCE verifier and `next` of an SSO sign-in in flight, keyed by the SHA-256 of
-- a random id in a SameSite=Lax cookie. Single use: the callback deletes the row it reads.
CREATE TABLE oidc_flows (
    id_hash         TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    pkce_verifier   TEXT NOT NULL,
    next            TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Why recent SSO sign-ins failed (reason codes of docs/oidc.md), for the diagnostics.
CREATE TABLE oidc_failures (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    detail          TEXT
);
