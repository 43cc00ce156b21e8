SELECT 1 / (count(*) = 10)::int FROM pg_tables WHERE schemaname = 'cutter_governance';
SELECT 1 / (count(*) = 1)::int FROM pg_indexes
 WHERE schemaname = 'cutter_governance' AND indexname = 'orchestrator_run_one_open_per_version';
