"""The language-independent half of extraction: one pass over the lines that
turns heading candidates into a checked tree of units.

A language grammar (``vietnamese.py``, ``english/generic.py``; what one is:
``grammar.py``) only says what a line *looks like* (``classify``); this module
decides what it *is*: it keeps the numbering of every scope, accepts a heading
only when its number is exactly the next one, keeps quoted (amending) text as
body text, recognises the closing block and the annexes after it, and fails
closed: a gap, a duplicate, an out-of-order number, an empty unit ... is an
anomaly (``anomalies.py``), and any anomaly stops the cut with STOP_STRUCTURE
once the whole text is read. A silent mis-cut is the one unacceptable outcome,
so every tolerance a grammar offers is accepted only when its number restores
the sequence, and is reported.

Some readings need the line after them: a number that is a typo, or a marker in
another convention (``1)``, ``a.``), is taken on trust and is an anomaly at its
own line unless its next sibling confirms it (``_Pending``); a paragraph after a
unit's last sub-unit is given to the unit whose closing text it is (its tail)
when the unit closes (``_settle_tail``). Everything else is decided on the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from cutter_assets.core.legal.anomalies import Anomalies, accept_numbering
from cutter_assets.core.legal.grammar import BodyLine, CleanForm, Grammar, Heading, Tolerance
from cutter_assets.core.legal.model import (
    TAIL_MARK,
    Extraction,
    ExtractWarning,
    PreparedText,
    body_with_tail,
)
from cutter_assets.core.legal.normalize import (
    clean_inline,
    collapse_spaces,
    is_upper_title,
    join_body,
    one_edit,
    shorten,
)
from cutter_assets.core.legal.quotes import OPEN_QUOTES, Quotes, quoted_heading
from cutter_assets.core.legal.quotes import has_quote_mark as has_quote_mark  # re-exported
from cutter_assets.core.legal.units import check_cap, extraction_of
from cutter_assets.core.legal.vocab import ADDRESS_PREFIX, LEVEL, SECTION_TYPE_OF
from cutter_assets.core.stops import CutterStop, StopCode


def is_table_row(s: str) -> bool:
    """A row of a table laid out as text: cells between ``|`` or three cells or more
    between tabs. A marker then a tab (``3.<TAB>Text``) is two cells, not a row."""
    if s.count("|") >= 2:
        return True
    return s.count("\t") >= 2 and sum(1 for cell in s.split("\t") if cell.strip()) >= 3


_SCOPE_KINDS: dict[str, tuple[str, ...]] = {
    # where each kind's numbering restarts: the innermost open unit of these kinds
    "section": ("chapter", "part"),
    "subsection": ("section",),
    "clause": ("article",),
    "point": ("clause", "article"),
}
_SEGMENT = {kind: f"{prefix}_" for kind, prefix in ADDRESS_PREFIX.items()}
_GLOBAL_KINDS = frozenset({"part", "chapter", "article"})  # numbered across the document
_RUN_IN_KINDS = frozenset({"article", "clause", "point"})  # checked by ``_check_last``
_TAIL_KINDS = frozenset({"article", "clause"})  # units whose text may follow their sub-units
_LIST_ITEM = ("-", "+", "*", "•", "–", "—")  # a paragraph opening a list item under a unit
_SENTENCE_END = (";", ".", ":")


class _Node:
    """A unit being built. Most are clauses and points, which never get a title,
    sub-units, a counter, a tail or a pending sibling: those are class-level
    defaults that only the units needing them override."""

    title = ""
    n_children = 0
    counters: dict[str, int] | None = None  # kind -> last ordinal numbered in this unit
    last_child: _Node | None = None
    tail: list[str] | None = None  # its text after its sub-units (``_settle_tail``)
    # kind -> the sub-unit of that kind numbered here that awaits confirmation
    pending: dict[str, _Pending] | None = None
    form: str | None = None  # the marker's convention when not the clean one
    # kind -> (the position, the number due) after an anomaly in that sequence here
    # (read by ``_resynced``)
    resync: dict[str, tuple[int, int]] | None = None
    loose_title: bool = False  # heading text ending in "." (``_heading_text``)

    def __init__(
        self,
        kind: str,
        level: int,
        number: str,
        raw_heading: str,
        line: int,
        address: str,
        parent_address: str | None,
        body: list[str],
    ):
        self.kind = kind
        self.level = level  # LEVEL[kind]; 0 for the root, the preamble and the closing
        self.number = number
        self.raw_heading = raw_heading
        self.line = line
        self.address = address
        self.parent_address = parent_address
        self.body = body  # stripped lines, one "" between paragraphs

    def next_ordinal(self, kind: str) -> int:
        """The ordinal the next sub-unit of ``kind`` numbered in this unit must have."""
        counters = self.counters
        return counters.get(kind, 0) + 1 if counters else 1

    def hold(self, pending: _Pending) -> None:
        """Number ``pending.node`` here on trust, until its next sibling confirms it."""
        if self.pending is None:
            self.pending = {}
        self.pending[pending.node.kind] = pending

    def pending_of(self, kind: str) -> _Pending | None:
        return self.pending.get(kind) if self.pending else None


class _Problem(NamedTuple):
    """An anomaly before it is placed on a line (``Anomalies.add``'s arguments but
    the line): a numbering problem, or what a reading taken on trust becomes."""

    kind: str
    what: str
    expected: str
    found: str
    accept: str


@dataclass(slots=True)
class _Pending:
    """A unit taken on trust: its number is a typo, or its marker opens a list in
    another convention. The next sibling must confirm it (follow its number, or be
    written the same way); otherwise ``problem`` is an anomaly at its line, and its
    number as written (``found``) the position of its sequence."""

    node: _Node
    line: int
    text: str  # the line, for the stop
    form: str | None  # the convention it opens; None: a typo of its number
    problem: _Problem
    warning: Tolerance  # reported once confirmed
    found: int


def _relation(found: int, expected: int) -> str:
    """How a number found stands to the one due: a gap, a duplicate of the one
    before, or out of order (``vocab.ANOMALY_KINDS``)."""
    if found > expected:
        return "gap"
    return "duplicate" if found == expected - 1 else "out_of_order"


def _last_text(body: list[str]) -> int:
    """The index of the last line with text in a unit's body, -1 if none."""
    last = len(body) - 1
    while last >= 0 and not body[last]:
        last -= 1
    return last


def _paragraphs(lines: list[str]) -> Iterator[tuple[int, int]]:
    """[start, end) of each paragraph of a body (its "" entries separate them)."""
    start = 0
    for index, line in enumerate(lines):
        if not line:
            yield start, index
            start = index + 1
    yield start, len(lines)


def _closes_with_text(node: _Node) -> bool:
    """Whether a paragraph follows the first one of ``node``'s last sub-unit (the
    question ``_settle_tail`` answers; most units have none). Articles and clauses
    only: a chapter's last sub-unit is an article, whose text is its own."""
    if node.kind not in _TAIL_KINDS:
        return False
    child = node.last_child
    while child.last_child is not None:
        if child.tail:
            return True
        child = child.last_child
    return "" in child.body


def _first_paragraph(lines: list[str]) -> str:
    """A body's first paragraph, its lines joined."""
    end = lines.index("") if "" in lines else len(lines)
    return " ".join(lines[:end])


