"""Named SQL queries. Every query that takes input is parameterized."""

from cutter_assets.core.legal.model import ACCEPTED_FIELD, PLAN_COLUMNS

DOCUMENT_BY_CODE_FOR_UPDATE = """
SELECT id, doc_code, title, language FROM public.source_document
 WHERE doc_code = %(doc_code)s FOR UPDATE
"""

INSERT_DOCUMENT = """
INSERT INTO public.source_document (doc_code, title, language)
VALUES (%(doc_code)s, %(title)s, %(language)s)
ON CONFLICT (doc_code) DO NOTHING
"""

_LATEST_VERSION = """
SELECT id, version_no, text_sha256, byte_size, {last}
  FROM public.source_version
 WHERE source_document_id = %(document_id)s
 ORDER BY version_no DESC LIMIT 1
"""
LATEST_VERSION = _LATEST_VERSION.format(last="created_at")

INSERT_VERSION = """
INSERT INTO public.source_version
    (source_document_id, version_no, text_sha256, byte_size, full_text)
VALUES (%(document_id)s, %(version_no)s, %(text_sha256)s, %(byte_size)s, %(full_text)s)
RETURNING id
"""

LIST_DOCUMENTS = """
SELECT d.doc_code, d.title, d.language, v.version_no, v.text_sha256, v.byte_size, v.created_at
  FROM public.source_document d
  LEFT JOIN LATERAL (
        SELECT version_no, text_sha256, byte_size, created_at FROM public.source_version
         WHERE source_document_id = d.id ORDER BY version_no DESC LIMIT 1) v ON true
 ORDER BY d.doc_code
"""

ALL_DOC_CODES = "SELECT doc_code FROM public.source_document ORDER BY doc_code"

# ---- survey: live reads --------------------------------------------------
DOCUMENT_BY_CODE = """
SELECT id, doc_code, title, language, max_units
  FROM public.source_document WHERE doc_code = %(doc_code)s
"""

SET_MAX_UNITS = """
UPDATE public.source_document SET max_units = %(max_units)s WHERE doc_code = %(doc_code)s
"""

LATEST_VERSION_WITH_TEXT = _LATEST_VERSION.format(last="full_text")

VERSION_BY_ID = """
SELECT id, version_no, text_sha256, byte_size, full_text
  FROM public.source_version WHERE id = %(version_id)s
"""

VOCAB = """
SELECT 'unit_kind', unit_kind FROM public.unit_kind_vocab
UNION ALL
SELECT 'section_type', section_type FROM public.section_type_vocab
ORDER BY 1, 2
"""

UNITS_UNDER_PREFIX = (
    "SELECT lifecycle_status, units FROM cutter_governance.fn_units_under_prefix(%(doc_code)s)"
)

# Every trigger on the governed tables: the guards a drift check wants enabled.
GUARD_TRIGGERS = """
SELECT n.nspname || '.' || c.relname, t.tgname, p.proname, t.tgenabled::text
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE n.nspname IN ('public', 'cutter_governance') AND NOT t.tgisinternal
 ORDER BY 1, 2
"""

PRIVILEGE_MATRIX = "SELECT grantee, object, privilege FROM cutter_governance.fn_privilege_matrix()"

# ---- ledger -------------------------------------------------------------
# Every ledger write is a SECURITY DEFINER function of 014 that enforces the
# state machine; the lane roles hold no INSERT, UPDATE or DELETE on the ledger.
INSERT_RUN = """
SELECT cutter_governance.fn_run_open(%(run_id)s, %(document_id)s, %(version_id)s, %(doc_code)s,
                                     %(mode)s, %(scope)s, %(actor)s)
"""

RUN_BY_ID = """
SELECT run_id::text, doc_code, source_document_id::text, source_version_id::text, mode, scope,
       actor, state, stop_code, stop_detail, kb_folder, pins, started_at, updated_at
  FROM cutter_governance.orchestrator_run WHERE run_id = %(run_id)s
"""
# The same row, held until the transaction ends: a phase and a void of the same
# run wait for each other instead of interleaving (an insert referencing the run
# takes a weaker lock, which this one does not block).
RUN_BY_ID_LOCKED = RUN_BY_ID.replace(
    "cutter_governance.orchestrator_run WHERE run_id = %(run_id)s",
    "cutter_governance.fn_run_lock(%(run_id)s)",
)

