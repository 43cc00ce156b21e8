"""What a language grammar is, and the helpers the grammars share.

A grammar (``vietnamese.py``, ``english/generic.py``) reads one stripped, NFC
line and says what it would open (``Heading``) or that it only looks like a
heading (``BodyLine``); ``tree.py`` decides what the line is. The pieces here
are the ones every grammar would otherwise write again: how a heading's title
follows its number (``heading_tail``), markers in a form the language does not
use (``read_odd_marker``) and, in ``LetteredGrammar``, how points are lettered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

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
    ``form`` is the marker's convention when it is not the language's clean one
    (``1)`` or ``a.`` in Vietnamese): taken only where due and confirmed by a
    sibling written the same way. ``reread`` is another reading of the whole line
    (``l.`` as the clause ``1.``), tried when this one is not due; ``confirm`` says
    it stands only if the next sibling confirms it (a typo).
    """

    kind: str
    ordinal: int
    number: str
    title: str | None = None
    text: str = ""
    tolerances: tuple[Tolerance, ...] = ()
    refusal: str | None = None
    alternative: tuple[int, str, Tolerance] | None = None
    form: str | None = None
    reread: Heading | None = None
    confirm: bool = False


@dataclass(slots=True)
class BodyLine:
    """A line that resembles a heading but is body text (a wrapped reference).

    ``unit`` is the marker it would open if it were a unit whose capital was lost
    (``4. ủy ban …``): the builder decides from the line before and the numbering.
    """

    tolerance: Tolerance
    unit: Heading | None = None


Classified = Heading | BodyLine | None  # what ``Grammar.classify`` says of a line


def reference_line(what: str) -> BodyLine:
    """A line that looks like a heading but is read as body text, reported."""
    return BodyLine(("reference_line", f"read as body text: {what}"))


# Punctuation setting a title off its number: ".", ":", dashes, maybe repeated
# ("Điều 5.- Title"); group 1 the marks, group 2 the space after them, group 3 the title.
TITLE_MARKS = re.compile(r"([.:\-–—](?:\s*[.:\-–—])*)(\s*)(.*)$")
_MISSING_SPACE: Tolerance = ("heading_missing_space", "no space before the number")


def heading_tail(space: str, tail: str) -> tuple[tuple[Tolerance, ...], str, bool]:
    """What follows the number of a numbered heading (``Chương II``, ``Part 3``),
    ``space`` the space before that number and ``tail`` the rest of the line: the
    tolerance for a missing space, the text after the number, and whether a
    punctuation mark sets that text off as a title (the marks are then dropped).
    Text that nothing sets off may be a wrapped cross-reference: the grammar
    decides."""
    tolerances = () if space else (_MISSING_SPACE,)
    rest = tail.strip()
    if rest and rest[0] in ".:-–—":
        return tolerances, TITLE_MARKS.match(rest).group(3), True
    return tolerances, rest, False


class Grammar(Protocol):
    """What a language contributes: how its lines look (see ``vietnamese.py``).

    Optional, read with ``getattr`` (a grammar without them gets none of it):
    ``refers_to(kind, text)`` (how a paragraph names "this article/clause": 0 not,
    1 in passing, 2 delegating its details; it may close that unit, see
    ``tree._Builder._settle_tail``), ``annex_heading(s)`` (``PHỤ LỤC II``: an annex
    after the signature), and the flags ``sentence_titles`` (the text on an
    article's heading line may be its first sentence), ``confirmed_typos`` (a
    wrong number both neighbours confirm is a typo), ``marker_chains`` (``b) …;
    c) …`` on one line is two points) and ``table_rows`` (tab or ``|`` rows are
    table text, never units).
    """

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
        marker, group 2 the text after it (see ``tree._Builder._check_last``)."""
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


@dataclass(frozen=True)
class Points:
    """How a language letters its points and writes its clause and point markers:
    the ``letters`` in order, the ``clean`` marker forms it writes, whether the
    text after a marker starts with a capital (``capitalised``), and the address
    form of any letter that differs (``slugs``: đ as dd). ``index`` is each
    letter's ordinal (1-based)."""

    letters: str
    clean: frozenset[MarkerForm]
    capitalised: bool = False
    slugs: Mapping[str, str] = field(default_factory=dict)
    index: Mapping[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", letter_index(self.letters))  # frozen: set here


class LetteredGrammar:
    """What a grammar's ``points`` decide alone: how a number is shown and
    addressed (``Grammar.display``, ``number_of``) and which markers are written
    in another form than the clean ones (``odd_marker``)."""

    points: Points
    clean_forms: Mapping[str, CleanForm] = {}  # none: every line is classified

    def display(self, kind: str, ordinal: int) -> str:
        if kind == "point":
            letters = self.points.letters
            return letters[ordinal - 1] if 0 < ordinal <= len(letters) else "?"
        return str(ordinal)

    def number_of(self, kind: str, ordinal: int) -> str:
        shown = self.display(kind, ordinal)
        return self.points.slugs.get(shown, shown) if kind == "point" else shown

    def odd_marker(self, s: str) -> tuple[str, int] | None:
        points = self.points
        return read_odd_marker(s, points.clean, points.index, points.capitalised)


def letter_index(letters: str) -> dict[str, int]:
    """Each point letter's ordinal (1-based) in a language's order."""
    return {letter: i for i, letter in enumerate(letters, 1)}
