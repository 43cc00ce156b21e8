"""The language-independent half of extraction: one pass over the lines that
turns heading candidates into a checked tree of units.

A language grammar (``vietnamese.py``, ``english.py``) only says what a line
*looks like* (``classify``); this module decides what it *is*: it keeps the
numbering of every scope, accepts a heading only when its number is exactly
the next one, keeps quoted (amending) text as body text, recognises the
closing block, and fails closed with ``STOP_STRUCTURE`` and the line on a gap,
a duplicate, an out-of-order number, an empty unit or too many units. A silent
mis-cut is the one unacceptable outcome, so every tolerance a grammar offers is
accepted only when its number restores the sequence, and is reported.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Protocol

from cutter_assets.core.legal.model import Extraction, ExtractWarning, Unit
from cutter_assets.core.legal.normalize import (
    clean_inline,
    collapse_spaces,
    is_upper_title,
    join_body,
    shorten,
)
from cutter_assets.core.legal.vocab import (
    ADDRESS_PREFIX,
    LEVEL,
    SECTION_TYPE_OF,
    UNIT_KINDS,
)
from cutter_assets.core.stops import CutterStop, StopCode

Tolerance = tuple[str, str]  # (warning kind, what was tolerated)
# A clean heading form (``Grammar.clean_forms``): the kind, the match of its pattern
# (group 1 the number, group 2 the title or text), and the ordinal and address number
# of each letter for lettered kinds (None: decimal numbers).
CleanForm = tuple[
    str, Callable[[str], "re.Match[str] | None"], Mapping[str, tuple[int, str]] | None
]


@dataclass(slots=True)
class Heading:
    """A line that looks like the heading (or marker) of a unit.

    ``ordinal`` is the unit's position in its sequence (1-based; for points the
    letter's position in the alphabet used). ``title`` None means the line had
    no inline title (it may follow on the next lines). ``text`` is body text
    that starts on the marker line (clauses, points). ``refusal`` says why the
    number could not be read; it stops the cut wherever the unit would belong.
    ``alternative`` is another reading of a look-alike number (đ for d), tried
    only when the first reading is not the next number.
    """

    kind: str
    ordinal: int
    number: str
    title: str | None = None
    text: str = ""
    tolerances: tuple[Tolerance, ...] = ()
    refusal: str | None = None
    alternative: tuple[int, str, Tolerance] | None = None


@dataclass(slots=True)
class BodyLine:
    """A line that resembles a heading but is body text (a wrapped reference)."""

    tolerance: Tolerance


def reference_line(what: str) -> BodyLine:
    """A line that looks like a heading but is read as body text, reported."""
    return BodyLine(("reference_line", f"read as body text: {what}"))


class Grammar(Protocol):
    """What a language contributes: how its lines look (see ``vietnamese.py``)."""

    language: str
    title_kinds: frozenset[str]  # kinds whose title may sit on the following line(s)
    multi_line_titles: bool
    # Whether heading titles, and only they, are written in capitals: a line in
    # capitals in a unit's text is then a lost heading's title (it stops).
    capital_titles: bool
    # Optional: the clean forms of the commonest headings by their first character.
    # A line a form matches must be one ``classify`` reads as that kind and number
    # with no tolerance, the title (articles; cleaned here) or text (clauses, points)
    # in group 2. The builder takes it without a ``Heading`` when the number is due.
    clean_forms: Mapping[str, CleanForm]

    def classify(self, s: str) -> Heading | BodyLine | None:
        """What a stripped, NFC line would open (None: plain text)."""
        ...

    def is_title_line(self, s: str) -> bool: ...

    def is_closing(self, s: str) -> bool:
        """Whether a plain line after the last article starts the closing block."""
        ...

    def is_signed_marker(self, s: str) -> bool:
        """``(Đã ký)``: the closing starts at the signer's name just above."""
        ...

    def is_closing_paragraph(self, text: str) -> bool:
        """Whether the paragraph just before the signature (its lines joined) is
        the passing formula written loosely: wrapped, case or spacing changed."""
        ...

    def is_signer_name(self, s: str) -> bool: ...

    def display(self, kind: str, ordinal: int) -> str:
        """How the ``ordinal``-th number of ``kind`` is written (for messages)."""
        ...

    def number_of(self, kind: str, ordinal: int) -> str:
        """The normalised number (address form) of the ``ordinal``-th unit."""
        ...

    def embedded_marker(self, kind: str, ordinal: int) -> RunIn | None:
        """The marker run into a line after a sentence end: a literal every such
        line holds (a fast test) and the pattern, group 1 the text before the
        marker, group 2 the text after it (see ``_check_last``)."""
        ...

    def odd_marker(self, s: str) -> tuple[str, int] | None:
        """The kind and ordinal of a clause or point marker written in a form
        this language does not use (``3)`` for ``3.``), on a line ``classify``
        reads as plain text (see ``read_odd_marker``)."""
        ...


