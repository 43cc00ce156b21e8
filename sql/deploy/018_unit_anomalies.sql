-- Each unit stores the structural anomalies it was cut as found with (issue 14:
-- "each accepted anomaly is stored with the units it affects"), and the SG_0
-- decision that accepted them.
--
-- The cut plan carries them per row (cutter_assets/core/cutplan.py, from the
-- anomalies mark accepted: acceptance.unit_anomalies), so the writer digest,
-- SG_1 and the verifier cover them like every other written column. The unit
-- writer takes them from the plan row and refuses any that the run's consumed
-- SG_0 acknowledgment did not list; the guard keeps them as written for ever.
--   * information_unit.accepted_anomalies: a JSON list, each entry exactly
--     {kind, line, sha256, expected, found}; [] for a unit no anomaly affects.
--   * information_unit.structure_decision_id: the consumed SG_0 decision the
--     anomalies were accepted under; NULL exactly when there are none.
--   * cutplan_row.accepted_anomalies: the same list, as the plan was approved.
-- fn_iu_create (one row, not used by leg A) keeps its signature and checks:
-- what it writes carries no anomaly ([] and NULL by default).
SET LOCAL ROLE cutter_owner;

-- ---- what an entry is ---------------------------------------------------------------
-- A JSON list of objects with exactly the keys kind (a vocabulary word), line
-- (a positive integer), sha256 (64 hex), expected and found (strings, maybe "").
CREATE FUNCTION public.fn_accepted_anomalies_valid(p_anomalies jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog AS $$
    SELECT jsonb_typeof(p_anomalies) = 'array' AND NOT EXISTS (
        SELECT 1
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_anomalies) = 'array'
                                         THEN p_anomalies ELSE '[]'::jsonb END) AS e
         WHERE CASE WHEN jsonb_typeof(e) <> 'object' THEN true
                    ELSE NOT (
                        (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e) AS k)
                            = ARRAY['expected', 'found', 'kind', 'line', 'sha256']::text[]
                        AND jsonb_typeof(e -> 'kind') = 'string'
                        AND (e ->> 'kind') ~ '^[a-z_]+$'
                        AND jsonb_typeof(e -> 'line') = 'number'
                        AND (e ->> 'line') ~ '^[1-9][0-9]{0,8}$'
                        AND jsonb_typeof(e -> 'sha256') = 'string'
                        AND (e ->> 'sha256') ~ '^[0-9a-f]{64}$'
                        AND jsonb_typeof(e -> 'expected') = 'string'
                        AND jsonb_typeof(e -> 'found') = 'string')
               END)
$$;
REVOKE ALL ON FUNCTION public.fn_accepted_anomalies_valid(jsonb) FROM PUBLIC;

-- ---- the columns --------------------------------------------------------------------
ALTER TABLE public.information_unit
    ADD COLUMN accepted_anomalies jsonb NOT NULL DEFAULT '[]'::jsonb
        CONSTRAINT information_unit_accepted_anomalies_valid
        CHECK (public.fn_accepted_anomalies_valid(accepted_anomalies)),
    ADD COLUMN structure_decision_id uuid
        CONSTRAINT information_unit_structure_decision_fkey
        REFERENCES cutter_governance.review_decision (id),
    ADD CONSTRAINT information_unit_accepted_under_a_decision
        CHECK ((accepted_anomalies = '[]'::jsonb) = (structure_decision_id IS NULL));

ALTER TABLE cutter_governance.cutplan_row
    ADD COLUMN accepted_anomalies jsonb NOT NULL DEFAULT '[]'::jsonb
        CONSTRAINT cutplan_row_accepted_anomalies_valid
        CHECK (public.fn_accepted_anomalies_valid(accepted_anomalies));

ALTER TYPE public.iu_plan_row ADD ATTRIBUTE accepted_anomalies jsonb;

