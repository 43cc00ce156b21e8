-- The state machine lives where the lane roles cannot forge it (DESIGN §0).
--
-- No lane role keeps INSERT, UPDATE or DELETE on any ledger table. Every
-- change goes through a SECURITY DEFINER function owned by cutter_owner (a
-- role nobody logs in as), and each function checks who calls it, the run's
-- state and mode, and the invariants that make the move legal:
--   * run_transition: (from state, to state, role, mode, the function that
--     makes the move). A state change outside it is refused by a trigger,
--     whoever makes it;
--   * phase_rule: the phases in order, the run state each is recorded in and
--     the role that records it; a phase is recorded only after every earlier
--     phase passed, and a run leaves a state only once that state's phases
--     passed;
--   * a decision (SG_1, SG_2) is recorded only by cutter_gatekeeper (the role
--     that validates approvals), with the clearsigned approval text, and is
--     consumed only by the function that moves the run on under it;
--   * a run's mode, document, version, actor and scope never change.
-- The Python catalogue (cutter_assets/core/phases.py) is tested against both
-- tables.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cutter_gatekeeper') THEN
        CREATE ROLE cutter_gatekeeper LOGIN NOINHERIT;  -- records approval decisions
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cutter_gatekeeper', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO cutter_gatekeeper;

SET LOCAL ROLE cutter_owner;

ALTER TABLE cutter_governance.review_decision ADD COLUMN approval_text text;
-- One use per signature (its UNIQUE key stays); a recorded approval that can
-- no longer be used (its doc deleted, past its TTL) does not block a fresh one,
-- and at most one decision per gate of a run is ever consumed.
ALTER TABLE cutter_governance.review_decision
    DROP CONSTRAINT review_decision_gate_run_id_payload_sha_key;
CREATE UNIQUE INDEX review_decision_consumed_once
    ON cutter_governance.review_decision (gate, run_id) WHERE consumed_at IS NOT NULL;

-- ---- the tables the functions enforce --------------------------------------------
CREATE TABLE cutter_governance.run_transition (
    from_state text NOT NULL,
    to_state   text NOT NULL,
    role       name NOT NULL,
    mode       text NOT NULL CHECK (mode IN ('dryrun', 'live')),
    via        text NOT NULL,
    PRIMARY KEY (from_state, to_state, role, mode)
);
INSERT INTO cutter_governance.run_transition (from_state, to_state, role, mode, via)
SELECT t.from_state, t.to_state, t.role, m.mode, t.via
  FROM (VALUES
        ('SURVEYING', 'AWAITING_CUT_AUTHORIZATION', 'cutter_exec', 'fn_run_move'),
        ('AWAITING_CUT_AUTHORIZATION', 'WRITING', 'cutter_exec', 'fn_run_pass_gate'),
        ('WRITING', 'AWAITING_LIFECYCLE_AUTHORIZATION', 'cutter_exec', 'fn_run_move'),
        ('AWAITING_LIFECYCLE_AUTHORIZATION', 'ENACTING', 'cutter_enact', 'fn_run_pass_gate'),
        ('ENACTING', 'COMPLETED', 'cutter_exec', 'fn_run_move')
       ) AS t (from_state, to_state, role, via),
       (VALUES ('dryrun'), ('live')) AS m (mode);
INSERT INTO cutter_governance.run_transition (from_state, to_state, role, mode, via)
SELECT s.state, 'STOPPED', r.role, m.mode, 'fn_run_stop'
  FROM (VALUES ('SURVEYING'), ('AWAITING_CUT_AUTHORIZATION'), ('WRITING'),
               ('AWAITING_LIFECYCLE_AUTHORIZATION'), ('ENACTING')) AS s (state),
       (VALUES ('cutter_exec'), ('cutter_enact')) AS r (role),
       (VALUES ('dryrun'), ('live')) AS m (mode);
INSERT INTO cutter_governance.run_transition (from_state, to_state, role, mode, via)
SELECT s.state, 'VOIDED', 'cutter_exec', m.mode, 'fn_run_void'
  FROM (VALUES ('SURVEYING'), ('AWAITING_CUT_AUTHORIZATION'), ('WRITING'),
               ('AWAITING_LIFECYCLE_AUTHORIZATION'), ('STOPPED')) AS s (state),
       (VALUES ('dryrun'), ('live')) AS m (mode);
-- Leg A committed, leg B not: resume completes leg B (live only; a rehearsal
-- committed nothing to complete).
INSERT INTO cutter_governance.run_transition VALUES
    ('STOPPED', 'WRITING', 'cutter_exec', 'live', 'fn_run_reopen_for_leg_b');

