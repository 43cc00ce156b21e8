-- The governance ledger: runs, phases, plans, change sets, signatures,
-- verification, sovereign decisions and every approval attempt.
SET LOCAL ROLE cutter_owner;

CREATE SCHEMA cutter_governance;

CREATE TABLE cutter_governance.orchestrator_run (
    run_id              uuid PRIMARY KEY,              -- UUIDv7: time-ordered
    source_document_id  uuid NOT NULL REFERENCES public.source_document (id),
    source_version_id   uuid NOT NULL REFERENCES public.source_version (id),
    doc_code            text NOT NULL,
    mode                text NOT NULL CHECK (mode IN ('dryrun', 'live')),
    scope               text NOT NULL DEFAULT 'enacted_only'
                             CHECK (scope IN ('enacted_only', 'all')),
    actor               text NOT NULL,
    state               text NOT NULL CHECK (state IN (
                            'SURVEYING', 'AWAITING_CUT_AUTHORIZATION', 'WRITING',
                            'AWAITING_LIFECYCLE_AUTHORIZATION', 'ENACTING',
                            'COMPLETED', 'STOPPED', 'VOIDED')),
    stop_code           text,
    stop_detail         text,
    kb_folder           text,
    pins                jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    voided_at           timestamptz,
    void_reason_kb      text,
    -- A run blocks a new cut of the same version until it is voided; a
    -- finished or stopped rehearsal wrote nothing and blocks nothing.
    blocks_recut        boolean GENERATED ALWAYS AS (
                            state <> 'VOIDED'
                            AND NOT (mode = 'dryrun' AND state IN ('COMPLETED', 'STOPPED'))
                        ) STORED
);
-- STOP_REPLAY_CONFLICT is this index refusing a second open run.
CREATE UNIQUE INDEX orchestrator_run_one_open_per_version
    ON cutter_governance.orchestrator_run (source_document_id, source_version_id)
    WHERE blocks_recut;

CREATE TABLE cutter_governance.phase_record (
    run_id          uuid NOT NULL REFERENCES cutter_governance.orchestrator_run (run_id),
    phase           text NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('passed', 'failed')),
    pins            jsonb NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key text,
    kb_doc_path     text,
    kb_doc_sha256   text,
    dagster_run_id  text,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, phase)
);

-- The rowset the sovereign approves; the write stage re-reads exactly this.
CREATE TABLE cutter_governance.cutplan_row (
    run_id            uuid NOT NULL REFERENCES cutter_governance.orchestrator_run (run_id),
    canonical_address text NOT NULL,
    unit_kind         text NOT NULL,
    section_type      text NOT NULL,
    number            text,
    raw_heading       text,
    title             text NOT NULL DEFAULT '',
    body              text NOT NULL,
    parent_address    text,
    sort_order        int NOT NULL,
    content_hash      text NOT NULL,
    idempotency_key   text NOT NULL,
    PRIMARY KEY (run_id, canonical_address),
    UNIQUE (run_id, idempotency_key),
    UNIQUE (run_id, sort_order)
);

CREATE TABLE cutter_governance.cut_change_set (
    change_set_id   uuid PRIMARY KEY,
    run_id          uuid NOT NULL UNIQUE REFERENCES cutter_governance.orchestrator_run (run_id),
    idempotency_key text NOT NULL UNIQUE,            -- G-CUT-ONCE
    writer_digest   text NOT NULL,
    expected_count  int NOT NULL CHECK (expected_count > 0),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by      name NOT NULL DEFAULT current_user
);

CREATE TABLE cutter_governance.cut_change_set_affected_row (
    change_set_id       uuid NOT NULL REFERENCES cutter_governance.cut_change_set (change_set_id),
    information_unit_id uuid NOT NULL,
    canonical_address   text NOT NULL,
    PRIMARY KEY (change_set_id, information_unit_id)
);

CREATE TABLE cutter_governance.signature (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    provider         text NOT NULL,
    principal        text NOT NULL,
    payload_sha      text NOT NULL,
    signature        text NOT NULL,
    signature_sha256 text NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by       name NOT NULL DEFAULT current_user
);

CREATE TABLE cutter_governance.manifest_envelope (
    id                    uuid PRIMARY KEY,
    change_set_id         uuid NOT NULL UNIQUE             -- G-LEG-B-ONCE
                               REFERENCES cutter_governance.cut_change_set (change_set_id),
    executor_signature_id uuid NOT NULL REFERENCES cutter_governance.signature (id),
    payload_sha           text NOT NULL,
    row_count             int NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by            name NOT NULL DEFAULT current_user
);

CREATE TABLE cutter_governance.verify_result (
    id                    uuid PRIMARY KEY,
    change_set_id         uuid NOT NULL UNIQUE             -- G-VERIFY-ONCE
                               REFERENCES cutter_governance.cut_change_set (change_set_id),
    verifier_signature_id uuid NOT NULL REFERENCES cutter_governance.signature (id),
    verdict               text NOT NULL CHECK (verdict IN ('pass', 'fail')),
    observed              jsonb NOT NULL DEFAULT '{}'::jsonb,
    payload_sha           text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by            name NOT NULL DEFAULT current_user
);

CREATE TABLE cutter_governance.review_decision (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gate                text NOT NULL CHECK (gate IN ('SG_1_cut_authz', 'SG_2_lifecycle_authz')),
    run_id              uuid NOT NULL REFERENCES cutter_governance.orchestrator_run (run_id),
    payload_sha         text NOT NULL,
    approval_doc_path   text NOT NULL,
    approval_doc_sha256 text NOT NULL,
    signature_sha256    text NOT NULL UNIQUE,           -- one use per signature
    provider            text NOT NULL,
    approver            text NOT NULL,
    signer_fingerprint  text,
    signed_utc          timestamptz NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    consumed_at         timestamptz,
    consumed_by         text,
    UNIQUE (gate, run_id, payload_sha)                  -- one use per approval
);

CREATE TABLE cutter_governance.approval_attempt (
    id           bigserial PRIMARY KEY,
    doc_path     text NOT NULL,
    doc_sha256   text,
    gate         text,
    run_id       text,
    outcome      text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    reason       text NOT NULL,
    channel      text NOT NULL,                          -- sensor | cli | asset
    evaluated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    evaluated_by name NOT NULL DEFAULT current_user
);

-- Who wrote a record is what PostgreSQL says, not what the writer claims.
CREATE FUNCTION cutter_governance.tg_stamp_created_by() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    NEW.created_by := current_user;
    RETURN NEW;
END
$$;
CREATE TRIGGER stamp_created_by BEFORE INSERT ON cutter_governance.signature
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_stamp_created_by();
CREATE TRIGGER stamp_created_by BEFORE INSERT ON cutter_governance.manifest_envelope
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_stamp_created_by();
CREATE TRIGGER stamp_created_by BEFORE INSERT ON cutter_governance.verify_result
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_stamp_created_by();
CREATE TRIGGER stamp_created_by BEFORE INSERT ON cutter_governance.cut_change_set
    FOR EACH ROW EXECUTE FUNCTION cutter_governance.tg_stamp_created_by();