# A marker at the start of a line: "(" or not, a number or a letter, its punctuation.
_ODD_MARKER = re.compile(r"(\()?(?:(\d{1,3})|([a-zđA-ZĐ]))\s*([.):;,/\]}\-–—]*)\s*(\S)")
MarkerForm = tuple[bool, bool, str]  # opening "(", a number (not a letter), punctuation
RunIn = tuple[str, "re.Pattern[str]"]  # ``Grammar.embedded_marker``: a literal, the pattern


def read_odd_marker(
    s: str,
    clean: frozenset[MarkerForm],
    point_index: Mapping[str, int],
    capitalised: bool,
) -> tuple[str, int] | None:
    """``Grammar.odd_marker`` for a grammar whose markers are ``clean``: a line
    opening with a number or letter marker in any other form (``3)``, ``(3)``,
    ``3:``, ``3-``, ``3/``, ``(3``, ``b.``, ``(b)``, ``b,``, ``B)``), then a
    word (not in lower case when the language writes ``capitalised`` clauses
    and points). A number or letter without any punctuation is not one."""
    m = _ODD_MARKER.match(s)
    if m is None:
        return None
    paren, digits, letter, punct, first = m.groups()
    if (paren is None and not punct) or not first.isalpha() or (capitalised and first.islower()):
        return None
    if letter is not None and letter.isupper():
        letter = letter.lower()  # "B)" for "b)": never a clean form
    elif (paren is not None, digits is not None, punct) in clean:
        return None
    if digits is not None:
        return "clause", int(digits)
    ordinal = point_index.get(letter)
    return None if ordinal is None else ("point", ordinal)


_OPEN_QUOTES = "“\"‘'«"
_QUOTE_MARKS = ("“", "”", '"')  # the marks whose balance is tracked (``_track_quotes``)


def has_quote_mark(text: str) -> bool:
    """Whether any line of ``text`` could open or close a quotation."""
    return any(mark in text for mark in _QUOTE_MARKS)


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
_hexdigest = type(hashlib.sha256()).hexdigest  # sha256(...).hexdigest(), mapped without a call


class _Node:
    """A unit being built. Most are clauses and points, which never get a title,
    sub-units or a counter: those three are class-level defaults that only the
    units needing them override."""

    title = ""
    n_children = 0
    counters: dict[str, int] | None = None  # kind -> last ordinal numbered in this unit

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


def _last_text(body: list[str]) -> int:
    """The index of the last line with text in a unit's body, -1 if none."""
    last = len(body) - 1
    while last >= 0 and not body[last]:
        last -= 1
    return last


def _stop(what: str, line: int, text: str) -> CutterStop:
    return CutterStop(StopCode.STOP_STRUCTURE, f'{what} at line {line}: "{shorten(text)}"')


