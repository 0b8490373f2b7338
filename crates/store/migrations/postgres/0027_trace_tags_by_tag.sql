-- SQLite's migration 0027 keys its trace_tags by tag, timestamp and trace, so that a write
-- dirties fewer pages of its WAL. PostgreSQL keeps the table of migration 0007: reads find a
-- trace's tags by (project, trace, tag) in its primary key, which the new conditions on the
-- trace's timestamp (src/traces/read.rs) do not change.
SELECT 1;
