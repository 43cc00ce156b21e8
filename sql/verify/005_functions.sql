SELECT 1 / (count(*) = 3)::int FROM pg_proc
 WHERE pronamespace = 'public'::regnamespace AND prosecdef
   AND proname IN ('fn_iu_create', 'fn_iu_enact', 'fn_iu_void');
