"""The five real English instruments (corpus/en: US Code title, US public law,
UK local Act, EU regulation, Indian Act) cut to the counts established from
each source's own markup: corpus/en/truth.tsv, read here, never a copy of it.

For each file: the number of top-level provisions (a US, UK or Indian section,
an EU article) and their first and last numbers, the containers, and three
sample provisions with exactly their numbered children; then the invariants
every cut keeps (parents before children, hashes of bodies, known kinds).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from cutter_assets.core.legal import UNIT_KINDS, WARNING_KINDS, Extraction, Unit, extract_units
from cutter_assets.core.legal.detect import detect_language
from cutter_assets.core.legal.english.builder import ODD_SPACE
from cutter_assets.core.legal.normalize import has_odd_space
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import CORPUS_FILES, corpus_text

REPO = Path(__file__).resolve().parents[3]
EN_DIR = REPO / "corpus" / "en"
DOC_CODE = "EN-CORPUS"
# truth.tsv names containers in the plural; a unit kind is singular.
CONTAINER_KINDS = {"chapters": "chapter", "parts": "part", "schedules": "schedule"}
CONTAINER_KINDS["recitals"] = "recital"


@dataclass(frozen=True)
class Sample:
    """A provision and its direct numbered children, as truth.tsv lists them."""

    provision: str  # its number: "1", "4A", "305"
    children: tuple[str, ...]  # "1", "3A", "a"


@dataclass(frozen=True)
class Truth:
    file: str
    top_kind: str
    top_count: int
    containers: dict[str, int]  # unit kind -> count
    schedule_paragraphs: int | None  # "(..., 12 paragraphs)" of a schedule
    first: str
    last: str
    samples: tuple[Sample, ...]


def _expand(items: str) -> tuple[str, ...]:
    """``(1),(2),(3A)`` or ``(1)-(4)``, ``1.-5.``, ``(a)-(c)``: the numbers listed."""
    tokens = re.findall(r"\(?([0-9]+[A-Z]?|[a-z])\)?\.?", items)
    if "-" not in items:
        return tuple(tokens)
    first, last = tokens
    if first.isdigit():
        return tuple(str(n) for n in range(int(first), int(last) + 1))
    return tuple(chr(c) for c in range(ord(first), ord(last) + 1))


def _samples(field: str) -> tuple[Sample, ...]:
    out = []
    for entry in field.split("; "):
        label, rest = entry.split(":", 1)
        items, count = rest.rsplit("=", 1)
        children = _expand(items)
        assert len(children) == int(count), entry  # the row is consistent with itself
        out.append(Sample(re.search(r"(\d+[A-Z]?)$", label).group(1), children))
    return tuple(out)


def _containers(field: str) -> tuple[dict[str, int], int | None]:
    if field == "none":
        return {}, None
    counts: dict[str, int] = {}
    for part in field.split(";"):
        name, value = part.split("=", 1)
        counts[CONTAINER_KINDS[name]] = int(value.split()[0])
    paragraphs = re.search(r"(\d+) paragraphs", field)
    return counts, int(paragraphs.group(1)) if paragraphs else None


def read_truth() -> list[Truth]:
    with (EN_DIR / "truth.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    out = []
    for row in rows:
        containers, paragraphs = _containers(row["containers"])
        out.append(
            Truth(
                file=row["file"],
                top_kind=row["top_kind"],
                top_count=int(row["top_count"]),
                containers=containers,
                schedule_paragraphs=paragraphs,
                first=row["first_top_number"],
                last=row["last_top_number"],
                samples=_samples(row["sub_counts_sample"]),
            )
        )
    return out


TRUTH = {truth.file: truth for truth in read_truth()}
FILES = sorted(TRUTH)


def en_text(name: str) -> str:
    return (EN_DIR / name).read_bytes().decode("utf-8")


def cut(text: str) -> Extraction:
    return extract_units(text, doc_code=DOC_CODE, language="en")


def top_provisions(extraction: Extraction, kind: str) -> list[Unit]:
    """The top-level provisions: units of ``kind`` not inside a schedule or annex."""
    return [
        u
        for u in extraction.units
        if u.unit_kind == kind and "/sch_" not in u.canonical_address
        and "/annex_" not in u.canonical_address
    ]  # fmt: skip


def children(extraction: Extraction, parent: Unit) -> list[Unit]:
    return [u for u in extraction.units if u.parent_address == parent.canonical_address]


def stop_of(text: str) -> tuple[str, int, str]:
    """The STOP_STRUCTURE a text stops with: its detail, the line it names, and
    the quoted text of that line."""
    with pytest.raises(CutterStop) as err:
        cut(text)
    assert err.value.code is StopCode.STOP_STRUCTURE, err.value.detail
    m = re.search(r' at line (\d+): "(.*)"$', err.value.detail)
    assert m is not None, err.value.detail
    return err.value.detail, int(m.group(1)), m.group(2)


def names_its_line(text: str, line: int, quoted: str) -> bool:
    """Whether the quoted text is (the start of) input line ``line``."""
    actual = " ".join(text.split("\n")[line - 1].split())
    return actual.startswith(quoted.rstrip("…"))


# ---- the truth counts -------------------------------------------------------------
def test_truth_covers_the_five_files() -> None:
    assert FILES == sorted(p.name for p in EN_DIR.glob("*.txt"))
    assert len(FILES) == 5


@pytest.mark.parametrize("name", FILES)
def test_top_level_provisions_match_the_truth(name: str) -> None:
    truth = TRUTH[name]
    extraction = cut(en_text(name))
    provisions = top_provisions(extraction, truth.top_kind)
    assert len(provisions) == truth.top_count
    assert provisions[0].number == truth.first
    assert provisions[-1].number == truth.last
    assert len({u.number for u in provisions}) == len(provisions)
    assert extraction.language == "en"


@pytest.mark.parametrize("name", FILES)
def test_containers_match_the_truth(name: str) -> None:
    truth = TRUTH[name]
    extraction = cut(en_text(name))
    for kind, count in truth.containers.items():
        assert extraction.counts[kind] == count, kind
    # Kinds the truth does not list as containers do not occur as containers.
    listed = set(truth.containers)
    for kind in ("part", "chapter", "title", "subtitle", "subchapter", "schedule", "annex"):
        if kind not in listed:
            assert extraction.counts[kind] == 0, kind
    if truth.schedule_paragraphs is not None:
        (schedule,) = [u for u in extraction.units if u.unit_kind == "schedule"]
        paragraphs = [u for u in children(extraction, schedule) if u.unit_kind == "paragraph"]
        assert [u.number for u in paragraphs] == [
            str(n) for n in range(1, truth.schedule_paragraphs + 1)
        ]


@pytest.mark.parametrize("name", FILES)
def test_sample_provisions_have_exactly_their_numbered_children(name: str) -> None:
    truth = TRUTH[name]
    extraction = cut(en_text(name))
    by_number = {u.number: u for u in top_provisions(extraction, truth.top_kind)}
    for sample in truth.samples:
        provision = by_number[sample.provision]
        numbers = tuple(u.number for u in children(extraction, provision))
        assert numbers == sample.children, sample


@pytest.mark.parametrize("name", FILES)
def test_every_cut_keeps_the_invariants(name: str) -> None:
    extraction = cut(en_text(name))
    seen: set[str] = set()
    for order, unit in enumerate(extraction.units, start=1):
        assert unit.sort_order == order
        assert unit.unit_kind in UNIT_KINDS
        assert unit.canonical_address.startswith(f"{DOC_CODE}/")
        assert unit.canonical_address not in seen
        assert unit.parent_address is None or unit.parent_address in seen
        if unit.parent_address is not None:
            assert unit.canonical_address.startswith(unit.parent_address + "/")
        assert unit.content_hash == hashlib.sha256(unit.body.encode()).hexdigest()
        seen.add(unit.canonical_address)
    assert {w.kind for w in extraction.warnings} <= set(WARNING_KINDS)
    assert extraction.units[0].unit_kind == "preamble"


@pytest.mark.parametrize("name", FILES)
def test_the_same_text_in_other_encodings_cuts_the_same(name: str) -> None:
    text = en_text(name)
    want = [(u.canonical_address, u.content_hash) for u in cut(text).units]
    for variant in (unicodedata.normalize("NFD", text), text.replace("\n", "\r\n")):
        assert [(u.canonical_address, u.content_hash) for u in cut(variant).units] == want


def test_detection_reads_english_and_vietnamese_apart() -> None:
    for name in FILES:
        assert detect_language(en_text(name)) == "en", name
    for name in CORPUS_FILES:
        text = corpus_text(name)
        if text.strip():  # an empty file (the corpus holds one) has no language
            assert detect_language(text) == "vi", name


def test_odd_whitespace_is_what_normalize_says() -> None:
    """The builder finds odd whitespace in one pass with its own pattern: it
    must match exactly the characters ``has_odd_space`` matches."""
    for code in range(0x3100):
        ch = chr(code)
        assert (ODD_SPACE.search(ch) is not None) == has_odd_space(ch), hex(code)


# ---- what each convention's traps come to ------------------------------------------
def _unit(extraction: Extraction, address: str) -> Unit:
    return next(u for u in extraction.units if u.canonical_address == f"{DOC_CODE}/{address}")


def test_us_code_editorial_apparatus_is_never_cut() -> None:
    text = en_text("us-usc-t09-arbitration.txt")
    extraction = cut(text)
    # The analyses' "1. ..." lines and the notes stay text of the chapter and sections.
    chapter = _unit(extraction, "chp_1")
    assert "16. Appeals." in chapter.body
    section = _unit(extraction, "chp_1/sec_10")
    assert section.tail.startswith("(July 30, 1947, ch. 392, 61 Stat. 672;")
    assert "Subsec. (a)(5). Pub. L. 107–169" in section.tail
    # The jumps from 16 to 201 and 208 to 301 are the chapters' own analyses.
    assert [(w.kind, w.line) for w in extraction.warnings if w.kind == "numbering_jump"] == [
        ("numbering_jump", text.split("\n").index("§ 201. Enforcement of Convention") + 1),
        ("numbering_jump", text.split("\n").index("§ 301. Enforcement of Convention") + 1),
    ]
    # Text after a list is the section's, not its last subsection's.
    assert _unit(extraction, "chp_1/sec_11").tail.startswith("The order may modify")
    assert "The order may" not in _unit(extraction, "chp_1/sec_11/subsec_c").body


def test_uk_amending_text_and_schedule() -> None:
    extraction = cut(en_text("uk-ukla-2017-1-faversham-oyster-fishery-company-act.txt"))
    substituted = _unit(extraction, "part_2/sec_4")
    assert "“6 The Company’s objects" in substituted.body
    assert children(extraction, substituted) == []
    assert extraction.counts["recital"] == 7  # the README: "WHEREAS—" + recitals (1)-(7)
    schedule = _unit(extraction, "sch_1")
    assert (schedule.title, schedule.body) == ("REPEALS", "Section 11")
    assert _unit(extraction, "part_3/sec_13/subsec_8").tail == "whichever happens first."


def test_eu_recitals_articles_and_signatures() -> None:
    extraction = cut(en_text("eu-reg-2022-868-data-governance-act.txt"))
    article = _unit(extraction, "chp_1/art_1")
    assert article.title == "Subject matter and scope"
    preamble = _unit(extraction, "preamble")
    assert preamble.body.endswith("HAVE ADOPTED THIS REGULATION:")
    recital = _unit(extraction, "rec_2")
    assert recital.body.startswith("Over the last decade") and "\nThe Commission also" in (
        recital.body
    )
    table = _unit(extraction, "chp_9/art_36")
    assert "Life events Procedures Expected output" in table.body  # tabs read as spaces
    closing = _unit(extraction, "closing")
    assert closing.body.startswith("Done at Brussels, 30 May 2022.")
    assert "(33) Directive (EU) 2019/882" in closing.body  # the footnotes


def test_india_amendment_marks_and_footnotes() -> None:
    text = en_text("in-act-1961-28-dowry-prohibition-act.txt")
    extraction = cut(text)
    section = _unit(extraction, "sec_4A")
    assert (section.title, section.raw_heading) == (
        "Ban on advertisement",
        "2[4A. Ban on advertisement.—If any person—",
    )
    wrapped = _unit(extraction, "sec_8")
    assert wrapped.title == (
        "Offences to be cognizable for certain purposes and to be bailable and non-compoundable"
    )
    notes = [w for w in extraction.warnings if w.kind == "editorial_note"]
    lines = text.split("\n")
    assert [lines[w.line - 1][:3] for w in notes] == ["1. "] * 4
    # The footnotes on the page inside section 3 stay text there, never sections.
    assert "9. Ins. by Act 63 of 1984" in _unit(extraction, "sec_3/subsec_2/para_b").body
    marks = [w.line for w in extraction.warnings if w.kind == "amendment_mark"]
    # A mark before a section's number, or before its first subsection ("—5[(1)]").
    before_number = re.compile(r"(?:^|\.—)\d+\[(?:\d|\()")
    assert len(marks) == sum(bool(before_number.search(line)) for line in lines)


# ---- the command line ---------------------------------------------------------------
def _cutter() -> str:
    return str(Path(sys.executable).with_name("cutter"))


@pytest.mark.parametrize("name", FILES)
def test_the_command_line_cuts_each_file(name: str) -> None:
    result = subprocess.run(
        [_cutter(), "extract", str(EN_DIR / name), "--format", "jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    truth = TRUTH[name]
    direct = cut(en_text(name))
    # The same units as cut here, under the doc code the file name gives.
    assert [
        (row["canonical_address"].split("/", 1)[1], row["unit_kind"], row["content_hash"])
        for row in rows
    ] == [(u.canonical_address.split("/", 1)[1], u.unit_kind, u.content_hash) for u in direct.units]
    kinds = [row["unit_kind"] for row in rows if "/sch_" not in row["canonical_address"]]
    assert kinds.count(truth.top_kind) == truth.top_count
    assert f"(en): {len(rows)} units" in result.stderr


def test_the_command_line_stops_a_defective_text(tmp_path: Path) -> None:
    text = en_text("us-publ-115-7-inspire-women-act.txt")
    path = tmp_path / "inspire.txt"
    damaged = text.replace("SEC. 3. SUPPORTING", "SEC. 4. SUPPORTING")
    path.write_text(damaged, encoding="utf-8")
    result = subprocess.run(
        [_cutter(), "extract", str(path), "--format", "jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == StopCode.STOP_STRUCTURE.exit_code
    assert result.stdout == ""
    # One line for its one anomaly, then the stop.
    anomaly, line = result.stderr.splitlines()
    assert "STOP_STRUCTURE" in line and "section numbering gap (expected 3, found 4)" in line
    lines = damaged.split("\n")
    at = next(i for i, s in enumerate(lines, 1) if s.startswith("SEC. 4. SUPPORTING"))
    sha = hashlib.sha256(lines[at - 1].encode("utf-8")).hexdigest()
    assert anomaly == f"anomaly: line {at}: gap: expected 3, found 4 (sha256 {sha[:12]})"


def test_a_law_with_more_units_than_the_cap_stops_naming_the_first_over_it() -> None:
    text = en_text("eu-reg-2022-868-data-governance-act.txt")
    units = cut(text)
    with pytest.raises(CutterStop) as err:
        extract_units(text, doc_code=DOC_CODE, max_units=100)
    assert err.value.code is StopCode.STOP_STRUCTURE
    over = units.unit_lines[100]
    assert f"the document has {len(units.units)} units, more than the cap of 100" in (
        err.value.detail
    )
    assert f"Unit 101 starts at line {over}:" in err.value.detail
