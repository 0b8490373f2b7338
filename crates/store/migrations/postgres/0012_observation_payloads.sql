-- Observation input and output move out of the observation row (crates/store
-- observations/payload.rs): lists and aggregates over observations read narrow rows. On
-- PostgreSQL a payload is the JSON text as UTF-8 bytes (TOAST compresses large values), so SQL
-- filters can read it with convert_from.
CREATE TABLE observation_payloads (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    input BYTEA,
    output BYTEA,
    PRIMARY KEY (project_id, id)
);

INSERT INTO observation_payloads (project_id, id, input, output)
SELECT project_id, id, convert_to(input, 'UTF8'), convert_to(output, 'UTF8')
FROM observations
WHERE input IS NOT NULL OR output IS NOT NULL;

ALTER TABLE observations DROP COLUMN input, DROP COLUMN output;
