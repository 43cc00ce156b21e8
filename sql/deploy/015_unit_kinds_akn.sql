-- The English unit kinds, by their Akoma Ntoso names, beside those of 002
-- (cutter_assets/core/legal/vocab.py UNIT_KINDS lists the same kinds; the
-- cutplan check refuses a kind this table lacks). English depth is read from
-- each document; depth_rank only orders the kinds roughly, as in 002.
-- A kind another change added first (annex) is kept as it is.
SET LOCAL ROLE cutter_owner;

INSERT INTO public.unit_kind_vocab (unit_kind, depth_rank) VALUES
    ('recital', 0), ('title', 1), ('subtitle', 1), ('schedule', 1), ('annex', 1),
    ('subchapter', 2), ('crossheading', 3), ('paragraph', 6), ('subparagraph', 7)
ON CONFLICT (unit_kind) DO NOTHING;
