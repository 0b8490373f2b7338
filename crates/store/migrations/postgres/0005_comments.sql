-- Comments on traces, observations, sessions and prompts (wire-spec §5.8), project-scoped.
-- `object_type` is TRACE, OBSERVATION, SESSION or PROMPT; times are milliseconds since the epoch.

CREATE TABLE comments (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    content TEXT NOT NULL,
    author_user_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX comments_object_idx ON comments (project_id, object_type, object_id, created_at);
CREATE INDEX comments_created_idx ON comments (project_id, created_at);
