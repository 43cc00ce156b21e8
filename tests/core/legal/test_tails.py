"""A unit's text after its sub-units (its tail): "Chính phủ quy định chi tiết
Điều này." after an article's last clause, "… quy định tại khoản này …" after a
clause's last point. Such a paragraph is the parent's, not the last sub-unit's;
one that names neither cannot be decided and is reported where it stays.

The corpus expectations are found by reading the text line by line here
(``_read_closing_paragraphs``: the paragraphs after the first one of the last
clause or point of each article and clause, and what names "this article",
"this clause" in them), not by the extractor. The mutations put a closing
paragraph after a real law's last clause or point, and the expected tree is
the un-mutated cut with that paragraph added where it belongs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pytest

from cutter_assets.core.legal import extract_units
from cutter_assets.core.legal.model import TAIL_MARK, Unit, body_with_tail, split_tail
from cutter_assets.core.stops import CutterStop, StopCode
from tests.core.legal.corpus import CORPUS_FILES, corpus_text

NON_EMPTY = [name for name in CORPUS_FILES if corpus_text(name).strip()]

# -- reading the text ---------------------------------------------------------------------
_ARTICLE = re.compile(r"(?:Điều|Điền|ĐIỀU)\s*\d+\s*(?:[.:]|$|\s+\S*[A-ZĐ])")
_CONTAINER = re.compile(r"(?:Chương|CHƯƠNG|Mục|MỤC|PHẦN|Phần)[\s.:]*(?:[IVXLC]+|\d+|THỨ)\b")
_CLAUSE = re.compile(r"\d{1,3}\s*[.,]*\s*(?!\d)\S")
_POINT = re.compile(r"[a-zđ]\s?\)")
_CLOSING = re.compile(r"(?:Hiến pháp|Bộ luật|Luật) này (?:đã )?được Quốc hội|CHỦ TỊCH|\(Đã ký\)")
_LIST_ITEM = ("-", "+", "*", "•", "–")
# "this article" / "this clause" / "this point", not "khoản 2 Điều này" (a part of it)
_THIS = {"article": "Điều này", "clause": "khoản này", "point": "điểm này"}
_DELEGATES = ("quy định chi tiết", "hướng dẫn thi hành", "quy định cụ thể", "hướng dẫn chi tiết")


def _names(kind: str, text: str) -> int:
    """0: the text does not name "this" ``kind``; 1: it does; 2: it delegates its details."""
    word = _THIS[kind]
    found = 0
    for m in re.finditer(word, text, re.IGNORECASE):
        before = text[: m.start()].split()
        if before and (before[-1][-1].isdigit() or len(before[-1]) == 1):
            continue  # "khoản 2 Điều này", "điểm a khoản này"
        sentence = re.split(r"[.;:]", text[: m.start()])[-1]
        found = max(found, 2 if any(d in sentence for d in _DELEGATES) else 1)
    return found


@dataclass
class _Unit:
    kind: str
    line: int
    paragraphs: list[tuple[int, str]] = field(default_factory=list)  # (first line, text)
    children: list[_Unit] = field(default_factory=list)


def _lines_of(text: str) -> list[str]:
    return [
        unicodedata.normalize("NFC", x).replace("\u00d0", "Đ").strip() for x in text.split("\n")
    ]


def _kind_of(s: str, quoted: bool) -> str | None:
    if quoted or s[0] in '“"':
        return None
    if _ARTICLE.match(s) and not re.match(r"\S+\s*\d+\s+(?:của|và|,)", s):
        return "article"
    if _CONTAINER.match(s) or _CLOSING.match(s):
        return "end"
    if _POINT.match(s):
        return "point"
    if _CLAUSE.match(s) and not re.match(r"\d+\.\d", s):
        return "clause"
    return None


def _paragraph_starts(lines: list[str]) -> list[tuple[int, str]]:
    """(line, text) of every paragraph: lines with text, blank lines between."""
    out: list[tuple[int, str]] = []
    previous_blank = True
    for number, s in enumerate(lines, 1):
        if not s:
            previous_blank = True
        elif previous_blank or _kind_of(s, False):
            out.append((number, s))
            previous_blank = False
        else:
            line, joined = out[-1]
            out[-1] = (line, f"{joined} {s}")
    return out


def _read_units(text: str) -> list[_Unit]:
    """The articles of a law with their clauses and points, each with its paragraphs."""
    articles: list[_Unit] = []
    article = clause = point = None
    depth = 0  # open quotation marks
    for line, s in _paragraph_starts(_lines_of(text)):
        kind = _kind_of(s, depth > 0)
        depth = max(0, depth + s.count("“") - s.count("”"))
        if kind == "end":
            article = clause = point = None
        elif kind == "article":
            article, clause, point = _Unit("article", line), None, None
            articles.append(article)
        elif kind == "clause" and article is not None and s[:1].isdigit():
            clause, point = _Unit("clause", line, [(line, s)]), None
            article.children.append(clause)
        elif kind == "point" and article is not None:
            point = _Unit("point", line, [(line, s)])
            (clause or article).children.append(point)
        elif article is not None:
            (point or clause or article).paragraphs.append((line, s))
    return articles


def _decide(parent: _Unit) -> list[tuple[str, int]]:
    """The warnings the closing paragraphs of ``parent`` earn: ("parent_tail", line)
    where one names it and its last sub-unit does not, ("tail_undecided", line)
    for the first paragraph left undecided in a sub-unit."""
    chain = [parent]
    while chain[-1].children:
        chain.append(chain[-1].children[-1])
    leaf = chain[-1]
    out: list[tuple[str, int]] = []
    previous = leaf.paragraphs[0][1]
    for line, s in leaf.paragraphs[1:]:
        own = s.startswith(_LIST_ITEM) or previous.endswith(":") or any(q in s for q in '“”"')
        previous = s
        if own:
            continue
        for unit in chain[:-1]:
            named = _names(unit.kind, s)
            if named == 2 or (named and not _names(unit.kind, leaf.paragraphs[0][1])):
                return [*out, ("parent_tail", line)]
        if not _names(leaf.kind, s) and not out:
            out.append(("tail_undecided", line))
    return out


def _read_closing_paragraphs(text: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for article in _read_units(text):
        for clause in article.children[:-1]:  # a clause closed by the next one
            if clause.children:
                found += _decide(clause)
        if article.children:
            found += _decide(article)
    return sorted(found, key=lambda w: w[1])


# What reading finds in each law, kept here so that a reader that finds nothing
# cannot pass: (parent_tail, tail_undecided) paragraphs.
READ = {
    "bo-luat-to-tung-hinh-su.txt": (4, 74),
    "hien-phap.txt": (0, 2),
    "luat-bao-ve-moi-truong.txt": (0, 0),
    "luat-cong-nghe-thong-tin.txt": (0, 0),
    "luat-hon-nhan-va-gia-dinh.txt": (0, 4),
    "luat-quy-dinh-quyen-tu-do-hoi-hop.txt": (0, 0),
    "luat-so-huu-tri-tue.txt": (0, 6),
}


def _cut(text: str, code: str = "VN-TAIL"):
    return extract_units(text, doc_code=code, max_units=5000)


@pytest.mark.parametrize("name", NON_EMPTY)
def test_closing_paragraphs_of_the_corpus_are_where_reading_puts_them(name: str) -> None:
    text = corpus_text(name)
    expected = _read_closing_paragraphs(text)
    kinds = [kind for kind, _ in expected]
    assert (kinds.count("parent_tail"), kinds.count("tail_undecided")) == READ[name]
    got = [
        (w.kind, w.line) for w in _cut(text).warnings if w.kind in ("parent_tail", "tail_undecided")
    ]
    assert sorted(got, key=lambda w: w[1]) == expected


# -- mutations: a closing paragraph put after a real law's last clause or point ------------
FAMILY, CODE = "luat-hon-nhan-va-gia-dinh.txt", "VN-HNGD"
DETAILS = "Chính phủ quy định chi tiết Điều này."
CLAUSE_CLOSING = (
    "Trường hợp vi phạm quy định tại khoản này thì bị xử lý theo quy định của pháp luật."
)
NEUTRAL = "Việc đăng ký được thực hiện theo quy định của pháp luật về hộ tịch."


def _family() -> tuple[list[str], dict[str, Unit], list[Unit]]:
    lines = corpus_text(FAMILY).split("\n")
    units = _cut("\n".join(lines), CODE).units
    return lines, {u.canonical_address: u for u in units}, units


def _end_of_block(lines: list[str], first: int) -> int:
    """The index after the last line with text of the block that starts at line
    ``first`` (0-based) and runs to the next line opening a unit of any kind."""
    end = first + 1
    last = first
    while end < len(lines):
        s = lines[end].strip()
        if s and _kind_of(s, False):
            break
        if s:
            last = end
        end += 1
    return last + 1


def _insert(lines: list[str], at: int, paragraph: str) -> tuple[str, int]:
    """The text with ``paragraph`` as a paragraph of its own after line ``at - 1``
    (0-based), and its 1-based line."""
    mutated = [*lines[:at], "", paragraph, *lines[at:]]
    return "\n".join(mutated), at + 2


def _leaf_units(units: list[Unit], parent_kind: str, child_kind: str) -> list[tuple[Unit, Unit]]:
    """(parent, its last sub-unit) where the last sub-unit is a ``child_kind`` with
    one paragraph and no sub-units of its own: a unit a closing paragraph can follow."""
    children: dict[str, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_address or "", []).append(unit)
    out = []
    for unit in units:
        kids = children.get(unit.canonical_address)
        if unit.unit_kind != parent_kind or not kids:
            continue
        last = kids[-1]
        if (
            last.unit_kind == child_kind
            and "\n\n" not in last.body
            and last.canonical_address not in children
        ):
            out.append((unit, last))
    return out


def _shifted(warnings, after: int, by: int) -> list[tuple[str, int]]:
    return [(w.kind, w.line + by if w.line > after else w.line) for w in warnings]


def _with_tail(body: str, tail: str) -> str:
    """The body a unit gets for text after its sub-units, written out (the model's rule)."""
    return f"{body}\n\n{TAIL_MARK}\n\n{tail}" if body else f"{TAIL_MARK}\n\n{tail}"


def _expected(units: list[Unit], changed: dict[str, str]) -> list[tuple[str, str]]:
    return [(u.canonical_address, changed.get(u.canonical_address, u.body)) for u in units]


def _mutated(parent: Unit, last: Unit, paragraph: str, lines: list[str]) -> tuple[str, int]:
    """The family law with ``paragraph`` after ``last``'s marker line (its only paragraph)."""
    stripped = [x.strip() for x in lines]
    heading = stripped.index(parent.raw_heading.strip())
    start = stripped.index(last.raw_heading.strip(), heading)
    return _insert(lines, _end_of_block(lines, start), paragraph)


SAMPLE = slice(None, None, 9)  # every ninth candidate: a spread over the law


def test_a_delegation_after_the_last_clause_is_the_article_s_closing_text() -> None:
    lines, _, units = _family()
    original = _cut("\n".join(lines), CODE)
    candidates = _leaf_units(units, "article", "clause")[SAMPLE]
    assert len(candidates) > 5
    for article, last in candidates:
        text, line = _mutated(article, last, DETAILS, lines)
        result = _cut(text, CODE)
        changed = {article.canonical_address: _with_tail(article.body, DETAILS)}
        assert [(u.canonical_address, u.body) for u in result.units] == _expected(units, changed)
        assert result.units[units.index(article)].intro == article.body
        assert result.units[units.index(article)].tail == DETAILS
        expected = sorted([*_shifted(original.warnings, line - 2, 2), ("parent_tail", line)])
        assert sorted((w.kind, w.line) for w in result.warnings) == expected


def test_a_sentence_naming_the_clause_after_its_last_point_is_the_clause_s() -> None:
    lines, _, units = _family()
    original = _cut("\n".join(lines), CODE)
    candidates = _leaf_units(units, "clause", "point")
    assert len(candidates) > 5
    for clause, last in candidates[::3]:
        text, line = _mutated(clause, last, CLAUSE_CLOSING, lines)
        result = _cut(text, CODE)
        changed = {clause.canonical_address: _with_tail(clause.body, CLAUSE_CLOSING)}
        assert [(u.canonical_address, u.body) for u in result.units] == _expected(units, changed)
        expected = sorted([*_shifted(original.warnings, line - 2, 2), ("parent_tail", line)])
        assert sorted((w.kind, w.line) for w in result.warnings) == expected


def test_a_delegation_after_the_last_point_of_the_last_clause_is_the_article_s() -> None:
    lines, by_address, units = _family()
    found = 0
    for clause, last in _leaf_units(units, "clause", "point"):
        article = by_address[clause.parent_address]
        siblings = [u for u in units if u.parent_address == article.canonical_address]
        if siblings[-1] is not clause:
            continue
        text, line = _mutated(clause, last, DETAILS, lines)
        result = _cut(text, CODE)
        changed = {article.canonical_address: _with_tail(article.body, DETAILS)}
        assert [(u.canonical_address, u.body) for u in result.units] == _expected(units, changed)
        assert ("parent_tail", line) in [(w.kind, w.line) for w in result.warnings]
        found += 1
    assert found > 3


def test_a_paragraph_that_names_neither_stays_and_is_reported() -> None:
    lines, _, units = _family()
    original = _cut("\n".join(lines), CODE)
    for article, last in _leaf_units(units, "article", "clause")[SAMPLE]:
        text, line = _mutated(article, last, NEUTRAL, lines)
        result = _cut(text, CODE)
        changed = {last.canonical_address: f"{last.body}\n\n{NEUTRAL}"}
        assert [(u.canonical_address, u.body) for u in result.units] == _expected(units, changed)
        expected = sorted([*_shifted(original.warnings, line - 2, 2), ("tail_undecided", line)])
        assert sorted((w.kind, w.line) for w in result.warnings) == expected


def test_naming_the_article_in_passing_decides_only_where_the_clause_does_not() -> None:
    lines, _, units = _family()
    passing = "Việc áp dụng quy định tại Điều này do Tòa án quyết định."
    own, other = [], []
    for article, last in _leaf_units(units, "article", "clause"):
        (own if _names("article", last.body) else other).append((article, last))
    assert own and other
    for (article, last), moved in ((own[0], False), (other[0], True), (other[-1], True)):
        text, line = _mutated(article, last, passing, lines)
        result = {u.canonical_address: u for u in _cut(text, CODE).units}
        if moved:  # the clause never names its article: the paragraph is the article's
            assert result[article.canonical_address].tail == passing
            assert result[last.canonical_address].body == last.body
        else:  # the clause names it too: whose the paragraph is cannot be told
            assert result[article.canonical_address].body == article.body
            assert result[last.canonical_address].body == f"{last.body}\n\n{passing}"


def test_a_list_after_a_colon_and_quoted_text_stay_with_the_clause() -> None:
    lines, _, units = _family()
    article, last = _leaf_units(units, "article", "clause")[0]
    at = _end_of_block(lines, lines.index(last.raw_heading))
    for paragraphs in (["Cụ thể như sau:", "- Chính phủ quy định chi tiết Điều này."],
                       [f"“{DETAILS}”"]):  # fmt: skip
        added = [line for paragraph in paragraphs for line in ("", paragraph)]
        result = {
            u.canonical_address: u
            for u in _cut("\n".join([*lines[:at], *added, *lines[at:]]), CODE).units
        }
        assert result[article.canonical_address].body == article.body
        assert result[last.canonical_address].body == "\n\n".join([last.body, *paragraphs])


def test_a_source_line_holding_only_the_tail_mark_stops() -> None:
    lines, _, units = _family()
    article, last = _leaf_units(units, "article", "clause")[0]
    text, line = _mutated(article, last, TAIL_MARK, lines)
    with pytest.raises(CutterStop) as stop:
        _cut(text, CODE)
    assert stop.value.code is StopCode.STOP_STRUCTURE
    assert f"at line {line}:" in stop.value.detail


def test_the_tail_encoding_reads_back() -> None:
    assert split_tail(body_with_tail("Intro.", "Tail.")) == ("Intro.", "Tail.")
    assert split_tail(body_with_tail("", "Tail.")) == ("", "Tail.")
    assert split_tail("Only text.\n\nTwo paragraphs.") == ("Only text.\n\nTwo paragraphs.", "")
