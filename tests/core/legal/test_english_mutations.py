"""Mutations of the five real English instruments: each either cuts exactly as
expected (derived here from the unmutated cut, which test_english_corpus checks
against the truth counts, and the mutation made) or stops with STOP_STRUCTURE
naming a line of the mutated text. A wrong cut that exits 0 is the one outcome
none of them may have.

Classes: a provision heading dropped (every one of every file), two numbers
swapped, a number duplicated, a marker in a form the convention does not use
or in the wrong case, a container heading lost or written otherwise, a section
quoted in an amending provision, table-of-contents lines (an analysis
disagreeing with the text, a contents list in the text), amendment marks,
repealed and omitted sections, cross-headings, inserted numbers, page
footnotes, text after a list.
"""

from __future__ import annotations

import re

import pytest

from cutter_assets.core.legal import Extraction
from cutter_assets.core.legal.model import TAIL_MARK
from tests.core.legal.test_english_corpus import (
    DOC_CODE,
    FILES,
    TRUTH,
    children,
    cut,
    en_text,
    names_its_line,
    stop_of,
    top_provisions,
)

USC = "us-usc-t09-arbitration.txt"
PL = "us-publ-115-7-inspire-women-act.txt"
UK = "uk-ukla-2017-1-faversham-oyster-fishery-company-act.txt"
EU = "eu-reg-2022-868-data-governance-act.txt"
INDIA = "in-act-1961-28-dowry-prohibition-act.txt"

# How each file's provision headings start a line, found here without the
# extractor (UK sections: a number, a space and a title without a full stop,
# before the Schedule and outside the quoted amendments).
HEADING = {
    USC: re.compile(r"§ \d+\. "),
    PL: re.compile(r"(?:SECTION|SEC\.) \d+\. "),
    UK: re.compile(r"\d+ [A-Z][^.]*$"),
    EU: re.compile(r"Article \d+$"),
    INDIA: re.compile(r"(?:\d+\[)?\d+[A-Z]?\. [^—]*(?:\.—|and$)"),
}


def lines_of(name: str) -> list[str]:
    return en_text(name).split("\n")


def body_start(name: str) -> int:
    """The index of the first line after the enacting formula (0 for the Code,
    which has none): an arrangement of sections and the title lines stand before."""
    lines = lines_of(name)
    formula = re.compile(r"(?:BE it enacted|Be it enacted|May it therefore|HAVE ADOPTED)")
    return next((i + 1 for i, line in enumerate(lines) if formula.match(line)), 0)


def heading_lines(name: str) -> list[int]:
    """The 0-based indexes of the provision heading lines of a file."""
    lines = lines_of(name)
    end = lines.index("SCHEDULE") if name == UK else len(lines)
    return [i for i in range(body_start(name), end) if HEADING[name].match(lines[i])]


def shape(extraction: Extraction) -> list[tuple[str, str, str | None, str]]:
    return [
        (u.canonical_address, u.unit_kind, u.parent_address, u.number) for u in extraction.units
    ]


def replaced(name: str, old: str, new: str, count: int = 1) -> str:
    text = en_text(name)
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


def inserted(name: str, after: str, line: str) -> tuple[str, int]:
    """The file with ``line`` inserted after its body line starting with
    ``after``, and the (1-based) number the new line has."""
    lines = lines_of(name)
    at = line_index(name, after) + 1
    return "\n".join([*lines[:at], line, *lines[at:]]), at + 1


def line_index(name: str, start: str) -> int:
    """The index of the first line of the body starting with ``start``."""
    lines = lines_of(name)
    return next(i for i in range(body_start(name), len(lines)) if lines[i].startswith(start))


def assert_stops_at(text: str, expected_line: int, *fragments: str) -> str:
    """The text stops naming ``expected_line`` (1-based) with every fragment in the detail."""
    detail, line, quoted = stop_of(text)
    assert names_its_line(text, line, quoted), detail
    assert line == expected_line, detail
    for fragment in fragments:
        assert fragment in detail, detail
    return detail


