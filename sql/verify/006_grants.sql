SELECT 1 / (NOT has_function_privilege('public', 'public.fn_iu_enact(uuid, uuid)', 'EXECUTE'))::int;
SELECT 1 / (NOT has_schema_privilege('public', 'cutter_governance', 'USAGE'))::int;
