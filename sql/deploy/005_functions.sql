-- The only IU writers. SECURITY DEFINER with a pinned search_path, owned by
-- cutter_owner; their full definitions are fingerprinted in
-- sql/lifecycle/fingerprints.yaml.
SET LOCAL ROLE cutter_owner;

-- G-CUT-ONCE: one unit per idempotency key; a replay creates nothing.
CREATE FUNCTION public.fn_iu_create(
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
    run    record;
    new_id uuid;
BEGIN
    SELECT r.source_document_id, r.source_version_id, r.doc_code, r.state
      INTO run
      FROM cutter_governance.cut_change_set c
      JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
     WHERE c.change_set_id = p_change_set_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_iu_create: unknown change set %', p_change_set_id;
    END IF;

    SELECT iu.id INTO new_id
      FROM public.information_unit iu
     WHERE iu.idempotency_key = p_idempotency_key AND iu.lifecycle_status <> 'voided';
    IF FOUND THEN
        RETURN QUERY SELECT new_id, 'replayed'::text;
        RETURN;
    END IF;

    IF run.state <> 'WRITING' THEN
        RAISE EXCEPTION 'fn_iu_create: run of change set % is %, not WRITING', p_change_set_id, run.state;
    END IF;
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

-- draft -> enacted only, once, under an SG_2 review decision of the unit's own run.
CREATE FUNCTION public.fn_iu_enact(p_information_unit_id uuid, p_review_decision_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unit record;
BEGIN
    SELECT iu.id, iu.canonical_address, iu.lifecycle_status, c.run_id
      INTO unit
      FROM public.information_unit iu
      JOIN cutter_governance.cut_change_set c ON c.change_set_id = iu.change_set_id
     WHERE iu.id = p_information_unit_id
       FOR UPDATE OF iu;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_iu_enact: unknown information unit %', p_information_unit_id;
    END IF;
    IF unit.lifecycle_status <> 'draft' THEN
        RAISE EXCEPTION 'fn_iu_enact: % is %; only draft -> enacted is allowed',
            unit.canonical_address, unit.lifecycle_status;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM cutter_governance.review_decision rd
         WHERE rd.id = p_review_decision_id
           AND rd.gate = 'SG_2_lifecycle_authz'
           AND rd.run_id = unit.run_id) THEN
        RAISE EXCEPTION 'fn_iu_enact: % has no SG_2 review decision %',
            unit.canonical_address, p_review_decision_id;
    END IF;

    UPDATE public.information_unit
       SET lifecycle_status = 'enacted',
           enacted_at = clock_timestamp(),
           review_decision_id = p_review_decision_id
     WHERE id = p_information_unit_id;
    RETURN 'enacted';
END
$$;

-- Forward-only compensation: the drafts of a change set become voided (kept,
-- logged); enacted units are never touched, so a change set with any enacted
-- unit cannot be voided.
CREATE FUNCTION public.fn_iu_void(p_change_set_id uuid)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n int;
BEGIN
    IF EXISTS (SELECT 1 FROM public.information_unit
                WHERE change_set_id = p_change_set_id AND lifecycle_status = 'enacted') THEN
        RAISE EXCEPTION 'fn_iu_void: change set % has enacted units; they stay', p_change_set_id;
    END IF;
    UPDATE public.information_unit SET lifecycle_status = 'voided'
     WHERE change_set_id = p_change_set_id AND lifecycle_status = 'draft';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
