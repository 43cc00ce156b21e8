"""All the structural anomalies of a document in one pass.

Where the structure is inconsistent (a gap, a duplicate, an empty unit, a lost
heading ...) a builder records an ``Anomaly`` here and reads on; at the end of
the text any anomaly stops the cut with one ``StructureStop`` carrying them all
by line, the first one found as its detail (the line a reader stopping at the
first would have named). So a person sees every defect of the document at once,
each pinned to its line's sha256, instead of one per attempt.

Reading on needs the tree kept as the document would be cut if each anomaly
were accepted as found, so that later anomalies are real ones and not the echo
of an earlier one. The rules that resynchronise the builders:

- a number that is not the one due is taken as found: it becomes the position
  of its sequence;
- a marker of the due unit written in another form is kept as text (what an
  accepted cut would do), the position unchanged;
- the sibling right after either may still be the number that was due (come
  late, or swapped with the found one: the position is the higher of the two)
  or the one after it (the found number was mistyped, the odd marker was the
  unit's: the position moves on to it), without a new anomaly;
- a heading whose number cannot be read is read as the one due (Vietnamese),
  or as text (English);
- a reading taken on trust that the next sibling does not confirm (a typo, a
  lone marker convention) stays as read, the sequence at its number as written;
- a line that cannot be a unit (a lost heading's title, a marker outside any
  unit) is read as text; items outside any provision after the first are its
  echo; an empty unit is kept; a closing quotation mark with nothing open
  closes nothing; of a list of provisions that differs from the document's own
  analysis, only the first difference is reported.

Where nothing can keep the tree consistent (a heading after the closing block:
everything after it would be misplaced), reading stops there with the anomalies
found so far (``Anomalies.stop``).

Read ``as_found`` (a structure review, ``acceptance.py``), the anomalies do not
stop the cut at the end of the text: the tree built while collecting them is
the as-found cut, and the builders hand the anomalies on with it. Where reading
stops, or an anomaly is of a kind no cut can take as found
(``vocab.UNACCEPTABLE_KINDS``), there is no as-found cut: the stop says so.
"""

from __future__ import annotations

import hashlib

from cutter_assets.core.legal.model import TAIL_MARK, Anomaly
from cutter_assets.core.legal.normalize import shorten
from cutter_assets.core.legal.vocab import DUPLICATE_MARK, UNACCEPTABLE_KINDS
from cutter_assets.core.stops import CutterStop, StopCode, StructureStop


def structure_detail(what: str, line: int, text: str) -> str:
    """What is wrong, where, and the line as found (or the part of it at fault),
    shortened: the one form of a structure stop's message."""
    return f'{what} at line {line}: "{shorten(text)}"'


def structure_stop(what: str, line: int, text: str) -> CutterStop:
    """STOP_STRUCTURE for what is no anomaly of the structure itself (a document
    larger than the operator's cap)."""
    return CutterStop(StopCode.STOP_STRUCTURE, structure_detail(what, line, text))


def accept_numbering(relation: str, kind: str, found: str, expected: str) -> str:
    """What a cut accepting a number as found would do (``relation``: gap,
    duplicate or out_of_order)."""
    if relation == "gap":
        return f"cut {kind} {found} at this line as written, with no {kind} {expected} before it"
    if relation == "duplicate":
        return (
            f"cut another {kind} {found} at this line, number and heading as written, its "
            f"address made unique with {DUPLICATE_MARK}<n> (the n-th {kind} {found})"
        )
    return f"cut {kind} {found} at this line as written, out of sequence"


class Anomalies:
    """The anomalies of one document, in the order found (the first is the one a
    reader stopping at the first would have stopped at). ``lines`` are the lines
    the builder reads, each anomaly's line text and hash taken from them."""

    __slots__ = ("lines", "found", "as_found")

    def __init__(self, lines: list[str], *, as_found: bool = False):
        self.lines = lines
        self.found: list[Anomaly] = []
        self.as_found = as_found  # read on to the end: the tree is the as-found cut

    def add(
        self,
        kind: str,
        what: str,
        line: int,
        text: str,
        *,
        expected: str = "",
        found: str = "",
        accept: str,
    ) -> None:
        """Record an anomaly of ``kind`` at input line ``line``: ``what`` is wrong
        and ``text`` the part of the line at fault (as the stop shows it)."""
        line_text = self.lines[line - 1]
        self.found.append(
            Anomaly(
                kind=kind,
                line=line,
                text=line_text,
                sha256=hashlib.sha256(line_text.encode("utf-8")).hexdigest(),
                expected=expected,
                found=found,
                accept_as_found=accept,
                detail=structure_detail(what, line, text),
            )
        )

    # -- the anomalies both builders find ------------------------------------------
    def empty_unit(self, what: str, kind: str, number: str, line: int, text: str) -> None:
        """Unit ``kind`` ``number`` has no text and no sub-units; it is kept."""
        self.add(
            "empty_unit",
            what,
            line,
            text,
            expected="text or sub-units",
            found="none",
            accept=f"cut {kind} {number} with no text",
        )

    def odd_marker(self, kind: str, number: str, line: int, text: str, holder: str) -> None:
        """The marker of the due ``kind`` ``number`` in a form the text does not
        use: as text of ``holder`` it would fold that unit into it."""
        self.add(
            "odd_marker",
            f"{kind} {number} marker in a form that cannot be read",
            line,
            text,
            expected=f"{kind} {number} written like its siblings",
            found=shorten(text, 20),
            accept=f"keep the line as text of {holder}: no {kind} {number}",
        )

    def after_closing(self, kind: str, line: int, text: str) -> None:
        """A heading after the closing block: nothing after it can be placed."""
        self.add(
            "misplaced",
            f"{kind} heading after the closing block",
            line,
            text,
            expected="the closing block's text",
            found=f"{kind} heading",
            accept="read this line and the rest of the text as the closing block",
        )

    def tail_mark(self, line: int, text: str) -> None:
        """A line holding only ``TAIL_MARK``: it would make a body's tail ambiguous."""
        self.add(
            "tail_mark",
            f"a line holding only {TAIL_MARK!r}, the mark that separates a unit's text "
            "before its sub-units from its text after them",
            line,
            text,
            found=TAIL_MARK,
            accept="none: the mark in a unit's text would make its tail ambiguous",
        )

    def at(self, line: int) -> bool:
        """Whether an anomaly was found at ``line`` already."""
        return any(anomaly.line == line for anomaly in self.found)

    def check(self) -> None:
        """At the end of the text: stop if any anomaly was found, unless the text
        is read as found and every anomaly can be taken so."""
        if not self.found:
            return
        acceptable = not any(a.kind in UNACCEPTABLE_KINDS for a in self.found)
        if not (self.as_found and acceptable):
            raise self._stop(acceptable=acceptable)

    def stop(self) -> StructureStop:
        """The stop where reading cannot go on (see the module's docstring): no
        as-found cut exists."""
        return self._stop(acceptable=False)

    def by_line(self) -> tuple[Anomaly, ...]:
        return tuple(sorted(self.found, key=lambda anomaly: anomaly.line))

    def _stop(self, *, acceptable: bool) -> StructureStop:
        """The stop (there is an anomaly at least): the first anomaly found its
        detail, all of them by line."""
        return StructureStop(self.found[0].detail, self.by_line(), acceptable=acceptable)
