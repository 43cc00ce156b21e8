-- No lane role writes a ledger table directly.
SELECT 1 / (count(*) = 0)::int
  FROM pg_class c, unnest(ARRAY['cutter_exec', 'cutter_enact', 'cutter_verify', 'cutter_probe',
                                'cutter_gatekeeper']) AS r (role),
       unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p (privilege)
 WHERE c.relnamespace = 'cutter_governance'::regnamespace AND c.relkind = 'r'
   AND has_table_privilege(r.role, c.oid, p.privilege);
SELECT 1 / (count(*) = 0)::int
  FROM pg_attribute a
 WHERE a.attrelid IN (SELECT oid FROM pg_class
                       WHERE relnamespace = 'cutter_governance'::regnamespace)
   AND a.attnum > 0 AND a.attacl IS NOT NULL;
SELECT 1 / (count(*) = 13)::int FROM cutter_governance.phase_rule;
SELECT 1 / (count(*) = 1)::int FROM pg_trigger
 WHERE tgname = 'run_guard' AND tgrelid = 'cutter_governance.orchestrator_run'::regclass;
