-- LLM connections (crates/store llm_connections/): a project's model-provider keys, named by a
-- provider name unique in the project (Langfuse's `llm_api_keys`). The secret key and the
-- extra headers are AES-256-GCM ciphertext (`iv:ciphertext:tag` hex, sightline_domain::secret);
-- only a masked hint and the header names are stored in the clear.
CREATE TABLE llm_connections (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    provider TEXT NOT NULL,
    adapter TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    display_secret_key TEXT NOT NULL,
    base_url TEXT,
    custom_models TEXT NOT NULL DEFAULT '[]',
    with_default_models BOOLEAN NOT NULL DEFAULT TRUE,
    extra_headers TEXT,
    extra_header_keys TEXT NOT NULL DEFAULT '[]',
    config TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE UNIQUE INDEX llm_connections_provider_idx ON llm_connections (project_id, provider);

-- The project's default model for evaluations: a connection, a model and its parameters. It
-- goes with its connection.
CREATE TABLE default_llm_models (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL,
    model TEXT NOT NULL,
    model_params TEXT NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (project_id, connection_id) REFERENCES llm_connections (project_id, id) ON DELETE CASCADE
);
