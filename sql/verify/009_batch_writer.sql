SELECT 1 / (count(*) = 1)::int FROM pg_proc
 WHERE proname = 'fn_iu_create_many' AND prosecdef AND pronamespace = 'public'::regnamespace;
