-- Hourly rollups for dashboards and the metrics APIs (crates/store metrics/rollups.rs): what a
-- dashboard reads no longer grows with the number of raw rows. Each rollup row sums the rows of
-- one hour and one key; triggers keep them true in the transaction of every write, update and
-- delete of the rows they sum (ingestion, trace deletes, project deletion, retention). A row
-- that changes is subtracted under its old key and added under its new one. Absent names and
-- models are '' in the keys (NULL is never equal to itself in a key).
--
-- Latency percentiles come from a sketch per row (crates/domain sketch.rs: logarithmic buckets,
-- 2% relative accuracy, counts that subtract exactly), kept by the functions every connection
-- registers (src/sql/sqlite.rs). The tables are clustered by their key (WITHOUT ROWID), so a
-- range of hours is one contiguous read.

CREATE TABLE observation_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    environment TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    level TEXT NOT NULL,
    observations BIGINT NOT NULL,
    input_tokens DOUBLE PRECISION NOT NULL,
    output_tokens DOUBLE PRECISION NOT NULL,
    total_tokens DOUBLE PRECISION NOT NULL,
    input_cost DOUBLE PRECISION NOT NULL,
    output_cost DOUBLE PRECISION NOT NULL,
    total_cost DOUBLE PRECISION NOT NULL,
    latencies BIGINT NOT NULL,
    latency_sum DOUBLE PRECISION NOT NULL,
    latency_sketch BLOB,
    PRIMARY KEY (project_id, hour, environment, type, name, model, level)
) WITHOUT ROWID;

-- Traces by name, and by user ('' for none), each with its observations' cost and tokens.
CREATE TABLE trace_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    traces BIGINT NOT NULL,
    total_cost DOUBLE PRECISION NOT NULL,
    total_tokens DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, hour, environment, name)
) WITHOUT ROWID;

CREATE TABLE trace_user_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    environment TEXT NOT NULL,
    user_id TEXT NOT NULL,
    traces BIGINT NOT NULL,
    total_cost DOUBLE PRECISION NOT NULL,
    total_tokens DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, hour, environment, user_id)
) WITHOUT ROWID;

-- The same by UTC day: a range of days reads 24 times fewer rows (a user is active in many
-- hours).
CREATE TABLE trace_user_daily_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    environment TEXT NOT NULL,
    user_id TEXT NOT NULL,
    traces BIGINT NOT NULL,
    total_cost DOUBLE PRECISION NOT NULL,
    total_tokens DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, day, environment, user_id)
) WITHOUT ROWID;

CREATE TABLE score_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    data_type TEXT NOT NULL,
    string_value TEXT NOT NULL,
    scores BIGINT NOT NULL,
    "values" BIGINT NOT NULL,
    value_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, hour, environment, name, source, data_type, string_value)
) WITHOUT ROWID;

-- What one trace adds: its key and its observations' cost and tokens.
CREATE VIEW trace_rollup_rows AS
SELECT
    t.project_id,
    t.id,
    (t.timestamp / 3600000) * 3600000 AS hour,
    t.environment,
    COALESCE(t.name, '') AS name,
    COALESCE(t.user_id, '') AS user_id,
    COALESCE((SELECT SUM(o.total_cost) FROM observations o
        WHERE o.project_id = t.project_id AND o.trace_id = t.id), 0) AS total_cost,
    COALESCE((SELECT SUM(CAST(json_extract(o.usage_details, '$.total') AS REAL))
        FROM observations o WHERE o.project_id = t.project_id AND o.trace_id = t.id), 0)
        AS total_tokens
FROM traces t;

