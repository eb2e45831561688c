-- The overview reads a workspace's rollups: its accounts × metrics × days (about 10,000 rows for
-- 10 accounts over the 180 days of a 90-day range and the range before it). The rows of one
-- workspace are written over time among every other workspace's, so each sat on its own heap
-- page: about 10,900 pages read per overview (126 ms cold, measured with EXPLAIN (ANALYZE,
-- BUFFERS) on the `cargo xtask bench analytics` data). With the gain in the primary key's index
-- the overview is an index-only scan of that key's range: about 230 pages (17 ms warm).
--
-- The price: a gain update can no longer be a HOT update (the gain is in an index now; before,
-- nearly all were HOT), so each adds an entry to the key's index. A burst of 100,000 readings
-- took 10.8 s and 11.7 s before and 10.0 s and 11.8 s after: within the benchmark's noise.
-- Autovacuum is asked to come by sooner, so that the visibility map (which index-only scans need
-- to skip the heap) stays current for the days that have stopped moving.

alter table postiz.analytics_rollups
  drop constraint analytics_rollups_pkey,
  add constraint analytics_rollups_pkey primary key (workspace_id, social_account_id, metric, day) include (gain);

alter table postiz.analytics_rollups set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
