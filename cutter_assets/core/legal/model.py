"""Plain data produced by extraction: units, warnings, and the extraction."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

_new = object.__new__
_setattr = object.__setattr__  # frozen: fields are set past the class's __setattr__


# A unit's text after its sub-units (its tail, AKN's ``wrapUp``: "Chính phủ quy định
# chi tiết Điều này." after an article's last clause) is kept in ``Unit.body`` after
# its text before them (the intro), the two separated by this line: no column of its
# own, and the body a reader sees still reads in document order around the sub-units.
# A source line holding only this character stops the cut
# (``tree.build_extraction``), so the split is never ambiguous.
TAIL_MARK = "\u2042"  # ⁂ ASTERISM
_TAIL_SEPARATOR = f"\n\n{TAIL_MARK}\n\n"


def body_with_tail(intro: str, tail: str) -> str:
    """The ``Unit.body`` of a unit whose text continues after its sub-units (both
    parts already normalised; ``intro`` may be "")."""
    return f"{intro}{_TAIL_SEPARATOR}{tail}" if intro else f"{TAIL_MARK}\n\n{tail}"


def split_tail(body: str) -> tuple[str, str]:
    """(intro, tail) of a ``Unit.body``: its text before and after its sub-units."""
    if body.startswith(f"{TAIL_MARK}\n\n"):
        return "", body[len(TAIL_MARK) + 2 :]
    intro, _, tail = body.partition(_TAIL_SEPARATOR)
    return intro, tail


@dataclass(frozen=True)
class Unit:
    """One node of a document's hierarchy, ready to become an IU row.

    ``body`` is the unit's own text (its heading marker and title removed, its
    sub-units excluded), normalised by ``normalize_body``;
    ``content_hash == sha256(body.encode("utf-8")).hexdigest()``. Text of the
    unit that follows its sub-units is kept after ``TAIL_MARK`` (see there;
    ``intro`` and ``tail`` read the two parts back).
    ``raw_heading`` is the heading line as found (NFC, spelling and look-alikes
    kept), "" for the preamble and the closing block.
    """

    canonical_address: str
    unit_kind: str
    section_type: str
    number: str
    raw_heading: str
    title: str
    body: str
    parent_address: str | None
    sort_order: int
    content_hash: str

    @classmethod
    def from_values(
        cls,
        canonical_address: str,
        unit_kind: str,
        section_type: str,
        number: str,
        raw_heading: str,
        title: str,
        body: str,
        parent_address: str | None,
        sort_order: int,
        content_hash: str,
    ) -> Unit:
        """``Unit(...)`` without the generated frozen ``__init__`` (one
        ``object.__setattr__`` per field: a fifth of the extractor's time on a
        large law). The same fields, the same equality, still frozen."""
        unit = _new(cls)
        _setattr(
            unit,
            "__dict__",
            {
                "canonical_address": canonical_address,
                "unit_kind": unit_kind,
                "section_type": section_type,
                "number": number,
                "raw_heading": raw_heading,
                "title": title,
                "body": body,
                "parent_address": parent_address,
                "sort_order": sort_order,
                "content_hash": content_hash,
            },
        )
        return unit

    @property
    def intro(self) -> str:
        """The unit's text before its sub-units (all of it for most units)."""
        return split_tail(self.body)[0]

    @property
    def tail(self) -> str:
        """The unit's text after its sub-units ("" for most units)."""
        return split_tail(self.body)[1]


# The unit's columns, once: the mark frame, the JSONL export, the cut plan,
# the writer digest and the ledger's plan rows all derive from the dataclass.
# Adding a unit field is the field here plus the schema change that stores it.
UNIT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Unit))
PLAN_COLUMNS: tuple[str, ...] = (*UNIT_COLUMNS, "idempotency_key")
# A plan row's field that is not the unit's own: the structural anomalies its unit
# was cut as found with (``acceptance.unit_anomalies``), stored on the unit row.
ACCEPTED_FIELD = "accepted_anomalies"


@dataclass(frozen=True)
class ExtractWarning:
    """A tolerance the extractor applied, with the 1-based input line."""

    line: int
    kind: str
    message: str

    def render(self) -> str:
        return f"line {self.line}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class Anomaly:
    """A place where the document's structure is inconsistent: the cut stops
    (STOP_STRUCTURE), and a person may accept it as found (pinned by ``sha256``).

    ``kind`` is one of ``vocab.ANOMALY_KINDS``; ``line`` the 1-based input line;
    ``text`` that line as the extractor read it (NFC, look-alike letters fixed,
    no line end) and ``sha256`` the hex digest of its UTF-8; ``expected`` and
    ``found`` what the structure wanted there and what stands there ("" where
    nothing in particular); ``accept_as_found`` what a cut that accepts the line
    as found would do; ``detail`` the stop's message for it (what, where, the line).
    """

    kind: str
    line: int
    text: str
    sha256: str
    expected: str
    found: str
    accept_as_found: str
    detail: str


@dataclass(frozen=True)
class Extraction:
    """The result of cutting one document text.

    ``unit_lines[i]`` is the 1-based input line where ``units[i]`` starts.
    ``region_text`` is the normalised text of the input span the units cover
    (first line of the first unit to the last line of the last unit).
    ``anomalies`` are the structural anomalies the units were cut as found
    with, by line (none unless the text was read as found: ``acceptance.py``).
    """

    doc_code: str
    language: str
    units: list[Unit]
    warnings: list[ExtractWarning]
    counts: dict[str, int]
    unit_lines: list[int] = field(default_factory=list, repr=False)
    region_text: str = field(default="", repr=False)
    anomalies: tuple[Anomaly, ...] = field(default=(), repr=False)

    def warning_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for warning in self.warnings:
            out[warning.kind] = out.get(warning.kind, 0) + 1
        return out


@dataclass(frozen=True)
class PreparedText:
    """A text ready to cut (``extract.prepare_text``: LF line ends, NFC, look-alike
    letters fixed) and what every extractor is told with it: the document's
    code, the warnings so far (extended in place), the cap on units, and two
    promises for faster paths: ``odd_space`` False, no tab or Unicode space;
    ``quotes`` False, no quotation mark; and ``as_found``: read on past the
    structural anomalies, the tree as found (``anomalies.py``)."""

    text: str
    doc_code: str
    warnings: list[ExtractWarning]
    max_units: int
    odd_space: bool
    quotes: bool
    as_found: bool = False
