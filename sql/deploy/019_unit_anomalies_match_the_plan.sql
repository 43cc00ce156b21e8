-- The unit writer stores exactly the anomalies the plan gave each unit, as the
-- sovereign was shown them (018 follow-up, issue 14). 018 matched a row's
-- anomalies against the consumed SG_0 request on kind, line and sha256 only, so
-- a lane role calling fn_iu_create_many could store an acknowledged anomaly
-- with other expected/found text, on a unit it does not affect, or twice.
-- fn_iu_create_many keeps its signature and every check of 018, and now also
-- refuses a row whose list
--   * holds an entry the request did not show with all five fields (kind,
--     line, sha256, expected, found: the request's entry, anomaly_record,
--     holds them with the line text and what a cut as found does);
--   * holds an entry twice;
--   * differs from the accepted_anomalies of the run's cutplan_row at the same
--     canonical address (the plan SG_1 approved through the writer digest; a
--     row the plan does not hold may carry none). Equal means the same JSON
--     list, entries in the plan's order.
SET LOCAL ROLE cutter_owner;

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
    duplicated     text;
    unacknowledged text;
    restated       text;
    unplanned      text;
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
        -- every list is well formed here: its elements can be read
        SELECT min(r.canonical_address) INTO duplicated
          FROM unnest(page) AS r
         WHERE (SELECT count(DISTINCT e) FROM jsonb_array_elements(r.accepted_anomalies) AS e)
               <> jsonb_array_length(r.accepted_anomalies);
        IF duplicated IS NOT NULL THEN
            RAISE EXCEPTION 'fn_iu_create_many: % lists the same accepted anomaly twice',
                duplicated;
        END IF;

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
        SELECT min(r.canonical_address) INTO restated
          FROM unnest(page) AS r
         CROSS JOIN LATERAL jsonb_array_elements(r.accepted_anomalies) AS e
         WHERE NOT coalesce(acknowledged @> jsonb_build_array(jsonb_build_object(
                   'kind', e -> 'kind', 'line', e -> 'line', 'sha256', e -> 'sha256',
                   'expected', e -> 'expected', 'found', e -> 'found')), false);
        IF restated IS NOT NULL THEN
            RAISE EXCEPTION 'fn_iu_create_many: % carries an acknowledged anomaly with other '
                'expected or found text than the SG_0 request of run % showed', restated,
                run.run_id;
        END IF;
    END IF;

    -- a row with no anomaly too: the plan may give it some (leaving them out is refused)
    SELECT r.canonical_address INTO unplanned
      FROM unnest(page) AS r
      LEFT JOIN cutter_governance.cutplan_row c
        ON c.run_id = run.run_id AND c.canonical_address = r.canonical_address
     WHERE r.accepted_anomalies IS DISTINCT FROM coalesce(c.accepted_anomalies, '[]'::jsonb)
     ORDER BY r.sort_order
     LIMIT 1;
    IF unplanned IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_create_many: the accepted anomalies of % are not those of its '
            'row in the cut plan of run %', unplanned, run.run_id;
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
