-- Organization-level API keys (crates/store org_keys/): key pairs of an organization, used by
-- the admin API (`/api/public/organizations/*`, `/api/public/projects*`); the secret is stored
-- hashed as for project keys.
CREATE TABLE organization_api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    public_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL UNIQUE,
    display_secret_key TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX organization_api_keys_org_idx ON organization_api_keys (org_id);
