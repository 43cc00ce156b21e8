SELECT 1 / (count(*) = 5)::int FROM pg_roles
 WHERE rolname IN ('cutter_owner', 'cutter_exec', 'cutter_enact', 'cutter_verify', 'cutter_probe');