# ---- a provision heading lost: every one of every file --------------------------------
def test_the_headings_found_here_are_the_truths() -> None:
    for name in FILES:
        assert len(heading_lines(name)) == TRUTH[name].top_count, name


@pytest.mark.parametrize("name", FILES)
def test_every_dropped_provision_heading_stops(name: str) -> None:
    """Without its heading a provision's text would join the one before: a gap
    in the numbers, a first item after a full stop, a title with no heading, a
    numbered item outside any provision, or an analysis that lists it says so."""
    lines = lines_of(name)
    for index in heading_lines(name):
        text = "\n".join(lines[:index] + lines[index + 1 :])
        detail, line, quoted = stop_of(text)
        assert names_its_line(text, line, quoted), (lines[index], detail)


# ---- numbers swapped or duplicated ------------------------------------------------------
def _sample_child_lines(name: str) -> list[tuple[int, int]]:
    """For each sample provision of the truth: the lines of its first two children."""
    truth = TRUTH[name]
    lines = lines_of(name)
    heads = heading_lines(name)
    found = []
    for sample in truth.samples:
        start = next(
            i
            for i in heads
            if re.search(rf"(?<![\d§])\b{re.escape(sample.provision)}\.? ", lines[i])
            or lines[i] == f"Article {sample.provision}"
        )
        markers = []
        for child in sample.children[:2]:
            form = re.escape(f"{child}." if name == EU else f"({child})")
            # At the start of a line, after an amendment mark, or after a title's dash.
            at_marker = re.compile(rf"(?:^|^\d+\[|\.—|\.—\d+\[){form}")
            at = next(i for i in range(start, len(lines)) if at_marker.search(lines[i]))
            markers.append(at)
            start = at + 1
        found.append((markers[0], markers[1]))
    return found


def _marker_token(line: str) -> str:
    """The marker a child's line holds: after a section title's dash (India's
    ``1. Short title.—(1)``), else at its start, after any amendment mark."""
    m = re.search(r"\.—(?:\d+\[)?(\(\d+\))", line) or re.match(
        r"(?:\d+\[)?(\([0-9A-Za-z]+\)|\d+\.)", line
    )
    return m.group(1)


@pytest.mark.parametrize("name", FILES)
def test_two_swapped_numbers_stop_at_the_first(name: str) -> None:
    lines = lines_of(name)
    for first, second in _sample_child_lines(name):
        a, b = _marker_token(lines[first]), _marker_token(lines[second])
        mutated = list(lines)
        mutated[first] = lines[first].replace(a, b, 1)
        mutated[second] = lines[second].replace(b, a, 1)
        assert_stops_at("\n".join(mutated), first + 1, "gap")


@pytest.mark.parametrize("name", FILES)
def test_a_duplicated_number_stops_at_the_duplicate(name: str) -> None:
    lines = lines_of(name)
    for first, second in _sample_child_lines(name):
        a, b = _marker_token(lines[first]), _marker_token(lines[second])
        mutated = list(lines)
        mutated[second] = lines[second].replace(b, a, 1)
        assert_stops_at("\n".join(mutated), second + 1, "duplicate")


def test_two_swapped_section_headings_stop() -> None:
    text = replaced(USC, "§ 3. Stay", "§ 4. Stay")
    assert_stops_at(text, line_index(USC, "§ 3. Stay") + 1, "gap (expected 3, found 4)")
    text = replaced(USC, "§ 4. Failure", "§ 3. Failure")
    assert_stops_at(text, line_index(USC, "§ 4. Failure") + 1, "duplicate section 3 (expected 4)")


# ---- markers written another way --------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "old", "new", "kind"),
    [
        (UK, "(b) on and after that day", "b) on and after that day", "paragraph b"),
        (EU, "(b) a notification and supervisory", "b. a notification and supervisory", "point b"),
        (USC, "(b) If an award is vacated", "b) If an award is vacated", "subsection b"),
        (PL, "(2) The Aspire to Inspire", "2) The Aspire to Inspire", "paragraph 2"),
    ],
)
def test_the_next_marker_in_another_form_stops(name: str, old: str, new: str, kind: str) -> None:
    text = replaced(name, old, new)
    at = text.split("\n").index(next(line for line in text.split("\n") if line.startswith(new)))
    assert_stops_at(text, at + 1, f"{kind} marker in a form that cannot be read")


