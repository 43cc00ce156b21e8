"""Reading an English law's hierarchy from the document, in one pass.

The convention (``conventions.py``) says what each line looks like; this
module decides what it is. Levels come from the convention and the
document: containers outermost first, then the top-level provision, then the
convention's ladder of markers, whose form and style fix a marker's level
(``(a)`` is a US subsection wherever it stands, ``(i)`` a clause unless it is
the letter after ``(h)``). A unit is accepted only when its number is exactly
the next one in its sequence (``4A`` after 4, ``(1A)`` after (1)); the
provisions are numbered across the document (or a schedule), or from 1 again in
each container where the convention says so (a constitution's sections in each
article), and may jump to another number only at the start of a container whose
own analysis or number says so. Everything else is an anomaly at its line
(``anomalies.py``; any one stops the cut with STOP_STRUCTURE once the text is
read): a gap, a duplicate, an out-of-order or unreadable number, an empty unit,
a marker outside any provision, a first item after text that ends a sentence, a
title line with no heading above it, a provision missing from the document's
own analysis. Editorial matter (the Code's source credits and
notes, India Code's page footnotes, quoted amending text, tables) is kept as
body text and never cut; every tolerance is reported as a warning.
"""

from __future__ import annotations

import re

from cutter_assets.core.legal.anomalies import Anomalies, accept_numbering
from cutter_assets.core.legal.english.conventions import Convention, Ladder
from cutter_assets.core.legal.english.lines import (
    CONTAINER,
    DOT,
    MARKER,
    PAREN,
    PROVISION,
    SCHEDULE,
    Opening,
)
from cutter_assets.core.legal.english.numbers import (
    DECIMAL,
    LOWER,
    Number,
    follows,
    inserted_text,
    next_text,
    show,
    written,
)
from cutter_assets.core.legal.grammar import BodyLine, MarkerForm, letter_index, read_odd_marker
from cutter_assets.core.legal.model import TAIL_MARK, Extraction, ExtractWarning, body_with_tail
from cutter_assets.core.legal.normalize import clean_inline, is_upper_title, join_body, shorten
from cutter_assets.core.legal.quotes import OPEN_QUOTES, Quotes, quoted_heading
from cutter_assets.core.legal.units import check_cap, extraction_of
from cutter_assets.core.legal.vocab import EN_ADDRESS_PREFIX, EN_POINT_LETTERS, SECTION_TYPE_OF
from cutter_assets.core.stops import CutterStop, StopCode

PREAMBLE, BODY, CLOSING = "preamble", "body", "closing"
_INTRODUCING = "—–:-,"  # how a line that introduces a list of items ends
_GOES_ON = (",", ";", ", or", ", and", "; or", "; and")  # an item whose sentence goes on
_GOES_ON_WRAPPED = (";", "; or", "; and")  # the same where a line may end anywhere
_ENDS = (".", ".]", ".)", ".”", ".’")  # an item whose sentence has ended
_RECITALS = re.compile(r"(?:WHEREAS|Whereas)\W*$")
_FOOTNOTE = re.compile(r"(\d{1,2})\. \S")
_POINT_INDEX = letter_index(EN_POINT_LETTERS)
_RECITAL_RANK = 0  # recitals and schedules stand at the top, like the preamble
# An English unit's section type follows its role: an English section is a
# provision where a Vietnamese one (Mục) is a heading. Preamble and closing by kind.
_SECTION_TYPE = {
    CONTAINER: "heading",
    SCHEDULE: "heading",
    PROVISION: "provision",
    MARKER: "provision",
}


class Node:
    """A unit being built: its place (``rank``: smaller is higher), its
    number, its lines of body text, and the last number of each sequence
    it holds (``last``: rank -> Number)."""

    __slots__ = (
        "kind",
        "rank",
        "role",
        "number",
        "address",
        "parent_address",
        "raw_heading",
        "line",
        "body",
        "tail",
        "body_line",
        "title",
        "children",
        "last",
        "repealed",
        "first_provision",
        "analysis",
        "resync",
    )

    def __init__(self, kind: str, rank: int, role: str, number: Number | None, address: str):
        self.kind = kind
        self.rank = rank
        self.role = role
        self.number = number
        self.address = address
        self.parent_address: str | None = None
        self.raw_heading = ""
        self.line = 0
        self.body: list[str] = []  # its text before its sub-units
        self.tail: list[str] = []  # its text after them (AKN's wrapUp)
        self.body_line = 0  # the input line of its last line of text
        self.title = ""
        self.children = 0
        self.last: dict[int, Number] = {}
        self.repealed = False
        self.first_provision = 0  # provisions[first_provision:] opened while it was open
        # The provision numbers its analysis lists, with their lines (None: no analysis).
        self.analysis: list[tuple[str, int]] | None = None
        # rank -> (the position, the number due) after an anomaly in that sequence
        # here (read by ``_resynced``).
        self.resync: dict[int, tuple[Number | None, Number]] | None = None


