"""All the anomalies of a document in one pass (``core/legal/anomalies.py``).

Damaged copies of real laws (a marker dropped, a number repeated, the last
letter of a list skipped, a chapter number skipped) report exactly their
defects: kind, line, what was due and what stands there, and the sha256 of the
line (NFC, UTF-8) computed here with hashlib. The defects are made here and
their lines found in the damaged text itself, never taken from the extractor.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutter_assets.app.extract import extract
from cutter_assets.core.legal import extract_units
from cutter_assets.core.legal.vocab import ANOMALY_KINDS
from cutter_assets.core.stops import CutterStop, StopCode, StructureStop
from tests.core.legal.corpus import REPO, corpus_text

VI_LAW = "luat-cong-nghe-thong-tin.txt"
EN_LAW = REPO / "corpus" / "en" / "uk-ukla-2017-1-faversham-oyster-fishery-company-act.txt"


@dataclass(frozen=True)
class Defect:
    """The first line starting with ``old`` gets ``new`` instead of it (after the
    whole-line ``renumbered`` ones); the anomaly expected stands on that line, or
    where ``reported_at`` (the start of a later line) says."""

    old: str
    new: str
    kind: str
    expected: str
    found: str
    reported_at: str = ""
    renumbered: tuple[tuple[str, str], ...] = ()


# The Vietnamese law: clause 3 of Article 5 loses its marker (its text joins
# clause 2), Article 3's last clause repeats the number before it, the last
# point of a list skips c, and the chapters from III on are numbered one up.
DROP_A_MARKER = Defect("3. Khuyến khích đầu tư", "Khuyến khích đầu tư", "gap", "3", "4", "4. ")
REPEAT_A_NUMBER = Defect("2. Trường hợp điều ước quốc tế", "1. Trường hợp điều ước quốc tế",
                         "duplicate", "2", "1")  # fmt: skip
SKIP_THE_LAST_LETTER = Defect("c) Lựa chọn và sửa đổi", "d) Lựa chọn và sửa đổi", "gap", "c", "d")
SKIP_A_CHAPTER = Defect("Chương III", "Chương IV", "gap", "3", "4", renumbered=(
    ("Chương VI", "Chương VII"), ("Chương V", "Chương VI"), ("Chương IV", "Chương V"),
))  # fmt: skip

# The UK Act: section 13(2) loses its marker, 13(5) repeats 4, 12(1)'s list of
# what a shareholder notice is skips (e).
EN_DROP_A_MARKER = Defect("(2) A shareholder notice may", "A shareholder notice may", "gap",
                          "2", "3", "(3) ")  # fmt: skip
EN_REPEAT_A_NUMBER = Defect("(5) Any person may", "(4) Any person may", "duplicate", "5", "4")
EN_SKIP_THE_LAST_LETTER = Defect("(e) (in the case of a third", "(f) (in the case of a third",
                                 "gap", "e", "f")  # fmt: skip


def _damaged(text: str, defects: list[Defect]) -> tuple[str, list[tuple[Defect, int]]]:
    """The text with every defect made, and the 1-based line each one's anomaly
    stands on, by line."""
    lines = text.split("\n")
    located = []
    for defect in defects:
        for old, new in defect.renumbered:  # from the last, so none moves twice
            lines = [new if line == old else line for line in lines]
        at = next(i for i, line in enumerate(lines) if line.startswith(defect.old))
        lines[at] = defect.new + lines[at][len(defect.old) :]
        if defect.reported_at:
            at = next(i for i in range(at, len(lines)) if lines[i].startswith(defect.reported_at))
        located.append((defect, at + 1))
    return "\n".join(lines), sorted(located, key=lambda pair: pair[1])


def _sha256(text: str, line: int) -> str:
    nfc = unicodedata.normalize("NFC", text.split("\n")[line - 1])
    return hashlib.sha256(nfc.encode("utf-8")).hexdigest()


def _stop(text: str, language: str | None = None) -> StructureStop:
    with pytest.raises(StructureStop) as err:
        extract_units(text, doc_code="T-ANOMALY", language=language)
    assert err.value.code is StopCode.STOP_STRUCTURE
    return err.value


def _assert_reports(text: str, located: list[tuple[Defect, int]], stop: StructureStop) -> None:
    """Exactly these anomalies, by line, each pinned to its line's sha256."""
    got = [(a.kind, a.line, a.expected, a.found, a.sha256) for a in stop.anomalies]
    want = [(d.kind, at, d.expected, d.found, _sha256(text, at)) for d, at in located]
    assert got == want
    for anomaly in stop.anomalies:
        assert anomaly.text == unicodedata.normalize("NFC", text.split("\n")[anomaly.line - 1])
        assert anomaly.accept_as_found and anomaly.kind in ANOMALY_KINDS
        assert f"at line {anomaly.line}: " in anomaly.detail


VI_DEFECTS = [DROP_A_MARKER, REPEAT_A_NUMBER, SKIP_THE_LAST_LETTER, SKIP_A_CHAPTER]
EN_DEFECTS = [EN_DROP_A_MARKER, EN_REPEAT_A_NUMBER, EN_SKIP_THE_LAST_LETTER]


def test_the_undamaged_laws_pass() -> None:
    assert extract_units(corpus_text(VI_LAW), doc_code="T-ANOMALY").counts["chapter"] == 6
    assert extract_units(EN_LAW.read_text(encoding="utf-8"), doc_code="T-ANOMALY").units


@pytest.mark.parametrize("defect", VI_DEFECTS, ids=lambda d: f"{d.kind}-{d.old[:12]}")
def test_each_vietnamese_defect_is_exactly_its_anomaly(defect: Defect) -> None:
    text, located = _damaged(corpus_text(VI_LAW), [defect])
    _assert_reports(text, located, _stop(text))


