-- The unit writers, with one write guard between them.
--
-- fn_run_of_change_set finds the run a change set belongs to, and
-- fn_require_writable is the one place that says when units may be written:
-- the change set's run is WRITING and, for a live run, execution is armed
-- and the run's SG_1 decision is consumed. Both writers call it (008 and 009
-- each had their own copy).
--
-- fn_iu_create_many keeps 009's checks and statuses with the page parsed
-- once: the rows are read into an array of a plan-row type, checked in one
-- pass (the parent check is a hash anti-join, not a nested re-parse per
-- row), and written with their ids chosen up front, so the versions and
-- affected rows need no join back by address.
SET LOCAL ROLE cutter_owner;

CREATE TYPE public.iu_plan_row AS (
    idempotency_key   text,
    canonical_address text,
    unit_kind         text,
    section_type      text,
    number            text,
    raw_heading       text,
    title             text,
    body              text,
    parent_address    text,
    sort_order        int,
    content_hash      text
);

CREATE FUNCTION cutter_governance.fn_run_of_change_set(p_writer text, p_change_set_id uuid)
RETURNS cutter_governance.orchestrator_run
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run cutter_governance.orchestrator_run;
BEGIN
    SELECT r.* INTO run
      FROM cutter_governance.cut_change_set c
      JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
     WHERE c.change_set_id = p_change_set_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: unknown change set %', p_writer, p_change_set_id;
    END IF;
    RETURN run;
END
$$;
REVOKE ALL ON FUNCTION cutter_governance.fn_run_of_change_set(text, uuid) FROM PUBLIC;

CREATE FUNCTION cutter_governance.fn_require_writable(
    p_writer text, p_change_set_id uuid, p_run_id uuid, p_state text, p_mode text)
RETURNS void
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_state <> 'WRITING' THEN
        RAISE EXCEPTION '%: run of change set % is %, not WRITING', p_writer, p_change_set_id, p_state;
    END IF;
    IF p_mode = 'live' THEN
        IF NOT cutter_governance.fn_execution_allowed(p_run_id) THEN
            RAISE EXCEPTION '%: execution is not enabled for run %', p_writer, p_run_id;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM cutter_governance.review_decision rd
                        WHERE rd.run_id = p_run_id AND rd.gate = 'SG_1_cut_authz'
                          AND rd.consumed_at IS NOT NULL) THEN
            RAISE EXCEPTION '%: run % has no consumed SG_1 approval', p_writer, p_run_id;
        END IF;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION cutter_governance.fn_require_writable(text, uuid, uuid, text, text)
    FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.fn_iu_create(
    p_change_set_id     uuid,
    p_idempotency_key   text,
    p_canonical_address text,
    p_unit_kind         text,
    p_section_type      text,
    p_number            text,
    p_raw_heading       text,
    p_title             text,
    p_body              text,
    p_parent_address    text,
    p_sort_order        int,
    p_content_hash      text)
RETURNS TABLE (information_unit_id uuid, status text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run    cutter_governance.orchestrator_run;
    new_id uuid;
BEGIN
    run := cutter_governance.fn_run_of_change_set('fn_iu_create', p_change_set_id);

    SELECT iu.id INTO new_id
      FROM public.information_unit iu
     WHERE iu.idempotency_key = p_idempotency_key AND iu.lifecycle_status <> 'voided';
    IF FOUND THEN
        RETURN QUERY SELECT new_id, 'replayed'::text;
        RETURN;
    END IF;

    PERFORM cutter_governance.fn_require_writable('fn_iu_create', p_change_set_id, run.run_id,
                                                  run.state, run.mode);
    IF left(p_canonical_address, length(run.doc_code) + 1) <> run.doc_code || '/' THEN
        RAISE EXCEPTION 'fn_iu_create: % lies outside document %', p_canonical_address, run.doc_code;
    END IF;
    IF encode(sha256(convert_to(p_body, 'UTF8')), 'hex') <> p_content_hash THEN
        RAISE EXCEPTION 'fn_iu_create: body of % does not match its content hash', p_canonical_address;
    END IF;
    IF p_parent_address IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM public.information_unit iu
         WHERE iu.canonical_address = p_parent_address AND iu.change_set_id = p_change_set_id) THEN
        RAISE EXCEPTION 'fn_iu_create: parent % of % is not written in this change set',
            p_parent_address, p_canonical_address;
    END IF;

    INSERT INTO public.information_unit
        (source_document_id, source_version_id, change_set_id, idempotency_key,
         canonical_address, unit_kind, section_type, number, raw_heading, title,
         parent_address, sort_order, content_hash)
    VALUES
        (run.source_document_id, run.source_version_id, p_change_set_id, p_idempotency_key,
         p_canonical_address, p_unit_kind, p_section_type, p_number, p_raw_heading,
         coalesce(p_title, ''), p_parent_address, p_sort_order, p_content_hash)
    RETURNING id INTO new_id;

    INSERT INTO public.unit_version (information_unit_id, version_no, body, content_hash)
    VALUES (new_id, 1, p_body, p_content_hash);

    INSERT INTO cutter_governance.cut_change_set_affected_row
        (change_set_id, information_unit_id, canonical_address)
    VALUES (p_change_set_id, new_id, p_canonical_address);

    RETURN QUERY SELECT new_id, 'created'::text;