-- Observations. Their cost and tokens also count for their trace (when it exists: a trace
-- inserted later adds its observations' then).

CREATE TRIGGER observations_rollup_added AFTER INSERT ON observations BEGIN
    INSERT INTO observation_rollups VALUES (NEW.project_id, (NEW.start_time / 3600000) * 3600000,
        NEW.environment, NEW.type, COALESCE(NEW.name, ''), COALESCE(NEW.model, ''), NEW.level,
        1,
        (CASE WHEN NEW.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        (CASE WHEN NEW.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0),
        (CASE WHEN NEW.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        (CASE WHEN NEW.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        COALESCE(NEW.total_cost, 0),
        CASE WHEN NEW.end_time IS NULL THEN 0 ELSE 1 END,
        COALESCE(NEW.end_time - NEW.start_time, 0),
        sightline_sketch(NEW.end_time - NEW.start_time))
    ON CONFLICT (project_id, hour, environment, type, name, model, level) DO UPDATE SET
        observations = observations + excluded.observations,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        total_tokens = total_tokens + excluded.total_tokens,
        input_cost = input_cost + excluded.input_cost,
        output_cost = output_cost + excluded.output_cost,
        total_cost = total_cost + excluded.total_cost,
        latencies = latencies + excluded.latencies,
        latency_sum = latency_sum + excluded.latency_sum,
        latency_sketch = sightline_sketch_merge(latency_sketch, excluded.latency_sketch, 1);
END;

CREATE TRIGGER observations_rollup_updated AFTER UPDATE ON observations
WHEN OLD.start_time IS NOT NEW.start_time OR OLD.end_time IS NOT NEW.end_time
    OR OLD.environment IS NOT NEW.environment OR OLD.type IS NOT NEW.type
    OR OLD.name IS NOT NEW.name OR OLD.model IS NOT NEW.model OR OLD.level IS NOT NEW.level
    OR OLD.usage_details IS NOT NEW.usage_details OR OLD.cost_details IS NOT NEW.cost_details
    OR OLD.total_cost IS NOT NEW.total_cost BEGIN
    INSERT INTO observation_rollups VALUES (OLD.project_id, (OLD.start_time / 3600000) * 3600000,
        OLD.environment, OLD.type, COALESCE(OLD.name, ''), COALESCE(OLD.model, ''), OLD.level,
        -1,
        -(CASE WHEN OLD.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        -(CASE WHEN OLD.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        -COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0),
        -(CASE WHEN OLD.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        -(CASE WHEN OLD.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        -COALESCE(OLD.total_cost, 0),
        CASE WHEN OLD.end_time IS NULL THEN 0 ELSE -1 END,
        -COALESCE(OLD.end_time - OLD.start_time, 0),
        sightline_sketch_merge(NULL, sightline_sketch(OLD.end_time - OLD.start_time), -1))
    ON CONFLICT (project_id, hour, environment, type, name, model, level) DO UPDATE SET
        observations = observations + excluded.observations,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        total_tokens = total_tokens + excluded.total_tokens,
        input_cost = input_cost + excluded.input_cost,
        output_cost = output_cost + excluded.output_cost,
        total_cost = total_cost + excluded.total_cost,
        latencies = latencies + excluded.latencies,
        latency_sum = latency_sum + excluded.latency_sum,
        latency_sketch = sightline_sketch_merge(latency_sketch, excluded.latency_sketch, 1);
    INSERT INTO observation_rollups VALUES (NEW.project_id, (NEW.start_time / 3600000) * 3600000,
        NEW.environment, NEW.type, COALESCE(NEW.name, ''), COALESCE(NEW.model, ''), NEW.level,
        1,
        (CASE WHEN NEW.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        (CASE WHEN NEW.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0),
        (CASE WHEN NEW.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        (CASE WHEN NEW.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(NEW.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        COALESCE(NEW.total_cost, 0),
        CASE WHEN NEW.end_time IS NULL THEN 0 ELSE 1 END,
        COALESCE(NEW.end_time - NEW.start_time, 0),
        sightline_sketch(NEW.end_time - NEW.start_time))
    ON CONFLICT (project_id, hour, environment, type, name, model, level) DO UPDATE SET
        observations = observations + excluded.observations,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        total_tokens = total_tokens + excluded.total_tokens,
        input_cost = input_cost + excluded.input_cost,
        output_cost = output_cost + excluded.output_cost,
        total_cost = total_cost + excluded.total_cost,
        latencies = latencies + excluded.latencies,
        latency_sum = latency_sum + excluded.latency_sum,
        latency_sketch = sightline_sketch_merge(latency_sketch, excluded.latency_sketch, 1);
END;

CREATE TRIGGER observations_rollup_deleted AFTER DELETE ON observations BEGIN
    INSERT INTO observation_rollups VALUES (OLD.project_id, (OLD.start_time / 3600000) * 3600000,
        OLD.environment, OLD.type, COALESCE(OLD.name, ''), COALESCE(OLD.model, ''), OLD.level,
        -1,
        -(CASE WHEN OLD.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        -(CASE WHEN OLD.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        -COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0),
        -(CASE WHEN OLD.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        -(CASE WHEN OLD.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(OLD.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        -COALESCE(OLD.total_cost, 0),
        CASE WHEN OLD.end_time IS NULL THEN 0 ELSE -1 END,
        -COALESCE(OLD.end_time - OLD.start_time, 0),
        sightline_sketch_merge(NULL, sightline_sketch(OLD.end_time - OLD.start_time), -1))
    ON CONFLICT (project_id, hour, environment, type, name, model, level) DO UPDATE SET
        observations = observations + excluded.observations,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        total_tokens = total_tokens + excluded.total_tokens,
        input_cost = input_cost + excluded.input_cost,
        output_cost = output_cost + excluded.output_cost,
        total_cost = total_cost + excluded.total_cost,
        latencies = latencies + excluded.latencies,
        latency_sum = latency_sum + excluded.latency_sum,
        latency_sketch = sightline_sketch_merge(latency_sketch, excluded.latency_sketch, 1);
END;

CREATE TRIGGER observations_trace_cost_added AFTER INSERT ON observations
WHEN NEW.total_cost IS NOT NULL
    OR json_type(NEW.usage_details, '$.total') IS NOT NULL BEGIN
    UPDATE trace_rollups SET total_cost = total_cost + COALESCE(NEW.total_cost, 0),
        total_tokens = total_tokens + COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, name) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.name, '')
        FROM traces t WHERE t.project_id = NEW.project_id AND t.id = NEW.trace_id);
    UPDATE trace_user_rollups SET total_cost = total_cost + COALESCE(NEW.total_cost, 0),
        total_tokens = total_tokens + COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = NEW.project_id AND t.id = NEW.trace_id);
    UPDATE trace_user_daily_rollups SET total_cost = total_cost + COALESCE(NEW.total_cost, 0),
        total_tokens = total_tokens + COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, day, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 86400000) * 86400000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = NEW.project_id AND t.id = NEW.trace_id);
END;

CREATE TRIGGER observations_trace_cost_updated AFTER UPDATE ON observations
WHEN OLD.total_cost IS NOT NEW.total_cost OR OLD.usage_details IS NOT NEW.usage_details
    OR OLD.trace_id IS NOT NEW.trace_id BEGIN
    UPDATE trace_rollups SET total_cost = total_cost - COALESCE(OLD.total_cost, 0),
        total_tokens = total_tokens - COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, name) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.name, '')
        FROM traces t WHERE t.project_id = OLD.project_id AND t.id = OLD.trace_id);
    UPDATE trace_user_rollups SET total_cost = total_cost - COALESCE(OLD.total_cost, 0),
        total_tokens = total_tokens - COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = OLD.project_id AND t.id = OLD.trace_id);
    UPDATE trace_user_daily_rollups SET total_cost = total_cost - COALESCE(OLD.total_cost, 0),
        total_tokens = total_tokens - COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, day, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 86400000) * 86400000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = OLD.project_id AND t.id = OLD.trace_id);
    UPDATE trace_rollups SET total_cost = total_cost + COALESCE(NEW.total_cost, 0),
        total_tokens = total_tokens + COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, name) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.name, '')
        FROM traces t WHERE t.project_id = NEW.project_id AND t.id = NEW.trace_id);
    UPDATE trace_user_rollups SET total_cost = total_cost + COALESCE(NEW.total_cost, 0),
        total_tokens = total_tokens + COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = NEW.project_id AND t.id = NEW.trace_id);
    UPDATE trace_user_daily_rollups SET total_cost = total_cost + COALESCE(NEW.total_cost, 0),
        total_tokens = total_tokens + COALESCE(CAST(json_extract(NEW.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, day, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 86400000) * 86400000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = NEW.project_id AND t.id = NEW.trace_id);
END;

CREATE TRIGGER observations_trace_cost_deleted AFTER DELETE ON observations
WHEN OLD.total_cost IS NOT NULL
    OR json_type(OLD.usage_details, '$.total') IS NOT NULL BEGIN
    UPDATE trace_rollups SET total_cost = total_cost - COALESCE(OLD.total_cost, 0),
        total_tokens = total_tokens - COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, name) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.name, '')
        FROM traces t WHERE t.project_id = OLD.project_id AND t.id = OLD.trace_id);
    UPDATE trace_user_rollups SET total_cost = total_cost - COALESCE(OLD.total_cost, 0),
        total_tokens = total_tokens - COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, hour, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 3600000) * 3600000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = OLD.project_id AND t.id = OLD.trace_id);
    UPDATE trace_user_daily_rollups SET total_cost = total_cost - COALESCE(OLD.total_cost, 0),
        total_tokens = total_tokens - COALESCE(CAST(json_extract(OLD.usage_details, '$.total') AS REAL), 0)
    WHERE (project_id, day, environment, user_id) = (SELECT t.project_id,
        (t.timestamp / 86400000) * 86400000, t.environment, COALESCE(t.user_id, '')
        FROM traces t WHERE t.project_id = OLD.project_id AND t.id = OLD.trace_id);