class _Builder:
    def __init__(self, grammar: Grammar, doc_code: str, warnings: list[ExtractWarning]):
        self.g = grammar
        self.doc_code = doc_code
        self.warnings = warnings
        self.root = _Node("root", 0, "", "", 0, doc_code, None, [])
        self.stack: list[_Node] = []
        self.open: dict[str, _Node] = {}  # kind -> the open unit of that kind
        self.nodes: list[_Node] = []
        self.preamble: _Node | None = None
        self.closing: _Node | None = None
        self.awaiting: _Node | None = None  # a heading whose title may follow
        self.seen_article = False
        self.quote_depth = 0  # open curly quotes
        self.straight_open = False  # an odd number of straight quotes so far
        self.quoting = False  # either of the two
        self.quote_line = 0
        self.last_body: tuple[_Node, int] | None = None  # last body line and its node
        self.last_blank = 0  # the last blank line before the current one
        self.odd_space = True  # whether a line may hold whitespace other than spaces
        # The lines from the first with text on, stripped, one "" for blank lines between.
        self.region: list[str] = []
        self.region_start = 1
        self.lines: list[str] = []

    # -- the pass -------------------------------------------------------------
    def feed(self, lines: list[str], quotes: bool = True, odd_space: bool = True) -> None:
        """One pass over the lines with text; ``quotes`` False promises that none
        holds a quotation mark, ``odd_space`` False whitespace other than spaces.
        Blank lines are not visited: a body gets one "" where blank lines separate
        two of its lines (``_body``), and so does the region."""
        self.odd_space = odd_space
        self.lines = lines
        classify = self.g.classify
        clean_forms = getattr(self.g, "clean_forms", None) or {}
        take_clean = self._clean_heading
        region = self.region
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
            if self.quoting:
                self._quoted(s, lineno)
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
                self._track_quotes(s, lineno)
        self._finish(lines)

    # -- body text --------------------------------------------------------------
    def _sink(self, lineno: int) -> _Node:
        """The unit that takes body text now: innermost open, closing or preamble."""
        if self.stack:
            return self.stack[-1]
        if self.closing is not None:
            return self.closing
        if self.preamble is None:
            self.preamble = _Node(
                "preamble", 0, "", "", lineno, f"{self.doc_code}/preamble", None, []
            )
            self.nodes.append(self.preamble)
        return self.preamble

    def _body(self, s: str, lineno: int) -> None:
        node = self._sink(lineno)
        body = node.body
        # Blank lines after its last line went to this same unit (the sink only ever
        # moves on to a new unit), so they stand between its lines: keep one.
        if body and self.last_blank > self.last_body[1]:
            body.append("")
        body.append(s)
        self.last_body = (node, lineno)

    def _plain(self, s: str, lineno: int) -> None:
        """A line that is no heading: body text, maybe opening a quote or the closing."""
        if s[0] in _OPEN_QUOTES:
            self._quote_opening(s, lineno)
        else:
            if self.seen_article and self.closing is None:
                if self.g.is_closing(s):
                    self._open_closing(lineno)
                elif self.g.is_signed_marker(s):
                    self._open_closing(lineno, take_signer=True)
            if self.stack:  # a unit's text (the closing has none open)
                self._refuse_lost_heading(s, lineno)
        self._body(s, lineno)

    def _refuse_lost_heading(self, s: str, lineno: int) -> None:
        """Text that can only be left by a heading that was not read: a marker of
        the next clause or point in another form, or a heading's title in capitals."""
        self._refuse_odd_marker(s, lineno)
        if self.g.capital_titles and is_upper_title(s) and len(s.split()) > 1:
            node = self.stack[-1]
            raise _stop(
                f"a line in capitals inside {node.kind} {node.number}: the title of "
                "a heading that was lost or cannot be read?",
                lineno,
                s,
            )

    def _refuse_odd_marker(self, s: str, lineno: int) -> None:
        """A marker of exactly the next clause or point, written in another form
        (``3)`` for ``3.``): as body text it would fold that unit into the one
        before, silently when it is the last, so it stops."""
        found = self.g.odd_marker(s)
        if found is None:
            return
        kind, ordinal = found
        scope = self._scope(kind)
        if scope is not None and ordinal == scope.next_ordinal(kind):
            number = self.g.number_of(kind, ordinal)
            raise _stop(f"{kind} {number} marker in a form that cannot be read", lineno, s)

    def _other(self, found: BodyLine | None, s: str, lineno: int) -> None:
        """A title line of the awaiting heading, or body text after it."""
        node = self.awaiting
        if node is not None and found is None and self.g.is_title_line(s):
            node.title = f"{node.title} {clean_inline(s)}".strip()
            if not self.g.multi_line_titles:
                self.awaiting = None
            return
        self.awaiting = None
        if found is None:
            self._plain(s, lineno)
            return
        kind, what = found.tolerance
        self._warn(lineno, kind, f'"{shorten(s)}" {what}')
        self._body(s, lineno)

    def _warn(self, lineno: int, kind: str, message: str) -> None:
        self.warnings.append(ExtractWarning(lineno, kind, message))

    # -- quotations (amending provisions quote whole articles) ----------------------
    def _quoted(self, s: str, lineno: int) -> None:
        if type(self.g.classify(s)) is Heading:
            self._warn(
                lineno,
                "quoted_provision",
                f'"{shorten(s)}" is inside the quotation opened at line {self.quote_line}; '
                f"kept as body text of {self._sink(lineno).address}",
            )
        self._body(s, lineno)

    def _quote_opening(self, s: str, lineno: int) -> None:
        inner = s.lstrip(_OPEN_QUOTES + " ")
        if inner and type(self.g.classify(inner)) is Heading:
            self._warn(
                lineno,
                "quoted_provision",
                f'"{shorten(s)}" is quoted text; kept as body text of {self._sink(lineno).address}',
            )

    def _track_quotes(self, s: str, lineno: int) -> None:
        was_open = self.quote_depth or self.straight_open
        if "“" in s or "”" in s:
            depth = self.quote_depth + s.count("“") - s.count("”")
            if depth < 0:
                # A closing mark that closes nothing: the quotation it was meant for
                # was closed earlier, by a nested quote that lost its opening mark,
                # and the quoted lines since were read as units.
                raise _stop("closing quotation mark with no quotation open", lineno, s)
            self.quote_depth = depth
        if s.count('"') % 2:
            self.straight_open = not self.straight_open
        self.quoting = bool(self.quote_depth or self.straight_open)
        if not was_open and self.quoting:
            self.quote_line = lineno

    # -- the closing block --------------------------------------------------------
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
        """Close the open units at ``level`` and below; an empty one stops the cut.

        ``incoming`` is the kind of the unit about to open: a closed unit of
        another kind is the last of its sequence, and is checked for the next
        one run into its text (``_check_last``)."""
        stack = self.stack
        while stack and stack[-1].level >= level:
            node = stack[-1]
            if not node.n_children and not node.body:  # a body starts with text
                raise _stop(
                    f"empty {node.kind} (no text and no sub-units)", node.line, node.raw_heading
                )
            if node.kind != incoming and node.kind in _RUN_IN_KINDS and self._check_last(node):
                continue  # the sibling split out of it took its place: checked in turn
            stack.pop()
            del self.open[node.kind]

    def _check_last(self, node: _Node) -> bool:
        """The last unit of a sequence must not hold the next one's marker after
        a sentence end (``...quy định;3. Text``), in its own text or in its last
        sub-unit's: left alone, the next unit would be folded into it. Split where
        nothing but a lost line break explains it (True: the split sibling is on
        the stack); otherwise no later sibling confirms it: stop."""
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
                raise _stop(
                    f"{kind} {number} run into the text before it (a missing line break?) "
                    f"with no later {kind} to confirm it",
                    self._line_of(holder, index),
                    text,
                )
        return False

    def _line_of(self, node: _Node, index: int) -> int:
        """The input line of ``node.body[index]`` (found again: only stops ask)."""
        text = node.body[index]
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
        else:
            node = self._push(kind, ordinal, number, s, lineno, "", scope)
            if payload is None:
                node.title = ""
            elif self.odd_space or "  " in payload:
                node.title = clean_inline(payload)
            else:
                node.title = payload  # clean_inline changes nothing here
            self.awaiting = None
        return True

    def _heading(self, h: Heading, s: str, lineno: int) -> None:
        kind = h.kind
        if self.closing is not None:
            # Even a "2." there may be the rest of the last article, cut off by a
            # closing formula quoted mid-article: never fold it into the closing.
            raise _stop(f"{kind} heading after the closing block", lineno, s)
        scope = self._scope(kind)
        if scope is None:
            if kind == "subsection":
                raise _stop("subsection heading outside any section", lineno, s)
            self.awaiting = None
            self._body(s, lineno)  # a "1." or "a)" line outside any article
            return
        if h.refusal:
            self._pop_to(LEVEL[kind], kind)
            raise _stop(h.refusal, lineno, s)
        expected = scope.next_ordinal(kind)
        ordinal, number, tolerances = h.ordinal, h.number, h.tolerances
        if ordinal != expected:
            if h.alternative is not None and h.alternative[0] == expected:
                ordinal, number, alt_tolerance = h.alternative
                tolerances = (*tolerances, alt_tolerance)
            elif ordinal == expected + 1 and self._split_embedded(kind, expected, scope):
                expected += 1
            if ordinal != expected:
                self._pop_to(LEVEL[kind], kind)  # an earlier empty unit is the earlier error
                raise _stop(self._numbering_problem(kind, expected, h), lineno, s)
        for tol_kind, what in tolerances:
            self._warn(lineno, tol_kind, f'"{shorten(s)}" read as {kind} {number} ({what})')
        node = self._push(kind, ordinal, number, s, lineno, h.text, scope)
        node.title = h.title or ""
        self.awaiting = node if h.title is None and kind in self.g.title_kinds else None

    def _push(
        self, kind: str, ordinal: int, number: str, raw: str, lineno: int, text: str, scope: _Node
    ) -> _Node:
        stack = self.stack
        level = LEVEL[kind]
        if stack and stack[-1].level >= level:
            self._pop_to(level, kind)
        if stack:
            parent = stack[-1]
            parent.n_children += 1
            parent_address = parent.address
            address = f"{parent_address}/{_SEGMENT[kind]}{number}"
        else:
            parent_address = None
            address = f"{self.doc_code}/{_SEGMENT[kind]}{number}"
        if text:
            node = _Node(kind, level, number, raw, lineno, address, parent_address, [text])
            self.last_body = (node, lineno)
        else:
            node = _Node(kind, level, number, raw, lineno, address, parent_address, [])
        if kind == "article":
            self.seen_article = True
        counters = scope.counters
        if counters is None:
            scope.counters = {kind: ordinal}
        else:
            counters[kind] = ordinal
        stack.append(node)
        self.open[kind] = node
        self.nodes.append(node)
        return node

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

    def _numbering_problem(self, kind: str, expected: int, h: Heading) -> str:
        shown = self.g.display(kind, expected)
        found = h.number
        if h.tolerances:
            what = ", ".join(t[1] for t in h.tolerances)
            return (
                f"{kind} heading with {what} is not the next {kind} "
                f"(expected {shown}, found {found}); not tolerated"
            )
        if h.ordinal > expected:
            return f"{kind} numbering gap (expected {shown}, found {found})"
        if h.ordinal == expected - 1:
            return f"duplicate {kind} {found} (expected {shown})"
        return f"{kind} out of order (expected {shown}, found {found})"

    def _finish(self, lines: list[str]) -> None:
        if self.quoting:
            raise _stop(
                "quotation is never closed (everything after it would be body text)",
                self.quote_line,
                lines[self.quote_line - 1],
            )
        self._pop_to(1)
        if not self.seen_article:
            raise CutterStop(
                StopCode.STOP_STRUCTURE,
                f"no article heading found in lines 1-{len(lines)} (language {self.g.language})",
            )


