"""Every unit kind an English convention can produce is in the vocabulary, has
an address prefix, and is seeded in the real database (sql/deploy 002 + 015):
the cutplan check refuses a plan with a kind the database lacks."""

from __future__ import annotations

import psycopg2

from cutter_assets.core.legal import SECTION_TYPES, UNIT_KINDS
from cutter_assets.core.legal.english import CONVENTIONS
from cutter_assets.core.legal.vocab import EN_ADDRESS_PREFIX, SECTION_TYPE_OF


def _kinds_a_convention_makes() -> set[str]:
    kinds = {"preamble", "closing", "recital", "schedule", "annex"}
    for convention in CONVENTIONS:
        kinds |= set(convention.containers) | {convention.provision}
        kinds |= {kind for *_, kind in (*convention.ladder, *convention.schedule_ladder)}
        if convention.schedule_provision:
            kinds.add(convention.schedule_provision)
    return kinds


def test_every_english_kind_is_in_the_vocabulary_with_a_prefix() -> None:
    kinds = _kinds_a_convention_makes()
    assert kinds <= set(UNIT_KINDS)
    assert kinds - {"preamble", "closing"} <= set(EN_ADDRESS_PREFIX)
    assert set(SECTION_TYPE_OF) == set(UNIT_KINDS)
    assert set(SECTION_TYPE_OF.values()) <= set(SECTION_TYPES)
    # AKN's names: an English clause is cl_, a paragraph para_ (a Vietnamese
    # clause, khoản, is AKN's paragraph and keeps para_).
    assert (EN_ADDRESS_PREFIX["clause"], EN_ADDRESS_PREFIX["paragraph"]) == ("cl", "para")


def test_the_database_seeds_exactly_the_vocabulary(db_url: str) -> None:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT unit_kind FROM public.unit_kind_vocab")
        seeded = {row[0] for row in cur.fetchall()}
    assert seeded == set(UNIT_KINDS)
