-- Information units, their versions and the lifecycle log, with the triggers
-- that make enacted units immutable and log every lifecycle change.
SET LOCAL ROLE cutter_owner;

CREATE TABLE public.information_unit (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_document_id uuid NOT NULL REFERENCES public.source_document (id),
    source_version_id  uuid NOT NULL REFERENCES public.source_version (id),
    change_set_id      uuid NOT NULL REFERENCES cutter_governance.cut_change_set (change_set_id),
    idempotency_key    text NOT NULL,
    canonical_address  text NOT NULL,
    unit_kind          text NOT NULL REFERENCES public.unit_kind_vocab (unit_kind),
    section_type       text NOT NULL REFERENCES public.section_type_vocab (section_type),
    number             text,
    raw_heading        text,
    title              text NOT NULL DEFAULT '',
    parent_address     text,
    sort_order         int NOT NULL,
    content_hash       text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    lifecycle_status   text NOT NULL DEFAULT 'draft'
                            CHECK (lifecycle_status IN ('draft', 'enacted', 'voided')),
    review_decision_id uuid REFERENCES cutter_governance.review_decision (id),
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    enacted_at         timestamptz
);
-- Voided drafts stay (forward-only) but free their address and key for a re-cut.
CREATE UNIQUE INDEX information_unit_live_address
    ON public.information_unit (canonical_address) WHERE lifecycle_status <> 'voided';
CREATE UNIQUE INDEX information_unit_live_key
    ON public.information_unit (idempotency_key) WHERE lifecycle_status <> 'voided';
CREATE INDEX information_unit_change_set ON public.information_unit (change_set_id);
CREATE INDEX information_unit_document ON public.information_unit (source_document_id);

ALTER TABLE cutter_governance.cut_change_set_affected_row
    ADD FOREIGN KEY (information_unit_id) REFERENCES public.information_unit (id);

CREATE TABLE public.unit_version (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    information_unit_id uuid NOT NULL REFERENCES public.information_unit (id),
    version_no          int NOT NULL CHECK (version_no > 0),
    body                text NOT NULL,
    content_hash        text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (information_unit_id, version_no)
);

CREATE TABLE public.iu_lifecycle_log (
    id                  bigserial PRIMARY KEY,
    information_unit_id uuid NOT NULL REFERENCES public.information_unit (id),
    change_set_id       uuid NOT NULL,
    from_status         text NOT NULL,
    to_status           text NOT NULL,
    review_decision_id  uuid,
    changed_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    changed_by          name NOT NULL DEFAULT current_user
);

-- Draft -> enacted | voided is the only movement; enacted is final; nothing
-- but the lifecycle columns ever changes; nothing is ever deleted.
CREATE FUNCTION public.tg_iu_guard() RETURNS trigger
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
        NEW.content_hash, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.source_document_id, OLD.source_version_id, OLD.change_set_id,
        OLD.idempotency_key, OLD.canonical_address, OLD.unit_kind, OLD.section_type,
        OLD.number, OLD.raw_heading, OLD.title, OLD.parent_address, OLD.sort_order,
        OLD.content_hash, OLD.created_at) THEN
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
CREATE TRIGGER iu_guard BEFORE UPDATE OR DELETE ON public.information_unit
    FOR EACH ROW EXECUTE FUNCTION public.tg_iu_guard();

CREATE FUNCTION public.tg_iu_log_lifecycle() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO public.iu_lifecycle_log
        (information_unit_id, change_set_id, from_status, to_status, review_decision_id)
    VALUES (NEW.id, NEW.change_set_id, OLD.lifecycle_status, NEW.lifecycle_status,
            NEW.review_decision_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER iu_log_lifecycle AFTER UPDATE OF lifecycle_status ON public.information_unit
    FOR EACH ROW WHEN (OLD.lifecycle_status IS DISTINCT FROM NEW.lifecycle_status)
    EXECUTE FUNCTION public.tg_iu_log_lifecycle();

CREATE FUNCTION public.tg_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only (% refused)', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP;
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON public.unit_version
    FOR EACH ROW EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON public.iu_lifecycle_log
    FOR EACH ROW EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON public.information_unit
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON public.unit_version
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON public.iu_lifecycle_log
    FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only();
