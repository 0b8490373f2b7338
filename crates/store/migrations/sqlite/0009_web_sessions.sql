-- Web UI accounts: sign-in sessions and organization invitations.
-- A session is found by the SHA-256 of its cookie token; the token itself is never stored.
-- Times are milliseconds since the Unix epoch.

CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_user_id_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_at_idx ON web_sessions (expires_at);

-- An invitation of an email address to an organization, with an optional project override.
-- Accepted (turned into memberships and deleted) when that address signs up or signs in.
CREATE TABLE organization_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    org_role TEXT NOT NULL CHECK (org_role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'NONE')),
    project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
    project_role TEXT CHECK (project_role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER', 'NONE')),
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, email)
);
CREATE INDEX organization_invitations_email_idx ON organization_invitations (email);
