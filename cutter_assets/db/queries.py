"""Named SQL queries. Every query that takes input is parameterized."""

DOCUMENT_BY_CODE_FOR_UPDATE = """
SELECT id, doc_code, title, language FROM public.source_document
 WHERE doc_code = %(doc_code)s FOR UPDATE
"""

INSERT_DOCUMENT = """
INSERT INTO public.source_document (doc_code, title, language)
VALUES (%(doc_code)s, %(title)s, %(language)s)
ON CONFLICT (doc_code) DO NOTHING
"""

LATEST_VERSION = """
SELECT id, version_no, text_sha256, byte_size, created_at
  FROM public.source_version
 WHERE source_document_id = %(document_id)s
 ORDER BY version_no DESC LIMIT 1
"""

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

LATEST_VERSION_WITH_TEXT = """
SELECT id, version_no, text_sha256, byte_size, full_text
  FROM public.source_version
 WHERE source_document_id = %(document_id)s
 ORDER BY version_no DESC LIMIT 1
"""

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

PRIVILEGE_MATRIX = "SELECT grantee, object, privilege FROM cutter_governance.fn_privilege_matrix()"

# ---- ledger -------------------------------------------------------------
INSERT_RUN = """
INSERT INTO cutter_governance.orchestrator_run
    (run_id, source_document_id, source_version_id, doc_code, mode, scope, actor, state)
VALUES (%(run_id)s, %(document_id)s, %(version_id)s, %(doc_code)s, %(mode)s, %(scope)s,
        %(actor)s, 'SURVEYING')
"""

RUN_BY_ID = """
SELECT run_id::text, doc_code, source_document_id::text, source_version_id::text, mode, scope,
       actor, state, stop_code, stop_detail, kb_folder, pins, started_at, updated_at
  FROM cutter_governance.orchestrator_run WHERE run_id = %(run_id)s
"""

OPEN_RUNS_FOR_DOCUMENT = """
SELECT run_id::text FROM cutter_governance.orchestrator_run
 WHERE doc_code = %(doc_code)s AND blocks_recut
 ORDER BY run_id DESC
"""

SET_RUN_FOLDER = """
UPDATE cutter_governance.orchestrator_run
   SET kb_folder = %(kb_folder)s, updated_at = clock_timestamp()
 WHERE run_id = %(run_id)s
"""

MOVE_RUN_STATE = """
UPDATE cutter_governance.orchestrator_run
   SET state = %(to_state)s, updated_at = clock_timestamp()
 WHERE run_id = %(run_id)s AND state = %(from_state)s
"""

STOP_RUN = """
UPDATE cutter_governance.orchestrator_run
   SET state = 'STOPPED', stop_code = %(code)s, stop_detail = %(detail)s,
       updated_at = clock_timestamp()
 WHERE run_id = %(run_id)s AND state NOT IN ('STOPPED', 'VOIDED', 'COMPLETED')
"""

INSERT_PHASE = """
INSERT INTO cutter_governance.phase_record
    (run_id, phase, outcome, pins, idempotency_key, kb_doc_path, kb_doc_sha256, dagster_run_id)
VALUES (%(run_id)s, %(phase)s, %(outcome)s, %(pins)s, %(idempotency_key)s, %(kb_doc_path)s,
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

INSERT_CUTPLAN_ROWS = """
INSERT INTO cutter_governance.cutplan_row
    (run_id, canonical_address, unit_kind, section_type, number, raw_heading, title, body,
     parent_address, sort_order, content_hash, idempotency_key)
VALUES %s
"""

CUTPLAN_ROWS = """
SELECT canonical_address, unit_kind, section_type, number, raw_heading, title, body,
       parent_address, sort_order, content_hash, idempotency_key
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

TABLE_ROW_COUNT = "SELECT count(*) FROM {table}"