@pytest.mark.parametrize("defect", EN_DEFECTS, ids=lambda d: f"{d.kind}-{d.old[:12]}")
def test_each_english_defect_is_exactly_its_anomaly(defect: Defect) -> None:
    text, located = _damaged(EN_LAW.read_text(encoding="utf-8"), [defect])
    _assert_reports(text, located, _stop(text))


@pytest.mark.parametrize(
    ("source", "defects"),
    [
        ("vi", [DROP_A_MARKER, REPEAT_A_NUMBER, SKIP_A_CHAPTER]),
        ("vi", [SKIP_THE_LAST_LETTER, DROP_A_MARKER, SKIP_A_CHAPTER]),
        ("en", EN_DEFECTS),
    ],
)
def test_three_independent_defects_are_exactly_three_anomalies(source, defects) -> None:
    original = corpus_text(VI_LAW) if source == "vi" else EN_LAW.read_text(encoding="utf-8")
    text, located = _damaged(original, defects)
    stop = _stop(text)
    assert len(stop.anomalies) == 3
    _assert_reports(text, located, stop)


def test_callers_that_know_only_cutter_stop_see_the_first_anomaly_found() -> None:
    # Article 3 after 1 is read as a typo for 2 until Article 4 says it is not, so
    # the clause gap inside it is found first, on a later line.
    text = (
        "LUẬT\n\nĐiều 1. A\n\nNội dung.\n\nĐiều 3. C\n\n1. Một.\n3. Ba.\n\nĐiều 4. D\n\nNội dung.\n"
    )
    with pytest.raises(CutterStop) as err:
        extract_units(text, doc_code="T-ANOMALY")
    stop = err.value
    assert stop.code is StopCode.STOP_STRUCTURE and stop.exit_code == 14
    assert stop.detail == 'clause numbering gap (expected 2, found 3) at line 10: "3. Ba."'
    assert [(a.kind, a.line) for a in stop.anomalies] == [("gap", 7), ("gap", 10)]


def _law(*articles: str) -> str:
    """A small Vietnamese law: a title, then each article heading with one line
    of text (``"+"`` ends it with the closing formula and a signature)."""
    parts = ["LUẬT THỬ"]
    for heading in articles:
        if heading == "+":
            parts += ["Luật này đã được Quốc hội thông qua.", "CHỦ TỊCH QUỐC HỘI"]
        else:
            parts += [heading, "Nội dung của điều."]
    return "\n\n".join(parts) + "\n"


def _reported(text: str) -> list[tuple[str, str, str, str]]:
    """Each anomaly of ``text`` by line: its kind, what was due and what stands
    there, and the line it stands on."""
    lines = text.split("\n")
    return [(a.kind, a.expected, a.found, lines[a.line - 1]) for a in _stop(text).anomalies]


def test_a_mistyped_or_swapped_number_is_one_anomaly_not_an_echo() -> None:
    # 45 for 3 (the next one follows the 3 that was due; one character away it
    # would be a typo the next one confirms) and 8 before 7 (swapped).
    text = _law("Điều 1. A", "Điều 2. B", "Điều 45. C", "Điều 4. D", "Điều 5. E", "Điều 6. F",
                "Điều 8. H", "Điều 7. G", "Điều 9. I")  # fmt: skip
    assert _reported(text) == [("gap", "3", "45", "Điều 45. C"), ("gap", "7", "8", "Điều 8. H")]


def test_a_closing_mark_with_no_quotation_open_closes_nothing_and_reading_goes_on() -> None:
    assert _reported(_law("Điều 1. A", "Điều 2. B”", "Điều 3. C", "Điều 5. E")) == [
        ("quotation", "an open quotation", "a closing mark", "Điều 2. B”"),
        ("gap", "4", "5", "Điều 5. E"),
    ]


def test_reading_stops_at_a_heading_after_the_closing_block() -> None:
    # Nothing after such a heading can be placed: the gap after it is not looked for.
    assert _reported(_law("Điều 1. A", "Điều 3. C", "+", "Điều 4. D", "Điều 6. F")) == [
        ("gap", "2", "3", "Điều 3. C"),
        ("misplaced", "the closing block's text", "article heading", "Điều 4. D"),
    ]


def test_an_english_list_outside_any_provision_is_reported_once() -> None:
    # Section 3's heading lost: its items, and their own items, stand in Part 2
    # with no provision; the first is the anomaly, and section 4 is a gap.
    lines = EN_LAW.read_text(encoding="utf-8").split("\n")
    lines.remove("3 Company name and adoption of model articles")
    reported = [(kind, line[:20]) for kind, _, _, line in _reported("\n".join(lines))]
    assert reported == [("lost_heading", "(1) Notwithstanding "), ("gap", "4 Alteration of obje")]


def test_the_command_line_prints_every_anomaly_then_the_stop(tmp_path: Path) -> None:
    text, located = _damaged(corpus_text(VI_LAW), [DROP_A_MARKER, REPEAT_A_NUMBER, SKIP_A_CHAPTER])
    path = tmp_path / "damaged.txt"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(extract, [str(path)])
    assert result.exit_code == StopCode.STOP_STRUCTURE.exit_code and result.stdout == ""
    *anomalies, stop = result.stderr.splitlines()
    assert anomalies == [
        f"anomaly: line {at}: {d.kind}: expected {d.expected}, found {d.found} "
        f"(sha256 {_sha256(text, at)[:12]})"
        for d, at in located
    ]
    assert stop.startswith("STOP_STRUCTURE: duplicate clause 1 (expected 2) at line ")
