-- SECURITY DEFINER probes owned by cutter_probe: fixed, fingerprinted reads
-- the survey runs instead of ad-hoc catalog queries.

-- The privilege matrix: every privilege held on a governed object by anyone
-- but its owner (NULL ACLs read as PostgreSQL's defaults, so an implicit
-- PUBLIC EXECUTE shows up too).
CREATE FUNCTION cutter_governance.fn_privilege_matrix()
RETURNS TABLE (grantee text, object text, privilege text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH rels AS (
        SELECT c.oid, n.nspname || '.' || c.relname AS object, c.relowner,
               coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char",
                                             c.relowner)) AS acl
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('public', 'cutter_governance')
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    ), acl AS (
        SELECT a.grantee, r.object, a.privilege_type
          FROM rels r, aclexplode(r.acl) a
         WHERE a.grantee <> r.relowner
        UNION ALL
        SELECT a.grantee, r.object || '.' || att.attname, a.privilege_type
          FROM rels r
          JOIN pg_attribute att ON att.attrelid = r.oid AND att.attacl IS NOT NULL,
               aclexplode(att.attacl) a
         WHERE a.grantee <> r.relowner
        UNION ALL
        SELECT a.grantee,
               p.pronamespace::regnamespace::text || '.' || p.proname
                   || '(' || oidvectortypes(p.proargtypes) || ')',
               a.privilege_type
          FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f'::"char", p.proowner))) a
         WHERE p.pronamespace IN ('public'::regnamespace, 'cutter_governance'::regnamespace)
           AND a.grantee <> p.proowner
        UNION ALL
        SELECT a.grantee, 'schema ' || n.nspname, a.privilege_type
          FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))) a
         WHERE n.nspname IN ('public', 'cutter_governance')
           AND a.grantee <> n.nspowner
    )
    SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE acl.grantee::regrole::text END,
           acl.object, acl.privilege_type
      FROM acl
     ORDER BY 1, 2, 3
$$;

-- Units already written under a document's prefix, by lifecycle status.
CREATE FUNCTION cutter_governance.fn_units_under_prefix(p_doc_code text)
RETURNS TABLE (lifecycle_status text, units bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT iu.lifecycle_status, count(*)
      FROM public.information_unit iu
     WHERE left(iu.canonical_address, length(p_doc_code) + 1) = p_doc_code || '/'
     GROUP BY iu.lifecycle_status
$$;

ALTER FUNCTION cutter_governance.fn_privilege_matrix() OWNER TO cutter_probe;
ALTER FUNCTION cutter_governance.fn_units_under_prefix(text) OWNER TO cutter_probe;
REVOKE ALL ON FUNCTION cutter_governance.fn_privilege_matrix() FROM PUBLIC;
REVOKE ALL ON FUNCTION cutter_governance.fn_units_under_prefix(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cutter_governance.fn_privilege_matrix(),
                          cutter_governance.fn_units_under_prefix(text)
   TO cutter_exec, cutter_enact, cutter_verify;
