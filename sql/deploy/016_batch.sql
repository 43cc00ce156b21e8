-- Batches (seed O5): many documents cut through the daemon, one cut run each.
--
-- A batch and its members live in the ledger beside the runs they start, and,
-- as in 014, no lane role writes them directly: every change is a SECURITY
-- DEFINER function owned by cutter_owner that checks who calls it and what
-- the ledger already holds.
--   * a member is linked to its cut run (and the Dagster run that carries it)
--     once: a member that has a run is never started again;
--   * the linked run is the member's document, in the batch's mode, opened by
--     the batch's actor, and not begun yet;
--   * a document is quarantined only for a STOPPED run of a member of a
--     quarantine batch, with the run's own STOP as the reason; a quarantined
--     document is no member of a later batch until it is released.
-- A batch never approves anything: each member is an ordinary cut run with
-- its own gates.
SET LOCAL ROLE cutter_owner;

CREATE TABLE cutter_governance.batch (
    batch_id       uuid PRIMARY KEY,                  -- UUIDv7: time-ordered
    mode           text NOT NULL CHECK (mode IN ('dryrun', 'live')),
    on_failure     text NOT NULL CHECK (on_failure IN ('quarantine', 'strict', 'continue')),
    max_concurrent int  NOT NULL CHECK (max_concurrent > 0),
    actor          text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE cutter_governance.batch_member (
    batch_id       uuid NOT NULL REFERENCES cutter_governance.batch (batch_id),
    seq            int  NOT NULL CHECK (seq > 0),
    doc_code       text NOT NULL,
    run_id         uuid UNIQUE REFERENCES cutter_governance.orchestrator_run (run_id),
    dagster_run_id text UNIQUE,
    started_at     timestamptz,
    PRIMARY KEY (batch_id, doc_code),
    UNIQUE (batch_id, seq),
    CHECK ((run_id IS NULL) = (dagster_run_id IS NULL) AND (run_id IS NULL) = (started_at IS NULL))
);

CREATE TABLE cutter_governance.quarantine (
    run_id         uuid PRIMARY KEY REFERENCES cutter_governance.batch_member (run_id),
    doc_code       text NOT NULL,
    batch_id       uuid NOT NULL REFERENCES cutter_governance.batch (batch_id),
    reason         text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    released_at    timestamptz,
    released_by    text,
    CHECK ((released_at IS NULL) = (released_by IS NULL))
);
CREATE UNIQUE INDEX quarantine_one_open_per_document
    ON cutter_governance.quarantine (doc_code) WHERE released_at IS NULL;

-- Who opens a batch or releases a document is named, on one plain line.
CREATE FUNCTION cutter_governance.fn_require_actor(p_what text, p_actor text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
BEGIN
    IF p_actor IS NULL OR btrim(p_actor) = '' OR p_actor ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION '%: the actor must be named', p_what USING ERRCODE = 'check_violation';
    END IF;
END
$$;

-- ---- opening a batch ----------------------------------------------------------------
CREATE FUNCTION cutter_governance.fn_batch_open(
    p_batch_id uuid, p_mode text, p_on_failure text, p_max_concurrent int, p_actor text,
    p_doc_codes text[])
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing text;
    held    text;
    n       int;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_batch_open', ARRAY['cutter_exec']::name[]);
    PERFORM cutter_governance.fn_require_actor('fn_batch_open', p_actor);
    IF coalesce(cardinality(p_doc_codes), 0) = 0 THEN
        RAISE EXCEPTION 'fn_batch_open: a batch has members' USING ERRCODE = 'check_violation';
    END IF;
    SELECT string_agg(c, ', ') INTO missing
      FROM unnest(p_doc_codes) AS c
     WHERE NOT EXISTS (SELECT 1 FROM public.source_document d WHERE d.doc_code = c);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'fn_batch_open: no document %', missing USING ERRCODE = 'check_violation';
    END IF;
    SELECT string_agg(q.doc_code, ', ') INTO held
      FROM cutter_governance.quarantine q
     WHERE q.released_at IS NULL AND q.doc_code = ANY (p_doc_codes);
    IF held IS NOT NULL THEN
        RAISE EXCEPTION 'fn_batch_open: % quarantined', held USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.batch (batch_id, mode, on_failure, max_concurrent, actor)
    VALUES (p_batch_id, p_mode, p_on_failure, p_max_concurrent, p_actor);
    INSERT INTO cutter_governance.batch_member (batch_id, seq, doc_code)
    SELECT p_batch_id, m.seq, m.doc_code
      FROM unnest(p_doc_codes) WITH ORDINALITY AS m (doc_code, seq);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- ---- a member's cut run: linked once ---------------------------------------------
CREATE FUNCTION cutter_governance.fn_batch_member_start(
    p_batch_id uuid, p_doc_code text, p_run_id uuid, p_dagster_run_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b      cutter_governance.batch;
    member cutter_governance.batch_member;
    run    cutter_governance.orchestrator_run;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_batch_member_start',
                                                ARRAY['cutter_exec']::name[]);
    SELECT * INTO member FROM cutter_governance.batch_member
     WHERE batch_id = p_batch_id AND doc_code = p_doc_code FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_batch_member_start: % is no member of batch %', p_doc_code, p_batch_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF member.run_id IS NOT NULL THEN
        RAISE EXCEPTION 'fn_batch_member_start: % of batch % has its run % already', p_doc_code,
            p_batch_id, member.run_id USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO b FROM cutter_governance.batch WHERE batch_id = p_batch_id;
    run := cutter_governance.fn_locked_run('fn_batch_member_start', p_run_id);
    IF run.doc_code <> member.doc_code OR run.mode <> b.mode OR run.actor <> b.actor
       OR run.state <> 'SURVEYING'
       OR EXISTS (SELECT 1 FROM cutter_governance.phase_record WHERE run_id = p_run_id) THEN
        RAISE EXCEPTION 'fn_batch_member_start: run % is not a fresh % run of % by the batch''s actor',
            p_run_id, b.mode, member.doc_code USING ERRCODE = 'check_violation';
    END IF;
    IF p_dagster_run_id IS NULL OR p_dagster_run_id !~ '^[0-9a-f-]{36}$' THEN
        RAISE EXCEPTION 'fn_batch_member_start: % is not a Dagster run id', p_dagster_run_id
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE cutter_governance.batch_member
       SET run_id = p_run_id, dagster_run_id = p_dagster_run_id, started_at = clock_timestamp()
     WHERE batch_id = p_batch_id AND doc_code = p_doc_code;
END
$$;

-- ---- quarantine: a failed member's document, until it is released ------------------
-- True when the document is quarantined now; false when this run's quarantine
-- is recorded already (the stop sensor and a resumed batch may both ask).
CREATE FUNCTION cutter_governance.fn_quarantine(p_run_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    member cutter_governance.batch_member;
    run    cutter_governance.orchestrator_run;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_quarantine', ARRAY['cutter_exec']::name[]);
    SELECT m.* INTO member FROM cutter_governance.batch_member m
      JOIN cutter_governance.batch b USING (batch_id)
     WHERE m.run_id = p_run_id AND b.on_failure = 'quarantine';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fn_quarantine: run % is no member of a quarantine batch', p_run_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM cutter_governance.quarantine WHERE run_id = p_run_id) THEN
        RETURN false;
    END IF;
    run := cutter_governance.fn_locked_run('fn_quarantine', p_run_id);
    IF run.state <> 'STOPPED' THEN
        RAISE EXCEPTION 'fn_quarantine: run % is %, not STOPPED', p_run_id, run.state
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO cutter_governance.quarantine (run_id, doc_code, batch_id, reason)
    VALUES (p_run_id, member.doc_code, member.batch_id,
            left(run.stop_code || ': ' || coalesce(run.stop_detail, ''), 500))
    ON CONFLICT DO NOTHING;  -- the document is quarantined by an earlier run already
    RETURN FOUND;
END
$$;

CREATE FUNCTION cutter_governance.fn_quarantine_release(p_doc_code text, p_actor text)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM cutter_governance.fn_require_caller('fn_quarantine_release',
                                                ARRAY['cutter_exec']::name[]);
    PERFORM cutter_governance.fn_require_actor('fn_quarantine_release', p_actor);
    UPDATE cutter_governance.quarantine
       SET released_at = clock_timestamp(), released_by = p_actor
     WHERE doc_code = p_doc_code AND released_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- ---- what no role may change, whoever it is -------------------------------------
CREATE FUNCTION cutter_governance.tg_batch_member_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.run_id IS NOT NULL
       OR (NEW.batch_id, NEW.seq, NEW.doc_code) IS DISTINCT FROM
          (OLD.batch_id, OLD.seq, OLD.doc_code) THEN
        RAISE EXCEPTION 'batch member % of %: only its first run is ever written, once',
            OLD.doc_code, OLD.batch_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER member_guard BEFORE UPDATE OR DELETE ON cutter_governance.batch_member
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_batch_member_guard();

CREATE FUNCTION cutter_governance.tg_quarantine_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.released_at IS NOT NULL
       OR (NEW.run_id, NEW.doc_code, NEW.batch_id, NEW.reason, NEW.quarantined_at)
          IS DISTINCT FROM
          (OLD.run_id, OLD.doc_code, OLD.batch_id, OLD.reason, OLD.quarantined_at) THEN
        RAISE EXCEPTION 'quarantine of %: only its release is ever written, once', OLD.doc_code;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER quarantine_guard BEFORE UPDATE OR DELETE ON cutter_governance.quarantine
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_quarantine_guard();

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cutter_governance.batch
    FOR EACH ROW EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON cutter_governance.batch
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON cutter_governance.batch_member
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON cutter_governance.quarantine
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();

-- ---- the grants: reads for the lanes that read the ledger, writes only through the functions
REVOKE ALL ON cutter_governance.batch, cutter_governance.batch_member,
              cutter_governance.quarantine FROM PUBLIC;
GRANT SELECT ON cutter_governance.batch, cutter_governance.batch_member,
                cutter_governance.quarantine
   TO cutter_exec, cutter_enact, cutter_verify;
GRANT EXECUTE ON FUNCTION
    cutter_governance.fn_batch_open(uuid, text, text, int, text, text[]),
    cutter_governance.fn_batch_member_start(uuid, text, uuid, text),
    cutter_governance.fn_quarantine(uuid),
    cutter_governance.fn_quarantine_release(text, text)
   TO cutter_exec;