CREATE TABLE cutter_governance.phase_rule (
    seq   int  PRIMARY KEY,
    phase text NOT NULL UNIQUE,
    state text NOT NULL,   -- the run state the phase is recorded in
    role  name NOT NULL    -- the role whose ledger session records it
);
INSERT INTO cutter_governance.phase_rule (seq, phase, state, role) VALUES
    (1, 'source_pin', 'SURVEYING', 'cutter_exec'),
    (2, 'mark', 'SURVEYING', 'cutter_exec'),
    (3, 'cutplan', 'SURVEYING', 'cutter_exec'),
    (4, 'backup', 'SURVEYING', 'cutter_exec'),
    (5, 'grant_probe', 'SURVEYING', 'cutter_exec'),
    (6, 'cut_authorization_request', 'SURVEYING', 'cutter_exec'),
    (7, 'change_set', 'WRITING', 'cutter_exec'),
    (8, 'structural_verify', 'WRITING', 'cutter_exec'),
    (9, 'manifest_envelope', 'WRITING', 'cutter_exec'),
    (10, 'verify_result', 'WRITING', 'cutter_exec'),
    (11, 'lifecycle_authorization_request', 'WRITING', 'cutter_exec'),
    (12, 'lifecycle_enactment', 'ENACTING', 'cutter_enact'),
    (13, 'closeout', 'ENACTING', 'cutter_exec');

CREATE TABLE cutter_governance.gate_rule (
    gate          text PRIMARY KEY,
    awaited_state text NOT NULL UNIQUE,
    request_phase text NOT NULL REFERENCES cutter_governance.phase_rule (phase),
    next_state    text NOT NULL UNIQUE,  -- where the run goes once the gate is passed
    ttl           interval NOT NULL
);
INSERT INTO cutter_governance.gate_rule VALUES
    ('SG_1_cut_authz', 'AWAITING_CUT_AUTHORIZATION', 'cut_authorization_request', 'WRITING',
     '24 hours'),
    ('SG_2_lifecycle_authz', 'AWAITING_LIFECYCLE_AUTHORIZATION',
     'lifecycle_authorization_request', 'ENACTING', '12 hours');

-- ---- who is calling -------------------------------------------------------------
-- Inside a SECURITY DEFINER function current_user is the owner; the caller is
-- the role the session took with SET ROLE, or the role it logged in as.
CREATE FUNCTION cutter_governance.fn_caller() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;

-- Who wrote a record is the calling lane role, not the functions' owner.
CREATE OR REPLACE FUNCTION cutter_governance.tg_stamp_created_by() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    NEW.created_by := cutter_governance.fn_caller();
    RETURN NEW;
END
$$;

CREATE FUNCTION cutter_governance.fn_require_caller(p_what text, p_roles name[])
RETURNS name
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
DECLARE
    caller name := cutter_governance.fn_caller();
BEGIN
    IF NOT caller = ANY (p_roles) THEN
        RAISE EXCEPTION '%: % may not do this (only %)', p_what, caller, p_roles
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN caller;
END
$$;

-- The run, locked for the rest of the transaction.
CREATE FUNCTION cutter_governance.fn_locked_run(p_what text, p_run_id uuid)
RETURNS cutter_governance.orchestrator_run
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    run cutter_governance.orchestrator_run;
BEGIN
    SELECT * INTO run FROM cutter_governance.orchestrator_run
     WHERE run_id = p_run_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: unknown run %', p_what, p_run_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN run;
END
$$;

-- The rule of p_gate, refusing an unknown gate or a run that does not await it.
CREATE FUNCTION cutter_governance.fn_awaited_gate(
    p_what text, run cutter_governance.orchestrator_run, p_gate text)
RETURNS cutter_governance.gate_rule
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
DECLARE
    gate cutter_governance.gate_rule;
BEGIN
    SELECT * INTO gate FROM cutter_governance.gate_rule WHERE gate_rule.gate = p_gate;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: unknown gate %', p_what, p_gate USING ERRCODE = 'check_violation';
    END IF;
    IF run.state <> gate.awaited_state THEN
        RAISE EXCEPTION '%: run % is %, not awaiting %', p_what, run.run_id, run.state, p_gate
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN gate;
END
$$;

-- The payload the run's request for the gate pinned (NULL before the request).
CREATE FUNCTION cutter_governance.fn_requested_payload(
    p_run_id uuid, gate cutter_governance.gate_rule)
RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT pins ->> 'payload_sha' FROM cutter_governance.phase_record
     WHERE run_id = p_run_id AND phase = gate.request_phase AND outcome = 'passed'
$$;

-- A phase or a void holds its run's row until its transaction ends, so they
-- never interleave on one run (the lane roles cannot lock it themselves: a
-- row lock needs UPDATE on the table).
CREATE FUNCTION cutter_governance.fn_run_lock(p_run_id uuid)
RETURNS SETOF cutter_governance.orchestrator_run
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM cutter_governance.orchestrator_run WHERE run_id = p_run_id FOR NO KEY UPDATE
$$;