class EnglishReader:
    """One pass over an English law's lines that builds its checked unit tree."""

    def __init__(
        self,
        convention: Convention,
        doc_code: str,
        lines: list[str],
        warnings: list[ExtractWarning],
        odd_lines: frozenset[int] = frozenset(),
        as_found: bool = False,
    ):
        c = self.c = convention
        self.doc_code = doc_code
        self.lines = lines
        self.warnings = warnings
        self.odd_lines = odd_lines  # the input lines holding whitespace other than spaces
        self.container_rank = {kind: rank for rank, kind in enumerate(c.containers, start=1)}
        self.provision_rank = len(c.containers) + 1
        ladders = (c.ladder, c.schedule_ladder)
        self.clean_forms = {ladder: _clean_forms(ladder) for ladder in ladders}
        # (marker form, number style) -> (its level in the ladder, the kind it opens)
        self.levels = {
            ladder: {
                (form, style): (level, kind) for level, (form, style, kind) in enumerate(ladder)
            }
            for ladder in ladders
        }
        self.root = Node("root", -1, "", None, doc_code)
        self.stack: list[Node] = []
        self.nodes: list[Node] = []
        self.preamble: Node | None = None
        self.closing: Node | None = None
        self.schedule: Node | None = None  # the open schedule or annex
        self.provisions: list[Node] = []
        self.phase = PREAMBLE
        self.recitals = False
        self.awaiting: Node | None = None  # a heading whose title may follow
        self.notes = False  # after a source credit: the Code's notes, until the next heading
        self.footnote_next = 0  # the number the next footnote of a page's block has (0: none)
        self.footnotes_from = 0
        self.collecting: Node | None = None  # the unit whose analysis is being read
        self.anomalies = Anomalies(lines, as_found=as_found)
        self.quotes = Quotes(self.anomalies, c.block_quotes)
        # A sequence whose position stays at a number taken as found when the next
        # unit opens (``_resynced``): (scope, rank, that number).
        self.keep: tuple[Node, int, Number] | None = None
        self.orphaned = False  # an item outside any provision was reported, no heading since
        self.lost_in: Node | None = None  # the unit holding a reported lost heading's title
        self.heading_line = 0  # the input line of the last heading or title
        # Plain lines after a list item, held until the list goes on (they are the
        # item's) or ends (they may be its parent's text after the list: its tail).
        self.pending: list[tuple[str, int]] = []
        self.pending_sure = False  # the item's sentence goes on ("..., or"): the parent's
        self.last_text = 0  # the input line of the last line with text
        self.previous = ""  # that line, stripped

    # -- the pass -------------------------------------------------------------------
    def read(self) -> list[Node]:
        lines = self.lines
        formula = self.c.formula
        end_of_preamble = -1
        if formula is not None:
            end_of_preamble = next(
                (i for i, line in enumerate(lines) if formula.match(line.strip())), -1
            )
        skip = 0
        quotes = self.quotes
        for index, line in enumerate(lines):
            s = line.strip()
            if not s:
                continue
            if skip:
                skip -= 1
                self._note_line(s, index + 1)
                continue
            lineno = index + 1
            if s == TAIL_MARK:
                self.anomalies.tail_mark(lineno, s)
            if quotes.open:
                self._quoted(s, lineno)
            elif index <= end_of_preamble:
                self._preamble_line(s, lineno, index == end_of_preamble)
            else:
                if self.phase == PREAMBLE and end_of_preamble >= 0:
                    self.phase = BODY
                skip = self._line(s, index)
            quotes.track(s, lineno)
            self._note_line(s, lineno)
        self._finish()
        self.anomalies.check()
        return self.nodes

    def _note_line(self, s: str, lineno: int) -> None:
        self.last_text = lineno
        self.previous = s

    def _line(self, s: str, index: int) -> int:
        """Read one line of the body (or of a preamble with no formula); return
        how many following lines its heading took."""
        lineno = index + 1
        if self.footnote_next and self._footnote(s, lineno):
            return 0
        if self._footnotes_start(s, lineno):
            return 0
        if self.notes:
            found = self.c.heading(s, self.lines, index, self.schedule is not None)
            if not isinstance(found, Opening):
                self._body(s, lineno)  # the notes after a section's source credit
                return 0
            self.notes = False
        else:
            found = self.c.classify(s, self.lines, index, self.schedule is not None)
        awaiting = self.awaiting
        self.awaiting = None
        if awaiting is not None and found is None and self.c.title_line(s):
            awaiting.title = clean_inline(s)
            self.heading_line = lineno
            return 0
        if isinstance(found, Opening):
            if self.phase == CLOSING and found.role != SCHEDULE:
                if found.role == MARKER:
                    self._body(s, lineno)  # the closing's footnotes: "(1) OJ C 286 ..."
                    return 0
                # Nothing after it can be placed: reading stops here.
                self.anomalies.after_closing(found.kind, lineno, s)
                raise self.anomalies.stop()
            if self.phase == PREAMBLE and found.role == MARKER:
                self._body(s, lineno)
                return 0
            if self._cannot_open(found, s, lineno):
                self._body(s, lineno)
                return 0
            self._open(found, s, lineno)
            return found.takes
        if isinstance(found, BodyLine):
            kind, what = found.tolerance
            self._warn(lineno, kind, f'"{shorten(s)}" {what}')
            self._body(s, lineno)
            return 0
        self._plain(s, index)
        return 0

    # -- the preamble ---------------------------------------------------------------
    def _preamble_line(self, s: str, lineno: int, formula: bool) -> None:
        """A line up to the enacting formula: preamble text, recitals after
        ``Whereas:``, and an arrangement of sections to check the body against."""
        self._collect_analysis(s, lineno)
        if formula:
            self._pop_to(_RECITAL_RANK)
            self.recitals = False
            self._body(s, lineno)
            return
        if self.recitals:
            found = self.c.classify(s, self.lines, lineno - 1, False)
            if (
                isinstance(found, Opening)
                and found.role == MARKER
                and found.form == PAREN
                and found.readings[0].style == DECIMAL
            ):
                self._recital(found, s, lineno)
                return
        elif _RECITALS.match(s):
            self.recitals = True
        self._body(s, lineno)

    def _recital(self, found: Opening, s: str, lineno: int) -> None:
        number = found.readings[0]
        scope = self._preamble(lineno)
        self._check_number("recital", number, scope, _RECITAL_RANK, lineno, s)
        node = self._push("recital", _RECITAL_RANK, "recital", number, s, lineno, scope)
        self._text(node, found.text, lineno)

    # -- headings ------------------------------------------------------------------
    def _cannot_open(self, found: Opening, s: str, lineno: int) -> bool:
        """A heading that cannot open its unit: its number cannot be read, or this
        convention has no such container. An anomaly; the line is read as text."""
        if found.refusal:
            what, kind = found.refusal, "unreadable_number"
        elif found.role == CONTAINER and found.kind not in self.container_rank:
            what = f"a {found.kind} heading, which this {self.c.name} text cannot hold"
            kind = "misplaced"
        elif not found.readings and found.role in (CONTAINER, SCHEDULE):
            what, kind = f"{found.kind} number cannot be read", "unreadable_number"
        else:
            return False
        self.anomalies.add(
            kind,
            what,
            lineno,
            s,
            expected=f"{found.kind} heading this text can number",
            found=shorten(s, 30),
            accept=f"keep the line as text of {self._sink(lineno).address}",
        )
        return True

    def _open(self, found: Opening, s: str, lineno: int) -> None:
        role = found.role
        if role == MARKER:
            self._marker(found, s, lineno)
            return
        self.phase = BODY
        self.orphaned = False
        if role == SCHEDULE:
            node = self._schedule(found, s, lineno)
        elif role == CONTAINER:
            node = self._container(found, s, lineno)
        else:
            node = self._provision(found, s, lineno)
        for kind, what in found.tolerances:
            self._warn(
                lineno, kind, f'"{shorten(s)}" read as {node.kind} {node.number.text} ({what})'
            )
        if found.repealed:
            node.repealed = True
            self._warn(
                lineno,
                "repealed_provision",
                f"{node.kind} {node.number.text} is repealed or omitted: a unit with its heading "
                "only",
            )
        if found.title is None:
            self.awaiting = node if node.kind in self.c.titled else None
        else:
            node.title = found.title
        self.heading_line = lineno
        text_line = lineno + found.takes  # the line its text is on, after a wrapped title
        self._text(node, found.text, text_line)
        if found.inner is not None:
            self._open(found.inner, s, text_line)

    def _schedule(self, found: Opening, s: str, lineno: int) -> Node:
        """A schedule or annex: a new block at the top, after the body (EU annexes
        after the signatures); its text is cut only where the convention says how."""
        number = self._choose(found.kind, found.readings, self.root, 0, lineno, s)
        self._pop_to(0)
        if self.closing is not None:
            self.phase = BODY
        node = self._push(found.kind, 0, SCHEDULE, number, s, lineno, self.root)
        self.schedule = node
        return node

    def _container(self, found: Opening, s: str, lineno: int) -> Node:
        rank = self.container_rank[found.kind]
        self._pop_to(rank)
        scope = self.stack[-1] if self.stack else self.root
        number = self._choose(found.kind, found.readings, scope, rank, lineno, s)
        node = self._push(found.kind, rank, CONTAINER, number, s, lineno, scope)
        node.first_provision = len(self.provisions)
        return node

    def _provision(self, found: Opening, s: str, lineno: int) -> Node:
        """The top-level provision (or a schedule's paragraph): numbered across the
        document (or the schedule, or the container it restarts in); a jump only
        where ``_jump`` allows it."""
        rank = self.provision_rank
        self._pop_to(rank)
        scope = self._provision_scope()
        number = found.readings[0]
        last = scope.last.get(rank)
        if not follows(number, last):
            if not self._jump(number, last, lineno, s):
                self._check_number(found.kind, number, scope, rank, lineno, s)
        node = self._push(found.kind, rank, PROVISION, number, s, lineno, scope)
        self.provisions.append(node)
        return node

    def _provision_scope(self) -> Node:
        """Where the provisions' sequence is kept: the open container they restart
        in (a constitution's article), else the open schedule, else the document."""
        restart = self.c.provisions_restart_in
        if restart is not None:
            for node in reversed(self.stack):
                if node.kind == restart:
                    return node
        return self.schedule or self.root

    def _jump(self, number: Number, last: Number | None, lineno: int, s: str) -> bool:
        """A provision number that skips ahead is accepted only as the first of
        an open container, at the number the document gives: the container's own
        analysis, or its number (``TITLE II`` -> ``SEC. 201.``). Reported."""
        if number.insert or (last is not None and number.value <= last.value):
            return False
        for container in reversed(self.stack):
            if container.role != CONTAINER or container.first_provision != len(self.provisions):
                break  # a container that already holds provisions gives no new start
            if container.analysis:
                due, line = container.analysis[0]
                why = f"the first its analysis lists (line {line})"
            else:
                due = str(self.c.provision_jump(container.kind, container.number))
                why = f"the number {container.kind} {container.number.text} gives"
            if number.text == due:
                self._warn(
                    lineno,
                    "numbering_jump",
                    f'"{shorten(s)}": {container.kind} {container.number.text} starts at '
                    f"{number.text} ({why}), after {last.text if last else 'none'}",
                )
                return True
        return False

    def _marker(self, found: Opening, s: str, lineno: int) -> None:
        """A numbered item below the provision: its level is the ladder's entry
        for its form and style; with two readings (``(i)``), the one the
        sequence allows, else the child when the line above introduces a list."""
        levels = self.levels[self._ladder()]
        candidates = []
        for number in found.readings:
            entry = levels.get((found.form, number.style))
            if entry is not None:
                level, kind = entry
                rank = self.provision_rank + 1 + level
                parent = self._parent_for(rank)
                candidates.append((number, kind, rank, parent))
        if not candidates:
            if found.form == DOT:
                self._plain(s, lineno - 1)  # "1." where the convention has no such level
                return
            self._text_instead(
                "misplaced", f"a marker with no level in a {self.c.name} text", s, lineno
            )
            return
        if not any(parent is not None for *_, parent in candidates):
            if self.orphaned:  # the items after the first, until a heading, are its echo
                self._body(s, lineno)
                return
            self.orphaned = True
            what = "a numbered item outside any provision (a lost heading?)"
            self._text_instead("lost_heading", what, s, lineno)
            return
        fitting = [c for c in candidates if c[3] is not None and follows(c[0], c[3].last.get(c[2]))]
        if not fitting:
            chosen = next(c for c in candidates if c[3] is not None)
            number, kind, rank, parent = chosen
            self._check_number(kind, number, parent, rank, lineno, s)
        elif len(fitting) > 1:
            chosen = self._resolve(fitting, s, lineno)
        else:
            chosen = fitting[0]
        number, kind, rank, parent = chosen
        if self.pending:
            item = self.stack[-1]
            goes_on = parent is item or (rank == item.rank and parent is self.stack[-2])
            self._settle(not goes_on)
        if number.value == 1 and not number.insert:
            self._check_introduced(parent, kind, number, lineno, s)
        for tol_kind, what in found.tolerances:
            self._warn(lineno, tol_kind, f'"{shorten(s)}" read as {kind} {number.text} ({what})')
        self._pop_to(rank)
        node = self._push(kind, rank, MARKER, number, s, lineno, parent)
        self._text(node, found.text, lineno)

    def _text_instead(self, kind: str, what: str, s: str, lineno: int) -> None:
        """A marker that can open no unit here: an anomaly; the line is read as text."""
        self.anomalies.add(
            kind,
            what,
            lineno,
            s,
            expected="a provision above it",
            found=shorten(s, 20),
            accept=f"keep the line as text of {self._sink(lineno).address}",
        )
        self._body(s, lineno)

    def _resolve(self, fitting: list, s: str, lineno: int) -> tuple:
        """``(i)`` after ``(h)``: the next letter, unless the line above
        introduces a list, when it is the first Roman item below. Reported."""
        shallow, deep = sorted(fitting, key=lambda c: c[2])[:2]
        introduced = _introduces(self.previous)
        chosen = deep if introduced else shallow
        self._warn(
            lineno,
            "ambiguous_marker",
            f'"{shorten(s)}" read as {chosen[1]} {chosen[0].text} '
            f"({'the line above introduces a list' if introduced else 'the next in its sequence'})",
        )
        return chosen

    def _check_introduced(
        self, parent: Node, kind: str, number: Number, lineno: int, s: str
    ) -> None:
        """The first item of a list stands right below its parent's heading, or
        after a line that introduces it (``... as follows:``, ``... of—``). After
        text that ends a sentence it can only be the item of a heading lost
        above it: the cut would hang it on the wrong provision (an anomaly)."""
        if not parent.body:
            return
        last = _last_line(parent.body)
        if _introduces(last) or last.endswith("]"):
            return
        self.anomalies.add(
            "lost_heading",
            f"{kind} {number.text} opens a list after text that ends a sentence "
            f"({parent.kind} {parent.number.text if parent.number else ''} "
            f'ends "{shorten(last, 40)}"): a lost heading above it?',
            lineno,
            s,
            expected="a heading above the list",
            found=f"{kind} {number.text} after a sentence end",
            accept=f"cut {kind} {number.text} as an item of {parent.address}",
        )

    def _ladder(self) -> Ladder:
        return self.c.schedule_ladder if self.schedule is not None else self.c.ladder

    def _parent_for(self, rank: int) -> Node | None:
        """The open unit a marker of ``rank`` would hang on: the innermost of a
        smaller rank, which must be a provision or an item below one."""
        for node in reversed(self.stack):
            if node.rank < rank:
                return node if node.rank >= self.provision_rank else None
        return None

    def _choose(
        self, kind: str, readings: tuple[Number, ...], scope: Node, rank: int, lineno: int, s: str
    ) -> Number:
        """The reading of a container's number (there is one at least) that
        continues its sequence in ``scope`` in the sequence's own numbering
        (``I``: Roman one, or the letter after H); ``CHAPTER NINE`` after
        ``CHAPTER VIII`` is another numbering: an anomaly, taken as found."""
        last = scope.last.get(rank)
        same = [n for n in readings if last is None or n.style == last.style]
        for number in same:
            if follows(number, last):
                return number
        if not same:
            number = readings[0]
            self.anomalies.add(
                "numbering_style",
                f"{kind} {number.text} is numbered in another way than the {kind} "
                f"before it ({last.text})",
                lineno,
                s,
                expected=f"{kind} {next_text(last, last.style)}",
                found=shorten(s, 30),
                accept=f"cut {kind} {number.text} at this line, numbered as written",
            )
            return number
        self._check_number(kind, same[0], scope, rank, lineno, s)
        return same[0]

    def _check_number(
        self, kind: str, number: Number, scope: Node, rank: int, lineno: int, s: str
    ) -> None:
        """``number`` must follow the last of its sequence in ``scope``; otherwise
        an anomaly, and the number is taken as found, the sequence's new position
        (the caller opens it; see ``_resynced`` for the sibling after it)."""
        last = scope.last.get(rank)
        if follows(number, last) or self._resynced(number, scope, rank):
            return
        expected = next_text(last, number.style)
        if number.insert and last is not None:
            expected += f" or {inserted_text(last)}"
        found = written(number)
        if last is not None and number.value == last.value and number.insert <= last.insert:
            relation, what = "duplicate", f"duplicate {kind} {found} (expected {expected})"
        elif last is None or (number.value, number.insert) > (last.value, last.insert):
            relation = "gap"
            what = f"{kind} numbering gap (expected {expected}, found {found})"
        else:
            relation = "out_of_order"
            what = f"{kind} out of order (expected {expected}, found {found})"
        self.anomalies.add(
            relation,
            what,
            lineno,
            s,
            expected=expected,
            found=found,
            accept=accept_numbering(relation, kind, found, expected),
        )
        self._resync(
            scope, rank, number, Number(number.style, last.value + 1 if last else 1, 0, "")
        )

    def _resync(self, scope: Node, rank: int, position: Number | None, due: Number) -> None:
        """After an anomaly the sequence of ``rank`` in ``scope`` stands at
        ``position`` where ``due`` was due (``_resynced`` reads it)."""
        if scope.resync is None:
            scope.resync = {}
        scope.resync[rank] = (position, due)

    def _resynced(self, number: Number, scope: Node, rank: int) -> bool:
        """The sibling right after an anomaly in its sequence (a number taken as
        found, a marker kept as text) may be the number that was due there (come
        late, or swapped with the found one: the position is the higher of the two,
        ``keep``) or the one after it (the found number was mistyped, the marker was
        the item's: the position moves on to it); neither is a new anomaly."""
        resync = scope.resync.get(rank) if scope.resync else None
        if resync is None or scope.last.get(rank) is not resync[0]:
            return False
        position, due = resync
        if number.value == due.value and not number.insert:
            if position is not None and position.value > due.value:
                self.keep = (scope, rank, position)
            return True
        return follows(number, due)

    def _push(
        self, kind: str, rank: int, role: str, number: Number, raw: str, lineno: int, scope: Node
    ) -> Node:
        stack = self.stack
        if stack and stack[-1].rank >= rank:
            self._pop_to(rank)
        parent = stack[-1] if stack else None
        base = parent.address if parent is not None else self.doc_code
        node = Node(kind, rank, role, number, f"{base}/{EN_ADDRESS_PREFIX[kind]}_{number.text}")
        node.raw_heading, node.line = raw, lineno
        if parent is not None:
            parent.children += 1
            node.parent_address = parent.address
        scope.last[rank] = number
        if self.keep is not None:
            kept_in, kept_rank, kept = self.keep
            self.keep = None
            if kept_in is scope and kept_rank == rank:
                scope.last[rank] = kept
        stack.append(node)
        self.nodes.append(node)
        return node

    def _pop_to(self, rank: int) -> None:
        """Close the open units of ``rank`` and below; an empty one is an anomaly,
        and so is a container whose analysis lists other provisions than it holds."""
        stack = self.stack
        if self.pending and stack[-1].rank >= rank:
            self._settle(True)  # the held lines' item closes: its list has ended
        while stack and stack[-1].rank >= rank:
            node = stack.pop()
            if not node.children and not node.body and not node.repealed:
                what = f"empty {node.kind} (no text and no sub-units)"
                self.anomalies.empty_unit(
                    what, node.kind, _number(node), node.line, node.raw_heading
                )
            if node.analysis is not None:
                self._check_analysis(node, self.provisions[node.first_provision :])

    # -- analyses --------------------------------------------------------------------
    def _collect_analysis(self, s: str, lineno: int) -> None:
        """A listing of provision numbers (the Code's ``Sec.`` analysis of a
        chapter, an Act's arrangement of sections), kept on the unit it stands
        in (the root for the preamble's): the provisions must be exactly these."""
        c = self.c
        if c.analysis_head is None:
            return
        if c.analysis_head.match(s):
            owner = self.stack[-1] if self.stack and self.phase == BODY else self.root
            owner.analysis = []
            self.collecting = owner
            return
        owner = self.collecting
        if owner is None:
            return
        if owner is self.root and self.phase != PREAMBLE:
            self.collecting = None  # the preamble's arrangement ends with the preamble
            return
        m = c.analysis_entry.match(s)
        if m is not None:
            owner.analysis.append((m.group(1), lineno))
        elif not c.analysis_gaps:
            self.collecting = None

    def _check_analysis(self, owner: Node, provisions: list[Node]) -> None:
        """The provisions must be the ones ``owner``'s analysis lists, in order: the
        first that differs is an anomaly (those after it would all differ too)."""
        listed = owner.analysis or []
        accept = "cut the provisions as the text numbers them"
        for at, (number, line) in enumerate(listed):
            if at >= len(provisions):
                where = "the document" if owner is self.root else f"{owner.kind} {_number(owner)}"
                self.anomalies.add(
                    "analysis",
                    f"{self.c.provision} {number}, which the analysis lists, is not in the text "
                    f"of {where}",
                    line,
                    self.lines[line - 1],
                    expected=f"{self.c.provision} {number}",
                    found="none",
                    accept=accept,
                )
                return
            found = provisions[at]
            if found.number.text != number:
                if self.anomalies.at(found.line):
                    return  # its number is reported already: the analysis says it again
                self.anomalies.add(
                    "analysis",
                    f"{found.kind} {found.number.text} is not the one the analysis lists "
                    f"there ({number}, line {line})",
                    found.line,
                    found.raw_heading,
                    expected=f"{found.kind} {number}",
                    found=found.number.text,
                    accept=accept,
                )
                return
        if len(provisions) > len(listed):
            extra = provisions[len(listed)]
            if self.anomalies.at(extra.line):
                return
            self.anomalies.add(
                "analysis",
                f"{extra.kind} {extra.number.text} is not in the analysis",
                extra.line,
                extra.raw_heading,
                expected="no provision after the last the analysis lists",
                found=extra.number.text,
                accept=accept,
            )

    # -- body text -----------------------------------------------------------------
    def _sink(self, lineno: int) -> Node:
        """The unit that takes body text now: innermost open, closing or preamble."""
        if self.stack:
            return self.stack[-1]
        if self.closing is not None:
            return self.closing
        return self._preamble(lineno)

    def _preamble(self, lineno: int) -> Node:
        """The preamble, made when the first line before any unit comes."""
        if self.preamble is None:
            self.preamble = Node("preamble", -1, "", None, f"{self.doc_code}/preamble")
            self.preamble.line = lineno
            self.nodes.append(self.preamble)
        return self.preamble

    def _body(self, s: str, lineno: int) -> None:
        if self.pending:
            self._settle(False)
        self._text(self._sink(lineno), s, lineno)

    # -- text after a list (the parent's tail, or the last item's) ------------------------
    def _pends(self, s: str, lineno: int) -> bool:
        """Hold a plain line that follows a list item's text, when the item's
        sentence goes on (``..., or``) or has ended (``...award.``): the line is the
        item's if the list goes on, maybe its parent's if the list ends there."""
        if self.pending:
            self.pending.append((s, lineno))
            return True
        item = self.stack[-1] if self.stack else None
        if item is None or item.role != MARKER or item.children:
            return False
        if not _introduces(_last_line(self.stack[-2].body)):
            return False  # a list no text introduces: a provision's paragraphs
        last = _last_line(item.body)
        if not last.endswith(_GOES_ON + _ENDS):
            return False  # a line wrapped inside the item's sentence
        self.pending_sure = last.endswith(_GOES_ON_WRAPPED if self.c.wrapped_lines else _GOES_ON)
        self.pending.append((s, lineno))
        return True

    def _settle(self, list_ends: bool) -> None:
        """Give the held lines to the last item (its list goes on), or when the
        list ends to its parent: surely when the item's sentence goes on, else
        where the convention puts such text, reported either way."""
        lines, self.pending = self.pending, []
        item = self.stack[-1]
        target = item
        if list_ends:
            parent = self.stack[-2]
            first = lines[0][1]
            if self.pending_sure or not self.c.wrapped_lines:
                target = parent
                why = "its sentence goes on" if self.pending_sure else "its list has ended"
                self._warn(
                    first,
                    "parent_tail",
                    f'"{shorten(lines[0][0])}" after {item.kind} {item.number.text} is the text '
                    f"of {parent.kind} {_number(parent)} after its sub-units ({why})",
                )
            else:
                self._warn(
                    first,
                    "tail_undecided",
                    f'"{shorten(lines[0][0])}" after the last {item.kind} {item.number.text}: '
                    f"kept in it, though it may be the text of {parent.kind} {_number(parent)}",
                )
        for s, lineno in lines:
            self._text(target, s, lineno)

    def _text(self, node: Node, s: str, lineno: int) -> None:
        """Add a line to a unit's text, before its sub-units or after them (its
        tail): a new paragraph ("" first) unless it is the line right after the
        unit's last one (blank lines or other units between them break it)."""
        if not s:
            return
        if lineno in self.odd_lines:
            s = clean_inline(s)
        text = node.tail if node.children else node.body
        if text and lineno - node.body_line > 1:
            text.append("")
        text.append(s)
        node.body_line = lineno

    def _plain(self, s: str, index: int) -> None:
        """A line that opens nothing: the closing, a source credit, an analysis, a
        cross-heading, quoted text, or the text of a unit."""
        c = self.c
        lineno = index + 1
        self._collect_analysis(s, lineno)
        if self.phase == BODY and self.provisions and self.closing is None:
            if c.closing is not None and c.closing.match(s):
                self._open_closing(s, lineno)
                return
            if c.source_credit is not None and c.source_credit.match(s):
                self._pop_to(self.provision_rank + 1)
                self.notes = True
                self._body(s, lineno)
                return
        if self.phase == BODY and self.stack and self._parsed():
            if s[0] in OPEN_QUOTES:
                self._quote_opening(s, lineno)
            else:
                self._odd_marker(s, lineno)
                node = self.stack[-1]
                lost = self._title_alone(s) and not self._crossheading(s, index)
                if lost and node is not self.lost_in:  # its later title lines: its echo
                    self.lost_in = node
                    self.anomalies.add(
                        "lost_heading",
                        f"a line shaped like a heading's title in the text of {node.kind} "
                        f"{node.number.text}: a heading that was lost or cannot be read?",
                        lineno,
                        s,
                        expected=f"text of {node.kind} {node.number.text}",
                        found="a title line",
                        accept=f"keep the line as text of {node.address}",
                    )
                if self._pends(s, lineno):
                    return
        self._body(s, lineno)

    def _parsed(self) -> bool:
        """Whether the text now read is cut into units (an annex's is not)."""
        return self.schedule is None or self.c.schedule_provision is not None

    def _title_alone(self, s: str) -> bool:
        """A line shaped like a heading's title in a unit's text: what a lost
        heading leaves behind (or a UK cross-heading). Tables (tab-separated),
        lines ending a clause (``... and``) and the Code's editorial apparatus
        are text; where lines are wrapped anywhere (India Code), only a title in
        capitals counts."""
        c = self.c
        if self.notes or "\t" in s or not c.title_line(s) or s.endswith((" and", " or")):
            return False
        node = self.stack[-1]
        if c.source_credit is not None and node.role == CONTAINER:
            return False  # a chapter's analysis and notes
        if node.role == SCHEDULE and c.schedule_reference and c.schedule_reference.match(s):
            return False  # "Section 11": the section that gives the schedule effect
        if c.wrapped_lines:
            return is_upper_title(s) and len(s.split()) > 1
        return True

    def _footnotes_start(self, s: str, lineno: int) -> bool:
        """``1. Subs. by Act ...`` after the first provision: section 1 is behind,
        so a line numbered 1 without a title's dash opens a page's footnotes."""
        if not (self.c.page_footnotes and self.provisions and self.phase == BODY):
            return False
        if not self._parsed():
            return False  # a schedule's text is not cut: its numbered lines are text
        if not s.startswith("1. ") or ".—" in s:
            return False
        self.footnote_next, self.footnotes_from = 2, lineno
        self._body(s, lineno)
        return True

    def _footnote(self, s: str, lineno: int) -> bool:
        """The next line of a page's block of footnotes (``2. Subs. by Act ...``),
        kept as body text; the block is reported when it ends."""
        m = _FOOTNOTE.match(s)
        if m is not None and int(m.group(1)) == self.footnote_next and ".—" not in s:
            self.footnote_next += 1
            self._body(s, lineno)
            return True
        self._end_footnotes()
        return False

    def _end_footnotes(self) -> None:
        self._warn(
            self.footnotes_from,
            "editorial_note",
            f"footnotes 1-{self.footnote_next - 1} of a page (lines {self.footnotes_from}-"
            f"{self.last_text}) kept as body text",
        )
        self.footnote_next = 0

    def _odd_marker(self, s: str, lineno: int) -> None:
        """A marker of exactly the next item of an open list, written in a form
        this convention does not use (``b)`` for ``(b)``): as text it would fold
        that item into the one before, silently when it is the last. An anomaly;
        kept as text, and the next item may follow it (``_resynced``)."""
        ladder = self._ladder()
        found = read_odd_marker(s, self.clean_forms[ladder], _POINT_INDEX, capitalised=False)
        if found is None:
            return
        what, ordinal = found
        style = DECIMAL if what == "clause" else LOWER
        for level, (_, entry_style, kind) in enumerate(ladder):
            if entry_style != style:
                continue
            rank = self.provision_rank + 1 + level
            parent = self._parent_for(rank)
            last = parent.last.get(rank) if parent is not None else None
            if parent is not None and ordinal == (last.value + 1 if last else 1):
                shown = show(style, ordinal)
                self.anomalies.odd_marker(kind, shown, lineno, s, self.stack[-1].address)
                self._resync(parent, rank, last, Number(style, ordinal, 0, shown))
                return

    def _before_provision(self, index: int) -> bool:
        """Whether the next line with text is a provision's heading."""
        lines = self.lines
        for at in range(index + 1, len(lines)):
            s = lines[at].strip()
            if s:
                found = self.c.heading(s, lines, at, self.schedule is not None)
                return isinstance(found, Opening) and found.role == PROVISION
        return False

    def _crossheading(self, s: str, index: int) -> bool:
        """A UK cross-heading: a title line (not in capitals, which Part titles
        use) between sections, right after a heading or text that ends a
        sentence, heading the sections that follow until the next one."""
        c = self.c
        if not c.crossheadings or self.schedule is not None or is_upper_title(s):
            return False
        ends = self.previous[-1:] in ".:;)”’]" or self.last_text == self.heading_line
        if not ends or not self._before_provision(index):
            return False
        rank = self.container_rank["crossheading"]
        self._pop_to(rank)
        scope = self.stack[-1] if self.stack else self.root
        last = scope.last.get(rank)
        value = last.value + 1 if last else 1
        number = Number(DECIMAL, value, 0, str(value))
        node = self._push("crossheading", rank, CONTAINER, number, s, index + 1, scope)
        node.title = clean_inline(s)
        node.first_provision = len(self.provisions)
        self.heading_line = index + 1
        return True

    # -- quotations (amending provisions quote whole sections) ------------------------
    def _quoted(self, s: str, lineno: int) -> None:
        if isinstance(self.c.classify(s, self.lines, lineno - 1, False), Opening):
            address = self._sink(lineno).address
            self.warnings.append(quoted_heading(s, lineno, address, self.quotes.line))
        self._body(s, lineno)

    def _quote_opening(self, s: str, lineno: int) -> None:
        """A line opening with a quotation mark: quoted text, reported when it
        quotes a heading. Where amending text is quoted between single quotes
        (EU: ``‘Article 5`` ... ``’;``) the quotation runs until a line ends
        with the closing one (``Quotes.start_block``)."""
        self.quotes.start_block(s, lineno)
        inner = s.lstrip(OPEN_QUOTES + " ")
        if inner and isinstance(self.c.classify(inner, self.lines, lineno - 1, False), Opening):
            self.warnings.append(quoted_heading(s, lineno, self._sink(lineno).address))

    # -- the end ---------------------------------------------------------------------
    def _open_closing(self, s: str, lineno: int) -> None:
        self._pop_to(0)
        self.schedule = None
        self.phase = CLOSING
        closing = Node("closing", -1, "", None, f"{self.doc_code}/closing")
        closing.line = lineno
        self.closing = closing
        self.nodes.append(closing)
        self._body(s, lineno)

    def _finish(self) -> None:
        self.quotes.check_closed()
        if self.footnote_next:
            self._end_footnotes()
        self._pop_to(-1)
        if not self.provisions:
            self.anomalies.check()  # a line at fault says more than no provision
            raise CutterStop(
                StopCode.STOP_STRUCTURE,
                f"no {self.c.provision} heading found in lines 1-{len(self.lines)} "
                f"(language en, {self.c.name})",
            )
        if self.root.analysis is not None:
            self._check_analysis(self.root, self.provisions)

    def _warn(self, lineno: int, kind: str, message: str) -> None:
        self.warnings.append(ExtractWarning(lineno, kind, message))


