-- Batch exports (crates/store exports/, features.md §6.1): a table view's rows with its filters
-- written by an `export.run` job to blob storage as CSV, JSON or JSONL. `query` is the store
-- query the job runs (JSON); `object_key` is set when the file is complete; the file and its
-- download are kept until `expires_at`.
CREATE TABLE batch_exports (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id TEXT,
    name TEXT NOT NULL,
    table_name TEXT NOT NULL,
    format TEXT NOT NULL,
    query TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_written BIGINT NOT NULL,
    object_key TEXT,
    log TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX batch_exports_project_idx ON batch_exports (project_id, created_at);