-- The phases of p_state passed (a run leaves a state only then).
CREATE FUNCTION cutter_governance.fn_require_phases_of(p_what text, p_run_id uuid, p_state text)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(pr.phase, ', ' ORDER BY pr.seq) INTO missing
      FROM cutter_governance.phase_rule pr
     WHERE pr.state = p_state
       AND NOT EXISTS (SELECT 1 FROM cutter_governance.phase_record r
                        WHERE r.run_id = p_run_id AND r.phase = pr.phase
                          AND r.outcome = 'passed');
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '%: run % has not passed %', p_what, p_run_id, missing
            USING ERRCODE = 'check_violation';
    END IF;
END
$$;

-- The one check of a move against run_transition: who, from, to, mode, how.
CREATE FUNCTION cutter_governance.fn_require_transition(
    p_via text, run cutter_governance.orchestrator_run, p_to text)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cutter_governance.run_transition t
                    WHERE t.from_state = run.state AND t.to_state = p_to
                      AND t.role = cutter_governance.fn_caller()
                      AND t.mode = run.mode AND t.via = p_via) THEN
        RAISE EXCEPTION '%: run % (%, %) cannot move to % as %', p_via, run.run_id, run.mode,
            run.state, p_to, cutter_governance.fn_caller() USING ERRCODE = 'check_violation';
    END IF;
END
$$;

CREATE FUNCTION cutter_governance.fn_set_state(p_run_id uuid, p_to text) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog AS $$
    UPDATE cutter_governance.orchestrator_run
       SET state = p_to, updated_at = clock_timestamp()
     WHERE run_id = p_run_id
$$;

