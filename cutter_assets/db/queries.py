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
