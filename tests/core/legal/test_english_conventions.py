"""Small laws written in each English drafting convention, with what the five
real instruments do not hold: US public-law titles and subtitles (and a table
of contents naming them), EU parts, sections and annexes after the
signatures, UK chapters, cross-headings and schedules in Parts, Indian
chapters and a schedule, US Code subchapters and clauses. Each is cut into
the tree written here by hand, or stops."""

from __future__ import annotations

import pytest

from cutter_assets.core.legal import Extraction, extract_units
from cutter_assets.core.legal.english import detect_convention
from cutter_assets.core.stops import CutterStop, StopCode

CODE = "EN-CONV"

PUBLIC_LAW = """Public Law 118–1
An Act
To do things.
Be it enacted by the Senate and House of Representatives of the United States of America in \
Congress assembled,
SECTION 1. SHORT TITLE; TABLE OF CONTENTS.
(a) Short Title.—This Act may be cited as the “Things Act”.
(b) Table of Contents.—The table of contents for this Act is as follows:
Sec. 1. Short title; table of contents.
TITLE I—GENERAL PROVISIONS
Sec. 101. Definitions.
TITLE II—OTHER PROVISIONS
Subtitle A—First things
Sec. 201. Findings.
TITLE I—GENERAL PROVISIONS
SEC. 101. DEFINITIONS.
In this title:
(1) Thing.—The term “thing” means—
(A) an object; or
(B) an idea.
(2) Other.—The term “other” means anything else.
TITLE II—OTHER PROVISIONS
Subtitle A—First things
SEC. 201. FINDINGS. Congress finds that things matter.
Approved January 5, 2023.
LEGISLATIVE HISTORY—H.R. 1:
"""

EU_ACT = """COMMISSION REGULATION (EU) 2099/1
THE EUROPEAN COMMISSION,
Having regard to the Treaty,
Whereas:
(1) Things matter.
(2) Other things matter too.
HAS ADOPTED THIS REGULATION:
PART ONE
GENERAL
CHAPTER I
Scope
Section 1
Definitions
Article 1
Subject matter
This Regulation lays down rules.
Article 2
Definitions
For the purposes of this Regulation:
(a) ‘thing’ means an object;
(b) ‘other’ means:
(i) a first case;
(ii) a second case.
CHAPTER II
Rules
Section 1
General rules
Article 3
Rules
1. Rules apply as set out in Annex I.
2. Annex II lists exceptions.
Article 4
Entry into force
This Regulation shall enter into force on the day following its publication.
This Regulation shall be binding in its entirety and directly applicable in all Member States.
Done at Brussels, 1 January 2099.
For the Commission
The President
ANNEX I
Rules
1. First rule.
2. Second rule.
ANNEX II
Exceptions
None.
"""

UK_ACT = """Things Act 2099
2099 CHAPTER 1
An Act to make provision about things.
BE IT ENACTED by the King’s most Excellent Majesty, by and with the advice and consent of the \
Lords Spiritual and Temporal, and Commons, in this present Parliament assembled, and by the \
authority of the same, as follows:—
PART 1
THINGS
CHAPTER 1
GENERAL
Introductory
1 Overview
This Part is about things.
2 Meaning of thing
(1) A thing is an object.
(1A) A thing includes an idea.
(2) In this section—
(a) “object” means a physical object, and
(b) “idea” means—
(i) a plan, or
(ii) a notion.
Further provision
3 Other things
Schedule 1 has effect.
CHAPTER 2
SPECIAL
4 Special things
Special things are things.
PART 2
FINAL
5 Short title
This Act may be cited as the Things Act 2099.
SCHEDULE 1
LIST OF THINGS
Section 3
PART 1
OBJECTS
1 Chairs.
2 (1) Tables.
(2) Desks.
PART 2
IDEAS
3 Plans.
SCHEDULE 2
REPEALS
Section 5
1 The Old Things Act 1900.
"""

INDIA_ACT = """THE THINGS ACT, 2099
ARRANGEMENT OF SECTIONS
CHAPTER I
PRELIMINARY
SECTIONS
1. Short title and commencement.
2. Definitions.
CHAPTER II
RULES
3. Rules.
THE SCHEDULE.
THE THINGS ACT, 2099
ACT NO. 1 OF 2099
An Act to regulate things.
BE it enacted by Parliament in the One hundred and fiftieth Year of the Republic of India as \
follows:—
CHAPTER I
PRELIMINARY
1. Short title and commencement.—(1) This Act may be called the Things Act, 2099.
(2) It shall come into force at once.
2. Definitions.—In this Act, unless the context otherwise requires,—
(a) “thing” means an object;
(b) “other” means—
(i) a plan; or
(ii) a notion.
CHAPTER II
RULES
3. Rules.—Rules apply as set out in the Schedule.
THE SCHEDULE
[See section 3]
1. First rule.
2. Second rule.
"""