-- ---- opening a run ----------------------------------------------------------------
CREATE FUNCTION cutter_governance.fn_run_open(
    p_run_id uuid, p_document_id uuid, p_version_id uuid, p_doc_code text, p_mode text,
    p_scope text, p_actor text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    latest uuid;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_run_open', ARRAY['cutter_exec']::name[]);
    SELECT v.id INTO latest
      FROM public.source_version v
      JOIN public.source_document d ON d.id = v.source_document_id
     WHERE d.id = p_document_id AND d.doc_code = p_doc_code
     ORDER BY v.version_no DESC LIMIT 1;
    IF latest IS DISTINCT FROM p_version_id THEN
        RAISE EXCEPTION 'fn_run_open: % is not the latest version of %', p_version_id, p_doc_code
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_actor IS NULL OR btrim(p_actor) = '' OR p_actor ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION 'fn_run_open: the actor must be named' USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.orchestrator_run
        (run_id, source_document_id, source_version_id, doc_code, mode, scope, actor, state)
    VALUES (p_run_id, p_document_id, p_version_id, p_doc_code, p_mode, p_scope, p_actor,
            'SURVEYING');
END
$$;

CREATE FUNCTION cutter_governance.fn_run_set_kb_folder(p_run_id uuid, p_folder text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_run_set_kb_folder',
                                                ARRAY['cutter_exec']::name[]);
    run := cutter_governance.fn_locked_run('fn_run_set_kb_folder', p_run_id);
    IF run.kb_folder IS NOT NULL OR run.state <> 'SURVEYING' THEN
        RAISE EXCEPTION 'fn_run_set_kb_folder: run % has its folder already', p_run_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_folder IS NULL OR p_folder ~ '(^/|(^|/)\.\.(/|$)|[[:cntrl:]]|\\)' THEN
        RAISE EXCEPTION 'fn_run_set_kb_folder: % is not a folder inside the KB', p_folder
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE cutter_governance.orchestrator_run
       SET kb_folder = p_folder, updated_at = clock_timestamp()
     WHERE run_id = p_run_id;
END
$$;

-- ---- phases ---------------------------------------------------------------------
CREATE FUNCTION cutter_governance.fn_phase_record(
    p_run_id uuid, p_phase text, p_outcome text, p_pins jsonb, p_idempotency_key text,
    p_kb_doc_path text, p_kb_doc_sha256 text, p_dagster_run_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run  cutter_governance.orchestrator_run;
    rule cutter_governance.phase_rule;
    missing text;
BEGIN
    SELECT * INTO rule FROM cutter_governance.phase_rule WHERE phase = p_phase;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_phase_record: unknown phase %', p_phase
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM cutter_governance.fn_require_caller('fn_phase_record ' || p_phase,
                                                ARRAY[rule.role]::name[]);
    run := cutter_governance.fn_locked_run('fn_phase_record', p_run_id);
    IF run.state <> rule.state THEN
        RAISE EXCEPTION 'fn_phase_record: run % is %; % is recorded in %', p_run_id, run.state,
            p_phase, rule.state USING ERRCODE = 'check_violation';
    END IF;
    SELECT string_agg(pr.phase, ', ' ORDER BY pr.seq) INTO missing
      FROM cutter_governance.phase_rule pr
     WHERE pr.seq < rule.seq
       AND NOT EXISTS (SELECT 1 FROM cutter_governance.phase_record r
                        WHERE r.run_id = p_run_id AND r.phase = pr.phase
                          AND r.outcome = 'passed');
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'fn_phase_record: % before % passed', p_phase, missing
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.phase_record
        (run_id, phase, outcome, pins, idempotency_key, kb_doc_path, kb_doc_sha256,
         dagster_run_id)
    VALUES (p_run_id, p_phase, p_outcome, coalesce(p_pins, '{}'::jsonb), p_idempotency_key,
            p_kb_doc_path, p_kb_doc_sha256, p_dagster_run_id);
END
$$;

CREATE FUNCTION cutter_governance.fn_cutplan_save(p_run_id uuid, p_rows jsonb)
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
         parent_address, sort_order, content_hash, idempotency_key)
    SELECT p_run_id, r.canonical_address, r.unit_kind, r.section_type, r.number, r.raw_heading,
           coalesce(r.title, ''), r.body, r.parent_address, r.sort_order, r.content_hash,
           r.idempotency_key
      FROM jsonb_populate_recordset(NULL::public.iu_plan_row, p_rows) AS r;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- ---- moves without a decision -----------------------------------------------------
CREATE FUNCTION cutter_governance.fn_run_move(p_run_id uuid, p_from text, p_to text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
    cs  uuid;
BEGIN
    run := cutter_governance.fn_locked_run('fn_run_move', p_run_id);
    IF run.state <> p_from THEN
        RAISE EXCEPTION 'fn_run_move: run % is %, not %', p_run_id, run.state, p_from
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM cutter_governance.fn_require_transition('fn_run_move', run, p_to);
    PERFORM cutter_governance.fn_require_phases_of('fn_run_move', p_run_id, run.state);
    IF run.mode = 'live' AND p_from IN ('WRITING', 'ENACTING') THEN
        SELECT change_set_id INTO cs FROM cutter_governance.cut_change_set WHERE run_id = p_run_id;
        IF p_from = 'WRITING' AND NOT EXISTS (
            SELECT 1 FROM cutter_governance.manifest_envelope e
              JOIN cutter_governance.verify_result v ON v.change_set_id = e.change_set_id
             WHERE e.change_set_id = cs AND v.verdict = 'pass'
               AND v.created_by = 'cutter_verify' AND e.created_by = 'cutter_exec') THEN
            RAISE EXCEPTION 'fn_run_move: run % has no envelope and passing verification', p_run_id
                USING ERRCODE = 'check_violation';
        END IF;
        IF p_from = 'ENACTING' AND (
            NOT EXISTS (SELECT 1 FROM public.information_unit WHERE change_set_id = cs)
            OR EXISTS (SELECT 1 FROM public.information_unit
                        WHERE change_set_id = cs AND lifecycle_status <> 'enacted')) THEN
            RAISE EXCEPTION 'fn_run_move: run % has units that are not enacted', p_run_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    PERFORM cutter_governance.fn_set_state(p_run_id, p_to);
END
$$;

CREATE FUNCTION cutter_governance.fn_run_stop(p_run_id uuid, p_code text, p_detail text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_run_stop',
                                                ARRAY['cutter_exec', 'cutter_enact']::name[]);
    run := cutter_governance.fn_locked_run('fn_run_stop', p_run_id);
    IF run.state IN ('STOPPED', 'VOIDED', 'COMPLETED') THEN
        RETURN false;  -- a final state stays as it is
    END IF;
    IF p_code !~ '^STOP_[A-Z0-9_]+$' THEN
        RAISE EXCEPTION 'fn_run_stop: % is not a STOP code', p_code
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM cutter_governance.fn_require_transition('fn_run_stop', run, 'STOPPED');
    UPDATE cutter_governance.orchestrator_run
       SET state = 'STOPPED', stop_code = p_code, stop_detail = left(p_detail, 2000),
           updated_at = clock_timestamp()
     WHERE run_id = p_run_id;
    RETURN true;
END
$$;

CREATE FUNCTION cutter_governance.fn_run_reopen_for_leg_b(p_run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
BEGIN
    run := cutter_governance.fn_locked_run('fn_run_reopen_for_leg_b', p_run_id);
    PERFORM cutter_governance.fn_require_transition('fn_run_reopen_for_leg_b', run, 'WRITING');
    IF run.stop_code IS DISTINCT FROM 'STOP_BETWEEN_LEG_A_AND_LEG_B'
       OR NOT EXISTS (SELECT 1 FROM cutter_governance.phase_record
                       WHERE run_id = p_run_id AND phase = 'change_set' AND outcome = 'passed')
       OR EXISTS (SELECT 1 FROM cutter_governance.phase_record
                   WHERE run_id = p_run_id AND phase = 'manifest_envelope') THEN
        RAISE EXCEPTION 'fn_run_reopen_for_leg_b: run % is not stopped between legs', p_run_id
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE cutter_governance.orchestrator_run
       SET state = 'WRITING', stop_code = NULL, stop_detail = NULL,
           updated_at = clock_timestamp()
     WHERE run_id = p_run_id;
END
$$;

CREATE FUNCTION cutter_governance.fn_run_void(p_run_id uuid, p_reason_kb text)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
    cs  uuid;
    n   int := 0;
BEGIN
    run := cutter_governance.fn_locked_run('fn_run_void', p_run_id);
    PERFORM cutter_governance.fn_require_transition('fn_run_void', run, 'VOIDED');
    IF p_reason_kb IS NULL OR btrim(p_reason_kb) = '' THEN
        RAISE EXCEPTION 'fn_run_void: a void needs its reason doc' USING ERRCODE = 'check_violation';
    END IF;
    SELECT change_set_id INTO cs FROM cutter_governance.cut_change_set WHERE run_id = p_run_id;
    IF cs IS NOT NULL THEN
        n := public.fn_iu_void(cs);
    END IF;
    UPDATE cutter_governance.orchestrator_run
       SET state = 'VOIDED', voided_at = clock_timestamp(), void_reason_kb = p_reason_kb,
           updated_at = clock_timestamp()
     WHERE run_id = p_run_id;
    RETURN n;
END
$$;

-- ---- decisions: recorded by the gatekeeper, consumed by the move they authorize ----
CREATE FUNCTION cutter_governance.fn_decision_record(
    p_gate text, p_run_id uuid, p_payload_sha text, p_approval_doc_path text,
    p_approval_doc_sha256 text, p_signature_sha256 text, p_provider text, p_approver text,
    p_signer_fingerprint text, p_signed_utc timestamptz, p_approval_text text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run  cutter_governance.orchestrator_run;
    gate cutter_governance.gate_rule;
    requested text;
    new_id uuid;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_decision_record',
                                                ARRAY['cutter_gatekeeper']::name[]);
    run := cutter_governance.fn_locked_run('fn_decision_record', p_run_id);
    gate := cutter_governance.fn_awaited_gate('fn_decision_record', run, p_gate);
    requested := cutter_governance.fn_requested_payload(p_run_id, gate);
    IF requested IS NULL OR requested <> p_payload_sha THEN
        RAISE EXCEPTION 'fn_decision_record: the approval is not over the requested payload'
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_signed_utc > clock_timestamp() + interval '5 minutes'
       OR p_signed_utc + gate.ttl < clock_timestamp() THEN
        RAISE EXCEPTION 'fn_decision_record: signed % is outside the % TTL', p_signed_utc, p_gate
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_approval_text IS NULL
       OR encode(sha256(convert_to(p_approval_text, 'UTF8')), 'hex') <> p_approval_doc_sha256 THEN
        RAISE EXCEPTION 'fn_decision_record: the stored approval text is not the approval doc'
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_provider NOT IN ('gpg', 'stub') THEN
        RAISE EXCEPTION 'fn_decision_record: unknown provider %', p_provider
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_provider = 'gpg' AND coalesce(p_signer_fingerprint, '') !~ '^[0-9A-F]{40}$' THEN
        RAISE EXCEPTION 'fn_decision_record: a gpg approval names its signer'
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.review_decision
        (gate, run_id, payload_sha, approval_doc_path, approval_doc_sha256, signature_sha256,
         provider, approver, signer_fingerprint, signed_utc, approval_text)
    VALUES (p_gate, p_run_id, p_payload_sha, p_approval_doc_path, p_approval_doc_sha256,
            p_signature_sha256, p_provider, p_approver, p_signer_fingerprint, p_signed_utc,
            p_approval_text)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;

-- Consume the run's decision for p_gate, checked again here (gate, run,
-- payload, TTL, unconsumed); the live write or enactment needs its switch.
CREATE FUNCTION cutter_governance.fn_consume_decision(
    run cutter_governance.orchestrator_run, gate cutter_governance.gate_rule,
    p_decision_id uuid, p_consumer text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    d cutter_governance.review_decision;
BEGIN
    IF run.mode = 'dryrun' THEN
        IF p_decision_id IS NOT NULL THEN
            RAISE EXCEPTION 'a rehearsal is never approved (run %)', run.run_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN;
    END IF;
    IF NOT cutter_governance.fn_claim_execution(run.run_id) THEN
        RAISE EXCEPTION 'execution is not enabled for run %', run.run_id
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO d FROM cutter_governance.review_decision
     WHERE id = p_decision_id FOR UPDATE;
    IF NOT FOUND OR d.gate <> gate.gate OR d.run_id <> run.run_id OR d.consumed_at IS NOT NULL
       OR d.payload_sha IS DISTINCT FROM cutter_governance.fn_requested_payload(run.run_id, gate)
       OR d.signed_utc + gate.ttl < clock_timestamp()
       OR d.approval_text IS NULL THEN
        RAISE EXCEPTION 'run % has no valid, unconsumed % decision %', run.run_id, gate.gate,
            p_decision_id USING ERRCODE = 'check_violation';
    END IF;
    UPDATE cutter_governance.review_decision
       SET consumed_at = clock_timestamp(), consumed_by = p_consumer
     WHERE id = p_decision_id;
END
$$;

-- Past a gate: the awaited state into the next, the request's stage passed,
-- and for a live run the decision consumed here (its switch claimed) and, into
-- WRITING, a green rehearsal of the same plan.
CREATE FUNCTION cutter_governance.fn_run_pass_gate(
    p_run_id uuid, p_gate text, p_decision_id uuid, p_consumer text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run  cutter_governance.orchestrator_run;
    gate cutter_governance.gate_rule;
BEGIN
    run := cutter_governance.fn_locked_run('fn_run_pass_gate', p_run_id);
    gate := cutter_governance.fn_awaited_gate('fn_run_pass_gate', run, p_gate);
    PERFORM cutter_governance.fn_require_transition('fn_run_pass_gate', run, gate.next_state);
    PERFORM cutter_governance.fn_require_phases_of(
        'fn_run_pass_gate', p_run_id,
        (SELECT state FROM cutter_governance.phase_rule WHERE phase = gate.request_phase));
    IF gate.next_state = 'WRITING' AND run.mode = 'live' AND NOT EXISTS (
        SELECT 1 FROM cutter_governance.orchestrator_run g
          JOIN cutter_governance.phase_record gp ON gp.run_id = g.run_id AND gp.phase = 'cutplan'
          JOIN cutter_governance.phase_record lp ON lp.run_id = run.run_id AND lp.phase = 'cutplan'
         WHERE g.mode = 'dryrun' AND g.state = 'COMPLETED'
           AND g.source_version_id = run.source_version_id
           AND gp.pins ->> 'writer_digest' = lp.pins ->> 'writer_digest') THEN
        RAISE EXCEPTION 'fn_run_pass_gate: no green rehearsal of run %''s plan', p_run_id
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM cutter_governance.fn_consume_decision(run, gate, p_decision_id, p_consumer);
    PERFORM cutter_governance.fn_set_state(p_run_id, gate.next_state);
END
$$;

-- ---- records of the write stage -------------------------------------------------
CREATE FUNCTION cutter_governance.fn_change_set_open(
    p_change_set_id uuid, p_run_id uuid, p_idempotency_key text, p_writer_digest text,
    p_expected_count int)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run cutter_governance.orchestrator_run;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_change_set_open',
                                                ARRAY['cutter_exec']::name[]);
    -- not locked: a rehearsal writes beside the ledger session that holds the run
    SELECT * INTO run FROM cutter_governance.orchestrator_run WHERE run_id = p_run_id;
    IF NOT FOUND OR run.state <> 'WRITING' THEN
        RAISE EXCEPTION 'fn_change_set_open: run % is not WRITING', p_run_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_writer_digest IS DISTINCT FROM (
           SELECT pins ->> 'writer_digest' FROM cutter_governance.phase_record
            WHERE run_id = p_run_id AND phase = 'cutplan' AND outcome = 'passed')
       OR p_expected_count IS DISTINCT FROM (
           SELECT count(*)::int FROM cutter_governance.cutplan_row WHERE run_id = p_run_id) THEN
        RAISE EXCEPTION 'fn_change_set_open: the change set is not the approved plan of run %',
            p_run_id USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.cut_change_set
        (change_set_id, run_id, idempotency_key, writer_digest, expected_count)
    VALUES (p_change_set_id, p_run_id, p_idempotency_key, p_writer_digest, p_expected_count);
END
$$;

CREATE FUNCTION cutter_governance.fn_signature_record(
    p_provider text, p_principal text, p_payload_sha text, p_signature text,
    p_signature_sha256 text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM cutter_governance.fn_require_caller(
        'fn_signature_record as ' || coalesce(p_principal, '?'),
        CASE p_principal WHEN 'executor' THEN ARRAY['cutter_exec']::name[]
                         WHEN 'verifier' THEN ARRAY['cutter_verify']::name[]
                         ELSE ARRAY[]::name[] END);
    INSERT INTO cutter_governance.signature
        (provider, principal, payload_sha, signature, signature_sha256)
    VALUES (p_provider, p_principal, p_payload_sha, p_signature, p_signature_sha256)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;

-- The change set's run, WRITING; and the signature is p_principal's over p_payload_sha.
CREATE FUNCTION cutter_governance.fn_require_signed_record(
    p_what text, p_change_set_id uuid, p_signature_id uuid, p_principal text, p_payload_sha text)
RETURNS cutter_governance.cut_change_set
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
DECLARE
    cs cutter_governance.cut_change_set;
BEGIN
    SELECT c.* INTO cs FROM cutter_governance.cut_change_set c
      JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
     WHERE c.change_set_id = p_change_set_id AND r.state = 'WRITING';
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: change set % is unknown or its run is not WRITING', p_what,
            p_change_set_id USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cutter_governance.signature s
                    WHERE s.id = p_signature_id AND s.principal = p_principal
                      AND s.payload_sha = p_payload_sha) THEN
        RAISE EXCEPTION '%: signature % is not the %''s over the payload', p_what,
            p_signature_id, p_principal USING ERRCODE = 'check_violation';
    END IF;
    RETURN cs;
END
$$;

CREATE FUNCTION cutter_governance.fn_envelope_record(
    p_id uuid, p_change_set_id uuid, p_signature_id uuid, p_payload_sha text, p_row_count int)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cs cutter_governance.cut_change_set;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_envelope_record',
                                                ARRAY['cutter_exec']::name[]);
    cs := cutter_governance.fn_require_signed_record(
        'fn_envelope_record', p_change_set_id, p_signature_id, 'executor', p_payload_sha);
    IF p_row_count IS DISTINCT FROM cs.expected_count THEN
        RAISE EXCEPTION 'fn_envelope_record: % rows, the change set expects %', p_row_count,
            cs.expected_count USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.manifest_envelope
        (id, change_set_id, executor_signature_id, payload_sha, row_count)
    VALUES (p_id, p_change_set_id, p_signature_id, p_payload_sha, p_row_count);
END
$$;

CREATE FUNCTION cutter_governance.fn_verify_record(
    p_id uuid, p_change_set_id uuid, p_signature_id uuid, p_verdict text, p_observed jsonb,
    p_payload_sha text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_verify_record',
                                                ARRAY['cutter_verify']::name[]);
    PERFORM cutter_governance.fn_require_signed_record(
        'fn_verify_record', p_change_set_id, p_signature_id, 'verifier', p_payload_sha);
    INSERT INTO cutter_governance.verify_result
        (id, change_set_id, verifier_signature_id, verdict, observed, payload_sha)
    VALUES (p_id, p_change_set_id, p_signature_id, p_verdict, p_observed, p_payload_sha);
END
$$;

CREATE FUNCTION cutter_governance.fn_approval_attempt_record(
    p_doc_path text, p_doc_sha256 text, p_gate text, p_run_id text, p_outcome text,
    p_reason text, p_channel text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_approval_attempt_record',
                                                ARRAY['cutter_gatekeeper']::name[]);
    INSERT INTO cutter_governance.approval_attempt
        (doc_path, doc_sha256, gate, run_id, outcome, reason, channel)
    VALUES (left(p_doc_path, 300), p_doc_sha256, p_gate, left(p_run_id, 64), p_outcome,
            left(p_reason, 500), p_channel);
END
$$;

-- ---- the unit writers and enactment, under the state machine ----------------------
-- fn_iu_enact: the run is ENACTING; live needs the armed switch and the run's
-- consumed SG_2 decision; a rehearsal enacts (never committed) with none.
CREATE OR REPLACE FUNCTION public.fn_iu_enact(p_information_unit_id uuid, p_review_decision_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unit record;
BEGIN
    SELECT iu.id, iu.canonical_address, iu.lifecycle_status, c.run_id, r.mode, r.state
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
    IF unit.state <> 'ENACTING' THEN
        RAISE EXCEPTION 'fn_iu_enact: run % is %, not ENACTING', unit.run_id, unit.state;
    END IF;
    IF unit.mode = 'live' THEN
        IF NOT cutter_governance.fn_execution_allowed(unit.run_id) THEN
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
    ELSIF p_review_decision_id IS NOT NULL THEN
        RAISE EXCEPTION 'fn_iu_enact: a rehearsal enacts under no decision';
    END IF;

    UPDATE public.information_unit
       SET lifecycle_status = 'enacted',
           enacted_at = clock_timestamp(),
           review_decision_id = p_review_decision_id
     WHERE id = p_information_unit_id;
    RETURN 'enacted';
END
$$;

-- ---- what no role may change, whoever it is -------------------------------------
CREATE FUNCTION cutter_governance.tg_run_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cut run % cannot be deleted (forward-only)', OLD.run_id;
    END IF;
    IF (NEW.run_id, NEW.source_document_id, NEW.source_version_id, NEW.doc_code, NEW.mode,
        NEW.scope, NEW.actor, NEW.started_at)
       IS DISTINCT FROM
       (OLD.run_id, OLD.source_document_id, OLD.source_version_id, OLD.doc_code, OLD.mode,
        OLD.scope, OLD.actor, OLD.started_at) THEN
        RAISE EXCEPTION 'cut run %: its mode, document, version, scope and actor never change',
            OLD.run_id;
    END IF;
    IF OLD.kb_folder IS NOT NULL AND NEW.kb_folder IS DISTINCT FROM OLD.kb_folder THEN
        RAISE EXCEPTION 'cut run %: its KB folder never moves', OLD.run_id;
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
        SELECT 1 FROM cutter_governance.run_transition t
         WHERE t.from_state = OLD.state AND t.to_state = NEW.state AND t.mode = OLD.mode) THEN
        RAISE EXCEPTION 'cut run %: % -> % is not a transition of a % run', OLD.run_id,
            OLD.state, NEW.state, OLD.mode;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER run_guard BEFORE UPDATE OR DELETE ON cutter_governance.orchestrator_run
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_run_guard();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON cutter_governance.orchestrator_run
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();

CREATE FUNCTION cutter_governance.tg_decision_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'review decision % cannot be deleted', OLD.id;
    END IF;
    IF OLD.consumed_at IS NOT NULL
       OR NEW.consumed_at IS NULL
       OR (NEW.id, NEW.gate, NEW.run_id, NEW.payload_sha, NEW.approval_doc_path,
           NEW.approval_doc_sha256, NEW.signature_sha256, NEW.provider, NEW.approver,
           NEW.signer_fingerprint, NEW.signed_utc, NEW.recorded_at, NEW.approval_text)
          IS DISTINCT FROM
          (OLD.id, OLD.gate, OLD.run_id, OLD.payload_sha, OLD.approval_doc_path,
           OLD.approval_doc_sha256, OLD.signature_sha256, OLD.provider, OLD.approver,
           OLD.signer_fingerprint, OLD.signed_utc, OLD.recorded_at, OLD.approval_text) THEN
        RAISE EXCEPTION 'review decision %: only its consumption is ever written, once', OLD.id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER decision_guard BEFORE UPDATE OR DELETE ON cutter_governance.review_decision
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_decision_guard();

DO $$
DECLARE
    ledger_table text;
BEGIN
    FOREACH ledger_table IN ARRAY ARRAY[
        'review_decision', 'cut_change_set', 'run_transition', 'phase_rule', 'gate_rule']
    LOOP
        IF ledger_table NOT IN ('review_decision') THEN
            EXECUTE format(
                'CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cutter_governance.%I '
                'FOR EACH ROW EXECUTE FUNCTION public.tg_append_only()', ledger_table);
        END IF;
        EXECUTE format(
            'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON cutter_governance.%I '
            'FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only()', ledger_table);
    END LOOP;
END
$$;

-- ---- the grants: reads for every lane, writes only through the functions -----------
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON ALL TABLES IN SCHEMA cutter_governance
  FROM cutter_exec, cutter_enact, cutter_verify, cutter_probe;
REVOKE ALL ON SEQUENCE cutter_governance.approval_attempt_id_seq FROM cutter_exec;
REVOKE EXECUTE ON FUNCTION public.fn_iu_void(uuid) FROM cutter_exec;

GRANT USAGE ON SCHEMA cutter_governance TO cutter_gatekeeper;
GRANT SELECT ON cutter_governance.orchestrator_run, cutter_governance.phase_record,
                cutter_governance.review_decision, cutter_governance.approval_attempt,
                cutter_governance.run_transition, cutter_governance.phase_rule,
                cutter_governance.gate_rule
   TO cutter_gatekeeper;
GRANT SELECT ON cutter_governance.run_transition, cutter_governance.phase_rule,
                cutter_governance.gate_rule
   TO cutter_exec, cutter_enact, cutter_verify;

GRANT EXECUTE ON FUNCTION
    cutter_governance.fn_run_open(uuid, uuid, uuid, text, text, text, text),
    cutter_governance.fn_run_set_kb_folder(uuid, text),
    cutter_governance.fn_cutplan_save(uuid, jsonb),
    cutter_governance.fn_run_reopen_for_leg_b(uuid),
    cutter_governance.fn_run_void(uuid, text),
    cutter_governance.fn_change_set_open(uuid, uuid, text, text, int),
    cutter_governance.fn_envelope_record(uuid, uuid, uuid, text, int)
   TO cutter_exec;
GRANT EXECUTE ON FUNCTION
    cutter_governance.fn_phase_record(uuid, text, text, jsonb, text, text, text, text),
    cutter_governance.fn_run_move(uuid, text, text),
    cutter_governance.fn_run_stop(uuid, text, text)
   TO cutter_exec, cutter_enact;
GRANT EXECUTE ON FUNCTION cutter_governance.fn_run_pass_gate(uuid, text, uuid, text)
   TO cutter_exec, cutter_enact;
GRANT EXECUTE ON FUNCTION cutter_governance.fn_run_lock(uuid) TO cutter_exec, cutter_enact;
GRANT EXECUTE ON FUNCTION
    cutter_governance.fn_signature_record(text, text, text, text, text)
   TO cutter_exec, cutter_verify;
GRANT EXECUTE ON FUNCTION cutter_governance.fn_verify_record(uuid, uuid, uuid, text, jsonb, text)
   TO cutter_verify;
GRANT EXECUTE ON FUNCTION
    cutter_governance.fn_decision_record(text, uuid, text, text, text, text, text, text, text,
                                         timestamptz, text),
    cutter_governance.fn_approval_attempt_record(text, text, text, text, text, text, text)
   TO cutter_gatekeeper;
-- fn_claim_execution claims a switch only inside the decision's consumption now
REVOKE EXECUTE ON FUNCTION cutter_governance.fn_claim_execution(uuid)
  FROM cutter_exec, cutter_enact;
