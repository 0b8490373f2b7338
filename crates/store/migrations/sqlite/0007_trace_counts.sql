-- Counts for trace lists that stay fast at scale (GET /traces answers `totalItems` on every page):
-- the number of traces per project, and each trace's tags as rows (with the trace's timestamp) so
-- that counting the traces of a tag reads an index range instead of every trace. Both are kept by
-- triggers, so every path that writes or deletes traces (ingestion, deletes, project deletion)
-- keeps them true.

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
INSERT OR IGNORE INTO trace_tags (project_id, trace_id, tag, timestamp)
    SELECT t.project_id, t.id, j.value, t.timestamp FROM traces t, json_each(t.tags) j
    WHERE json_valid(t.tags) AND j.type = 'text';

CREATE TRIGGER traces_inserted AFTER INSERT ON traces BEGIN
    INSERT INTO trace_counts (project_id, traces) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET traces = traces + 1;
    INSERT OR IGNORE INTO trace_tags (project_id, trace_id, tag, timestamp)
        SELECT NEW.project_id, NEW.id, value, NEW.timestamp FROM json_each(NEW.tags)
        WHERE type = 'text';
END;

CREATE TRIGGER traces_retagged AFTER UPDATE OF tags, timestamp ON traces
    WHEN OLD.tags IS NOT NEW.tags OR OLD.timestamp IS NOT NEW.timestamp BEGIN
    DELETE FROM trace_tags WHERE project_id = OLD.project_id AND trace_id = OLD.id;
    INSERT OR IGNORE INTO trace_tags (project_id, trace_id, tag, timestamp)
        SELECT NEW.project_id, NEW.id, value, NEW.timestamp FROM json_each(NEW.tags)
        WHERE type = 'text';
END;

CREATE TRIGGER traces_deleted AFTER DELETE ON traces BEGIN
    UPDATE trace_counts SET traces = traces - 1 WHERE project_id = OLD.project_id;
    DELETE FROM trace_tags WHERE project_id = OLD.project_id AND trace_id = OLD.id;
END;
