SELECT doc_code, language FROM public.source_document WHERE false;
SELECT version_no, text_sha256, full_text FROM public.source_version WHERE false;
SELECT 1 / (count(*) = 9)::int FROM public.unit_kind_vocab;
SELECT 1 / (count(*) = 4)::int FROM public.section_type_vocab;