def test_a_marker_in_capitals_has_no_level_and_stops() -> None:
    text = replaced(EU, "(a) conditions for the re-use", "(A) conditions for the re-use")
    at = line_index(EU, "(a) conditions for the re-use")
    assert_stops_at(text, at + 1, "a marker with no level in a eu-act text")


def test_a_heading_word_in_other_capitals_cuts_the_same() -> None:
    want = shape(cut(en_text(UK)))
    got = cut(replaced(UK, "PART 2\n", "Part 2\n"))
    assert shape(got) == want
    assert got.units[[u[0] for u in want].index(f"{DOC_CODE}/part_2")].raw_heading == "Part 2"


@pytest.mark.parametrize(
    ("name", "old", "new", "title"),
    [
        (UK, "PART 4\n", "part 4\n", "FINAL PROVISIONS"),
        (EU, "Article 38\n", "article 38\n", "Entry into force and application"),
        (EU, "CHAPTER IX\n", "", "Final and transitional provisions"),
    ],
)
def test_a_container_heading_that_cannot_be_read_stops_at_its_title(
    name: str, old: str, new: str, title: str
) -> None:
    """The last Part or Article: nothing after it would show the loss but the
    title left standing in the text of the unit before."""
    text = replaced(name, old, new)
    at = text.split("\n").index(title)
    assert_stops_at(text, at + 1, "a line shaped like a heading's title")


def test_a_container_numbered_another_way_stops() -> None:
    text = replaced(EU, "CHAPTER IX\n", "CHAPTER NINE\n")
    assert_stops_at(text, line_index(EU, "CHAPTER IX") + 1, "numbered in another way")


def test_a_section_sign_without_its_space_is_a_reference_and_the_gap_stops() -> None:
    text = replaced(USC, "§ 5. Appointment", "§5. Appointment")
    assert_stops_at(text, line_index(USC, "§ 6. Application") + 1, "gap (expected 5, found 6)")


# ---- quoted provisions in amending text -------------------------------------------------
QUOTED = {
    USC: ("§ 14. Contracts not affected", "“§ 14. Contracts not affected\n(a) Quoted.”"),
    PL: ("SEC. 4. PLAN.", "“SEC. 4. PLAN.\n(1) Quoted.”"),
    UK: ("5 Disapplication of Companies Clauses Acts", "“5 Disapplication\n(1) Quoted.”."),
    EU: ("Article 37", "Article 37 is replaced by:\n‘Article 37\nTransitional\n1. Quoted.’;"),
    INDIA: ("5. Agreement for giving", "“5. Agreement for giving.—(1) Quoted.”"),
}


@pytest.mark.parametrize("name", FILES)
def test_a_quoted_provision_in_an_amendment_is_body_text(name: str) -> None:
    """An amending provision quoting a whole provision: inserted before the next
    heading, it is text of the unit there, and the tree is unchanged."""
    heading, quoted = QUOTED[name]
    original = cut(en_text(name))
    lines = lines_of(name)
    at = line_index(name, heading)
    mutated = lines[:at] + quoted.split("\n") + lines[at:]
    extraction = cut("\n".join(mutated))
    assert shape(extraction) == shape(original)
    changed = [
        (old.canonical_address, new.body)
        for old, new in zip(original.units, extraction.units, strict=True)
        if old.body != new.body
    ]
    assert len(changed) == 1 and quoted.split("\n")[-1] in changed[0][1]
    quoted_lines = [w.line for w in extraction.warnings if w.kind == "quoted_provision"]
    assert at + 1 in quoted_lines or at + 2 in quoted_lines


def test_a_quotation_never_closed_stops_where_it_opens() -> None:
    text = replaced(UK, "(4) Nothing in this Act affects the generality of subsection (1).”.", "")
    at = line_index(UK, "“6 The Company’s objects")
    assert_stops_at(text, at + 1, "quotation is never closed")