def _clean_forms(ladder: Ladder) -> frozenset[MarkerForm]:
    """The marker forms a ladder reads (``read_odd_marker`` leaves them alone)."""
    return frozenset(
        (form == PAREN, style == DECIMAL, ")" if form == PAREN else ".")
        for form, style, _ in ladder
        if style in (DECIMAL, LOWER)
    )


def _introduces(line: str) -> bool:
    """Whether a line introduces a list (``... as follows:``, ``... of—``)."""
    return bool(line) and line[-1] in _INTRODUCING


def _number(node: Node) -> str:
    return node.number.text if node.number is not None else ""


def _last_line(body: list[str]) -> str:
    for line in reversed(body):
        if line:
            return line
    return ""


def english_extraction(reader: EnglishReader, nodes: list[Node], max_units: int) -> Extraction:
    """The checked nodes as units: bodies normalised, section types by role, and
    the region the units cover."""
    lines = reader.lines
    check_cap(nodes, max_units, lines)
    bodies = []
    for node in nodes:
        body = _joined(node.body)
        bodies.append(body_with_tail(body, _joined(node.tail)) if node.tail else body)
    return extraction_of(
        nodes,
        bodies=bodies,
        numbers=[_number(node) for node in nodes],
        section_types=[
            _SECTION_TYPE.get(node.role) or SECTION_TYPE_OF[node.kind] for node in nodes
        ],
        doc_code=reader.doc_code,
        language="en",
        warnings=reader.warnings,
        region_text=join_body(_region(lines, nodes[0].line, reader.odd_lines), False),
        anomalies=reader.anomalies.by_line(),
    )


def _joined(lines: list[str]) -> str:
    """``join_body(lines, False)`` (odd whitespace was collapsed line by line), the
    commonest body, one line of text without a run of spaces, taken as it is."""
    if len(lines) == 1 and "  " not in lines[0]:
        return lines[0]
    return join_body(lines, False)


def _region(lines: list[str], first: int, odd_lines: frozenset[int]) -> list[str]:
    """The input lines from ``first`` on, odd whitespace collapsed where it is."""
    region = lines[first - 1 :]
    for lineno in odd_lines:
        if lineno >= first:
            region[lineno - first] = clean_inline(region[lineno - first])
    return region


# normalize.has_odd_space's characters (test_english_corpus checks they agree):
# found in one pass over the text, so only the lines holding one are collapsed.
ODD_SPACE = re.compile("[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def odd_lines(text: str) -> frozenset[int]:
    """The 1-based numbers of the lines of ``text`` holding odd whitespace."""
    found = set()
    line, counted = 1, 0
    for m in ODD_SPACE.finditer(text):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        found.add(line)
    return frozenset(found)
