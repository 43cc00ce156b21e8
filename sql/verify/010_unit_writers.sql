SELECT 1 / (count(*) = 1)::int FROM pg_type
 WHERE typname = 'iu_plan_row' AND typnamespace = 'public'::regnamespace;
SELECT 1 / (count(*) = 1)::int FROM pg_proc
 WHERE proname = 'fn_iu_create_many' AND prosecdef AND pronamespace = 'public'::regnamespace
   AND prosrc LIKE '%iu_plan_row%';
SELECT 1 / (count(*) = 2)::int FROM pg_proc
 WHERE proname IN ('fn_iu_create', 'fn_iu_create_many') AND pronamespace = 'public'::regnamespace
   AND prosrc LIKE '%fn_require_writable%';