END
$$;

CREATE OR REPLACE FUNCTION public.fn_iu_create_many(p_change_set_id uuid, p_rows jsonb)
RETURNS TABLE (status text, units bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run        cutter_governance.orchestrator_run;
    page       public.iu_plan_row[];
    total      bigint;
    outside    text;
    mismatched text;
    orphan     text;
    created    bigint;
BEGIN
    run := cutter_governance.fn_run_of_change_set('fn_iu_create_many', p_change_set_id);
    PERFORM cutter_governance.fn_require_writable('fn_iu_create_many', p_change_set_id,
                                                  run.run_id, run.state, run.mode);

    page := ARRAY(SELECT r FROM jsonb_populate_recordset(NULL::public.iu_plan_row, p_rows) AS r);

    SELECT count(*),
           min(r.canonical_address) FILTER (
               WHERE left(r.canonical_address, length(run.doc_code) + 1) IS DISTINCT FROM
                     run.doc_code || '/'),
           min(r.canonical_address) FILTER (
               WHERE encode(sha256(convert_to(r.body, 'UTF8')), 'hex')
                     IS DISTINCT FROM r.content_hash)
      INTO total, outside, mismatched
      FROM unnest(page) AS r;
    IF outside IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: % lies outside document %', outside, run.doc_code;
    END IF;
    IF mismatched IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: body of % does not match its content hash', mismatched;
    END IF;

    SELECT c.canonical_address INTO orphan
      FROM unnest(page) AS c
      LEFT JOIN unnest(page) AS p ON p.canonical_address = c.parent_address
     WHERE c.parent_address IS NOT NULL
       AND p.canonical_address IS NULL
       AND NOT EXISTS (SELECT 1 FROM public.information_unit iu
                        WHERE iu.change_set_id = p_change_set_id
                          AND iu.canonical_address = c.parent_address)
     ORDER BY c.sort_order
     LIMIT 1;
    IF orphan IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: the parent of % is not written in this change set',
            orphan;
    END IF;

    WITH fresh AS MATERIALIZED (
        SELECT gen_random_uuid() AS id, r.*
          FROM unnest(page) AS r
         WHERE NOT EXISTS (SELECT 1 FROM public.information_unit iu
                            WHERE iu.idempotency_key = r.idempotency_key
                              AND iu.lifecycle_status <> 'voided')
    ), written AS (
        INSERT INTO public.information_unit
            (id, source_document_id, source_version_id, change_set_id, idempotency_key,
             canonical_address, unit_kind, section_type, number, raw_heading, title,
             parent_address, sort_order, content_hash)
        SELECT f.id, run.source_document_id, run.source_version_id, p_change_set_id,
               f.idempotency_key, f.canonical_address, f.unit_kind, f.section_type, f.number,
               f.raw_heading, coalesce(f.title, ''), f.parent_address, f.sort_order,
               f.content_hash
          FROM fresh f ORDER BY f.sort_order
        RETURNING 1
    ), versions AS (
        INSERT INTO public.unit_version (information_unit_id, version_no, body, content_hash)
        SELECT f.id, 1, f.body, f.content_hash FROM fresh f
        RETURNING 1
    ), affected AS (
        INSERT INTO cutter_governance.cut_change_set_affected_row
            (change_set_id, information_unit_id, canonical_address)
        SELECT p_change_set_id, f.id, f.canonical_address FROM fresh f
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
