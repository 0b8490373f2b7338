-- Deleted traces (crates/store traces/delete.rs, features.md §6.4): when a trace was deleted.
-- Ingestion drops events of a deleted trace timestamped at or before its deletion (late
-- retries of what was deleted); events timestamped after it create the trace again.
CREATE TABLE trace_tombstones (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, trace_id)
);
