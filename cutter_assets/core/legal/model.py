"""Plain data produced by extraction: units, warnings, and the extraction."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

_new = object.__new__
_setattr = object.__setattr__  # frozen: fields are set past the class's __setattr__


@dataclass(frozen=True)
class Unit:
    """One node of a document's hierarchy, ready to become an IU row.

    ``body`` is the unit's own text (its heading marker and title removed, its
    sub-units excluded), normalised by ``normalize_body``;
    ``content_hash == sha256(body.encode("utf-8")).hexdigest()``.
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


# The unit's columns, once: the mark frame, the JSONL export, the cut plan,
# the writer digest and the ledger's plan rows all derive from the dataclass.
# Adding a unit field is the field here plus the schema change that stores it.
UNIT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Unit))
PLAN_COLUMNS: tuple[str, ...] = (*UNIT_COLUMNS, "idempotency_key")


@dataclass(frozen=True)
class ExtractWarning:
    """A tolerance the extractor applied, with the 1-based input line."""

    line: int
    kind: str
    message: str

    def render(self) -> str:
        return f"line {self.line}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class Extraction:
    """The result of cutting one document text.

    ``unit_lines[i]`` is the 1-based input line where ``units[i]`` starts.
    ``region_text`` is the normalised text of the input span the units cover
    (first line of the first unit to the last line of the last unit).
    """

    doc_code: str
    language: str
    units: list[Unit]
    warnings: list[ExtractWarning]
    counts: dict[str, int]
    unit_lines: list[int] = field(default_factory=list, repr=False)
    region_text: str = field(default="", repr=False)

    def warning_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for warning in self.warnings:
            out[warning.kind] = out.get(warning.kind, 0) + 1
        return out
