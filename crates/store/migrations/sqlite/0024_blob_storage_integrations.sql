-- Scheduled exports to a project's own bucket (crates/store blob_integrations/, features.md
-- §6.2): one integration per project; the secret key is encrypted with ENCRYPTION_KEY.
-- `last_sync_at` is the end of the last window exported; `next_sync_at` when the next is due.
CREATE TABLE blob_storage_integrations (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    bucket_name TEXT NOT NULL,
    endpoint TEXT,
    region TEXT NOT NULL,
    access_key_id TEXT,
    secret_access_key TEXT,
    prefix TEXT NOT NULL,
    export_frequency TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    force_path_style BOOLEAN NOT NULL,
    file_type TEXT NOT NULL,
    export_mode TEXT NOT NULL,
    export_start_date BIGINT,
    compressed BOOLEAN NOT NULL,
    export_source TEXT NOT NULL,
    export_field_groups TEXT,
    next_sync_at BIGINT,
    last_sync_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    run_started_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
