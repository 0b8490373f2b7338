-- Tracing: traces, observations, scores, sessions, the ingestion event log, and project models.
-- JSON values are stored as text; times are milliseconds since the Unix epoch.

CREATE TABLE traces (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    environment TEXT NOT NULL,
    name TEXT,
    user_id TEXT,
    session_id TEXT,
    release TEXT,
    version TEXT,
    public BOOLEAN NOT NULL DEFAULT FALSE,
    bookmarked BOOLEAN NOT NULL DEFAULT FALSE,
    tags TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    input TEXT,
    output TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX traces_timestamp_idx ON traces (project_id, timestamp);
CREATE INDEX traces_user_idx ON traces (project_id, user_id, timestamp);
CREATE INDEX traces_session_idx ON traces (project_id, session_id, timestamp);
CREATE INDEX traces_name_idx ON traces (project_id, name, timestamp);

CREATE TABLE observations (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    type TEXT NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT,
    completion_start_time BIGINT,
    environment TEXT NOT NULL,
    name TEXT,
    parent_observation_id TEXT,
    level TEXT NOT NULL,
    status_message TEXT,
    version TEXT,
    model TEXT,
    model_parameters TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    input TEXT,
    output TEXT,
    provided_usage_details TEXT NOT NULL DEFAULT '{}',
    provided_cost_details TEXT NOT NULL DEFAULT '{}',
    usage_details TEXT NOT NULL DEFAULT '{}',
    cost_details TEXT NOT NULL DEFAULT '{}',
    total_cost DOUBLE PRECISION,
    internal_model_id TEXT,
    usage_pricing_tier_id TEXT,
    usage_pricing_tier_name TEXT,
    prompt_name TEXT,
    prompt_version BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX observations_trace_idx ON observations (project_id, trace_id, start_time);
CREATE INDEX observations_start_idx ON observations (project_id, start_time);

CREATE TABLE scores (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    environment TEXT NOT NULL,
    data_type TEXT NOT NULL,
    value DOUBLE PRECISION,
    string_value TEXT,
    source TEXT NOT NULL,
    trace_id TEXT,
    observation_id TEXT,
    session_id TEXT,
    dataset_run_id TEXT,
    comment TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    config_id TEXT,
    queue_id TEXT,
    execution_trace_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX scores_trace_idx ON scores (project_id, trace_id);
CREATE INDEX scores_timestamp_idx ON scores (project_id, timestamp);

CREATE TABLE sessions (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    environment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);

-- Every batch-ingestion event of a trace or observation, so that an entity can be refolded in
-- envelope-timestamp order whatever order its events arrive in. OTel spans are not logged.
CREATE TABLE ingestion_events (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, entity_id, entity, event_id)
);

-- Project-specific model definitions with their pricing tiers (as JSON).
CREATE TABLE models (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    model_name TEXT NOT NULL,
    match_pattern TEXT NOT NULL,
    start_date BIGINT,
    unit TEXT,
    tokenizer_id TEXT,
    tokenizer_config TEXT,
    pricing_tiers TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX models_project_idx ON models (project_id, model_name);
