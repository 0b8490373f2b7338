-- Prompt management (wire-spec §6). Each row of `prompts` is one version of a named prompt;
-- `prompt` and `config` are JSON text, `tags` a JSON array (the same on every version of a name).
-- A label lives on one version per name: `prompt_labels` is keyed by (project, name, label), so
-- moving a label is one row. `prompt_changes` counts every prompt write of a project, in the
-- write's own transaction, so replicas can tell that their cached prompts are stale.

CREATE TABLE prompts (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    prompt TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    commit_message TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name, version)
);
CREATE INDEX prompts_updated_idx ON prompts (project_id, updated_at);

CREATE TABLE prompt_labels (
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- Order of the labels on their version, as they were given.
    position BIGINT NOT NULL,
    PRIMARY KEY (project_id, name, label),
    FOREIGN KEY (project_id, name, version) REFERENCES prompts (project_id, name, version)
        ON DELETE CASCADE
);
CREATE INDEX prompt_labels_version_idx ON prompt_labels (project_id, name, version);

-- Labels only OWNER and ADMIN users may set or remove (API keys keep full rights).
CREATE TABLE prompt_protected_labels (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, label)
);

CREATE TABLE prompt_changes (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    counter BIGINT NOT NULL
);

-- Generations linked to prompt versions (promptId in observation views, per-version usage).
CREATE INDEX observations_prompt_idx ON observations (project_id, prompt_name, prompt_version)
    WHERE prompt_name IS NOT NULL;