OPEN_RUNS_FOR_DOCUMENT = """
SELECT run_id::text, state FROM cutter_governance.orchestrator_run
 WHERE doc_code = %(doc_code)s AND blocks_recut
 ORDER BY run_id DESC
"""

SET_RUN_FOLDER = "SELECT cutter_governance.fn_run_set_kb_folder(%(run_id)s, %(kb_folder)s)"

MOVE_RUN_STATE = "SELECT cutter_governance.fn_run_move(%(run_id)s, %(from_state)s, %(to_state)s)"

PASS_GATE = """
SELECT cutter_governance.fn_run_pass_gate(%(run_id)s, %(gate)s, %(decision_id)s, %(consumer)s)
"""

STOP_RUN = "SELECT cutter_governance.fn_run_stop(%(run_id)s, %(code)s, %(detail)s)"

INSERT_PHASE = """
SELECT cutter_governance.fn_phase_record(%(run_id)s, %(phase)s, %(outcome)s, %(pins)s,
                                         %(idempotency_key)s, %(kb_doc_path)s,
                                         %(kb_doc_sha256)s, %(dagster_run_id)s)
"""

PHASES_OF_RUN = """
SELECT phase, outcome, pins, idempotency_key, kb_doc_path, kb_doc_sha256, dagster_run_id,
       recorded_at
  FROM cutter_governance.phase_record WHERE run_id = %(run_id)s ORDER BY recorded_at
"""

RUN_OF_DAGSTER_RUN = """
SELECT run_id::text FROM cutter_governance.phase_record
 WHERE dagster_run_id = %(dagster_run_id)s LIMIT 1
"""

INSERT_CUTPLAN_ROWS = "SELECT cutter_governance.fn_cutplan_save(%(run_id)s, %(rows)s)"

CUTPLAN_ROWS = f"""
SELECT {", ".join(PLAN_COLUMNS)}, {ACCEPTED_FIELD}
  FROM cutter_governance.cutplan_row WHERE run_id = %(run_id)s ORDER BY sort_order
"""

# ---- backup: the rows a cut of one document could touch -----------------
BACKUP_SCOPES = {
    "public.information_unit": """
        SELECT to_jsonb(t)::text FROM public.information_unit t
         WHERE left(t.canonical_address, length(%(doc_code)s) + 1) = %(doc_code)s || '/'""",
    "public.unit_version": """
        SELECT to_jsonb(t)::text FROM public.unit_version t
          JOIN public.information_unit iu ON iu.id = t.information_unit_id
         WHERE left(iu.canonical_address, length(%(doc_code)s) + 1) = %(doc_code)s || '/'""",
    "public.iu_lifecycle_log": """
        SELECT to_jsonb(t)::text FROM public.iu_lifecycle_log t
          JOIN public.information_unit iu ON iu.id = t.information_unit_id
         WHERE left(iu.canonical_address, length(%(doc_code)s) + 1) = %(doc_code)s || '/'""",
}

SCHEMA_EXISTS = "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %(schema)s"

TABLE_ROW_COUNT = "SELECT count(*) FROM {table}"

# ---- restoring a backup into a scratch schema (resources/backup.py) --------
# The scratch copy keeps the live table's columns, NOT NULLs and defaults (a
# column added after the backup was taken is filled with its default), not
# its keys, checks or triggers.
SCRATCH_TABLE = "CREATE TABLE {target} (LIKE {source} INCLUDING DEFAULTS)"
SCRATCH_COLUMNS = """
SELECT column_name, is_nullable = 'YES' OR column_default IS NOT NULL
  FROM information_schema.columns
 WHERE table_schema = %(schema)s AND table_name = %(name)s
 ORDER BY ordinal_position"""
