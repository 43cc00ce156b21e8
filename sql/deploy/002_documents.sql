-- Documents, their versions, and the controlled vocabularies.
SET LOCAL ROLE cutter_owner;

CREATE TABLE public.source_document (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    doc_code    text NOT NULL UNIQUE CHECK (doc_code ~ '^[A-Z][A-Z0-9-]{1,63}$'),
    title       text NOT NULL DEFAULT '',
    language    text NOT NULL CHECK (language IN ('vi', 'en')),
    -- the most units a cut of this document may produce (mark stops beyond it)
    max_units   int NOT NULL DEFAULT 1000 CHECK (max_units > 0),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE public.source_version (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_document_id  uuid NOT NULL REFERENCES public.source_document (id),
    version_no          int NOT NULL CHECK (version_no > 0),
    text_sha256         text NOT NULL CHECK (text_sha256 ~ '^[0-9a-f]{64}$'),
    byte_size           int NOT NULL CHECK (byte_size > 0),
    full_text           text NOT NULL CHECK (full_text <> ''),
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (source_document_id, version_no)
);

CREATE TABLE public.unit_kind_vocab (
    unit_kind  text PRIMARY KEY,
    depth_rank int NOT NULL
);
CREATE TABLE public.section_type_vocab (
    section_type text PRIMARY KEY
);

INSERT INTO public.unit_kind_vocab (unit_kind, depth_rank) VALUES
    ('preamble', 0), ('part', 1), ('chapter', 2), ('section', 3), ('subsection', 4),
    ('article', 5), ('clause', 6), ('point', 7), ('closing', 0);
INSERT INTO public.section_type_vocab (section_type) VALUES
    ('preamble'), ('heading'), ('provision'), ('closing');
