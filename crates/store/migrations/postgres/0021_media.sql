-- Media (crates/store media/): files the SDKs upload for traces, observations and dataset items
-- (wire-spec §9). A row per content hash and project; the bytes live in blob storage at
-- `bucket_path` (`bucket_name` names the store: a bucket, or `local`). Links say where a
-- media is referenced; media without links is deleted with the last trace that named it.
CREATE TABLE media (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    sha256_hash TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_length BIGINT NOT NULL,
    bucket_name TEXT NOT NULL,
    bucket_path TEXT NOT NULL,
    uploaded_at BIGINT,
    upload_http_status BIGINT,
    upload_http_error TEXT,
    upload_time_ms BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE UNIQUE INDEX media_sha256_idx ON media (project_id, sha256_hash);
CREATE INDEX media_created_idx ON media (project_id, created_at);

-- Where a media is referenced: a trace (observation_id ''), an observation, or a dataset item
-- (trace_id ''); empty strings, not NULLs, so the primary key holds.
CREATE TABLE media_links (
    project_id TEXT NOT NULL,
    media_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    observation_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    dataset_item_id TEXT NOT NULL,
    field TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, media_id, trace_id, observation_id, dataset_item_id, field),
    FOREIGN KEY (project_id, media_id) REFERENCES media (project_id, id) ON DELETE CASCADE
);
CREATE INDEX media_links_trace_idx ON media_links (project_id, trace_id);
