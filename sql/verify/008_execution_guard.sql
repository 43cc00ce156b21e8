SELECT 1 / (count(*) = 1)::int FROM pg_trigger
 WHERE tgname = 'refuse_dryrun_commit' AND tgdeferrable AND tginitdeferred;
SELECT 1 / (NOT cutter_governance.fn_execution_allowed(gen_random_uuid()))::int
  FROM (SELECT 1) x WHERE NOT EXISTS (SELECT 1 FROM cutter_governance.execution_switch
                                       WHERE disarmed_at IS NULL);
