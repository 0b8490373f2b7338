-- Counts for trace lists that stay fast at scale (GET /traces answers `totalItems` on every page):
-- the number of traces per project, and each trace's tags as rows (with the trace's timestamp) so
-- that counting the traces of a tag reads an index range instead of every trace. Both are kept by
-- statement-level triggers (one counter update per statement, not per row), so every path that
-- writes or deletes traces (ingestion, deletes, project deletion) keeps them true.

CREATE TABLE trace_counts (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    traces BIGINT NOT NULL
);

CREATE TABLE trace_tags (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (project_id, trace_id, tag)
);
CREATE INDEX trace_tags_tag_idx ON trace_tags (project_id, tag, timestamp);

INSERT INTO trace_counts (project_id, traces)
    SELECT project_id, COUNT(*) FROM traces GROUP BY project_id;
INSERT INTO trace_tags (project_id, trace_id, tag, timestamp)
    SELECT t.project_id, t.id, tag, t.timestamp
    FROM traces t CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(t.tags::jsonb) = 'array' THEN t.tags::jsonb ELSE '[]'::jsonb END) AS tag
    ON CONFLICT DO NOTHING;

CREATE FUNCTION sightline_traces_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO trace_counts (project_id, traces)
        SELECT project_id, COUNT(*) FROM inserted GROUP BY project_id
        ON CONFLICT (project_id) DO UPDATE SET traces = trace_counts.traces + excluded.traces;
    INSERT INTO trace_tags (project_id, trace_id, tag, timestamp)
        SELECT i.project_id, i.id, tag, i.timestamp
        FROM inserted i CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(i.tags::jsonb) = 'array' THEN i.tags::jsonb ELSE '[]'::jsonb END) AS tag
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION sightline_traces_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM trace_tags tt USING new_rows n JOIN old_rows o USING (project_id, id)
        WHERE tt.project_id = n.project_id AND tt.trace_id = n.id
        AND (o.tags IS DISTINCT FROM n.tags OR o.timestamp IS DISTINCT FROM n.timestamp);
    INSERT INTO trace_tags (project_id, trace_id, tag, timestamp)
        SELECT n.project_id, n.id, tag, n.timestamp
        FROM new_rows n JOIN old_rows o USING (project_id, id)
        CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(n.tags::jsonb) = 'array' THEN n.tags::jsonb ELSE '[]'::jsonb END) AS tag
        WHERE (o.tags IS DISTINCT FROM n.tags OR o.timestamp IS DISTINCT FROM n.timestamp)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION sightline_traces_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE trace_counts c SET traces = c.traces - d.deleted
        FROM (SELECT project_id, COUNT(*) AS deleted FROM removed GROUP BY project_id) d
        WHERE c.project_id = d.project_id;
    DELETE FROM trace_tags tt USING removed r
        WHERE tt.project_id = r.project_id AND tt.trace_id = r.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER traces_inserted AFTER INSERT ON traces
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION sightline_traces_inserted();
CREATE TRIGGER traces_updated AFTER UPDATE ON traces
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sightline_traces_updated();
CREATE TRIGGER traces_deleted AFTER DELETE ON traces
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION sightline_traces_deleted();
