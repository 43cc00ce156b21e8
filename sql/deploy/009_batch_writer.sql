-- Leg A in one round trip: the same checks as fn_iu_create, made set-wise
-- over a whole page of plan rows (G-CUT-ONCE: rows whose idempotency key is
-- already written are replayed, never written twice). No temporary table: a
-- caller's same-named temp table must never be written as the owner.
SET LOCAL ROLE cutter_owner;

CREATE FUNCTION public.fn_iu_create_many(p_change_set_id uuid, p_rows jsonb)
RETURNS TABLE (status text, units bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run     record;
    bad     text;
    total   bigint;
    created bigint;
BEGIN
    SELECT r.run_id, r.source_document_id, r.source_version_id, r.doc_code, r.state, r.mode
      INTO run
      FROM cutter_governance.cut_change_set c
      JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
     WHERE c.change_set_id = p_change_set_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_iu_create_many: unknown change set %', p_change_set_id;
    END IF;
    IF run.state <> 'WRITING' THEN
        RAISE EXCEPTION 'fn_iu_create_many: run of change set % is %, not WRITING',
            p_change_set_id, run.state;
    END IF;
    IF run.mode = 'live' THEN
        IF NOT cutter_governance.fn_execution_allowed(run.run_id) THEN
            RAISE EXCEPTION 'fn_iu_create_many: execution is not enabled for run %', run.run_id;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM cutter_governance.review_decision rd
                        WHERE rd.run_id = run.run_id AND rd.gate = 'SG_1_cut_authz'
                          AND rd.consumed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'fn_iu_create_many: run % has no consumed SG_1 approval', run.run_id;
        END IF;
    END IF;

    SELECT count(*) INTO total FROM jsonb_array_elements(p_rows);

    SELECT i.canonical_address INTO bad FROM jsonb_to_recordset(p_rows) AS i(idempotency_key text, canonical_address text, unit_kind text, section_type text,
        number text, raw_heading text, title text, body text, parent_address text,
        sort_order int, content_hash text)
     WHERE left(i.canonical_address, length(run.doc_code) + 1) <> run.doc_code || '/' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fn_iu_create_many: % lies outside document %', bad, run.doc_code;
    END IF;
    SELECT i.canonical_address INTO bad FROM jsonb_to_recordset(p_rows) AS i(idempotency_key text, canonical_address text, unit_kind text, section_type text,
        number text, raw_heading text, title text, body text, parent_address text,
        sort_order int, content_hash text)
     WHERE encode(sha256(convert_to(i.body, 'UTF8')), 'hex') <> i.content_hash LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fn_iu_create_many: body of % does not match its content hash', bad;
    END IF;
    SELECT i.canonical_address INTO bad FROM jsonb_to_recordset(p_rows) AS i(idempotency_key text, canonical_address text, unit_kind text, section_type text,
        number text, raw_heading text, title text, body text, parent_address text,
        sort_order int, content_hash text)
     WHERE i.parent_address IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(p_rows) AS p(canonical_address text)
                        WHERE p.canonical_address = i.parent_address)
       AND NOT EXISTS (SELECT 1 FROM public.information_unit iu
                        WHERE iu.change_set_id = p_change_set_id
                          AND iu.canonical_address = i.parent_address)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fn_iu_create_many: the parent of % is not written in this change set', bad;
    END IF;

    WITH fresh AS (
        SELECT i.* FROM jsonb_to_recordset(p_rows) AS i(idempotency_key text, canonical_address text, unit_kind text, section_type text,
        number text, raw_heading text, title text, body text, parent_address text,
        sort_order int, content_hash text)
         WHERE NOT EXISTS (SELECT 1 FROM public.information_unit iu
                            WHERE iu.idempotency_key = i.idempotency_key
                              AND iu.lifecycle_status <> 'voided')
    ), written AS (
        INSERT INTO public.information_unit
            (source_document_id, source_version_id, change_set_id, idempotency_key,
             canonical_address, unit_kind, section_type, number, raw_heading, title,
             parent_address, sort_order, content_hash)
        SELECT run.source_document_id, run.source_version_id, p_change_set_id,
               f.idempotency_key, f.canonical_address, f.unit_kind, f.section_type, f.number,
               f.raw_heading, coalesce(f.title, ''), f.parent_address, f.sort_order,
               f.content_hash
          FROM fresh f ORDER BY f.sort_order
        RETURNING id, canonical_address, content_hash
    ), versions AS (
        INSERT INTO public.unit_version (information_unit_id, version_no, body, content_hash)
        SELECT w.id, 1, f.body, w.content_hash
          FROM written w JOIN fresh f ON f.canonical_address = w.canonical_address
        RETURNING 1
    ), affected AS (
        INSERT INTO cutter_governance.cut_change_set_affected_row
            (change_set_id, information_unit_id, canonical_address)
        SELECT p_change_set_id, w.id, w.canonical_address FROM written w
        RETURNING 1
    )
    SELECT count(*) INTO created FROM written;

    IF created > 0 THEN
        RETURN QUERY SELECT 'created'::text, created;
    END IF;
    IF total > created THEN
        RETURN QUERY SELECT 'replayed'::text, total - created;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION public.fn_iu_create_many(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.fn_iu_create_many(uuid, jsonb) TO cutter_exec;
