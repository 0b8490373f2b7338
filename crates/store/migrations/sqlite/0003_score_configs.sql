-- Score configs: the name, data type and allowed values that scores carrying a `configId` are
-- checked against. Categories are a JSON array of `{label, value}`.

CREATE TABLE score_configs (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    data_type TEXT NOT NULL,
    is_archived BOOLEAN NOT NULL DEFAULT FALSE,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    categories TEXT,
    description TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX score_configs_created_idx ON score_configs (project_id, created_at);