-- ---- the guard: the anomalies and their decision never change after insert ---------
CREATE OR REPLACE FUNCTION public.tg_iu_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'information unit % cannot be deleted (forward-only)', OLD.canonical_address;
    END IF;
    IF OLD.lifecycle_status = 'enacted' THEN
        RAISE EXCEPTION 'information unit % is enacted and immutable', OLD.canonical_address;
    END IF;
    IF (NEW.id, NEW.source_document_id, NEW.source_version_id, NEW.change_set_id,
        NEW.idempotency_key, NEW.canonical_address, NEW.unit_kind, NEW.section_type,
        NEW.number, NEW.raw_heading, NEW.title, NEW.parent_address, NEW.sort_order,
        NEW.content_hash, NEW.created_at, NEW.accepted_anomalies, NEW.structure_decision_id)
       IS DISTINCT FROM
       (OLD.id, OLD.source_document_id, OLD.source_version_id, OLD.change_set_id,
        OLD.idempotency_key, OLD.canonical_address, OLD.unit_kind, OLD.section_type,
        OLD.number, OLD.raw_heading, OLD.title, OLD.parent_address, OLD.sort_order,
        OLD.content_hash, OLD.created_at, OLD.accepted_anomalies, OLD.structure_decision_id) THEN
        RAISE EXCEPTION 'information unit %: only its lifecycle may change', OLD.canonical_address;
    END IF;
    IF NEW.lifecycle_status IS DISTINCT FROM OLD.lifecycle_status
       AND NOT (OLD.lifecycle_status = 'draft' AND NEW.lifecycle_status IN ('enacted', 'voided')) THEN
        RAISE EXCEPTION 'information unit %: % -> % is not an allowed transition',
            OLD.canonical_address, OLD.lifecycle_status, NEW.lifecycle_status;
    END IF;
    RETURN NEW;
END
$$;

