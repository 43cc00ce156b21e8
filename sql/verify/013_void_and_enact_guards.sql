SELECT 1 / (position('consumed_at IS NOT NULL' IN prosrc) > 0)::int
  FROM pg_proc WHERE oid = 'public.fn_iu_enact(uuid, uuid)'::regprocedure;
SELECT 1 / (position('FOR UPDATE' IN prosrc) > 0)::int
  FROM pg_proc WHERE oid = 'public.fn_iu_void(uuid)'::regprocedure;
