-- Hourly rollups for dashboards and the metrics APIs (crates/store metrics/rollups.rs): what a
-- dashboard reads no longer grows with the number of raw rows. Each rollup row sums the rows of
-- one hour and one key; statement triggers with transition tables keep them true in the
-- transaction of every write, update and delete of the rows they sum (ingestion, trace deletes,
-- project deletion, retention). A row that changes is subtracted under its old key and added
-- under its new one. Absent names and models are '' in the keys.
--
-- Latency percentiles come from a sketch per row (crates/domain sketch.rs: logarithmic buckets,
-- 2% relative accuracy, counts that subtract exactly), here a bigint[] of (bucket, count) pairs
-- in bucket order, kept by the sightline_sketch* functions below.

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
    latency_sketch BIGINT[],
    PRIMARY KEY (project_id, hour, environment, type, name, model, level)
);

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
);

CREATE TABLE trace_user_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    environment TEXT NOT NULL,
    user_id TEXT NOT NULL,
    traces BIGINT NOT NULL,
    total_cost DOUBLE PRECISION NOT NULL,
    total_tokens DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, hour, environment, user_id)
);

-- The same by UTC day: a range of days reads 24 times fewer rows.
CREATE TABLE trace_user_daily_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    environment TEXT NOT NULL,
    user_id TEXT NOT NULL,
    traces BIGINT NOT NULL,
    total_cost DOUBLE PRECISION NOT NULL,
    total_tokens DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, day, environment, user_id)
);

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
);

-- Sketches.

CREATE FUNCTION sightline_sketch_bucket(value DOUBLE PRECISION) RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL
        WHEN value = 'NaN'::double precision OR value < 0.001 THEN -174
        ELSE CEIL(LN(value) / 0.04)::bigint END
$$;

CREATE FUNCTION sightline_sketch_value(bucket BIGINT) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN bucket <= -174 THEN 0
        ELSE 2 * EXP(0.04::double precision * bucket) / (EXP(0.04::double precision) + 1) END
$$;