def test_an_eu_quotation_in_single_quotes_never_closed_stops_where_it_opens() -> None:
    text, at = inserted(EU, "Entities providing the data", "‘Article 37")
    assert_stops_at(text, at, "quotation is never closed")
    # An apostrophe inside the quotation (the same character) does not close it.
    text, at = inserted(EU, "Entities providing the data", "‘the Member State’s rules")
    assert_stops_at(text, at, "quotation is never closed")


def test_a_closing_quotation_mark_with_no_quotation_stops() -> None:
    text = replaced(UK, "“6 The Company’s objects", "6 The Company’s objects")
    detail, line, quoted = stop_of(text)
    assert names_its_line(text, line, quoted), detail


# ---- tables of contents -------------------------------------------------------------------
def test_the_arrangement_must_list_the_sections_of_the_act() -> None:
    text = replaced(INDIA, "4A. Ban on advertisement.\n", "")
    detail = assert_stops_at(
        text, line_index(INDIA, "2[4A. Ban"), "is not the one the analysis lists"
    )
    assert "section 4A" in detail


def test_a_section_the_arrangement_lists_but_the_act_lacks_stops() -> None:
    lines = lines_of(INDIA)
    at = lines.index("10. Power of the State Government to make rules.") + 1
    text = "\n".join([*lines[:at], "11. Extra.", *lines[at:]])
    assert_stops_at(text, at + 1, "section 11, which the analysis lists, is not in the text")


def test_a_chapter_analysis_must_list_the_chapter_sections() -> None:
    text = replaced(USC, "16. Appeals.\n", "")
    at = line_index(USC, "§ 16. Appeals") - 1
    assert_stops_at(text, at + 1, "section 16 is not in the analysis")
    extra, at = inserted(USC, "208. Chapter 1", "209. Extra.")
    assert_stops_at(extra, at, "section 209, which the analysis lists")


def test_a_jump_the_analysis_does_not_give_stops() -> None:
    text = replaced(USC, "201. Enforcement of Convention.\n", "")
    assert_stops_at(text, line_index(USC, "§ 201. Enforcement"), "gap (expected 17, found 201)")


def test_a_contents_list_in_a_section_is_text() -> None:
    contents = "Sec. 1. Short title.\nSec. 2. Findings.\nSec. 3. Supporting women.\nSec. 4. Plan."
    original = cut(en_text(PL))
    extraction = cut(replaced(PL, "SEC. 2. FINDINGS.", f"{contents}\nSEC. 2. FINDINGS."))
    assert shape(extraction) == shape(original)
    assert extraction.units[1].body.endswith(contents)


# ---- amendment marks, repealed sections, inserted numbers ---------------------------------
def test_amendment_marks_only_add_their_warnings() -> None:
    original = cut(en_text(INDIA))
    extraction = cut(replaced(INDIA, "1[4. Penalty for demanding", "4. Penalty for demanding"))
    assert shape(extraction) == shape(original)
    marks = [w for w in original.warnings if w.kind == "amendment_mark"]
    assert len([w for w in extraction.warnings if w.kind == "amendment_mark"]) == len(marks) - 1


def test_an_omitted_section_is_a_unit_and_reported() -> None:
    text = replaced(
        INDIA,
        "5. Agreement for giving or taking dowry to be void.—Any agreement for the giving or "
        "taking of\ndowry shall be void.",
        "5. [Omitted by Act 43 of 1986, s. 3.]",
    )
    extraction = cut(text)
    section = next(u for u in extraction.units if u.canonical_address == f"{DOC_CODE}/sec_5")
    assert (section.title, section.body) == ("", "[Omitted by Act 43 of 1986, s. 3.]")
    (warning,) = [w for w in extraction.warnings if w.kind == "repealed_provision"]
    assert warning.line == line_index(INDIA, "5. Agreement for giving") + 1
    assert shape(extraction) == shape(cut(en_text(INDIA)))


