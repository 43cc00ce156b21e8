-- Defence in depth for writes (DESIGN §4): the kill switch, the approval and
-- the mode are re-checked by the database before every unit write.
SET LOCAL ROLE cutter_owner;

-- Off at rest. The sovereign arms it for one live cut run; it disarms itself
-- when that run completes, stops or is voided.
CREATE TABLE cutter_governance.execution_switch (
    id          bigserial PRIMARY KEY,
    run_id      uuid REFERENCES cutter_governance.orchestrator_run (run_id),
    armed_by    name NOT NULL DEFAULT current_user,
    armed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    disarmed_at timestamptz,
    disarm_reason text
);
-- at most one armed switch at a time
CREATE UNIQUE INDEX execution_switch_one_armed
    ON cutter_governance.execution_switch ((true)) WHERE disarmed_at IS NULL;

CREATE FUNCTION cutter_governance.fn_execution_allowed(p_run_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM cutter_governance.execution_switch s
                    WHERE s.disarmed_at IS NULL AND (s.run_id = p_run_id OR s.run_id IS NULL))
$$;

-- The live write claims the armed switch for its run (an unclaimed switch is
-- claimed by the first live run that writes); false when nothing is armed.
CREATE FUNCTION cutter_governance.fn_claim_execution(p_run_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE cutter_governance.execution_switch SET run_id = p_run_id
     WHERE disarmed_at IS NULL AND (run_id IS NULL OR run_id = p_run_id);
    RETURN FOUND;
END
$$;

CREATE FUNCTION cutter_governance.tg_disarm_on_close() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    UPDATE cutter_governance.execution_switch
       SET disarmed_at = clock_timestamp(), disarm_reason = 'run ' || NEW.state
     WHERE run_id = NEW.run_id AND disarmed_at IS NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER disarm_on_close AFTER UPDATE OF state ON cutter_governance.orchestrator_run
    FOR EACH ROW WHEN (NEW.state IN ('COMPLETED', 'STOPPED', 'VOIDED'))
    EXECUTE FUNCTION cutter_governance.tg_disarm_on_close();

-- A rehearsal's writes can never be committed, whatever the client does.
CREATE FUNCTION public.tg_refuse_dryrun_commit() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cutter_governance.cut_change_set c
                 JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
                WHERE c.change_set_id = NEW.change_set_id AND r.mode = 'dryrun') THEN
        RAISE EXCEPTION 'units of a dryrun change set are never committed (%)', NEW.canonical_address;
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER refuse_dryrun_commit AFTER INSERT OR UPDATE ON public.information_unit
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION public.tg_refuse_dryrun_commit();

-- fn_iu_create: also requires, for a live run, the armed switch and a
-- consumed SG_1 decision of the run.
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
    run    record;
    new_id uuid;
BEGIN
    SELECT r.run_id, r.source_document_id, r.source_version_id, r.doc_code, r.state, r.mode
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
    IF run.mode = 'live' THEN
        IF NOT cutter_governance.fn_execution_allowed(run.run_id) THEN
            RAISE EXCEPTION 'fn_iu_create: execution is not enabled for run %', run.run_id;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM cutter_governance.review_decision rd
                        WHERE rd.run_id = run.run_id AND rd.gate = 'SG_1_cut_authz'
                          AND rd.consumed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'fn_iu_create: run % has no consumed SG_1 approval', run.run_id;
        END IF;
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

-- fn_iu_enact: also requires the armed switch for a live run.
CREATE OR REPLACE FUNCTION public.fn_iu_enact(p_information_unit_id uuid, p_review_decision_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unit record;
BEGIN
    SELECT iu.id, iu.canonical_address, iu.lifecycle_status, c.run_id, r.mode
      INTO unit
      FROM public.information_unit iu
      JOIN cutter_governance.cut_change_set c ON c.change_set_id = iu.change_set_id
      JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
     WHERE iu.id = p_information_unit_id
       FOR UPDATE OF iu;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_iu_enact: unknown information unit %', p_information_unit_id;
    END IF;
    IF unit.lifecycle_status <> 'draft' THEN
        RAISE EXCEPTION 'fn_iu_enact: % is %; only draft -> enacted is allowed',
            unit.canonical_address, unit.lifecycle_status;
    END IF;
    IF unit.mode = 'live' AND NOT cutter_governance.fn_execution_allowed(unit.run_id) THEN
        RAISE EXCEPTION 'fn_iu_enact: execution is not enabled for run %', unit.run_id;
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

REVOKE ALL ON cutter_governance.execution_switch FROM PUBLIC;
REVOKE ALL ON FUNCTION cutter_governance.fn_execution_allowed(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION cutter_governance.fn_claim_execution(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION cutter_governance.tg_disarm_on_close() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.tg_refuse_dryrun_commit() FROM PUBLIC;
GRANT SELECT ON cutter_governance.execution_switch TO cutter_exec, cutter_enact, cutter_verify;
GRANT EXECUTE ON FUNCTION cutter_governance.fn_execution_allowed(uuid),
                          cutter_governance.fn_claim_execution(uuid)
   TO cutter_exec, cutter_enact;