-- ---- the plan keeps each row's anomalies ---------------------------------------------
CREATE OR REPLACE FUNCTION cutter_governance.fn_cutplan_save(p_run_id uuid, p_rows jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
    n   bigint;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_cutplan_save', ARRAY['cutter_exec']::name[]);
    run := cutter_governance.fn_locked_run('fn_cutplan_save', p_run_id);
    IF run.state <> 'SURVEYING'
       OR EXISTS (SELECT 1 FROM cutter_governance.phase_record
                   WHERE run_id = p_run_id AND phase = 'cutplan')
       OR EXISTS (SELECT 1 FROM cutter_governance.cutplan_row WHERE run_id = p_run_id) THEN
        RAISE EXCEPTION 'fn_cutplan_save: run % has its plan already or is past the survey',
            p_run_id USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.cutplan_row
        (run_id, canonical_address, unit_kind, section_type, number, raw_heading, title, body,
         parent_address, sort_order, content_hash, idempotency_key, accepted_anomalies)
    SELECT p_run_id, r.canonical_address, r.unit_kind, r.section_type, r.number, r.raw_heading,
           coalesce(r.title, ''), r.body, r.parent_address, r.sort_order, r.content_hash,
           r.idempotency_key, coalesce(r.accepted_anomalies, '[]'::jsonb)
      FROM jsonb_populate_recordset(NULL::public.iu_plan_row, p_rows) AS r;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- ---- leg A writes each row's anomalies, only those the sovereign acknowledged -------
-- 010's checks and statuses, plus: a row's anomalies are well formed; a page
-- with any needs the run's consumed SG_0 decision (over the structure review's
-- request, as its gate rule names it), and each anomaly is one that request
-- listed (kind, line and the line's sha256); the decision is stored with them.
CREATE OR REPLACE FUNCTION public.fn_iu_create_many(p_change_set_id uuid, p_rows jsonb)
RETURNS TABLE (status text, units bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run            cutter_governance.orchestrator_run;
    page           public.iu_plan_row[];
    total          bigint;
    outside        text;
    mismatched     text;
    malformed      text;
    accepting      text;
    unacknowledged text;
    orphan         text;
    decision       uuid;
    acknowledged   jsonb;
    created        bigint;
BEGIN
    run := cutter_governance.fn_run_of_change_set('fn_iu_create_many', p_change_set_id);
    PERFORM cutter_governance.fn_require_writable('fn_iu_create_many', p_change_set_id,
                                                  run.run_id, run.state, run.mode);

    page := ARRAY(
        SELECT (r.idempotency_key, r.canonical_address, r.unit_kind, r.section_type, r.number,
                r.raw_heading, r.title, r.body, r.parent_address, r.sort_order, r.content_hash,
                coalesce(r.accepted_anomalies, '[]'::jsonb))::public.iu_plan_row
          FROM jsonb_populate_recordset(NULL::public.iu_plan_row, p_rows) AS r);

    SELECT count(*),
           min(r.canonical_address) FILTER (
               WHERE left(r.canonical_address, length(run.doc_code) + 1) IS DISTINCT FROM
                     run.doc_code || '/'),
           min(r.canonical_address) FILTER (
               WHERE encode(sha256(convert_to(r.body, 'UTF8')), 'hex')
                     IS DISTINCT FROM r.content_hash),
           min(r.canonical_address) FILTER (
               WHERE NOT public.fn_accepted_anomalies_valid(r.accepted_anomalies)),
           min(r.canonical_address) FILTER (WHERE r.accepted_anomalies <> '[]'::jsonb)
      INTO total, outside, mismatched, malformed, accepting
      FROM unnest(page) AS r;
    IF outside IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: % lies outside document %', outside, run.doc_code;
    END IF;
    IF mismatched IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: body of % does not match its content hash', mismatched;
    END IF;
    IF malformed IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: the accepted anomalies of % are not a list of '
            '{kind, line, sha256, expected, found}', malformed;
    END IF;

    IF accepting IS NOT NULL THEN
        SELECT d.id, p.pins -> 'payload' -> 'anomalies' INTO decision, acknowledged
          FROM cutter_governance.review_decision d
          JOIN cutter_governance.gate_rule g ON g.gate = d.gate
          JOIN cutter_governance.phase_record p
            ON p.run_id = d.run_id AND p.phase = g.request_phase AND p.outcome = 'passed'
           AND p.pins ->> 'payload_sha' = d.payload_sha
         WHERE d.run_id = run.run_id AND d.gate = 'SG_0_structure'
           AND d.consumed_at IS NOT NULL
         ORDER BY d.consumed_at DESC
         LIMIT 1;
        IF decision IS NULL THEN
            RAISE EXCEPTION 'fn_iu_create_many: % carries accepted anomalies, but run % passed '
                'no structure review (no consumed SG_0 decision)', accepting, run.run_id;
        END IF;
        SELECT min(r.canonical_address) INTO unacknowledged
          FROM unnest(page) AS r
         CROSS JOIN LATERAL jsonb_array_elements(r.accepted_anomalies) AS e
         WHERE NOT coalesce(acknowledged @> jsonb_build_array(jsonb_build_object(
                   'kind', e -> 'kind', 'line', e -> 'line', 'sha256', e -> 'sha256')), false);
        IF unacknowledged IS NOT NULL THEN
            RAISE EXCEPTION 'fn_iu_create_many: % carries an anomaly the SG_0 acknowledgment '
                'of run % does not list', unacknowledged, run.run_id;
        END IF;
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
             parent_address, sort_order, content_hash, accepted_anomalies,
             structure_decision_id)
        SELECT f.id, run.source_document_id, run.source_version_id, p_change_set_id,
               f.idempotency_key, f.canonical_address, f.unit_kind, f.section_type, f.number,
               f.raw_heading, coalesce(f.title, ''), f.parent_address, f.sort_order,
               f.content_hash, f.accepted_anomalies,
               CASE WHEN f.accepted_anomalies <> '[]'::jsonb THEN decision END
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
