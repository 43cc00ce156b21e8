SELECT 1 / (count(*) = 2)::int FROM pg_proc
 WHERE pronamespace = 'cutter_governance'::regnamespace AND prosecdef
   AND proowner = 'cutter_probe'::regrole
   AND proname IN ('fn_privilege_matrix', 'fn_units_under_prefix');
SELECT 1 / (count(*) > 0)::int FROM cutter_governance.fn_privilege_matrix();
