-- Time tracking: clients, projects, tasks, time entries and API tokens.
-- Instants are epoch seconds in UTC, like the baseline schema.

CREATE TABLE clients (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at      INTEGER NOT NULL
);

CREATE TABLE projects (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    client_id       INTEGER REFERENCES clients(id) ON DELETE RESTRICT,
    -- The default for new entries on this project.
    billable        INTEGER NOT NULL DEFAULT 1 CHECK (billable IN (0, 1)),
    -- An archived project keeps its history but refuses new time.
    archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at      INTEGER NOT NULL
);
CREATE INDEX projects_client ON projects(client_id);

CREATE TABLE tasks (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name            TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at      INTEGER NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE time_entries (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
    task_id         INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    start_at        INTEGER NOT NULL,
    -- NULL while the timer runs.
    end_at          INTEGER,
    -- Set while a running timer is paused; the pause is added to break_seconds on resume.
    paused_at       INTEGER,
    break_seconds   INTEGER NOT NULL DEFAULT 0 CHECK (break_seconds >= 0),
    notes           TEXT NOT NULL DEFAULT '',
    billable        INTEGER NOT NULL DEFAULT 1 CHECK (billable IN (0, 1)),
    -- Comma-separated, trimmed, lowercased.
    tags            TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL CHECK (source IN ('web', 'api', 'cli', 'kiosk', 'manual')),
    needs_review    INTEGER NOT NULL DEFAULT 0 CHECK (needs_review IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK (end_at IS NULL OR end_at > start_at),
    CHECK (end_at IS NULL OR break_seconds <= end_at - start_at),
    CHECK (paused_at IS NULL OR end_at IS NULL)
);
-- The invariant "one running timer per user" lives in the schema, so no race can break it.
CREATE UNIQUE INDEX one_running_timer ON time_entries(user_id) WHERE end_at IS NULL;
CREATE INDEX time_entries_user_start ON time_entries(user_id, start_at);
CREATE INDEX time_entries_project_start ON time_entries(project_id, start_at);
CREATE INDEX time_entries_start ON time_entries(start_at);
CREATE INDEX time_entries_review ON time_entries(needs_review) WHERE needs_review = 1;

-- Bearer tokens `tt_<prefix>_<secret>`: the prefix finds the row, only the SHA-256 of the
-- secret is kept.
CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix          TEXT NOT NULL UNIQUE,
    secret_hash     TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    expires_at      INTEGER,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
