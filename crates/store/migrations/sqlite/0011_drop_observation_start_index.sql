-- observations_start_idx (project_id, start_time) is a prefix of observations_order_idx
-- (project_id, start_time, trace_id, id), which serves every query it served: one index less
-- to update on each observation write.
DROP INDEX observations_start_idx;