class _Builder:
    def __init__(
        self,
        grammar: Grammar,
        doc_code: str,
        lines: list[str],
        warnings: list[ExtractWarning],
        as_found: bool = False,
    ):
        self.g = grammar
        self.doc_code = doc_code
        self.lines = lines
        self.warnings = warnings
        self.anomalies = Anomalies(lines, as_found=as_found)
        self.root = _Node("root", 0, "", "", 0, doc_code, None, [])
        self.stack: list[_Node] = []
        self.open: dict[str, _Node] = {}  # kind -> the open unit of that kind
        self.nodes: list[_Node] = []
        self.preamble: _Node | None = None
        self.closing: _Node | None = None
        self.annex: _Node | None = None  # the annex being read (after the closing)
        self.awaiting: _Node | None = None  # a heading whose title may follow
        self.awaiting_next = 0  # the line a title continued from its heading line must be on
        self.seen_article = False
        self.quotes = Quotes(self.anomalies)
        self.last_body: tuple[_Node, int] | None = None  # last body line and its node
        self.last_blank = 0  # the last blank line before the current one
        self.odd_space = True  # whether a line may hold whitespace other than spaces
        # The lines from the first with text on, stripped, one "" for blank lines between.
        self.region: list[str] = []
        self.region_start = 1
        # What the grammar offers beyond the required protocol (see ``Grammar``).
        self.refers_to: Callable[[str, str], int] | None = getattr(grammar, "refers_to", None)
        self.annex_heading = getattr(grammar, "annex_heading", None)
        self.sentence_titles = getattr(grammar, "sentence_titles", False)
        self.confirmed_typos = getattr(grammar, "confirmed_typos", False)
        self.marker_chains = getattr(grammar, "marker_chains", False)
        self.table_rows = getattr(grammar, "table_rows", False)
        # Article heading texts: whether any reads as a title, the ones ending in "."
        # (decided at the end, ``_settle_loose_titles``), the article whose heading
        # text the next line may continue.
        self.titled = False
        self.loose_titles: list[_Node] = []
        self.fresh_title: _Node | None = None
        self.table_at = 0  # the last table row read
        self.tailed: list[_Node] = []  # units given a tail, in the order given
        self.lost_in: _Node | None = None  # the unit holding a reported lost heading's title

    # -- the pass -------------------------------------------------------------
    def feed(self, quotes: bool = True, odd_space: bool = True) -> None:
        """One pass over the lines with text; ``quotes`` False promises that none
        holds a quotation mark, ``odd_space`` False whitespace other than spaces.
        Blank lines are not visited: a body gets one "" where blank lines separate
        two of its lines (``_body``), and so does the region. Any anomaly stops
        the cut at the end (``anomalies.py``)."""
        self.odd_space = odd_space
        lines = self.lines
        classify = self.g.classify
        clean_forms = getattr(self.g, "clean_forms", None) or {}
        take_clean = self._clean_heading
        region = self.region
        tables = self.table_rows and _has_table_marks(lines, odd_space)
        quoting = self.quotes
        last_text = 0  # the last line with text
        for lineno, s in enumerate(map(str.strip, lines), 1):
            if not s:
                continue
            if lineno - last_text > 1:
                self.last_blank = lineno - 1
                if region:
                    region.append("")
                else:
                    self.region_start = lineno
            last_text = lineno
            region.append(s)
            if quoting.open:
                self._quoted(s, lineno)
            elif tables and is_table_row(s):
                self._table_row(s, lineno)
            else:
                form = clean_forms.get(s[0])
                if form is None or not take_clean(form, s, lineno):
                    found = classify(s)
                    if found is None and self.awaiting is None:
                        self._plain(s, lineno)
                    elif type(found) is Heading:
                        self._heading(found, s, lineno)
                    else:
                        self._other(found, s, lineno)
            if quotes and ("“" in s or "”" in s or '"' in s):
                quoting.track(s, lineno)  # no block quotations: only these lines count
        self._finish(lines)
        self.anomalies.check()

    # -- body text --------------------------------------------------------------
    def _sink(self, lineno: int) -> _Node:
        """The unit that takes body text now: innermost open, annex, closing or preamble."""
        if self.stack:
            return self.stack[-1]
        if self.closing is not None:
            return self.annex or self.closing
        if self.preamble is None:
            self.preamble = _Node(
                "preamble", 0, "", "", lineno, f"{self.doc_code}/preamble", None, []
            )
            self.nodes.append(self.preamble)
        return self.preamble

    def _body(self, s: str, lineno: int) -> None:
        node = self._sink(lineno)
        if self.fresh_title is not None and self._continues_heading_text(node, s, lineno):
            return
        body = node.body
        # Blank lines after its last line went to this same unit (the sink only ever
        # moves on to a new unit), so they stand between its lines: keep one.
        if body and self.last_blank > self.last_body[1]:
            body.append("")
        body.append(s)
        self.last_body = (node, lineno)

    def _plain(self, s: str, lineno: int) -> None:
        """A line that is no heading: body text, maybe opening a quote, the closing or an annex."""
        if s[0] in OPEN_QUOTES:
            self._quote_opening(s, lineno)
        else:
            if self.seen_article and self.closing is None:
                if self.g.is_closing(s):
                    self._open_closing(lineno)
                elif self.g.is_signed_marker(s):
                    self._open_closing(lineno, take_signer=True)
            elif self.closing is not None and self.annex_heading is not None:
                found = self.annex_heading(s)
                if found is not None:
                    self._open_annex(found, s, lineno)
                    return
            if self.stack:  # a unit's text (the closing has none open)
                self._lost_heading(s, lineno)
        self._body(s, lineno)

    def _lost_heading(self, s: str, lineno: int) -> None:
        """Text that can only be left by a heading that was not read, an anomaly
        (kept as text): a marker of the next clause or point in another form, or a
        heading's title in capitals (unless a table follows it: a table's title)."""
        self._odd_marker(s, lineno)
        if self.g.capital_titles and is_upper_title(s) and len(s.split()) > 1:
            if self.table_rows and self._table_follows(lineno):
                return
            node = self.stack[-1]
            if node is self.lost_in:
                return  # the lost heading's title goes on, or its echo
            self.lost_in = node
            self.anomalies.add(
                "lost_heading",
                f"a line in capitals inside {node.kind} {node.number}: the title of "
                "a heading that was lost or cannot be read?",
                lineno,
                s,
                expected=f"text of {node.kind} {node.number}",
                found="a title in capitals",
                accept=f"keep the line as text of {node.address}",
            )

    def _odd_marker(self, s: str, lineno: int) -> None:
        """A marker of exactly the next clause or point, written in another form
        (``3)`` for ``3.``): as body text it would fold that unit into the one
        before, silently when it is the last. An anomaly; kept as text, and the
        next sibling may follow it (``_resynced``)."""
        found = self.g.odd_marker(s)
        if found is None:
            return
        kind, ordinal = found
        scope = self._scope(kind)
        if scope is None or ordinal != scope.next_ordinal(kind):
            return
        number = self.g.number_of(kind, ordinal)
        self.anomalies.odd_marker(kind, number, lineno, s, self.stack[-1].address)
        self._resync(scope, kind, ordinal - 1, ordinal)

    def _other(self, found: BodyLine | None, s: str, lineno: int) -> None:
        """A title line of the awaiting heading, or body text after it."""
        node = self.awaiting
        if node is not None and found is None and self.g.is_title_line(s):
            if self._continues_title(node, s, lineno):
                return
        self.awaiting = None
        if found is None:
            self._plain(s, lineno)
            return
        if found.unit is not None:
            self._lower_case_marker(found, s, lineno)
            return
        kind, what = found.tolerance
        self._warn(lineno, kind, f'"{shorten(s)}" {what}')
        self._body(s, lineno)

    def _continues_title(self, node: _Node, s: str, lineno: int) -> bool:
        """Add a title line to the awaiting heading. A title that began on the
        heading's own line continues only on the very next line (reported); after a
        bare heading the title may take several lines after blank ones."""
        if self.awaiting_next:
            if lineno != self.awaiting_next:
                return False
            self._warn(
                lineno,
                "title_continued",
                f'"{shorten(s)}" continues the title of {node.kind} {node.number} '
                "begun on its heading line",
            )
            self.awaiting_next = lineno + 1
        node.title = f"{node.title} {clean_inline(s)}".strip()
        if not self.g.multi_line_titles:
            self.awaiting = None
        return True

    def _warn(self, lineno: int, kind: str, message: str) -> None:
        self.warnings.append(ExtractWarning(lineno, kind, message))

    # -- a marker whose text starts in lower case --------------------------------------
    def _lower_case_marker(self, found: BodyLine, s: str, lineno: int) -> None:
        """``4. ủy ban …``: a unit whose capital was lost on an accented initial, or a
        sentence wrapped at a number. At the start of a paragraph (after a sentence
        end or a heading) it is the unit where it is the next one and an anomaly (kept
        as text) where it is not; after an unfinished sentence it is the wrapped text
        unless it is the next one, which cannot be told apart: an anomaly, read as
        the unit."""
        h = found.unit
        kind = h.kind
        scope = self._scope(kind) if self.closing is None else None
        if scope is None:  # outside any unit it could belong to
            self._other(BodyLine(found.tolerance), s, lineno)
            return
        expected = scope.next_ordinal(kind)
        due = h.ordinal == expected or (h.alternative is not None and h.alternative[0] == expected)
        number, shown = h.number, self.g.display(kind, expected)
        if self._after_sentence_end(lineno):
            if due:
                self._heading(h, s, lineno)
                return
            self.anomalies.add(
                "lowercase_marker",
                f"{kind} marker '{number}' in lower case at the start of a paragraph "
                f"where {kind} {shown} is due",
                lineno,
                s,
                expected=f"{kind} {shown}",
                found=number,
                accept=f"keep the line as text of {self._sink(lineno).address}",
            )
        elif due:
            self.anomalies.add(
                "lowercase_marker",
                f"{kind} {shown} in lower case after an unfinished sentence: a wrapped "
                f"line, or {kind} {shown} with its capital lost?",
                lineno,
                s,
                expected=f"{kind} {shown} or the sentence going on",
                found=number,
                accept=f"cut {kind} {shown} at this line",
            )
            self._heading(h, s, lineno)
            return
        self._other(BodyLine(found.tolerance), s, lineno)

    def _after_sentence_end(self, lineno: int) -> bool:
        """Whether the line before ``lineno`` ends a sentence or is a heading line
        (not a marker line: a clause's or point's text may be unfinished)."""
        index = lineno - 2
        lines = self.lines
        while index >= 0 and not lines[index].strip():
            index -= 1
        if index < 0:
            return True
        last = self.nodes[-1] if self.nodes else None
        if last is not None and last.line == index + 1 and last.kind not in ("clause", "point"):
            return True
        return lines[index].rstrip().endswith(_SENTENCE_END)

    # -- tables ----------------------------------------------------------------------
    def _table_row(self, s: str, lineno: int) -> None:
        """A table row is text of the unit it stands in, never a unit (a row may
        start with a number); each table is reported once."""
        if self.stack and not self._after_row(lineno):
            node = self.stack[-1]
            self._warn(
                lineno, "table_text", f'table from "{shorten(s)}" kept as text of {node.address}'
            )
        self.table_at = lineno
        self._body(s, lineno)

    def _after_row(self, lineno: int) -> bool:
        """Whether the line with text before ``lineno`` is a table row or its title."""
        index = lineno - 2
        while index >= 0 and not self.lines[index].strip():
            index -= 1
        return index + 1 == self.table_at

    def _table_follows(self, lineno: int) -> bool:
        """Whether the next line with text after ``lineno`` is a table row."""
        for line in self.lines[lineno:]:
            s = line.strip()
            if s:
                return is_table_row(s)
        return False

    # -- quotations (amending provisions quote whole articles) ----------------------
    def _quoted(self, s: str, lineno: int) -> None:
        if type(self.g.classify(s)) is Heading:
            address = self._sink(lineno).address
            self.warnings.append(quoted_heading(s, lineno, address, self.quotes.line))
        self._body(s, lineno)

    def _quote_opening(self, s: str, lineno: int) -> None:
        inner = s.lstrip(OPEN_QUOTES + " ")
        if inner and type(self.g.classify(inner)) is Heading:
            self.warnings.append(quoted_heading(s, lineno, self._sink(lineno).address))

    # -- the closing block and the annexes after it ---------------------------------
    def _open_closing(self, lineno: int, take_signer: bool = False) -> None:
        moved: list[str] = []
        start = lineno
        if self.last_body is not None:
            node, at = self.last_body
            body = node.body
            last = _last_text(body)
            if take_signer and last >= 0 and self.g.is_signer_name(body[last]):
                moved = body[last:]
                del body[last:]
                start = at
                last = _last_text(body)
            cut = last + 1  # the last paragraph is body[cut : last + 1]
            while cut and body[cut - 1]:
                cut -= 1
            if cut <= last and self.g.is_closing_paragraph(" ".join(body[cut : last + 1])):
                start = self._line_of(node, cut)
                self._warn(
                    start,
                    "closing_formula",
                    f'"{shorten(body[cut])}" read as the passing formula that opens the '
                    "closing block (wrapped or written loosely)",
                )
                moved = body[cut:] + moved
                del body[cut:]
        self._pop_to(1)
        self.awaiting = None
        closing = _Node("closing", 0, "", "", start, f"{self.doc_code}/closing", None, moved)
        self.closing = closing
        self.nodes.append(closing)

    def _open_annex(self, found: tuple[int | None, str], s: str, lineno: int) -> None:
        """``PHỤ LỤC II`` after the signature: an annex, numbered in order; every
        line after it up to the next annex is its text (tables, numbered rows)."""
        value, title = found
        expected = 1 if self.annex is None else int(self.annex.number) + 1
        if value is not None and value != expected:
            relation = _relation(value, expected)
            self.anomalies.add(
                relation,
                f"annex numbering (expected {expected}, found {value})",
                lineno,
                s,
                expected=str(expected),
                found=str(value),
                accept=accept_numbering(relation, "annex", str(value), str(expected)),
            )
            expected = value  # the number found is the sequence's position
        self._close_annex()
        number = str(expected)
        address = f"{self.doc_code}/{_SEGMENT['annex']}{number}"
        annex = _Node("annex", 0, number, s, lineno, address, None, [])
        annex.title = title
        self.annex = annex
        self.nodes.append(annex)
        self.awaiting = annex
        self.awaiting_next = lineno + 1 if title else 0

    def _close_annex(self) -> None:
        annex = self.annex
        if annex is not None and not annex.body:
            self._empty(annex, "empty annex (no text)")

    # -- headings -------------------------------------------------------------------
    def _scope(self, kind: str) -> _Node | None:
        """The unit whose counter numbers ``kind`` (where its numbering restarts)."""
        open_ = self.open
        if kind == "clause":  # the common kinds first
            return open_.get("article")
        if kind == "point":
            return open_.get("clause") or open_.get("article")
        if kind in _GLOBAL_KINDS:
            return self.root
        for scope_kind in _SCOPE_KINDS[kind]:
            node = open_.get(scope_kind)
            if node is not None:
                return node
        return self.root if kind == "section" else None

    def _pop_to(self, level: int, incoming: str | None = None) -> None:
        """Close the open units at ``level`` and below; an empty one is an anomaly,
        and so is a sub-unit of it still awaiting confirmation (``_Pending``).

        ``incoming`` is the kind of the unit about to open: a closed unit of
        another kind is the last of its sequence, and is checked for the next
        one run into its text (``_check_last``). A closed unit with sub-units gets
        the paragraphs after them that are its own (``_settle_tail``)."""
        stack = self.stack
        while stack and stack[-1].level >= level:
            node = stack[-1]
            if node.pending:
                self._unconfirmed_all(node)
            if not node.n_children and not node.body and not node.loose_title:
                self._empty(node, f"empty {node.kind} (no text and no sub-units)")
            if node.kind != incoming and node.kind in _RUN_IN_KINDS and self._check_last(node):
                continue  # the sibling split out of it took its place: checked in turn
            if node.n_children and self.refers_to is not None and _closes_with_text(node):
                # a clause inside a closing article leaves its undecided text to it
                self._settle_tail(node, node.kind == "article" or stack[-2].level < level)
            stack.pop()
            del self.open[node.kind]

    def _check_last(self, node: _Node) -> bool:
        """The last unit of a sequence must not hold the next one's marker after
        a sentence end (``...quy định;3. Text``), in its own text or in its last
        sub-unit's: left alone, the next unit would be folded into it. Split where
        nothing but a lost line break explains it (True: the split sibling is on
        the stack); otherwise no later sibling confirms it: an anomaly."""
        kind = node.kind
        scope = self._scope(kind)
        if scope is None:
            return False
        expected = scope.next_ordinal(kind)
        run_in = self.g.embedded_marker(kind, expected)
        if run_in is None:
            return False
        needle, pattern = run_in
        nodes = self.nodes
        first = len(nodes) - 1
        while nodes[first] is not node:  # the units after it are its sub-units
            first -= 1
        for holder in nodes[first:]:
            body = holder.body
            for index, text in enumerate(body):
                m = pattern.match(text) if needle in text else None
                if m is None:
                    continue
                after = m.group(2)  # "" only for an article without a title
                if after and not after[0].isupper():
                    continue
                last_body = self.last_body
                if (
                    kind != "article"  # its text would be a title
                    and last_body is not None
                    and last_body[0] is holder
                    and index == _last_text(body)
                    and not text[m.end(1)].isspace()
                ):
                    note = f" (the last {kind}: no space before it)"
                    self._split(holder, index, last_body[1], m, kind, expected, scope, note)
                    return True
                number = self.g.number_of(kind, expected)
                self.anomalies.add(
                    "run_in_marker",
                    f"{kind} {number} run into the text before it (a missing line break?) "
                    f"with no later {kind} to confirm it",
                    self._line_of(holder, index),
                    text,
                    expected=f"{kind} {number} on a line of its own",
                    found=f"{kind} {number} inside {holder.address}",
                    accept=f"keep it in {holder.address}: {kind} {number} is not cut",
                )
                return False
        return False

    def _line_of(self, node: _Node, index: int, lines: list[str] | None = None) -> int:
        """The input line of ``node.body[index]`` (or of ``lines[index]``, lines of
        the node's text), found again: only stops and warnings ask."""
        text = (node.body if lines is None else lines)[index]
        for lineno in range(node.line, len(self.lines) + 1):
            line = self.lines[lineno - 1].strip()
            if line == text or (lineno == node.line and line.endswith(text)):
                return lineno
        return node.line

    def _clean_heading(self, form: CleanForm, s: str, lineno: int) -> bool:
        """Take a line in a clean form when its number is the next one: what
        ``_heading`` does with the ``Heading`` that ``classify`` returns for it, in
        the one case without a tolerance, a split or a stop. False (nothing done):
        the line goes the general way."""
        kind, match, letters = form
        m = match(s)
        if m is None or self.closing is not None:
            return False
        token, payload = m.groups()
        if letters is None:
            ordinal = int(token)
            number = str(ordinal)
        else:
            ordinal, number = letters[token]
        scope = self._scope(kind)
        if scope is None:
            return False
        counters = scope.counters  # scope.next_ordinal(kind), without the call
        if ordinal != (counters.get(kind, 0) + 1 if counters else 1):
            return False
        if kind == "clause" or kind == "point":
            node = self._push(kind, ordinal, number, s, lineno, payload, scope)
            self.awaiting = node if kind in self.g.title_kinds else None
            if self.marker_chains:
                self._split_chain(node, kind, ordinal, scope, lineno)
        else:
            node = self._push(kind, ordinal, number, s, lineno, "", scope)
            if payload is None:
                node.title = ""
            elif self.odd_space or "  " in payload:
                node.title = clean_inline(payload)
            else:
                node.title = payload  # clean_inline changes nothing here
            self.awaiting = None
            if node.title and self.sentence_titles and kind == "article":
                self._heading_text(node, s, lineno)
        return True

    def _heading(self, h: Heading, s: str, lineno: int) -> None:
        kind = h.kind
        if self.closing is not None:
            if self.annex is not None:  # an annex's numbered rows are its text
                self._body(s, lineno)
                return
            # Even a "2." there may be the rest of the last article, cut off by a
            # closing formula quoted mid-article: never fold it into the closing.
            # Nothing after it can be placed: reading stops here.
            self.anomalies.after_closing(kind, lineno, s)
            if self.root.pending:  # a reading taken on trust that nothing confirmed
                self._unconfirmed_all(self.root)
            raise self.anomalies.stop()
        scope = self._scope(kind)
        if scope is None:
            if kind == "subsection":
                self.anomalies.add(
                    "misplaced",
                    "subsection heading outside any section",
                    lineno,
                    s,
                    expected="a section around it",
                    found="a subsection heading",
                    accept=f"keep the line as text of {self._sink(lineno).address}",
                )
            self.awaiting = None
            self._body(s, lineno)  # a "1." or "a)" line outside any article
            return
        if h.refusal:
            self._pop_to(LEVEL[kind], kind)
            h = self._unreadable(h, s, lineno, scope)
        if h.form is not None:
            self._convention_marker(h, s, lineno, scope)
            return
        expected = scope.next_ordinal(kind)
        ordinal, number, tolerances = h.ordinal, h.number, h.tolerances
        if ordinal != expected:
            if h.alternative is not None and h.alternative[0] == expected:
                pending = scope.pending_of(kind)
                if pending is not None and pending.form is None:
                    self._read_again(h, s, lineno, scope, pending)  # a look-alike confirms no typo
                    return
                self._check_look_alike(kind, expected, scope, s, lineno)
                ordinal, number, alt_tolerance = h.alternative
                tolerances = (*tolerances, alt_tolerance)
            elif ordinal == expected + 1 and self._split_embedded(kind, expected, scope):
                expected += 1
            if ordinal != expected:
                self._pop_to(LEVEL[kind], kind)  # an earlier empty unit is the earlier error
                self._wrong_number(h, s, lineno, scope, expected)
                return
        elif h.confirm:
            follower = self.g.display(kind, expected + 1)
            problem = _Problem(
                "odd_marker",
                f"{kind} {h.number} read from a look-alike with no {kind} {follower} after it",
                f"{kind} {follower} after it",
                "none",
                f"cut {kind} {h.number} at this line, read from the look-alike",
            )
            self._take_on_trust(h, s, lineno, scope, problem, None)
            return
        self._open_heading(h, s, lineno, scope, ordinal, number, tolerances)

    def _open_heading(
        self,
        h: Heading,
        s: str,
        lineno: int,
        scope: _Node,
        ordinal: int,
        number: str,
        tolerances: tuple[Tolerance, ...],
    ) -> None:
        """Open the unit of a heading read as ``ordinal`` (``number``), due, with the
        tolerances that reading took."""
        kind = h.kind
        for tol_kind, what in tolerances:
            self._warn(lineno, tol_kind, f'"{shorten(s)}" read as {kind} {number} ({what})')
        node = self._push(kind, ordinal, number, s, lineno, h.text, scope)
        self._opened(node, h, s, lineno, scope)

    def _unreadable(self, h: Heading, s: str, lineno: int, scope: _Node) -> Heading:
        """A heading whose number cannot be read: an anomaly, read as the number due
        (its kind says which sequence it belongs to)."""
        kind = h.kind
        due = scope.next_ordinal(kind)
        number = self.g.number_of(kind, due)
        self.anomalies.add(
            "unreadable_number",
            h.refusal,
            lineno,
            s,
            expected=f"{kind} {self.g.display(kind, due)}",
            found=h.number,
            accept=f"cut {kind} {number} at this line, its number read as the one due",
        )
        return Heading(kind, due, number, h.title, h.text)

    def _opened(
        self, node: _Node, h: Heading, s: str, lineno: int, scope: _Node, chains: bool = True
    ) -> None:
        """What follows a heading read by ``_heading``: its title, inline or awaited
        on the next lines, and the markers run into its text (not for a unit taken on
        trust: a split sibling would confirm it)."""
        kind = node.kind
        title = h.title or ""
        node.title = title
        self.awaiting = None
        self.awaiting_next = 0
        if kind in self.g.title_kinds:
            if h.title is None:
                self.awaiting = node
            elif self.g.multi_line_titles and is_upper_title(title):
                self.awaiting = node  # a title in capitals may go on on the next line
                self.awaiting_next = lineno + 1
        if title and self.sentence_titles and kind == "article":
            self._heading_text(node, s, lineno)
        if chains and h.text and self.marker_chains and (kind == "clause" or kind == "point"):
            self._split_chain(node, kind, scope.counters[kind], scope, lineno)

    def _push(
        self,
        kind: str,
        ordinal: int,
        number: str,
        raw: str,
        lineno: int,
        text: str,
        scope: _Node,
        form: str | None = None,
    ) -> _Node:
        stack = self.stack
        level = LEVEL[kind]
        if scope.pending:
            self._confirm(kind, form, scope)
        if stack and stack[-1].level >= level:
            self._pop_to(level, kind)
        if stack:
            parent = stack[-1]
            parent.n_children += 1
            parent_address = parent.address
            address = f"{parent_address}/{_SEGMENT[kind]}{number}"
        else:
            parent = None
            parent_address = None
            address = f"{self.doc_code}/{_SEGMENT[kind]}{number}"
        if text:
            node = _Node(kind, level, number, raw, lineno, address, parent_address, [text])
            self.last_body = (node, lineno)
        else:
            node = _Node(kind, level, number, raw, lineno, address, parent_address, [])
        if parent is not None:
            parent.last_child = node
        if form is not None:
            node.form = form
        if kind == "article":
            self.seen_article = True
        self.fresh_title = None
        counters = scope.counters
        if counters is None:
            scope.counters = {kind: ordinal}
        else:
            counters[kind] = ordinal
        stack.append(node)
        self.open[kind] = node
        self.nodes.append(node)
        return node

    # -- readings the next sibling must confirm ------------------------------------------
    def _convention_marker(self, h: Heading, s: str, lineno: int, scope: _Node) -> None:
        """A marker in another convention (``1)``, ``1-``, ``a.``, ``a-``): the unit
        where it is due and the list is written that way: the sibling before it in
        the same form confirms it, or else the sibling after it must (a lone odd
        marker stops). Not due, it is text, unless its list is written that way."""
        kind, form = h.kind, h.form
        expected = scope.next_ordinal(kind)
        previous = self.open.get(kind)  # the sibling before, in this scope
        same = previous is not None and previous.form == form
        position = None  # where the sequence stands after it, when not at its number
        if h.ordinal != expected:
            if not same:
                reread = h.reread
                other = self._scope(reread.kind) if reread is not None else None
                if other is not None and reread.ordinal == other.next_ordinal(reread.kind):
                    self._heading(reread, s, lineno)
                else:
                    self._plain(s, lineno)
                return
            self._pop_to(LEVEL[kind], kind)
            position = self._resynced(h, scope)
            if position is None:
                problem = self._numbering_problem(kind, expected, h)
                self._as_found(h, s, lineno, scope, expected, problem)
                return
            expected = h.ordinal
        number = h.number
        warning = (
            "marker_convention",
            f'"{shorten(s)}" read as {kind} {number} (its list writes "{form}")',
        )
        node = self._push(kind, expected, number, s, lineno, h.text, scope, form)
        self.awaiting = None
        if position is not None:
            scope.counters[kind] = position
        if same:
            self._warn(lineno, *warning)
        else:
            problem = _Problem(
                "odd_marker",
                f"{kind} {number} marker in a form that cannot be read (no {kind} "
                "next to it is written the same way)",
                f"{kind} {number} written like its siblings",
                shorten(s, 20),
                f"cut {kind} {number} at this line, its marker as written",
            )
            scope.hold(_Pending(node, lineno, s, form, problem, warning, expected))

    def _wrong_number(self, h: Heading, s: str, lineno: int, scope: _Node, expected: int) -> None:
        """A heading whose number is not the next one (the units before it are
        closed): a typo when the sibling before it is there and the sibling after it
        confirms it, read as the next one until then; otherwise an anomaly, taken
        as found (``_as_found``)."""
        kind = h.kind
        pending = scope.pending_of(kind)
        if pending is not None:  # the one before was the wrong one
            self._read_again(h, s, lineno, scope, pending)
            return
        position = self._resynced(h, scope)
        if position is not None:
            self._open_heading(h, s, lineno, scope, h.ordinal, h.number, h.tolerances)
            scope.counters[kind] = position
            return
        problem = self._numbering_problem(kind, expected, h)
        if not (self.confirmed_typos and self._typo(h, expected)):
            self._as_found(h, s, lineno, scope, expected, problem)
            return
        shown, before = self.g.display(kind, expected), self.g.display(kind, expected - 1)
        reading = Heading(kind, expected, self.g.number_of(kind, expected), h.title, h.text)
        what = (
            f"'{h.number}' after {before} where {shown} is due, and the {kind} after it "
            f"confirms {shown}: a typo"
        )
        self._take_on_trust(reading, s, lineno, scope, problem, what, h.ordinal)

    def _read_again(self, h: Heading, s: str, lineno: int, scope: _Node, pending: _Pending) -> None:
        """``h`` does not confirm the sibling before it, taken on trust: that one is
        an anomaly, taken as found (its number as written the position of the
        sequence, see ``_resynced``), and ``h`` is read again after it."""
        kind = h.kind
        due = scope.counters[kind]  # what the sibling was read as: the number due then
        self._unconfirmed(scope, pending)
        self._resync(scope, kind, pending.found, due)
        scope.counters[kind] = pending.found
        self._heading(h, s, lineno)

    def _as_found(
        self, h: Heading, s: str, lineno: int, scope: _Node, expected: int, problem: _Problem
    ) -> None:
        """A number that is not the one due: an anomaly. The heading is taken as
        found, its number the new position of the sequence (see ``_resynced`` for
        the sibling after it)."""
        self._report(problem, lineno, s)
        node = self._push(h.kind, h.ordinal, h.number, s, lineno, h.text, scope, h.form)
        self._resync(scope, h.kind, h.ordinal, expected)
        self._opened(node, h, s, lineno, scope)

    def _resync(self, scope: _Node, kind: str, position: int, due: int) -> None:
        """After an anomaly the sequence of ``kind`` in ``scope`` stands at
        ``position`` where ``due`` was due (``_resynced`` reads it)."""
        if scope.resync is None:
            scope.resync = {}
        scope.resync[kind] = (position, due)

    def _resynced(self, h: Heading, scope: _Node) -> int | None:
        """The sibling right after an anomaly in its sequence (a number taken as
        found, a marker kept as text) may be the number that was due there (come
        late, or swapped with the found one: the position is the higher of the two)
        or the one after it (the found number was mistyped, the marker was the
        unit's: the position moves on to it); neither is a new anomaly. The
        position the sequence takes, or None."""
        resync = scope.resync.get(h.kind) if scope.resync else None
        if resync is None or scope.next_ordinal(h.kind) - 1 != resync[0]:
            return None
        position, due = resync
        if h.ordinal == due:
            return max(position, due)
        return h.ordinal if h.ordinal == due + 1 else None

    def _typo(self, h: Heading, expected: int) -> bool:
        """Whether a wrong number may be a typo: nothing else is odd about the line, a
        sibling precedes it, and it is one character away from the number due."""
        if h.tolerances or h.refusal or expected < 2 or h.ordinal < 1:
            return False
        display = self.g.display
        return one_edit(display(h.kind, h.ordinal), display(h.kind, expected))

    def _take_on_trust(
        self,
        h: Heading,
        s: str,
        lineno: int,
        scope: _Node,
        problem: _Problem,
        what: str | None,
        found: int | None = None,
    ) -> None:
        """Open ``h`` (due) until its next sibling confirms it (``_confirm``);
        ``found`` is the number as written (None: ``h``'s)."""
        kind = h.kind
        if what is None:  # a reading of the grammar's (``Heading.confirm``)
            what = ", ".join(t[1] for t in h.tolerances)
        node = self._push(kind, h.ordinal, h.number, s, lineno, h.text, scope)
        warning = ("number_typo", f'"{shorten(s)}" read as {kind} {h.number} ({what})')
        written = h.ordinal if found is None else found
        scope.hold(_Pending(node, lineno, s, None, problem, warning, written))
        self._opened(node, h, s, lineno, scope, chains=False)

    def _confirm(self, kind: str, form: str | None, scope: _Node) -> None:
        """The next sibling of ``kind`` arrived (due): it confirms a typo; it
        confirms a marker convention if it is written the same way, else that
        marker was a lone one."""
        pending = scope.pending.pop(kind, None)
        if pending is None:
            return
        if pending.form is not None and form != pending.form:
            self._report(pending.problem, pending.line, pending.text)
            return
        self._warn(pending.line, *pending.warning)

    def _unconfirmed(self, scope: _Node, pending: _Pending) -> None:
        """A reading taken on trust that no sibling confirmed: an anomaly; the unit
        stays, numbered as written (``_as_written``)."""
        del scope.pending[pending.node.kind]
        self._report(pending.problem, pending.line, pending.text)
        self._as_written(pending)

    def _as_written(self, pending: _Pending) -> None:
        """A number read as a typo for the one due that nothing confirmed is the
        number as written, as the anomaly says a cut accepting it would cut it
        (``acceptance.py``): the unit and its sub-units are addressed by it."""
        node = pending.node
        number = self.g.number_of(node.kind, pending.found)
        if pending.form is not None or number == node.number:
            return
        old = node.address
        node.number = number
        node.address = f"{old.rpartition('/')[0]}/{_SEGMENT[node.kind]}{number}"
        inside = f"{old}/"
        for unit in self.nodes[self.nodes.index(node) + 1 :]:
            if unit.address.startswith(inside):
                unit.address = node.address + unit.address[len(old) :]
                unit.parent_address = node.address + unit.parent_address[len(old) :]

    def _unconfirmed_all(self, scope: _Node) -> None:
        for pending in list(scope.pending.values()):
            self._unconfirmed(scope, pending)

    def _report(self, problem: _Problem, line: int, text: str) -> None:
        kind, what, expected, found, accept = problem
        self.anomalies.add(kind, what, line, text, expected=expected, found=found, accept=accept)

    def _empty(self, node: _Node, what: str) -> None:
        self.anomalies.empty_unit(what, node.kind, node.number, node.line, node.raw_heading)

    def _check_look_alike(
        self, kind: str, expected: int, scope: _Node, s: str, lineno: int
    ) -> None:
        """``đ)`` read as ``d)`` (a look-alike) is wrong when the sibling before
        holds a line starting with ``d)``: that line was the due unit, folded into
        it (an anomaly)."""
        previous = self.open.get(kind)
        if previous is None:
            return
        shown = self.g.display(kind, expected)
        marker = re.compile(rf"\(?{re.escape(shown)}\s?[).]")
        for index, text in enumerate(previous.body):
            if index and marker.match(text):
                at = self._line_of(previous, index)
                self.anomalies.add(
                    "folded_unit",
                    f"{kind} {shown} is due and this marker could "
                    f"be read as it, but {kind} {previous.number} holds a line starting with "
                    f"its marker (line {at}): a {kind} folded into the one before?",
                    lineno,
                    s,
                    expected=f"{kind} {shown} at line {at}",
                    found=f"{kind} {shown} read from a look-alike here",
                    accept=f"cut {kind} {shown} at this line",
                )
                return

    # -- markers run into a line ------------------------------------------------------
    def _split_chain(self, node: _Node, kind: str, ordinal: int, scope: _Node, at: int) -> None:
        """``b) Text; c) Text`` on one marker line: each next marker after a sentence
        end, followed by a capital, opens that unit (reported, as a lost line break)."""
        while True:
            run_in = self.g.embedded_marker(kind, ordinal + 1)
            text = node.body[0]
            if run_in is None or run_in[0] not in text:
                return
            m = run_in[1].match(text)
            if m is None or not m.group(2)[:1].isupper():
                return
            self._split(node, 0, at, m, kind, ordinal + 1, scope, " (two markers on one line)")
            node, ordinal = self.stack[-1], ordinal + 1

    def _split_embedded(self, kind: str, expected: int, scope: _Node) -> bool:
        """A missing line break: the expected marker sits inside the last body
        line (``...quy định;c) Giấy...``). Split it there, only when the marker
        found next confirms the sequence; report it."""
        if self.last_body is None or kind not in ("clause", "point"):
            return False
        node, at = self.last_body
        if not self.stack or node is not self.stack[-1]:
            return False
        run_in = self.g.embedded_marker(kind, expected)
        body = node.body
        last = _last_text(body)
        m = run_in[1].match(body[last]) if run_in is not None and last >= 0 else None
        if m is None:
            return False
        self._split(node, last, at, m, kind, expected, scope, "")
        return True

    def _split(
        self,
        node: _Node,
        index: int,
        at: int,
        m: re.Match[str],
        kind: str,
        expected: int,
        scope: _Node,
        note: str,
    ) -> None:
        """Cut ``node.body[index]`` (input line ``at``) at the run-in marker ``m``
        found there: the text after it opens the ``expected`` unit of ``kind``."""
        body = node.body
        line_text = body[index]
        body[index] = m.group(1)
        del body[index + 1 :]
        number = self.g.number_of(kind, expected)
        self._warn(
            at,
            "missing_line_break",
            f'"{shorten(line_text)}" holds {kind} {number} after its text; split there{note}',
        )
        self._push(kind, expected, number, line_text, at, m.group(2), scope)

    def _numbering_problem(self, kind: str, expected: int, h: Heading) -> _Problem:
        shown = self.g.display(kind, expected)
        found = h.number
        relation = _relation(h.ordinal, expected)
        if h.tolerances:
            tolerated = ", ".join(t[1] for t in h.tolerances)
            what = (
                f"{kind} heading with {tolerated} is not the next {kind} "
                f"(expected {shown}, found {found}); not tolerated"
            )
        elif relation == "gap":
            what = f"{kind} numbering gap (expected {shown}, found {found})"
        elif relation == "duplicate":
            what = f"duplicate {kind} {found} (expected {shown})"
        else:
            what = f"{kind} out of order (expected {shown}, found {found})"
        accept = accept_numbering(relation, kind, found, shown)
        return _Problem(relation, what, shown, found, accept)

    # -- the text on an article's heading line ------------------------------------------
    def _heading_text(self, node: _Node, s: str, lineno: int) -> None:
        """The text after an article's number is its title, or its first sentence
        when it reads as one: ending in ``,`` ``;`` ``:`` (never a title's end), or
        continued on the next line in lower case (``_continues_heading_text``).
        Ending in ``.``, it is a title only if the law has titles (decided at the
        end, ``_settle_loose_titles``)."""
        end = node.title[-1]
        if end in ",;:":
            self._title_to_body(node, s, lineno, "ends like a sentence, not a title")
            return
        if end in ".!?":
            node.loose_title = True
            self.loose_titles.append(node)
        else:
            self.titled = True
        self.fresh_title = node

    def _continues_heading_text(self, node: _Node, s: str, lineno: int) -> bool:
        """The first line after an article's heading text, in lower case, continues
        it: a sentence if it ends like one (the heading text is then body text),
        else a title wrapped onto the next line. True: the line was taken here."""
        article = self.fresh_title
        self.fresh_title = None
        if article is not node or not s[0].islower() or self.last_blank > article.line:
            return False
        if s.endswith((".", ";", ":", ",")):
            if article.loose_title:
                self.loose_titles.remove(article)
                article.loose_title = False
            self._title_to_body(
                article, article.raw_heading, article.line, "goes on as a sentence on the next line"
            )
            return False
        article.title = f"{article.title} {clean_inline(s)}"
        self._warn(
            lineno,
            "title_continued",
            f'"{shorten(s)}" continues the title of article {article.number} (in lower case)',
        )
        return True

    def _title_to_body(self, node: _Node, s: str, lineno: int, why: str) -> None:
        """Make an article's heading text the start of its body (it has none yet)."""
        node.body.append(node.title)
        node.title = ""
        self.last_body = (node, lineno)
        self._warn(
            lineno,
            "heading_text_body",
            f'"{shorten(s)}": the text after the number {why}; read as the text of '
            f"article {node.number}",
        )

    def _settle_loose_titles(self) -> None:
        """Heading texts ending in ``.``: the article's first sentence when the law
        has no article titles at all, else its title with a stray dot or a sentence
        where a title was expected, which cannot be told apart: kept as the title and
        reported. An article left with a title only is empty."""
        for node in self.loose_titles:
            if self.titled:
                if not node.body and not node.n_children:
                    self._empty(node, "empty article (no text and no sub-units)")
                    continue
                self._warn(
                    node.line,
                    "title_or_sentence",
                    f'"{shorten(node.raw_heading)}" ends in "." unlike a title: kept as the '
                    "title (it may be the article's first sentence)",
                )
                continue
            body, title = node.body, node.title
            after = self.lines[node.line] if node.line < len(self.lines) else ""
            if body and not after.strip():  # a blank line after the heading
                body.insert(0, "")
            body.insert(0, title)
            node.title = ""
            self._warn(
                node.line,
                "heading_text_body",
                f'"{shorten(node.raw_heading)}": no article of the law has a title; the '
                f"text after the number is the text of article {node.number}",
            )

    # -- a unit's text after its sub-units (its tail) -------------------------------------
    def _settle_tail(self, parent: _Node, outermost: bool) -> None:
        """``parent`` closes: the paragraphs after its last sub-unit's first one
        were read into that sub-unit (or its own last sub-unit). A paragraph that
        delegates ``parent``'s details ("Chính phủ quy định chi tiết Điều này."
        after an article's last clause), or names ``parent`` as "this" unit where
        the sub-unit's own text does not ("… quy định tại khoản này …" after a
        clause's last point), is ``parent``'s own closing text: it and every
        paragraph after it become ``parent``'s tail (reported). Paragraphs that
        neither name it nor read as the sub-unit's own (a list item, the list after
        a colon, quoted text, "this point") cannot be decided: they stay where they
        are, reported once the outermost unit closing has had its say."""
        refers_to = self.refers_to
        kind = parent.kind
        undecided: list[tuple[_Node, int]] = []
        for holder, lines, start, end, own in self._closing_paragraphs(parent):
            if own:
                continue
            text = " ".join(lines[start:end])
            named = refers_to(kind, text)
            if named == 2 or (named and not refers_to(kind, _first_paragraph(holder.body))):
                self._move_to_tail(parent, holder, lines, start, text)
                break
            if holder.tail is not lines and not refers_to(holder.kind, text):
                if not undecided or undecided[-1][0] is not holder:
                    undecided.append((holder, start))
        if outermost:
            for holder, start in undecided:
                line = self._line_of(holder, start)
                self._warn(
                    line,
                    "tail_undecided",
                    f'"{shorten(holder.body[start])}" after the last sub-unit of '
                    f"{parent.kind} {parent.number}: kept in {holder.address}; it may be "
                    "the closing text of a unit around it (nothing in it says which)",
                )

    def _closing_paragraphs(
        self, parent: _Node
    ) -> Iterator[tuple[_Node, list[str], int, int, bool]]:
        """The paragraphs that follow the first paragraph of ``parent``'s last
        sub-unit, in document order: (holder, its lines, start, end, whether they are
        plainly the holder's own: quoted, a list item, or after a colon)."""
        for holder, lines in self._trail(parent):
            if holder.tail is not lines and "" not in lines:
                continue  # one paragraph: the sub-unit's own text
            depth, straight = 0, False  # open curly quotes, an open straight one
            previous = ""
            for index, (start, end) in enumerate(_paragraphs(lines)):
                first = lines[start]
                quoted = depth > 0 or straight
                for line in lines[start:end]:
                    if "“" in line or "”" in line or '"' in line:
                        quoted = True
                        depth += line.count("“") - line.count("”")
                        straight ^= line.count('"') % 2 == 1
                if index or holder.tail is lines:
                    own = quoted or first.startswith(_LIST_ITEM) or previous.endswith(":")
                    yield holder, lines, start, end, own
                previous = lines[end - 1]

    def _trail(self, node: _Node) -> list[tuple[_Node, list[str]]]:
        """The texts that close ``node``, in document order: those of its last
        sub-unit (its body if it has none), then its own tail."""
        child = node.last_child
        if child is None:
            return [(node, node.body)]
        out = self._trail(child)
        if child.tail:
            out.append((child, child.tail))
        return out

    def _move_to_tail(
        self, parent: _Node, holder: _Node, lines: list[str], start: int, text: str
    ) -> None:
        """Move ``lines[start:]`` and every closing text after it into ``parent.tail``."""
        line = self._line_of(holder, start, lines)
        moved: list[str] = []
        found = False
        for node, texts in self._trail(parent):
            if texts is lines:
                found = True
                moved.extend(texts[start:])
                del texts[max(start - 1, 0) :]  # with the "" before it
            elif found:
                moved.extend(["", *texts])
                del texts[:]
            if found and node.tail is not None and not node.tail:
                node.tail = None
        parent.tail = moved
        self.tailed.append(parent)
        self._warn(
            line,
            "parent_tail",
            f'"{shorten(text)}" names this {parent.kind}: read as the closing text of '
            f"{parent.kind} {parent.number}, after its sub-units, not as {holder.address}'s",
        )

    # -- the end -----------------------------------------------------------------------
    def refuse_tail_marks(self) -> None:
        """Lines holding only ``TAIL_MARK`` (looked for after the pass, only where the
        region holds the mark): anomalies."""
        for lineno, line in enumerate(self.lines, 1):
            if line.strip() == TAIL_MARK:
                self.anomalies.tail_mark(lineno, line)
        self.anomalies.check()

    def _finish(self, lines: list[str]) -> None:
        self.quotes.check_closed()
        self._pop_to(1)
        if self.root.pending:
            self._unconfirmed_all(self.root)
        self._close_annex()
        if not self.seen_article:
            self.anomalies.check()  # a line at fault says more than no article
            raise CutterStop(
                StopCode.STOP_STRUCTURE,
                f"no article heading found in lines 1-{len(lines)} (language {self.g.language})",
            )
        self._settle_loose_titles()


