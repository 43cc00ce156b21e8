"""``cutter extract FILE``: cut one legal text into units and show the tree.

A thin shell over ``cutter_assets.core.legal``: read the bytes (a regular
file only, never blocking: ``read_input_file``), decode them with the intake
rules, extract, print. Every refusal is one line on stderr and the STOP code's
exit code; a text whose structure is inconsistent first gets one line per
anomaly found in it (kind, line, expected, found, the line's sha256 prefix).
Nothing is written anywhere.

    cutter extract FILE [--language vi|en] [--doc-code CODE] [--max-units N]
                        [--format table|jsonl|akn]
    python -m cutter_assets.app.extract FILE ...
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import click

from cutter_assets.core.intake import (
    DEFAULT_MAX_BYTES,
    MAX_UNITS_CEILING,
    check_doc_code,
    decode_document,
    read_input_file,
)
from cutter_assets.core.legal import DEFAULT_MAX_UNITS, Extraction, Unit, extract_units
from cutter_assets.core.legal.akn import Source, valid_akn_xml
from cutter_assets.core.legal.model import UNIT_COLUMNS
from cutter_assets.core.refusals import one_line
from cutter_assets.core.stops import CutterStop, StructureStop

JSONL_FIELDS = UNIT_COLUMNS


def doc_code_from_name(path: Path) -> str:
    """``luật-hôn-nhân.txt`` -> ``LUAT-HON-NHAN``: the stem without diacritics,
    upper-cased, every other character a hyphen; refused unless it then
    matches the strict doc-code pattern."""
    stem = path.name.split(".", 1)[0].replace("đ", "d").replace("Đ", "D")
    ascii_stem = "".join(
        ch for ch in unicodedata.normalize("NFD", stem) if not unicodedata.combining(ch)
    )
    code = re.sub(r"[^A-Z0-9]+", "-", ascii_stem.upper()).strip("-")[:64].rstrip("-")
    return check_doc_code(code)


def _table(extraction: Extraction) -> list[str]:
    prefix = len(extraction.doc_code) + 1
    rows = []
    for unit, line in zip(extraction.units, extraction.unit_lines, strict=True):
        depth = unit.canonical_address.count("/") - 1
        path = unit.canonical_address[prefix:]
        # An untitled unit shows the start of its text, marked so it is not read as a title.
        label = unit.title or f"· {_first_line(unit.body)}"
        rows.append(f"{unit.sort_order:>5} {line:>6}  {'  ' * depth}{path}  {_clip(label, 70)}")
    return [f"{'#':>5} {'line':>6}  address  title (· text of an untitled unit)", *rows]


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(extraction: Extraction) -> list[str]:
    counts = ", ".join(f"{kind} {n}" for kind, n in extraction.counts.items() if n)
    lines = [
        f"{extraction.doc_code} ({extraction.language}): {len(extraction.units)} units: {counts}",
    ]
    by_kind = extraction.warning_counts()
    if by_kind:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(by_kind.items()))
        lines.append(f"warnings: {len(extraction.warnings)} ({kinds})")
        lines.extend(f"  {warning.render()}" for warning in extraction.warnings)
    else:
        lines.append("warnings: none")
    return lines


def _anomaly_lines(stop: CutterStop) -> list[str]:
    """One line per anomaly of a structure stop, in the order found (none for
    another stop): the start of the line's sha256 names the line checked."""
    if not isinstance(stop, StructureStop):
        return []
    return [
        f"anomaly: line {a.line}: {a.kind}: expected {a.expected or '-'}, "
        f"found {a.found or '-'} (sha256 {a.sha256[:12]})"
        for a in stop.anomalies
    ]


def _jsonl(unit: Unit) -> str:
    return json.dumps({f: getattr(unit, f) for f in JSONL_FIELDS}, ensure_ascii=False)


def _akn(extraction: Extraction, text_sha256: str) -> bytes:
    """The units as an AKN act; no run and no version: the file's text as given."""
    source = Source(
        doc_code=extraction.doc_code, language=extraction.language, text_sha256=text_sha256
    )
    return valid_akn_xml(extraction.units, source)


@click.command("extract")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--language", type=click.Choice(["vi", "en"]), help="Default: detected.")
@click.option("--doc-code", help="Default: derived from the file name.")
@click.option(
    "--max-units",
    type=click.IntRange(min=1, max=MAX_UNITS_CEILING),
    default=DEFAULT_MAX_UNITS,
    show_default=True,
    help="Refuse documents with more units than this.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl", "akn"]),
    default="table",
    show_default=True,
    help="akn: an Akoma Ntoso 3.0 act (the summary goes to stderr, as for jsonl).",
)
def extract(
    file: Path, language: str | None, doc_code: str | None, max_units: int, fmt: str
) -> None:
    """Cut a legal text FILE into units and print the unit tree and a summary."""
    try:
        code = check_doc_code(doc_code) if doc_code is not None else doc_code_from_name(file)
        document = decode_document(read_input_file(file, DEFAULT_MAX_BYTES), name=file.name)
        extraction = extract_units(
            document.text, doc_code=code, language=language, max_units=max_units
        )
        akn = _akn(extraction, document.sha256) if fmt == "akn" else b""
    except CutterStop as stop:
        for line in [*_anomaly_lines(stop), stop.line()]:
            click.echo(one_line(line), err=True)
        sys.exit(stop.exit_code)
    if fmt == "akn":
        click.echo(akn, nl=False)
        click.echo("\n".join(_summary(extraction)), err=True)
    elif fmt == "jsonl":
        click.echo("\n".join(_jsonl(unit) for unit in extraction.units))
        click.echo("\n".join(_summary(extraction)), err=True)
    else:
        click.echo("\n".join(_table(extraction)))
        click.echo("\n".join(_summary(extraction)))


if __name__ == "__main__":
    extract()
