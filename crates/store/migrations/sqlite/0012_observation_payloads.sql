-- Observation input and output move out of the observation row (crates/store
-- observations/payload.rs): lists and aggregates over observations read narrow rows, and the
-- payloads are stored zstd-compressed. A stored payload describes its own encoding (a zstd
-- frame, or the JSON text), so the rows copied here as text read back as before.
CREATE TABLE observation_payloads (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    input BLOB,
    output BLOB,
    PRIMARY KEY (project_id, id)
);

INSERT INTO observation_payloads (project_id, id, input, output)
SELECT project_id, id, CAST(input AS BLOB), CAST(output AS BLOB)
FROM observations
WHERE input IS NOT NULL OR output IS NOT NULL;

ALTER TABLE observations DROP COLUMN input;
ALTER TABLE observations DROP COLUMN output;
