-- Datasets and experiments (wire-spec §7): datasets, versioned dataset items, dataset runs
-- (experiments) and their run items. JSON values are stored as text; times are milliseconds.
--
-- Dataset items keep every version: a write closes the current row (`valid_to`) and inserts a
-- new one (`valid_from`), a delete only closes it. The current item is the row with
-- `valid_to IS NULL`; the item as of time T is the row with `valid_from <= T` and
-- (`valid_to IS NULL` or `valid_to > T`). `created_at` is the first version's time, copied.
-- Runs without a dataset are local SDK experiments.

CREATE TABLE datasets (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    metadata TEXT,
    input_schema TEXT,
    expected_output_schema TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
);
CREATE INDEX datasets_created_idx ON datasets (project_id, created_at);

CREATE TABLE dataset_items (
    project_id TEXT NOT NULL,
    id TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT,
    dataset_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    expected_output TEXT,
    metadata TEXT,
    source_trace_id TEXT,
    source_observation_id TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id, valid_from),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX dataset_items_current_idx ON dataset_items (project_id, id) WHERE valid_to IS NULL;
CREATE INDEX dataset_items_dataset_idx ON dataset_items (project_id, dataset_id, created_at);
CREATE INDEX dataset_items_source_trace_idx ON dataset_items (project_id, source_trace_id);

CREATE TABLE dataset_runs (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    dataset_id TEXT,
    name TEXT NOT NULL,
    description TEXT,
    metadata TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, dataset_id, name),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);
CREATE INDEX dataset_runs_created_idx ON dataset_runs (project_id, created_at);

CREATE TABLE dataset_run_items (
    project_id TEXT NOT NULL,
    id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    dataset_item_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    observation_id TEXT,
    dataset_item_version BIGINT,
    expected_output TEXT,
    item_metadata TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, run_id) REFERENCES dataset_runs (project_id, id) ON DELETE CASCADE
);
CREATE INDEX dataset_run_items_run_idx ON dataset_run_items (project_id, run_id, created_at);
-- One run item per dataset item and trace in a run: SDK 4.x both posts run items and sends
-- experiment spans for the same item; whichever arrives first is kept.
CREATE UNIQUE INDEX dataset_run_items_link_idx ON dataset_run_items (project_id, run_id, dataset_item_id, trace_id);
CREATE INDEX dataset_run_items_item_idx ON dataset_run_items (project_id, dataset_item_id);
CREATE INDEX dataset_run_items_trace_idx ON dataset_run_items (project_id, trace_id);