def _node_body(lines: list[str], odd_space: bool) -> str:
    """``join_body`` for a unit's collected lines: stripped, one "" between
    paragraphs; most units hold one line of text."""
    if len(lines) == 1 and not odd_space:
        return collapse_spaces(lines[0])
    return join_body(lines, odd_space)


def build_extraction(
    grammar: Grammar,
    *,
    doc_code: str,
    lines: list[str],
    warnings: list[ExtractWarning],
    max_units: int,
    odd_space: bool = True,
    quotes: bool = True,
) -> Extraction:
    """Cut ``lines`` (already NFC, look-alikes fixed) into a checked unit tree.

    ``odd_space`` False promises the lines hold no tab or Unicode space, and
    ``quotes`` False that they hold no quotation mark (faster paths to the same
    result).
    """
    builder = _Builder(grammar, doc_code, warnings)
    builder.feed(lines, quotes, odd_space)
    nodes = builder.nodes
    if len(nodes) > max_units:
        over = nodes[max_units]
        raise _stop(
            f"the document has {len(nodes)} units, more than the cap of {max_units}; "
            f"raise max_units (cutter extract --max-units N) if this size is expected. "
            f"Unit {max_units + 1} starts",
            over.line,
            over.raw_heading or lines[over.line - 1],
        )
    if odd_space:
        bodies = [_node_body(node.body, odd_space) for node in nodes]
    else:  # _node_body, inlined for the commonest unit: one line of text, already stripped
        bodies = [
            body[0] if len(body) == 1 and "  " not in body[0] else _node_body(body, odd_space)
            for body in [node.body for node in nodes]
        ]
    hashes = map(_hexdigest, map(hashlib.sha256, map(str.encode, bodies)))
    make = Unit.from_values
    section_type_of = SECTION_TYPE_OF
    units = [
        make(
            node.address,
            node.kind,
            section_type_of[node.kind],
            node.number,
            node.raw_heading,
            node.title,
            body,
            node.parent_address,
            order,
            content_hash,
        )
        for order, node, body, content_hash in zip(count(1), nodes, bodies, hashes)
    ]
    by_kind = Counter(node.kind for node in nodes)
    counts = {kind: by_kind[kind] for kind in UNIT_KINDS}
    # Every line from the first unit on belongs to some unit, and join_body
    # drops trailing blank lines: the region runs from there to the end. The
    # builder kept those lines already stripped (the first unit starts at the
    # first line with text), so only runs of spaces are left to collapse.
    first = nodes[0].line
    if odd_space or builder.region_start != first:
        region_text = join_body(lines[first - 1 :], odd_space)
    else:
        region_text = collapse_spaces("\n".join(builder.region))
    return Extraction(
        doc_code=doc_code,
        language=grammar.language,
        units=units,
        warnings=warnings,
        counts=counts,
        unit_lines=[node.line for node in nodes],
        region_text=region_text,
    )
