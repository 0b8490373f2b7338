-- Observation payloads keyed by an integer of their own, which the observation row holds
-- (`observations.payload_id`; crates/store observations/payload.rs). Keyed by (project, id),
-- every payload written also went to a random page of that key's index: about one WAL page per
-- observation, a tenth of what a group commit wrote (counted frame by frame in
-- crates/bench/README.md). A new payload's key is the largest yet, so its row goes at the end
-- of the table and no index is kept besides. The key is an explicit INTEGER PRIMARY KEY, which
-- VACUUM keeps.
CREATE TABLE observation_payloads_by_row (
    payload_id INTEGER PRIMARY KEY,
    input BLOB,
    output BLOB
);

ALTER TABLE observations ADD COLUMN payload_id INTEGER;

INSERT INTO observation_payloads_by_row (payload_id, input, output)
SELECT o.rowid, p.input, p.output
FROM observation_payloads p
JOIN observations o ON o.project_id = p.project_id AND o.id = p.id;

UPDATE observations SET payload_id = rowid
WHERE rowid IN (SELECT payload_id FROM observation_payloads_by_row);

DROP TABLE observation_payloads;
ALTER TABLE observation_payloads_by_row RENAME TO observation_payloads;

-- A payload lives as long as its observation points at it: a write that replaces the payload
-- (or leaves the observation without one) and a deleted observation take the old row away.
CREATE TRIGGER observations_payload_replaced AFTER UPDATE OF payload_id ON observations
WHEN OLD.payload_id IS NOT NULL AND OLD.payload_id IS NOT NEW.payload_id BEGIN
    DELETE FROM observation_payloads WHERE payload_id = OLD.payload_id;
END;

CREATE TRIGGER observations_payload_deleted AFTER DELETE ON observations
WHEN OLD.payload_id IS NOT NULL BEGIN
    DELETE FROM observation_payloads WHERE payload_id = OLD.payload_id;
END;