US_CODE = """Title 99—THINGS
CHAPTER 1—GENERAL
SUBCHAPTER I—SCOPE
Sec.
1. Definitions.
2. Rules.
§ 1. Definitions
In this chapter—
(1) the term “thing” means—
(A) an object; or
(B) an idea, including—
(i) a plan; and
(ii) a notion; and
(2) the term “other” means anything else.
(Pub. L. 1–1, § 1, Jan. 1, 2099, 1 Stat. 1.)
§ 2. Rules
Rules apply.
(Pub. L. 1–1, § 2, Jan. 1, 2099, 1 Stat. 1.)
Amendments
2099—Pub. L. 1–2 added this section.
SUBCHAPTER II—MORE
Sec.
3. More.
§ 3. More
More rules apply.
(Pub. L. 1–1, § 3, Jan. 1, 2099, 1 Stat. 1.)
"""

LAWS = {
    "us-public-law": PUBLIC_LAW,
    "eu-act": EU_ACT,
    "uk-act": UK_ACT,
    "india-act": INDIA_ACT,
    "us-code": US_CODE,
}

TREES = {
    "us-public-law": [
        "preamble", "sec_1", "sec_1/subsec_a", "sec_1/subsec_b",
        "title_1", "title_1/sec_101", "title_1/sec_101/para_1", "title_1/sec_101/para_1/subpara_A",
        "title_1/sec_101/para_1/subpara_B", "title_1/sec_101/para_2",
        "title_2", "title_2/subtitle_A", "title_2/subtitle_A/sec_201", "closing",
    ],
    "eu-act": [
        "preamble", "rec_1", "rec_2", "part_1", "part_1/chp_1", "part_1/chp_1/sec_1",
        "part_1/chp_1/sec_1/art_1", "part_1/chp_1/sec_1/art_2",
        "part_1/chp_1/sec_1/art_2/point_a", "part_1/chp_1/sec_1/art_2/point_b",
        "part_1/chp_1/sec_1/art_2/point_b/point_i", "part_1/chp_1/sec_1/art_2/point_b/point_ii",
        "part_1/chp_2", "part_1/chp_2/sec_1", "part_1/chp_2/sec_1/art_3",
        "part_1/chp_2/sec_1/art_3/para_1", "part_1/chp_2/sec_1/art_3/para_2",
        "part_1/chp_2/sec_1/art_4", "closing", "annex_1", "annex_2",
    ],
    "uk-act": [
        "preamble", "part_1", "part_1/chp_1", "part_1/chp_1/crossheading_1",
        "part_1/chp_1/crossheading_1/sec_1", "part_1/chp_1/crossheading_1/sec_2",
        "part_1/chp_1/crossheading_1/sec_2/subsec_1", "part_1/chp_1/crossheading_1/sec_2/subsec_1A",
        "part_1/chp_1/crossheading_1/sec_2/subsec_2",
        "part_1/chp_1/crossheading_1/sec_2/subsec_2/para_a",
        "part_1/chp_1/crossheading_1/sec_2/subsec_2/para_b",
        "part_1/chp_1/crossheading_1/sec_2/subsec_2/para_b/subpara_i",
        "part_1/chp_1/crossheading_1/sec_2/subsec_2/para_b/subpara_ii",
        "part_1/chp_1/crossheading_2", "part_1/chp_1/crossheading_2/sec_3",
        "part_1/chp_2", "part_1/chp_2/sec_4", "part_2", "part_2/sec_5",
        "sch_1", "sch_1/part_1", "sch_1/part_1/para_1", "sch_1/part_1/para_2",
        "sch_1/part_1/para_2/subpara_1", "sch_1/part_1/para_2/subpara_2",
        "sch_1/part_2", "sch_1/part_2/para_3", "sch_2", "sch_2/para_1",
    ],
    "india-act": [
        "preamble", "chp_1", "chp_1/sec_1", "chp_1/sec_1/subsec_1", "chp_1/sec_1/subsec_2",
        "chp_1/sec_2", "chp_1/sec_2/para_a", "chp_1/sec_2/para_b", "chp_1/sec_2/para_b/subpara_i",
        "chp_1/sec_2/para_b/subpara_ii", "chp_2", "chp_2/sec_3", "sch_1",
    ],
    "us-code": [
        "preamble", "chp_1", "chp_1/subchp_1", "chp_1/subchp_1/sec_1",
        "chp_1/subchp_1/sec_1/para_1",
        "chp_1/subchp_1/sec_1/para_1/subpara_A", "chp_1/subchp_1/sec_1/para_1/subpara_B",
        "chp_1/subchp_1/sec_1/para_1/subpara_B/cl_i", "chp_1/subchp_1/sec_1/para_1/subpara_B/cl_ii",
        "chp_1/subchp_1/sec_1/para_2", "chp_1/subchp_1/sec_2", "chp_1/subchp_2",
        "chp_1/subchp_2/sec_3",
    ],
}  # fmt: skip


