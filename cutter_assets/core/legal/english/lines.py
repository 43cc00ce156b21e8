"""What one English line can open, as the conventions report it to the builder.

A convention (``conventions.py``) reads a stripped line and says what it
would open: a container (Part, Chapter, Title ...), the top-level provision
(section, article), a marker (``(a)``, ``1.``), a schedule or annex; or that it
only looks like one (``BodyLine``). Whether it is accepted (its number is
exactly the next one, its level fits) is the builder's decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cutter_assets.core.legal.english.numbers import Number, decimal, letters
from cutter_assets.core.legal.grammar import BodyLine, Tolerance, reference_line

CONTAINER = "container"
PROVISION = "provision"
MARKER = "marker"
SCHEDULE = "schedule"  # a schedule or an annex: a new top-level block after the body

PAREN = "paren"  # (1), (a), (i), (A)
DOT = "dot"  # 1.

# A marker at the start of a line: an optional amendment mark ("5[" in India Code
# texts), the token in parentheses or a number and a dot, then the text.
_PAREN_MARKER = re.compile(
    r"(?:(\d{1,2})\[)?\(([0-9]{1,3}[A-Z]?|[a-z]{1,5}|[A-Z]{1,5})\)(\]?)(\s*)(.*)$"
)
_DOT_MARKER = re.compile(r"([0-9]{1,3})\.(?:(\s+)(.*))?$")
_REFERENCE_START = ",;:.)]"  # "(a), he shall": a reference wrapped onto a new line


@dataclass(slots=True)
class Opening:
    """A line that would open a unit.

    ``kind`` is the unit kind, None for a marker (its level in the convention's
    ladder decides). ``readings`` are the ways its number reads (two for ``i``).
    ``title`` None means the title may follow on the next line. ``text`` is
    body text starting on the line, ``inner`` a unit that opens inside it on the
    same line (a marker: ``1. Short title.—(1) This Act``; the first amendment
    in the amendments' annex: ``Amendment I``), ``takes`` the following lines the
    heading took (a title wrapped over two lines). ``refusal`` says why the line
    cannot be read: it stops the cut.
    """

    role: str
    kind: str | None
    readings: tuple[Number, ...]
    title: str | None = None
    text: str = ""
    form: str = ""
    tolerances: tuple[Tolerance, ...] = ()
    repealed: bool = False
    inner: Opening | None = None
    takes: int = 0
    refusal: str | None = None


Line = Opening | BodyLine | None


def amendment_mark(mark: str | None, what: str) -> tuple[Tolerance, ...]:
    """The tolerance for an India Code amendment mark (``1[4.``, ``5[(1)]``):
    the footnote number of the amendment stands before the number."""
    if mark is None:
        return ()
    return (("amendment_mark", f"amendment mark {mark}[ before the {what}"),)


def read_marker(s: str, insertions: bool, marks: bool) -> Line:
    """``(1) Text``, ``(a) Text``, ``(iv) Text``, ``(1A) Text``, ``1. Text``; with
    ``marks`` also the amended forms ``5[(1)] Text`` and ``9[(2) Text``."""
    if s[0] == "(" or (marks and s[0].isdigit() and "[(" in s[:5]):
        m = _PAREN_MARKER.match(s)
        if m is None or (m.group(1) and not marks):
            return None
        mark, token, _, space, text = m.groups()
        if text[:1] and text[0] in _REFERENCE_START:
            return reference_line(f"({token}) followed by {text[0]!r}: a wrapped reference")
        readings = letters(token, insertions) if token.isalpha() else _decimal(token)
        if not readings:
            return None
        tolerances = amendment_mark(mark, "marker")
        if text and not space:
            tolerances += (("marker_punctuation", "no space after the marker"),)
        return Opening(MARKER, None, readings, text=text, form=PAREN, tolerances=tolerances)
    m = _DOT_MARKER.match(s)
    if m is None:
        return None
    token, space, text = m.groups()
    return Opening(MARKER, None, _decimal(token), text=text or "", form=DOT)


def _decimal(token: str) -> tuple[Number, ...]:
    number = decimal(token)
    return () if number is None else (number,)