RESTORE_ROWS = (
    "INSERT INTO {target} ({columns}) "
    "SELECT {columns} FROM jsonb_populate_recordset(NULL::{target}, %(rows)s::jsonb)"
)
# The backup's checksum is over the columns its rows hold: leave out the rest.
RESTORED_ROWS = "SELECT (to_jsonb(t) - %(lacking)s::text[])::text FROM {target} t"

# ---- write and enact stages ---------------------------------------------
GREEN_REHEARSAL = """
SELECT r.run_id::text FROM cutter_governance.orchestrator_run r
  JOIN cutter_governance.phase_record p ON p.run_id = r.run_id AND p.phase = 'cutplan'
 WHERE r.mode = 'dryrun' AND r.state = 'COMPLETED'
   AND r.source_version_id = %(version_id)s AND p.pins ->> 'writer_digest' = %(writer_digest)s
 ORDER BY r.run_id DESC LIMIT 1
"""

EXECUTION_ALLOWED = "SELECT cutter_governance.fn_execution_allowed(%(run_id)s)"

INSERT_CHANGE_SET = """
SELECT cutter_governance.fn_change_set_open(%(change_set_id)s, %(run_id)s, %(idempotency_key)s,
                                            %(writer_digest)s, %(expected)s)
"""

CREATE_UNITS_MANY = "SELECT status, units FROM public.fn_iu_create_many(%s, %s)"

# The parents are looked up in a hash of the change set's addresses: a
# correlated lookup per unit has no index to use (addresses are only indexed
# for non-voided units) and grows with the square of the units.
STRUCTURAL_PROBE = """
WITH units AS MATERIALIZED (
    SELECT iu.*, uv.body
      FROM public.information_unit iu
      JOIN public.unit_version uv ON uv.information_unit_id = iu.id AND uv.version_no = 1
     WHERE iu.change_set_id = %(change_set_id)s
), addresses AS (
    SELECT DISTINCT canonical_address FROM units
)
SELECT count(*)                                                              AS units,
       count(*) FILTER (WHERE u.lifecycle_status = 'draft')                  AS drafts,
       count(*) FILTER (WHERE u.source_document_id <> r.source_document_id
                          OR u.source_version_id <> r.source_version_id
                          OR left(u.canonical_address, length(r.doc_code) + 1)
                             <> r.doc_code || '/')                           AS foreign_rows,
       count(*) FILTER (WHERE u.parent_address IS NOT NULL
                          AND a.canonical_address IS NULL)                   AS unanchored,
       count(*) FILTER (WHERE encode(sha256(convert_to(u.body, 'UTF8')), 'hex')
                              <> u.content_hash)                             AS hash_mismatch,
       (SELECT count(*) FROM cutter_governance.cut_change_set_affected_row ar
         WHERE ar.change_set_id = %(change_set_id)s)                         AS affected
  FROM units u
  LEFT JOIN addresses a ON a.canonical_address = u.parent_address
  JOIN cutter_governance.cut_change_set c ON c.change_set_id = u.change_set_id
  JOIN cutter_governance.orchestrator_run r ON r.run_id = c.run_id
"""

SECTION_TYPE_COUNTS = """
SELECT section_type, count(*) FROM public.information_unit
 WHERE change_set_id = %(change_set_id)s GROUP BY section_type
"""

UNIT_ANOMALIES_OF_CHANGE_SET = """
SELECT canonical_address, accepted_anomalies FROM public.information_unit
 WHERE change_set_id = %(change_set_id)s
"""

UNITS_OF_CHANGE_SET = """
SELECT iu.id::text AS id, iu.canonical_address, iu.unit_kind, iu.section_type, iu.number,
       iu.raw_heading, iu.title, iu.parent_address, iu.sort_order, iu.content_hash,
       iu.idempotency_key, iu.lifecycle_status, uv.body, iu.accepted_anomalies,
       iu.structure_decision_id::text AS structure_decision_id
  FROM public.information_unit iu
  JOIN public.unit_version uv ON uv.information_unit_id = iu.id AND uv.version_no = 1
 WHERE iu.change_set_id = %(change_set_id)s
 ORDER BY iu.sort_order
"""

SIGNATURE_BY_ID = """
SELECT principal, payload_sha, signature FROM cutter_governance.signature WHERE id = %(id)s
"""

