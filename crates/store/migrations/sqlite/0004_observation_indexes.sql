-- Observation lists: the v2 keyset order (start time, trace, id) and the parent filter.
CREATE INDEX observations_order_idx ON observations (project_id, start_time, trace_id, id);
CREATE INDEX observations_parent_idx ON observations (project_id, parent_observation_id);
