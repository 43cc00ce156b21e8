-- No lane role writes a batch, a member or a quarantine directly.
SELECT 1 / (count(*) = 0)::int
  FROM unnest(ARRAY['cutter_governance.batch', 'cutter_governance.batch_member',
                    'cutter_governance.quarantine']) AS t (name),
       unnest(ARRAY['cutter_exec', 'cutter_enact', 'cutter_verify', 'cutter_probe',
                    'cutter_gatekeeper']) AS r (role),
       unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p (privilege)
 WHERE has_table_privilege(r.role, t.name, p.privilege);
-- Their writers are SECURITY DEFINER functions of cutter_owner.
SELECT 1 / (count(*) = 4)::int FROM pg_proc
 WHERE pronamespace = 'cutter_governance'::regnamespace AND prosecdef
   AND proowner = 'cutter_owner'::regrole
   AND proname IN ('fn_batch_open', 'fn_batch_member_start', 'fn_quarantine',
                   'fn_quarantine_release');
SELECT 1 / (count(*) = 3)::int FROM pg_trigger
 WHERE tgname IN ('member_guard', 'quarantine_guard', 'append_only')
   AND tgrelid IN ('cutter_governance.batch'::regclass, 'cutter_governance.batch_member'::regclass,
                   'cutter_governance.quarantine'::regclass);