END;

-- Traces.

CREATE TRIGGER traces_rollup_added AFTER INSERT ON traces BEGIN
    INSERT INTO trace_rollups
    SELECT project_id, hour, environment, name, 1, total_cost, total_tokens
    FROM trace_rollup_rows WHERE project_id = NEW.project_id AND id = NEW.id
    ON CONFLICT (project_id, hour, environment, name) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_rollups
    SELECT project_id, hour, environment, user_id, 1, total_cost, total_tokens
    FROM trace_rollup_rows WHERE project_id = NEW.project_id AND id = NEW.id
    ON CONFLICT (project_id, hour, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_daily_rollups
    SELECT project_id, (hour / 86400000) * 86400000, environment, user_id, 1, total_cost, total_tokens
    FROM trace_rollup_rows WHERE project_id = NEW.project_id AND id = NEW.id
    ON CONFLICT (project_id, day, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
END;

CREATE TRIGGER traces_rollup_before_update BEFORE UPDATE ON traces
WHEN OLD.timestamp IS NOT NEW.timestamp OR OLD.environment IS NOT NEW.environment
    OR OLD.name IS NOT NEW.name OR OLD.user_id IS NOT NEW.user_id BEGIN
    INSERT INTO trace_rollups
    SELECT project_id, hour, environment, name, -1, -total_cost, -total_tokens
    FROM trace_rollup_rows WHERE project_id = OLD.project_id AND id = OLD.id
    ON CONFLICT (project_id, hour, environment, name) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_rollups
    SELECT project_id, hour, environment, user_id, -1, -total_cost, -total_tokens
    FROM trace_rollup_rows WHERE project_id = OLD.project_id AND id = OLD.id
    ON CONFLICT (project_id, hour, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_daily_rollups
    SELECT project_id, (hour / 86400000) * 86400000, environment, user_id, -1, -total_cost, -total_tokens
    FROM trace_rollup_rows WHERE project_id = OLD.project_id AND id = OLD.id
    ON CONFLICT (project_id, day, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
END;

CREATE TRIGGER traces_rollup_updated AFTER UPDATE ON traces
WHEN OLD.timestamp IS NOT NEW.timestamp OR OLD.environment IS NOT NEW.environment
    OR OLD.name IS NOT NEW.name OR OLD.user_id IS NOT NEW.user_id BEGIN
    INSERT INTO trace_rollups
    SELECT project_id, hour, environment, name, 1, total_cost, total_tokens
    FROM trace_rollup_rows WHERE project_id = NEW.project_id AND id = NEW.id
    ON CONFLICT (project_id, hour, environment, name) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_rollups
    SELECT project_id, hour, environment, user_id, 1, total_cost, total_tokens
    FROM trace_rollup_rows WHERE project_id = NEW.project_id AND id = NEW.id
    ON CONFLICT (project_id, hour, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_daily_rollups
    SELECT project_id, (hour / 86400000) * 86400000, environment, user_id, 1, total_cost, total_tokens
    FROM trace_rollup_rows WHERE project_id = NEW.project_id AND id = NEW.id
    ON CONFLICT (project_id, day, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
END;

CREATE TRIGGER traces_rollup_deleted BEFORE DELETE ON traces BEGIN
    INSERT INTO trace_rollups
    SELECT project_id, hour, environment, name, -1, -total_cost, -total_tokens
    FROM trace_rollup_rows WHERE project_id = OLD.project_id AND id = OLD.id
    ON CONFLICT (project_id, hour, environment, name) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_rollups
    SELECT project_id, hour, environment, user_id, -1, -total_cost, -total_tokens
    FROM trace_rollup_rows WHERE project_id = OLD.project_id AND id = OLD.id
    ON CONFLICT (project_id, hour, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
    INSERT INTO trace_user_daily_rollups
    SELECT project_id, (hour / 86400000) * 86400000, environment, user_id, -1, -total_cost, -total_tokens
    FROM trace_rollup_rows WHERE project_id = OLD.project_id AND id = OLD.id
    ON CONFLICT (project_id, day, environment, user_id) DO UPDATE SET
        traces = traces + excluded.traces, total_cost = total_cost + excluded.total_cost,
        total_tokens = total_tokens + excluded.total_tokens;
END;

-- Scores.

CREATE TRIGGER scores_rollup_added AFTER INSERT ON scores BEGIN
    INSERT INTO score_rollups VALUES (NEW.project_id, (NEW.timestamp / 3600000) * 3600000,
        NEW.environment, NEW.name, NEW.source, NEW.data_type, COALESCE(NEW.string_value, ''), 1,
        CASE WHEN NEW.value IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.value, 0))
    ON CONFLICT (project_id, hour, environment, name, source, data_type, string_value)
    DO UPDATE SET scores = scores + excluded.scores, "values" = "values" + excluded."values",
        value_sum = value_sum + excluded.value_sum;
END;

CREATE TRIGGER scores_rollup_updated AFTER UPDATE ON scores
WHEN OLD.timestamp IS NOT NEW.timestamp OR OLD.environment IS NOT NEW.environment
    OR OLD.name IS NOT NEW.name OR OLD.source IS NOT NEW.source
    OR OLD.data_type IS NOT NEW.data_type OR OLD.string_value IS NOT NEW.string_value
    OR OLD.value IS NOT NEW.value BEGIN
    INSERT INTO score_rollups VALUES (OLD.project_id, (OLD.timestamp / 3600000) * 3600000,
        OLD.environment, OLD.name, OLD.source, OLD.data_type, COALESCE(OLD.string_value, ''), -1,
        CASE WHEN OLD.value IS NULL THEN 0 ELSE -1 END, -COALESCE(OLD.value, 0))
    ON CONFLICT (project_id, hour, environment, name, source, data_type, string_value)
    DO UPDATE SET scores = scores + excluded.scores, "values" = "values" + excluded."values",
        value_sum = value_sum + excluded.value_sum;
    INSERT INTO score_rollups VALUES (NEW.project_id, (NEW.timestamp / 3600000) * 3600000,
        NEW.environment, NEW.name, NEW.source, NEW.data_type, COALESCE(NEW.string_value, ''), 1,
        CASE WHEN NEW.value IS NULL THEN 0 ELSE 1 END, COALESCE(NEW.value, 0))
    ON CONFLICT (project_id, hour, environment, name, source, data_type, string_value)
    DO UPDATE SET scores = scores + excluded.scores, "values" = "values" + excluded."values",
        value_sum = value_sum + excluded.value_sum;
END;

CREATE TRIGGER scores_rollup_deleted AFTER DELETE ON scores BEGIN
    INSERT INTO score_rollups VALUES (OLD.project_id, (OLD.timestamp / 3600000) * 3600000,
        OLD.environment, OLD.name, OLD.source, OLD.data_type, COALESCE(OLD.string_value, ''), -1,
        CASE WHEN OLD.value IS NULL THEN 0 ELSE -1 END, -COALESCE(OLD.value, 0))
    ON CONFLICT (project_id, hour, environment, name, source, data_type, string_value)
    DO UPDATE SET scores = scores + excluded.scores, "values" = "values" + excluded."values",
        value_sum = value_sum + excluded.value_sum;
END;

-- The rows written before this migration, with the triggers' sums (row by row, so that
-- sketches merge as the triggers merge them).
INSERT INTO observation_rollups SELECT o.project_id, (o.start_time / 3600000) * 3600000,
        o.environment, o.type, COALESCE(o.name, ''), COALESCE(o.model, ''), o.level,
        1,
        (CASE WHEN o.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(o.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        (CASE WHEN o.usage_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(o.usage_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        COALESCE(CAST(json_extract(o.usage_details, '$.total') AS REAL), 0),
        (CASE WHEN o.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(o.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%input%'), 0) END),
        (CASE WHEN o.cost_details = '{}' THEN 0 ELSE COALESCE((SELECT SUM(value) FROM json_each(o.cost_details)
            WHERE type IN ('integer', 'real') AND key LIKE '%output%'), 0) END),
        COALESCE(o.total_cost, 0),
        CASE WHEN o.end_time IS NULL THEN 0 ELSE 1 END,
        COALESCE(o.end_time - o.start_time, 0),
        sightline_sketch(o.end_time - o.start_time)
FROM observations o WHERE true
    ON CONFLICT (project_id, hour, environment, type, name, model, level) DO UPDATE SET
        observations = observations + excluded.observations,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        total_tokens = total_tokens + excluded.total_tokens,
        input_cost = input_cost + excluded.input_cost,
        output_cost = output_cost + excluded.output_cost,
        total_cost = total_cost + excluded.total_cost,
        latencies = latencies + excluded.latencies,
        latency_sum = latency_sum + excluded.latency_sum,
        latency_sketch = sightline_sketch_merge(latency_sketch, excluded.latency_sketch, 1);

INSERT INTO trace_rollups
SELECT project_id, hour, environment, name, COUNT(*), SUM(total_cost), SUM(total_tokens)
FROM trace_rollup_rows GROUP BY project_id, hour, environment, name;

INSERT INTO trace_user_rollups
SELECT project_id, hour, environment, user_id, COUNT(*), SUM(total_cost), SUM(total_tokens)
FROM trace_rollup_rows GROUP BY project_id, hour, environment, user_id;

INSERT INTO trace_user_daily_rollups
SELECT project_id, (hour / 86400000) * 86400000, environment, user_id, COUNT(*),
    SUM(total_cost), SUM(total_tokens)
FROM trace_rollup_rows GROUP BY project_id, (hour / 86400000) * 86400000, environment, user_id;

INSERT INTO score_rollups
SELECT project_id, (timestamp / 3600000) * 3600000, environment, name, source, data_type,
    COALESCE(string_value, ''), COUNT(*), COUNT(value), COALESCE(SUM(value), 0)
FROM scores
GROUP BY 1, 2, 3, 4, 5, 6, 7;