def cut(text: str) -> Extraction:
    return extract_units(text, doc_code=CODE)


def addresses(extraction: Extraction) -> list[str]:
    return [u.canonical_address.removeprefix(f"{CODE}/") for u in extraction.units]


def unit(extraction: Extraction, address: str):
    return next(u for u in extraction.units if u.canonical_address == f"{CODE}/{address}")


@pytest.mark.parametrize("name", sorted(LAWS))
def test_each_convention_is_read_into_its_tree(name: str) -> None:
    assert detect_convention(LAWS[name]).name == name
    extraction = cut(LAWS[name])
    assert addresses(extraction) == TREES[name]
    for u in extraction.units:
        parent = u.canonical_address.rsplit("/", 1)[0]
        assert u.parent_address == (parent if parent != CODE else None)


def test_public_law_titles_restart_the_section_numbers_and_say_so() -> None:
    extraction = cut(PUBLIC_LAW)
    lines = PUBLIC_LAW.split("\n")
    jumps = [(w.kind, w.line) for w in extraction.warnings if w.kind == "numbering_jump"]
    assert jumps == [
        ("numbering_jump", lines.index("SEC. 101. DEFINITIONS.") + 1),
        (
            "numbering_jump",
            lines.index("SEC. 201. FINDINGS. Congress finds that things matter.") + 1,
        ),
    ]
    # The table of contents' title lines are text of section 1, reported.
    contents = [w.line for w in extraction.warnings if w.kind == "reference_line"]
    assert contents == [9, 11, 12]
    findings = unit(extraction, "title_2/subtitle_A/sec_201")
    assert (findings.title, findings.body) == ("FINDINGS", "Congress finds that things matter.")
    # Not where its title says: SEC. 301. in title II stops.
    with pytest.raises(CutterStop) as err:
        cut(PUBLIC_LAW.replace("SEC. 201. FINDINGS.", "SEC. 301. FINDINGS."))
    assert "section numbering gap (expected 102, found 301)" in err.value.detail


def test_eu_annexes_follow_the_signatures_and_keep_their_text() -> None:
    extraction = cut(EU_ACT)
    annex = unit(extraction, "annex_1")
    assert (annex.title, annex.body) == ("Rules", "1. First rule.\n2. Second rule.")
    assert unit(extraction, "closing").body == (
        "Done at Brussels, 1 January 2099.\nFor the Commission\nThe President"
    )
    with pytest.raises(CutterStop) as err:
        cut(EU_ACT.replace("ANNEX I\n", "ANNEX\n"))  # a sole "ANNEX" before "ANNEX II"
    assert err.value.code is StopCode.STOP_STRUCTURE


def test_a_uk_schedule_numbers_its_paragraphs_across_its_parts() -> None:
    extraction = cut(UK_ACT)
    assert [(u.title, u.body) for u in extraction.units if u.unit_kind == "schedule"] == [
        ("LIST OF THINGS", "Section 3"),
        ("REPEALS", "Section 5"),
    ]
    with pytest.raises(CutterStop) as err:
        cut(UK_ACT.replace("3 Plans.", "1 Plans."))
    assert "paragraph out of order (expected 3, found 1)" in err.value.detail


def test_an_indian_schedule_is_text_and_its_numbers_no_footnotes() -> None:
    extraction = cut(INDIA_ACT)
    schedule = unit(extraction, "sch_1")
    assert schedule.body == "[See section 3]\n1. First rule.\n2. Second rule."
    assert extraction.warnings == []


def test_code_notes_after_a_source_credit_are_the_sections_text() -> None:
    extraction = cut(US_CODE)
    assert unit(extraction, "chp_1/subchp_1/sec_2").body.endswith(
        "Amendments\n2099—Pub. L. 1–2 added this section."
    )
    assert unit(extraction, "chp_1/subchp_1/sec_1").tail.startswith("(Pub. L. 1–1, § 1")


def test_a_text_in_no_convention_is_read_by_the_generic_grammar() -> None:
    text = "REGULATION\n\nArticle 1\nScope\n\n(1) It applies.\n\n(2) It binds.\n"
    assert detect_convention(text) is None
    extraction = cut(text)
    assert addresses(extraction) == ["preamble", "art_1", "art_1/para_1", "art_1/para_2"]
    assert [u.unit_kind for u in extraction.units][2:] == ["clause", "clause"]
