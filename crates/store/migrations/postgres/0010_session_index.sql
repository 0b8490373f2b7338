-- GET /sessions lists a project's sessions newest first: walk an index instead of sorting them all.
CREATE INDEX sessions_created_idx ON sessions (project_id, created_at);