CREATE FUNCTION sightline_sketch(value DOUBLE PRECISION) RETURNS BIGINT[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL ELSE ARRAY[sightline_sketch_bucket(value), 1] END
$$;

CREATE FUNCTION sightline_sketch_pairs(sketch BIGINT[]) RETURNS TABLE (bucket BIGINT, n BIGINT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT sketch[2 * i - 1], sketch[2 * i]
    FROM generate_series(1, COALESCE(array_length(sketch, 1), 0) / 2) AS i
$$;

-- `a` plus `sign` times `b`.
CREATE FUNCTION sightline_sketch_merge(a BIGINT[], b BIGINT[], sign BIGINT) RETURNS BIGINT[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(v.x ORDER BY s.bucket, v.part), '{}')
    FROM (
        SELECT p.bucket, SUM(p.n)::bigint AS n
        FROM (
            SELECT bucket, n FROM sightline_sketch_pairs(a)
            UNION ALL
            SELECT bucket, sign * n FROM sightline_sketch_pairs(b)
        ) p
        GROUP BY p.bucket
        HAVING SUM(p.n) <> 0
    ) s
    CROSS JOIN LATERAL (VALUES (0, s.bucket), (1, s.n)) AS v (part, x)
$$;

-- The sketch of `vals` (NULLs left out), each counted `sign` times.
CREATE FUNCTION sightline_sketch_of(vals DOUBLE PRECISION[], sign BIGINT) RETURNS BIGINT[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(v.x ORDER BY s.bucket, v.part), '{}')
    FROM (
        SELECT sightline_sketch_bucket(value) AS bucket, sign * COUNT(*) AS n
        FROM unnest(vals) AS value
        WHERE value IS NOT NULL
        GROUP BY 1
    ) s
    CROSS JOIN LATERAL (VALUES (0, s.bucket), (1, s.n)) AS v (part, x)
$$;

-- The `q` quantile of the pairs of many sketches joined as text ('b,n,b,n,…'), interpolating
-- between the buckets of the two closest ranks (crates/domain sketch.rs `Sketch::quantile`).
CREATE FUNCTION sightline_sketch_quantile(pairs TEXT, q DOUBLE PRECISION)
RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE AS $$
    WITH histogram AS (
        SELECT p.bucket, SUM(p.n) AS n
        FROM sightline_sketch_pairs(string_to_array(pairs, ',')::bigint[]) p
        GROUP BY p.bucket
        HAVING SUM(p.n) > 0
    ),
    ranked AS (
        SELECT bucket, SUM(n) OVER (ORDER BY bucket) AS through FROM histogram
    ),
    target AS (
        SELECT LEAST(GREATEST(q, 0), 1) * (SUM(n) - 1)::double precision AS rank
        FROM histogram
        HAVING SUM(n) > 0
    ),
    ends AS (
        SELECT rank,
            sightline_sketch_value((SELECT MIN(bucket) FROM ranked WHERE through > FLOOR(rank)))
                AS low,
            sightline_sketch_value((SELECT MIN(bucket) FROM ranked WHERE through > CEIL(rank)))
                AS high
        FROM target
    )
    SELECT low + (high - low) * (rank - FLOOR(rank)) FROM ends
$$;

-- What rows add to (`sign` 1) or take from (-1) the rollups.

CREATE FUNCTION sightline_observation_rollups_add(changed observations[], sign BIGINT)
RETURNS void LANGUAGE sql AS $$
    WITH deltas AS (
        SELECT o.project_id, o.trace_id,
            (o.start_time / 3600000) * 3600000 AS hour, o.environment, o.type,
            COALESCE(o.name, '') AS name, COALESCE(o.model, '') AS model, o.level,
            COALESCE((SELECT SUM((value::text)::double precision) FROM jsonb_each(o.usage_details::jsonb)
                WHERE jsonb_typeof(value) = 'number' AND key ILIKE '%input%'), 0) AS input_tokens,
            COALESCE((SELECT SUM((value::text)::double precision) FROM jsonb_each(o.usage_details::jsonb)
                WHERE jsonb_typeof(value) = 'number' AND key ILIKE '%output%'), 0) AS output_tokens,
            COALESCE((o.usage_details::jsonb ->> 'total')::double precision, 0) AS total_tokens,
            COALESCE((SELECT SUM((value::text)::double precision) FROM jsonb_each(o.cost_details::jsonb)
                WHERE jsonb_typeof(value) = 'number' AND key ILIKE '%input%'), 0) AS input_cost,
            COALESCE((SELECT SUM((value::text)::double precision) FROM jsonb_each(o.cost_details::jsonb)
                WHERE jsonb_typeof(value) = 'number' AND key ILIKE '%output%'), 0) AS output_cost,
            COALESCE(o.total_cost, 0) AS total_cost,
            (o.end_time - o.start_time)::double precision AS latency
        FROM unnest(changed) o
    ),
    by_key AS (
        INSERT INTO observation_rollups
        SELECT project_id, hour, environment, type, name, model, level, sign * COUNT(*),
            sign * SUM(input_tokens), sign * SUM(output_tokens), sign * SUM(total_tokens),
            sign * SUM(input_cost), sign * SUM(output_cost), sign * SUM(total_cost),
            sign * COUNT(latency), sign * COALESCE(SUM(latency), 0),
            sightline_sketch_of(array_agg(latency), sign)
        FROM deltas
        GROUP BY project_id, hour, environment, type, name, model, level
        ON CONFLICT (project_id, hour, environment, type, name, model, level) DO UPDATE SET
            observations = observation_rollups.observations + excluded.observations,
            input_tokens = observation_rollups.input_tokens + excluded.input_tokens,
            output_tokens = observation_rollups.output_tokens + excluded.output_tokens,
            total_tokens = observation_rollups.total_tokens + excluded.total_tokens,
            input_cost = observation_rollups.input_cost + excluded.input_cost,
            output_cost = observation_rollups.output_cost + excluded.output_cost,
            total_cost = observation_rollups.total_cost + excluded.total_cost,
            latencies = observation_rollups.latencies + excluded.latencies,
            latency_sum = observation_rollups.latency_sum + excluded.latency_sum,
            latency_sketch = sightline_sketch_merge(
                observation_rollups.latency_sketch, excluded.latency_sketch, 1)
    ),
    by_trace AS (
        SELECT t.project_id, (t.timestamp / 3600000) * 3600000 AS hour,
            (t.timestamp / 86400000) * 86400000 AS day, t.environment,
            COALESCE(t.name, '') AS name, COALESCE(t.user_id, '') AS user_id,
            sign * r.total_cost AS total_cost, sign * r.total_tokens AS total_tokens
        FROM deltas r JOIN traces t ON t.project_id = r.project_id AND t.id = r.trace_id
    ),
    by_name AS (
        UPDATE trace_rollups tr SET total_cost = tr.total_cost + d.total_cost,
            total_tokens = tr.total_tokens + d.total_tokens
        FROM (SELECT project_id, hour, environment, name, SUM(total_cost) AS total_cost,
                SUM(total_tokens) AS total_tokens
            FROM by_trace GROUP BY project_id, hour, environment, name) d
        WHERE tr.project_id = d.project_id AND tr.hour = d.hour
            AND tr.environment = d.environment AND tr.name = d.name
    ),
    by_user_day AS (
        UPDATE trace_user_daily_rollups tu SET total_cost = tu.total_cost + d.total_cost,
            total_tokens = tu.total_tokens + d.total_tokens
        FROM (SELECT project_id, day, environment, user_id, SUM(total_cost) AS total_cost,
                SUM(total_tokens) AS total_tokens
            FROM by_trace GROUP BY project_id, day, environment, user_id) d
        WHERE tu.project_id = d.project_id AND tu.day = d.day
            AND tu.environment = d.environment AND tu.user_id = d.user_id
    )
    UPDATE trace_user_rollups tu SET total_cost = tu.total_cost + d.total_cost,
        total_tokens = tu.total_tokens + d.total_tokens
    FROM (SELECT project_id, hour, environment, user_id, SUM(total_cost) AS total_cost,
            SUM(total_tokens) AS total_tokens
        FROM by_trace GROUP BY project_id, hour, environment, user_id) d
    WHERE tu.project_id = d.project_id AND tu.hour = d.hour
        AND tu.environment = d.environment AND tu.user_id = d.user_id
$$;

CREATE FUNCTION sightline_trace_rollups_add(changed traces[], sign BIGINT)
RETURNS void LANGUAGE sql AS $$
    WITH deltas AS (
        SELECT t.project_id, (t.timestamp / 3600000) * 3600000 AS hour, t.environment,
            COALESCE(t.name, '') AS name, COALESCE(t.user_id, '') AS user_id,
            COALESCE((SELECT SUM(o.total_cost) FROM observations o
                WHERE o.project_id = t.project_id AND o.trace_id = t.id), 0) AS total_cost,
            COALESCE((SELECT SUM((o.usage_details::jsonb ->> 'total')::double precision)
                FROM observations o WHERE o.project_id = t.project_id AND o.trace_id = t.id), 0)
                AS total_tokens
        FROM unnest(changed) t
    ),
    by_name AS (
        INSERT INTO trace_rollups
        SELECT project_id, hour, environment, name, sign * COUNT(*), sign * SUM(total_cost),
            sign * SUM(total_tokens)
        FROM deltas GROUP BY project_id, hour, environment, name
        ON CONFLICT (project_id, hour, environment, name) DO UPDATE SET
            traces = trace_rollups.traces + excluded.traces,
            total_cost = trace_rollups.total_cost + excluded.total_cost,
            total_tokens = trace_rollups.total_tokens + excluded.total_tokens
    ),
    by_user_day AS (
        INSERT INTO trace_user_daily_rollups
        SELECT project_id, (hour / 86400000) * 86400000, environment, user_id, sign * COUNT(*),
            sign * SUM(total_cost), sign * SUM(total_tokens)
        FROM deltas GROUP BY project_id, (hour / 86400000) * 86400000, environment, user_id
        ON CONFLICT (project_id, day, environment, user_id) DO UPDATE SET
            traces = trace_user_daily_rollups.traces + excluded.traces,
            total_cost = trace_user_daily_rollups.total_cost + excluded.total_cost,
            total_tokens = trace_user_daily_rollups.total_tokens + excluded.total_tokens
    )
    INSERT INTO trace_user_rollups
    SELECT project_id, hour, environment, user_id, sign * COUNT(*), sign * SUM(total_cost),
        sign * SUM(total_tokens)
    FROM deltas GROUP BY project_id, hour, environment, user_id
    ON CONFLICT (project_id, hour, environment, user_id) DO UPDATE SET
        traces = trace_user_rollups.traces + excluded.traces,
        total_cost = trace_user_rollups.total_cost + excluded.total_cost,
        total_tokens = trace_user_rollups.total_tokens + excluded.total_tokens
$$;

CREATE FUNCTION sightline_score_rollups_add(changed scores[], sign BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO score_rollups
    SELECT s.project_id, (s.timestamp / 3600000) * 3600000, s.environment, s.name, s.source,
        s.data_type, COALESCE(s.string_value, ''), sign * COUNT(*), sign * COUNT(s.value),
        sign * COALESCE(SUM(s.value), 0)
    FROM unnest(changed) s
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (project_id, hour, environment, name, source, data_type, string_value)
    DO UPDATE SET scores = score_rollups.scores + excluded.scores,
        "values" = score_rollups."values" + excluded."values",
        value_sum = score_rollups.value_sum + excluded.value_sum
$$;

-- The triggers. An update is only applied where a column the rollups read changed.

CREATE FUNCTION sightline_observations_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM sightline_observation_rollups_add(ARRAY(SELECT n::observations FROM new_rows n), 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM sightline_observation_rollups_add(ARRAY(SELECT o::observations FROM old_rows o), -1);
    ELSE
        PERFORM sightline_observation_rollups_add(ARRAY(
            SELECT o::observations FROM old_rows o JOIN new_rows n
                ON n.project_id = o.project_id AND n.id = o.id
            WHERE (o.start_time, o.end_time, o.environment, o.type, o.name, o.model, o.level,
                    o.usage_details, o.cost_details, o.total_cost, o.trace_id)
                IS DISTINCT FROM (n.start_time, n.end_time, n.environment, n.type, n.name,
                    n.model, n.level, n.usage_details, n.cost_details, n.total_cost, n.trace_id)),
            -1);
        PERFORM sightline_observation_rollups_add(ARRAY(
            SELECT n::observations FROM old_rows o JOIN new_rows n
                ON n.project_id = o.project_id AND n.id = o.id
            WHERE (o.start_time, o.end_time, o.environment, o.type, o.name, o.model, o.level,
                    o.usage_details, o.cost_details, o.total_cost, o.trace_id)
                IS DISTINCT FROM (n.start_time, n.end_time, n.environment, n.type, n.name,
                    n.model, n.level, n.usage_details, n.cost_details, n.total_cost, n.trace_id)),
            1);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION sightline_traces_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM sightline_trace_rollups_add(ARRAY(SELECT n::traces FROM new_rows n), 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM sightline_trace_rollups_add(ARRAY(SELECT o::traces FROM old_rows o), -1);
    ELSE
        PERFORM sightline_trace_rollups_add(ARRAY(
            SELECT o::traces FROM old_rows o JOIN new_rows n
                ON n.project_id = o.project_id AND n.id = o.id
            WHERE (o.timestamp, o.environment, o.name, o.user_id)
                IS DISTINCT FROM (n.timestamp, n.environment, n.name, n.user_id)), -1);
        PERFORM sightline_trace_rollups_add(ARRAY(
            SELECT n::traces FROM old_rows o JOIN new_rows n
                ON n.project_id = o.project_id AND n.id = o.id
            WHERE (o.timestamp, o.environment, o.name, o.user_id)
                IS DISTINCT FROM (n.timestamp, n.environment, n.name, n.user_id)), 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION sightline_scores_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM sightline_score_rollups_add(ARRAY(SELECT n::scores FROM new_rows n), 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM sightline_score_rollups_add(ARRAY(SELECT o::scores FROM old_rows o), -1);
    ELSE
        PERFORM sightline_score_rollups_add(ARRAY(
            SELECT o::scores FROM old_rows o JOIN new_rows n
                ON n.project_id = o.project_id AND n.id = o.id
            WHERE (o.timestamp, o.environment, o.name, o.source, o.data_type, o.string_value,
                    o.value)
                IS DISTINCT FROM (n.timestamp, n.environment, n.name, n.source, n.data_type,
                    n.string_value, n.value)), -1);
        PERFORM sightline_score_rollups_add(ARRAY(
            SELECT n::scores FROM old_rows o JOIN new_rows n
                ON n.project_id = o.project_id AND n.id = o.id
            WHERE (o.timestamp, o.environment, o.name, o.source, o.data_type, o.string_value,
                    o.value)
                IS DISTINCT FROM (n.timestamp, n.environment, n.name, n.source, n.data_type,
                    n.string_value, n.value)), 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER observations_rollup_inserted AFTER INSERT ON observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_observations_rollup();
CREATE TRIGGER observations_rollup_updated AFTER UPDATE ON observations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_observations_rollup();
CREATE TRIGGER observations_rollup_deleted AFTER DELETE ON observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_observations_rollup();

CREATE TRIGGER traces_rollup_inserted AFTER INSERT ON traces
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_traces_rollup();
CREATE TRIGGER traces_rollup_updated AFTER UPDATE ON traces
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_traces_rollup();
CREATE TRIGGER traces_rollup_deleted AFTER DELETE ON traces
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_traces_rollup();

CREATE TRIGGER scores_rollup_inserted AFTER INSERT ON scores
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_scores_rollup();
CREATE TRIGGER scores_rollup_updated AFTER UPDATE ON scores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_scores_rollup();
CREATE TRIGGER scores_rollup_deleted AFTER DELETE ON scores
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_scores_rollup();

-- The rows written before this migration.
SELECT sightline_observation_rollups_add(ARRAY(SELECT o FROM observations o WHERE o.project_id = p.id), 1)
FROM projects p;
SELECT sightline_trace_rollups_add(ARRAY(SELECT t FROM traces t WHERE t.project_id = p.id), 1)
FROM projects p;
SELECT sightline_score_rollups_add(ARRAY(SELECT s FROM scores s WHERE s.project_id = p.id), 1)
FROM projects p;
