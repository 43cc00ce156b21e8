-- Two pairs of foreign keys become one composite key each. Each is stronger
-- than the pair it replaces, and each unit written costs two key checks
-- fewer:
--   a unit's version must be a version of the unit's document;
--   an affected row's unit must belong to the affected row's change set.
SET LOCAL ROLE cutter_owner;

ALTER TABLE public.source_version
    ADD CONSTRAINT source_version_of_document UNIQUE (id, source_document_id);
ALTER TABLE public.information_unit
    DROP CONSTRAINT information_unit_source_document_id_fkey,
    DROP CONSTRAINT information_unit_source_version_id_fkey,
    ADD CONSTRAINT information_unit_source_fkey
        FOREIGN KEY (source_version_id, source_document_id)
        REFERENCES public.source_version (id, source_document_id);

-- Serves lookups by change set as the plain index did, and is the key the
-- affected rows point at.
CREATE UNIQUE INDEX information_unit_change_set_unit
    ON public.information_unit (change_set_id, id);
DROP INDEX public.information_unit_change_set;
ALTER TABLE public.information_unit
    ADD CONSTRAINT information_unit_in_change_set
        UNIQUE USING INDEX information_unit_change_set_unit;
ALTER TABLE cutter_governance.cut_change_set_affected_row
    DROP CONSTRAINT cut_change_set_affected_row_change_set_id_fkey,
    DROP CONSTRAINT cut_change_set_affected_row_information_unit_id_fkey,
    ADD CONSTRAINT cut_change_set_affected_row_unit_fkey
        FOREIGN KEY (change_set_id, information_unit_id)
        REFERENCES public.information_unit (change_set_id, id);