def test_a_repealed_code_section_is_a_unit_and_reported() -> None:
    text = replaced(
        USC,
        "§ 14. Contracts not affected\n"
        "This title shall not apply to contracts made prior to January 1, 1926.\n",
        "§ 14. Repealed. Pub. L. 100–702, title X, § 1019(a), Nov. 19, 1988.\n",
    )
    extraction = cut(text)
    section = next(u for u in extraction.units if u.canonical_address.endswith("/sec_14"))
    assert section.title == "Repealed. Pub. L. 100–702, title X, § 1019(a), Nov. 19, 1988."
    assert [w.kind for w in extraction.warnings].count("repealed_provision") == 1
    assert shape(extraction) == shape(cut(en_text(USC)))


def test_an_inserted_section_and_subsection_number_follow_their_base() -> None:
    extraction = cut(en_text(INDIA))
    numbers = [u.number for u in top_provisions(extraction, "section")]
    assert numbers == ["1", "2", "3", "4", "4A", "5", "6", "7", "8", "8A", "8B", "9", "10"]
    # An inserted number before its base, or a second one skipped, stops.
    assert_stops_at(
        replaced(INDIA, "8[8A. Burden", "8[8C. Burden"),
        line_index(INDIA, "8[8A. Burden") + 1,
        "section numbering gap",
    )


# ---- cross-headings and page footnotes ----------------------------------------------------
def test_uk_cross_headings_group_the_sections_that_follow() -> None:
    text = replaced(
        UK, "12 Interpretation of Part 3", "Missing shareholders\n12 Interpretation of Part 3"
    )
    text = text.replace("14 Sale of shares\n", "Sale\n14 Sale of shares\n")
    original = cut(en_text(UK))
    extraction = cut(text)
    heading = {"sec_12": "crossheading_1", "sec_13": "crossheading_1"}
    heading |= {f"sec_{n}": "crossheading_2" for n in (14, 15, 16)}

    def moved(address: str) -> str:
        for section, cross in heading.items():
            prefix = f"{DOC_CODE}/part_3/{section}"
            if address == prefix or address.startswith(prefix + "/"):
                return address.replace(f"/part_3/{section}", f"/part_3/{cross}/{section}")
        return address

    want = [
        (moved(a), k, None if p is None else moved(a).rsplit("/", 1)[0], n)
        for a, k, p, n in shape(original)
    ]
    got = [row for row in shape(extraction) if row[1] != "crossheading"]
    assert got == want
    crossings = [u for u in extraction.units if u.unit_kind == "crossheading"]
    assert [(u.title, u.parent_address) for u in crossings] == [
        ("Missing shareholders", f"{DOC_CODE}/part_3"),
        ("Sale", f"{DOC_CODE}/part_3"),
    ]


def test_a_heading_title_in_a_section_that_no_section_follows_stops() -> None:
    text, at = inserted(UK, "5 Disapplication", "No provision applies")
    assert_stops_at(text, at, "a line shaped like a heading's title")


def test_footnotes_numbered_like_sections_are_never_sections() -> None:
    """The page's footnote 4 stands where section 4 is due; read as a heading
    it would cut section 3 in two."""
    extraction = cut(en_text(INDIA))
    lines = lines_of(INDIA)
    footnote = line_index(INDIA, "4. The Explanation I omitted") + 1
    holder = next(u for u in extraction.units if "4. The Explanation I omitted" in u.body)
    assert holder.canonical_address.startswith(f"{DOC_CODE}/sec_3/")
    assert lines[footnote - 1].startswith("4. ")


# ---- text after a list, and the tail mark ---------------------------------------------------
def test_text_after_a_list_whose_sentence_goes_on_is_the_parents() -> None:
    extraction = cut(en_text(UK))
    subsection = next(
        u for u in extraction.units if u.canonical_address.endswith("sec_14/subsec_8")
    )
    assert subsection.tail == "the Company may sell those additional shares."
    item = children(extraction, subsection)[-1]
    assert item.body == "additional shares previously issued during that period,"


def test_a_line_holding_only_the_tail_mark_stops() -> None:
    text, at = inserted(PL, "(2) Aspire to Inspire.", TAIL_MARK)
    assert_stops_at(text, at, repr(TAIL_MARK))