def _has_table_marks(lines: list[str], odd_space: bool) -> bool:
    """Whether any line could be a table row (``is_table_row``): a cheap test first."""
    text = "\n".join(lines)
    return "|" in text or (odd_space and "\t" in text)


def _node_body(lines: list[str], odd_space: bool) -> str:
    """``join_body`` for a unit's collected lines: stripped, one "" between
    paragraphs; most units hold one line of text."""
    if len(lines) == 1 and not odd_space:
        return collapse_spaces(lines[0])
    return join_body(lines, odd_space)


def read_with_grammar(grammar: Grammar, prepared: PreparedText) -> Extraction:
    """``build_extraction`` over a prepared text: how a grammar reads a document."""
    return build_extraction(
        grammar,
        doc_code=prepared.doc_code,
        lines=prepared.text.split("\n"),
        warnings=prepared.warnings,
        max_units=prepared.max_units,
        odd_space=prepared.odd_space,
        quotes=prepared.quotes,
        as_found=prepared.as_found,
    )


def build_extraction(
    grammar: Grammar,
    *,
    doc_code: str,
    lines: list[str],
    warnings: list[ExtractWarning],
    max_units: int,
    odd_space: bool = True,
    quotes: bool = True,
    as_found: bool = False,
) -> Extraction:
    """Cut ``lines`` (already NFC, look-alikes fixed) into a checked unit tree.

    ``odd_space`` False promises the lines hold no tab or Unicode space, and
    ``quotes`` False that they hold no quotation mark (faster paths to the same
    result). ``as_found``: the tree as found past the anomalies (``anomalies.py``).
    """
    builder = _Builder(grammar, doc_code, lines, warnings, as_found)
    builder.feed(quotes, odd_space)
    nodes = builder.nodes
    check_cap(nodes, max_units, lines)
    if odd_space:
        bodies = [_node_body(node.body, odd_space) for node in nodes]
    else:  # _node_body, inlined for the commonest unit: one line of text, already stripped
        bodies = [
            body[0] if len(body) == 1 and "  " not in body[0] else _node_body(body, odd_space)
            for body in [node.body for node in nodes]
        ]
    for node in builder.tailed:  # the few units with text after their sub-units
        if not node.tail:  # moved on to the unit around it
            continue
        index = nodes.index(node)
        bodies[index] = body_with_tail(bodies[index], _node_body(node.tail, odd_space))
    # Every line from the first unit on belongs to some unit, and join_body
    # drops trailing blank lines: the region runs from there to the end. The
    # builder kept those lines already stripped (the first unit starts at the
    # first line with text), so only runs of spaces are left to collapse.
    first = nodes[0].line
    if odd_space or builder.region_start != first:
        region_text = join_body(lines[first - 1 :], odd_space)
    else:
        region_text = collapse_spaces("\n".join(builder.region))
    if TAIL_MARK in region_text:
        builder.refuse_tail_marks()
    return extraction_of(
        nodes,
        bodies=bodies,
        numbers=[node.number for node in nodes],
        section_types=[SECTION_TYPE_OF[node.kind] for node in nodes],
        doc_code=doc_code,
        language=grammar.language,
        warnings=warnings,
        region_text=region_text,
        anomalies=builder.anomalies.by_line(),
    )
