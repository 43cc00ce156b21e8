-- Two guards the writers already had and the lifecycle functions lacked:
--   fn_iu_enact enacts only under an SG_2 decision that was consumed (re-validated
--   and spent by the enact phase), as the unit writers require a consumed SG_1;
--   fn_iu_void locks the change set's units before it looks for enacted ones, so
--   an enactment committing meanwhile makes it refuse instead of voiding nothing
--   while the run is marked voided.
SET LOCAL ROLE cutter_owner;

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
           AND rd.run_id = unit.run_id
           AND rd.consumed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'fn_iu_enact: % has no consumed SG_2 review decision %',
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

CREATE OR REPLACE FUNCTION public.fn_iu_void(p_change_set_id uuid)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n int;
BEGIN
    -- Wait for any transaction enacting these units, then look.
    PERFORM 1 FROM public.information_unit
      WHERE change_set_id = p_change_set_id
        FOR UPDATE;
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
