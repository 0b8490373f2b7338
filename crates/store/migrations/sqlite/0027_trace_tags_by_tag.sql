-- A trace's tags as rows in one structure, keyed by what every read looks up: the tag, then the
-- trace's timestamp, then the trace. Migration 0007 kept them twice (the table, keyed by trace,
-- and an index by tag): trace ids are random, so every trace written dirtied a page of the table
-- at a random place, on top of the index's page. Keyed by tag, a new trace's rows go where that
-- tag's newest rows are: one WAL page per tag a write group touches. Reads find a trace's tags
-- by (tag, timestamp, trace), the timestamp being the trace's own (src/traces/read.rs).

DROP TRIGGER traces_inserted;
DROP TRIGGER traces_retagged;
DROP TRIGGER traces_deleted;

CREATE TABLE trace_tags_by_tag (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    trace_id TEXT NOT NULL,
    PRIMARY KEY (project_id, tag, timestamp, trace_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO trace_tags_by_tag (project_id, tag, timestamp, trace_id)
    SELECT project_id, tag, timestamp, trace_id FROM trace_tags;

DROP TABLE trace_tags;
ALTER TABLE trace_tags_by_tag RENAME TO trace_tags;

CREATE TRIGGER traces_inserted AFTER INSERT ON traces BEGIN
    INSERT INTO trace_counts (project_id, traces) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET traces = traces + 1;
    INSERT OR IGNORE INTO trace_tags (project_id, tag, timestamp, trace_id)
        SELECT NEW.project_id, value, NEW.timestamp, NEW.id FROM json_each(NEW.tags)
        WHERE type = 'text';
END;

CREATE TRIGGER traces_retagged AFTER UPDATE OF tags, timestamp ON traces
    WHEN OLD.tags IS NOT NEW.tags OR OLD.timestamp IS NOT NEW.timestamp BEGIN
    DELETE FROM trace_tags WHERE project_id = OLD.project_id AND timestamp = OLD.timestamp
        AND trace_id = OLD.id
        AND tag IN (SELECT value FROM json_each(OLD.tags) WHERE type = 'text');
    INSERT OR IGNORE INTO trace_tags (project_id, tag, timestamp, trace_id)
        SELECT NEW.project_id, value, NEW.timestamp, NEW.id FROM json_each(NEW.tags)
        WHERE type = 'text';
END;

CREATE TRIGGER traces_deleted AFTER DELETE ON traces BEGIN
    UPDATE trace_counts SET traces = traces - 1 WHERE project_id = OLD.project_id;
    DELETE FROM trace_tags WHERE project_id = OLD.project_id AND timestamp = OLD.timestamp
        AND trace_id = OLD.id
        AND tag IN (SELECT value FROM json_each(OLD.tags) WHERE type = 'text');
END;
