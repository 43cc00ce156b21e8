-- Leg A keeps 010's write guard and 018's SG_0 check, and now reads the request's
-- expected/found, refuses an entry listed twice and compares with the plan row.
SELECT 1 / (count(*) = 1)::int FROM pg_proc
 WHERE oid = 'public.fn_iu_create_many(uuid, jsonb)'::regprocedure AND prosecdef
   AND prosrc LIKE '%fn_require_writable%' AND prosrc LIKE '%SG_0_structure%'
   AND prosrc LIKE '%''expected'', e -> ''expected''%'
   AND prosrc LIKE '%''found'', e -> ''found''%'
   AND prosrc LIKE '%count(DISTINCT e)%'
   AND prosrc LIKE '%cutter_governance.cutplan_row%';
-- Still callable by leg A's role only, as 006 granted it.
SELECT 1 / (has_function_privilege('cutter_exec', 'public.fn_iu_create_many(uuid, jsonb)',
                                   'EXECUTE')
            AND NOT has_function_privilege('public', 'public.fn_iu_create_many(uuid, jsonb)',
                                           'EXECUTE'))::int;
