SELECT 1 / (count(*) = 14)::int FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'cutter_governance'::regnamespace AND NOT t.tgisinternal
   AND t.tgname IN ('append_only', 'no_truncate') AND t.tgenabled = 'O';
