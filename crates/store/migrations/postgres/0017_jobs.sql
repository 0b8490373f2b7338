-- The durable job queue (crates/store jobs/): work that outlives a request (evaluations,
-- exports, retention, deletes), enqueued in the transaction of the change that causes it and
-- claimed by workers with a lease. `dedupe_key`, when set, makes enqueuing the same effect twice
-- one job. Statuses: queued, running (leased until `lease_until`), done, dead (out of attempts,
-- kept with its last error).
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe_idx ON jobs (dedupe_key);
CREATE INDEX jobs_ready_idx ON jobs (kind, status, run_after);
CREATE INDEX jobs_project_idx ON jobs (project_id, kind, created_at);
