-- Batch actions (crates/store batch_actions/, features.md §6.4): large changes run as jobs with
-- their progress, such as deleting every trace a table's filters match. `query` is the store
-- query the job runs (JSON).
CREATE TABLE batch_actions (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id TEXT,
    kind TEXT NOT NULL,
    query TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    processed BIGINT NOT NULL,
    log TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX batch_actions_project_idx ON batch_actions (project_id, created_at);
