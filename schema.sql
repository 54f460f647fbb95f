-- Baseline schema (version 1). Later changes are migrations/NNNN_name.sql, applied in order
-- by PRAGMA user_version. Invariants live here, not only in code.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE
                    CHECK (length(username) BETWEEN 1 AND 64 AND username = lower(username)),
    full_name       TEXT,
    email           TEXT,
    -- argon2id PHC string; NULL means the account has no password and can never sign in
    -- with one until the user sets it while signed in, or through a one-time link.
    password_hash   TEXT,
    auth_provider   TEXT NOT NULL DEFAULT 'local' CHECK (auth_provider IN ('local', 'oidc')),
    oidc_issuer     TEXT,
    oidc_sub        TEXT,
    is_admin        INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at      INTEGER NOT NULL,
    last_login_at   INTEGER,
    UNIQUE (oidc_issuer, oidc_sub),
    CHECK ((oidc_issuer IS NULL) = (oidc_sub IS NULL))
);

-- The cookie holds a random 256-bit id; only its SHA-256 is stored, so a copy of the
-- database does not hand out live sessions.
CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'kiosk')),
    csrf_token      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    id_token_hint   TEXT,
    client_ip       TEXT,
    user_agent      TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Failed sign-in counters per account ('user:NAME') and per client IP ('ip:ADDR'),
-- persisted so that a restart does not reset them.
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Single-use links: first-admin setup and set-password. Only the SHA-256 is stored.
CREATE TABLE one_time_tokens (
    token_hash      TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL CHECK (purpose IN ('setup', 'password_reset')),
    user_id         INTEGER REFERENCES users(id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
) WITHOUT ROWID;

CREATE TABLE settings (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    actor_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action          TEXT NOT NULL,
    target          TEXT,
    detail          TEXT,
    client_ip       TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
