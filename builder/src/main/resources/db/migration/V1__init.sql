-- Ferry's state, version 1. Forward-only: a later change is a new file V<n+1>__<what>.sql, never an edit here.
-- Times are milliseconds since the epoch (UTC). JSON columns hold what the API shows.

-- Projects: those of ferry.projects (source 'config', re-synced at every start) and those added by the API.
CREATE TABLE projects (
    name              TEXT PRIMARY KEY,
    clone_url         TEXT NOT NULL,
    production_branch TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('config', 'api')),
    created_at        INTEGER NOT NULL
);

-- Builds and teardowns of a ref (a branch, or a pull request and its head branch).
CREATE TABLE builds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project      TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('build', 'teardown')),
    ref_kind     TEXT NOT NULL CHECK (ref_kind IN ('branch', 'pull_request')),
    ref_name     TEXT NOT NULL,
    pr_number    INTEGER,
    commit_id    TEXT,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    phase        TEXT,
    phases       TEXT NOT NULL DEFAULT '[]',
    outputs      TEXT NOT NULL DEFAULT '{}',
    generation   INTEGER,
    error        TEXT,
    trigger      TEXT NOT NULL CHECK (trigger IN ('webhook', 'api', 'retry')),
    delivery_id  TEXT,
    attempt      INTEGER NOT NULL DEFAULT 1,
    retry_of     INTEGER REFERENCES builds (id),
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    CHECK ((ref_kind = 'pull_request') = (pr_number IS NOT NULL)),
    CHECK ((action = 'build') = (commit_id IS NOT NULL))
);
CREATE INDEX builds_by_ref ON builds (project, ref_kind, ref_name, pr_number, id);
CREATE INDEX builds_by_status ON builds (status);

-- Webhook deliveries already answered: a repeated delivery id returns the same build and starts nothing.
CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    forge       TEXT NOT NULL,
    event       TEXT NOT NULL,
    build_id    INTEGER NOT NULL REFERENCES builds (id),
    received_at INTEGER NOT NULL
);

-- Deployments: intent (what should run), written by the release step after its manifest generation.
CREATE TABLE deployments (
    name        TEXT PRIMARY KEY,
    project     TEXT NOT NULL,
    ref_kind    TEXT NOT NULL CHECK (ref_kind IN ('branch', 'pull_request')),
    ref_name    TEXT NOT NULL,
    pr_number   INTEGER,
    commit_id   TEXT NOT NULL,
    build_id    INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    services    TEXT NOT NULL,
    sites       TEXT NOT NULL,
    domains     TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