INSERT_SIGNATURE = """
SELECT cutter_governance.fn_signature_record(%(provider)s, %(principal)s, %(payload_sha)s,
                                             %(signature)s, %(signature_sha256)s)::text
"""

INSERT_ENVELOPE = """
SELECT cutter_governance.fn_envelope_record(%(id)s, %(change_set_id)s, %(signature_id)s,
                                            %(payload_sha)s, %(row_count)s)
"""

INSERT_VERIFY_RESULT = """
SELECT cutter_governance.fn_verify_record(%(id)s, %(change_set_id)s, %(signature_id)s,
                                          %(verdict)s, %(observed)s, %(payload_sha)s)
"""

ENACT_UNITS = """
SELECT f.result, count(*) FROM public.information_unit iu
 CROSS JOIN LATERAL public.fn_iu_enact(iu.id, %(decision_id)s) AS f(result)
 WHERE iu.change_set_id = %(change_set_id)s AND iu.lifecycle_status = 'draft'
 GROUP BY f.result
"""

ENACT_POSTCHECK = """
SELECT (SELECT count(*) FROM public.information_unit
         WHERE change_set_id = %(change_set_id)s AND lifecycle_status = 'enacted'),
       (SELECT count(*) FROM public.iu_lifecycle_log
         WHERE change_set_id = %(change_set_id)s AND to_status = 'enacted'),
       (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
           AND t.tgname IN ('iu_guard', 'iu_log_lifecycle', 'append_only', 'no_truncate')
           AND t.tgenabled = 'O')
"""

ARM_SWITCH = "INSERT INTO cutter_governance.execution_switch (run_id) VALUES (%(run_id)s)"

DISARM_SWITCH = """
UPDATE cutter_governance.execution_switch SET disarmed_at = now(), disarm_reason = %(reason)s
 WHERE disarmed_at IS NULL
"""

ARMED_SWITCH_SINCE = """
SELECT coalesce(run_id::text, ''), armed_at FROM cutter_governance.execution_switch
 WHERE disarmed_at IS NULL
"""

COMPLETED_LIVE_RUN = """
SELECT run_id::text FROM cutter_governance.orchestrator_run
 WHERE doc_code = %(doc_code)s AND mode = 'live' AND state = 'COMPLETED'
 ORDER BY run_id DESC LIMIT 1
"""

# The decision a write or enactment would use: the newest recorded, unconsumed one.
# The run's consumed decision for a gate (at most one: a UNIQUE index).
CONSUMED_DECISION_OF_RUN = """
SELECT id::text, payload_sha, approval_doc_path, approval_doc_sha256
  FROM cutter_governance.review_decision
 WHERE run_id = %(run_id)s AND gate = %(gate)s AND consumed_at IS NOT NULL
"""

NEWEST_OPEN_DECISION = """
SELECT id::text, approval_doc_path, approval_doc_sha256, signature_sha256, signed_utc,
       recorded_at
  FROM cutter_governance.review_decision
 WHERE run_id = %(run_id)s AND gate = %(gate)s AND consumed_at IS NULL
 ORDER BY recorded_at DESC LIMIT 1
"""

# The armed switch, if any: '' when armed for the next live run that writes.
ARMED_SWITCH = """
SELECT coalesce(run_id::text, '') FROM cutter_governance.execution_switch
 WHERE disarmed_at IS NULL
"""

REOPEN_FOR_LEG_B = "SELECT cutter_governance.fn_run_reopen_for_leg_b(%(run_id)s)"

AFFECTED_ROWS_OF_RUN = """
SELECT a.canonical_address, a.information_unit_id::text, iu.lifecycle_status
  FROM cutter_governance.cut_change_set c
  JOIN cutter_governance.cut_change_set_affected_row a ON a.change_set_id = c.change_set_id
  JOIN public.information_unit iu ON iu.id = a.information_unit_id
 WHERE c.run_id = %(run_id)s
 ORDER BY iu.sort_order
"""

VOID_RUN = "SELECT cutter_governance.fn_run_void(%(run_id)s, %(reason)s)"
