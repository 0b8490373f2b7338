-- LLM-as-a-judge evaluators (crates/store evals/, features.md §2): evaluators with their
-- versions (rules always run the latest), evaluation rules (what to evaluate) with their
-- evaluator assignments, and one job execution per evaluator, rule and target. An execution's
-- id is derived from its rule, evaluator and target, so the same target is never evaluated twice
-- by the same rule; its work runs as a job of the queue (0017).
CREATE TABLE evaluators (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT,
    blocked_at BIGINT,
    block_reason TEXT,
    block_message TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE UNIQUE INDEX evaluators_name_idx ON evaluators (project_id, name);

CREATE TABLE evaluator_versions (
    project_id TEXT NOT NULL,
    evaluator_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    prompt TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    model_params TEXT,
    variables TEXT NOT NULL,
    mapping TEXT,
    output_definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, evaluator_id, version),
    FOREIGN KEY (project_id, evaluator_id) REFERENCES evaluators (project_id, id) ON DELETE CASCADE
);

CREATE TABLE evaluation_rules (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    target TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    filter TEXT NOT NULL DEFAULT '[]',
    sampling DOUBLE PRECISION NOT NULL,
    delay_ms BIGINT NOT NULL,
    time_scope TEXT NOT NULL DEFAULT '["NEW"]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE UNIQUE INDEX evaluation_rules_name_idx ON evaluation_rules (project_id, name);

CREATE TABLE evaluation_rule_evaluators (
    project_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    evaluator_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    mapping TEXT,
    PRIMARY KEY (project_id, rule_id, evaluator_id),
    FOREIGN KEY (project_id, rule_id) REFERENCES evaluation_rules (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, evaluator_id) REFERENCES evaluators (project_id, id) ON DELETE CASCADE
);

CREATE TABLE job_executions (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    evaluator_id TEXT NOT NULL,
    evaluator_version BIGINT,
    status TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    observation_id TEXT,
    dataset_item_id TEXT,
    error TEXT,
    score_id TEXT,
    score_value DOUBLE PRECISION,
    score_string TEXT,
    score_comment TEXT,
    execution_trace_id TEXT,
    cost DOUBLE PRECISION,
    start_time BIGINT,
    end_time BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX job_executions_rule_idx ON job_executions (project_id, rule_id, created_at);
CREATE INDEX job_executions_created_idx ON job_executions (project_id, created_at);
CREATE INDEX job_executions_evaluator_idx ON job_executions (project_id, evaluator_id, created_at);
