-- The audit log (crates/store audit/, features.md §6.5): every change made in the UI or with an
-- API key — who (a user or an API key), which resource, the action, what was sent or answered
-- (secrets redacted), when. No foreign keys: entries outlive what they describe; retention
-- deletes a project's entries with its data.
CREATE TABLE audit_logs (
    id TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    actor_type TEXT NOT NULL,
    user_id TEXT,
    api_key_id TEXT,
    org_id TEXT NOT NULL,
    project_id TEXT,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_logs_org_idx ON audit_logs (org_id, created_at);
CREATE INDEX audit_logs_project_idx ON audit_logs (project_id, created_at);
