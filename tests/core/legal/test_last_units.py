"""Every last clause and every last point of a real law, damaged one at a time.

Nothing after the last unit of a sequence contradicts its loss, so its damage is
where a silent mis-cut hides. The last units are found here from the text alone
(the marker lines before the next article, clause or point opener), not from the
extractor; each damage must stop at its line or, for a marker run into the line
before with nothing between or into its sibling's own marker line (``b) …; c) …``,
a chain), give the same tree with one reported split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cutter_assets.core.legal import Extraction, extract_units
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import corpus_text

NAME = "luat-hon-nhan-va-gia-dinh.txt"  # no tolerance needed: every change is ours
CODE = "VN-HNGD"
_ARTICLE = re.compile(r"Điều \d+\.")
_CLAUSE = re.compile(r"(\d+)\. ")
_POINT = re.compile(r"([a-zđ])\) ")


def _lines() -> list[str]:
    return corpus_text(NAME).split("\n")


def _last_markers(lines: list[str]) -> Iterator[tuple[str, int]]:
    """(kind, 0-based line) of each clause that is the last in its article and
    each point that is the last in its clause, by reading the marker lines."""
    clause: int | None = None  # the line of the open clause
    point: int | None = None  # the line of the last point seen in it
    closers = ("Chương ", "Mục ", "Luật này đã được Quốc hội")
    for i, line in enumerate([*lines, "Điều 0."]):  # a sentinel closes the last article
        if _ARTICLE.match(line) or line.startswith(closers):
            if point is not None:
                yield "point", point
            if clause is not None:
                yield "clause", clause
            clause = point = None
        elif _CLAUSE.match(line):
            if point is not None:
                yield "point", point
            clause, point = i, None
        elif _POINT.match(line):
            point = i


LAST = sorted(_last_markers(_lines()), key=lambda found: found[1])


def _cut(lines: list[str]) -> Extraction:
    return extract_units("\n".join(lines), doc_code=CODE)


def _stop_line(lines: list[str]) -> tuple[int, str]:
    with pytest.raises(CutterStop) as stop:
        _cut(lines)
    assert stop.value.code is StopCode.STOP_STRUCTURE
    match = re.search(r"at line (\d+): ", stop.value.detail)
    assert match, stop.value.detail
    return int(match.group(1)), stop.value.detail


def _odd(kind: str, line: str) -> list[str]:
    """The marker of ``line`` written in the other forms."""
    token, rest = line.split(" ", 1)
    mark = token[:-1]
    forms = [f"{mark})", f"({mark})", f"{mark}:"] if kind == "clause" else [f"{mark}.", f"({mark})"]
    return [f"{form} {rest}" for form in forms]


def test_the_law_has_last_units_of_both_kinds() -> None:
    kinds = [kind for kind, _ in LAST]
    # 133 articles, most of them with clauses, many with points (read in the file).
    assert kinds.count("clause") > 80 and kinds.count("point") > 15


def test_every_last_unit_with_an_odd_marker_stops_at_its_line() -> None:
    lines = _lines()
    for kind, index in LAST:
        for damaged in _odd(kind, lines[index]):
            mutated = [*lines[:index], damaged, *lines[index + 1 :]]
            line, detail = _stop_line(mutated)
            assert (line, f"{kind} ") == (index + 1, detail[: len(kind) + 1]), damaged


def _joined(lines: list[str], index: int, glue: str) -> tuple[list[str], int]:
    before = max(i for i in range(index) if lines[i].strip())
    joined = lines[before].rstrip() + glue + lines[index].strip()
    return [*lines[:before], joined, *lines[index + 1 :]], before


def _opens_a_unit(line: str) -> bool:
    return bool(_ARTICLE.match(line) or _CLAUSE.match(line) or _POINT.match(line)) or (
        line.startswith(("Chương ", "Mục ", "Luật này đã được Quốc hội"))
    )


def test_every_last_unit_run_into_the_line_before_is_split_or_stops() -> None:
    lines = _lines()
    original = _cut(lines)
    tree = [(u.canonical_address, u.body) for u in original.units]
    split = stopped = 0

    def split_there(mutated: list[str], before: int) -> None:
        result = _cut(mutated)
        assert [(u.canonical_address, u.body) for u in result.units] == tree, lines[index]
        removed = len(lines) - len(mutated)  # the lines after the joined one moved up
        known = [
            (w.kind, w.line - removed if w.line > before else w.line) for w in original.warnings
        ]
        warnings = sorted((w.kind, w.line) for w in result.warnings)
        assert warnings == sorted([*known, ("missing_line_break", before + 1)]), lines[index]

    for kind, index in LAST:
        mutated, before = _joined(lines, index, "")
        following = next(line for line in lines[index + 1 :] if line.strip())
        own_points = kind == "clause" and _POINT.match(following)
        # the sibling's own marker line: a chain of two markers, read as both
        chain = (_CLAUSE if kind == "clause" else _POINT).match(lines[before])
        if chain or (_opens_a_unit(following) and not own_points):  # one paragraph
            split_there(mutated, before)
            split += 1
        else:  # paragraphs or points follow: whose they are is not known, so it stops
            line, detail = _stop_line(mutated)
            assert line == before + 1 and "run into the text before it" in detail, lines[index]
            stopped += 1
        mutated, before = _joined(lines, index, " ")
        if chain:
            split_there(mutated, before)
        else:
            line, detail = _stop_line(mutated)
            assert line == before + 1 and "run into the text before it" in detail, lines[index]
            stopped += 1
    assert split > 50 and stopped > 10
