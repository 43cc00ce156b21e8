"""``cutter export``: a completed cut as AKN 3.0 XML, JSON lines or CSV.

A thin shell: read the cut in one read-only snapshot as the verifier lane
(``db.export``), render it, write it to stdout or to a new file. The same run
always gives the same bytes. Every refusal is a STOP, one line, its exit code.

    cutter export --run-id R --format akn|jsonl|csv [--output FILE]
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import click

from cutter_assets.core.intake import sanitize_echo
from cutter_assets.core.legal.acceptance import UNIT_ANOMALY_FIELDS, UnitAcceptance
from cutter_assets.core.legal.akn import Source, valid_akn_xml
from cutter_assets.core.legal.digests import canonical_json
from cutter_assets.core.legal.model import ACCEPTED_FIELD, UNIT_COLUMNS
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.connection import connection
from cutter_assets.db.export import EXPORT_ROLE, CompletedCut, read_completed_cut
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings

# Every row says which run, document version and text it came from (fields of
# the CompletedCut), then the unit's own columns in the Unit's order, then what
# the unit was cut as found with: its accepted anomalies (a list, [] for most
# units) and the SG_0 decision that accepted them (None when there are none).
PROVENANCE_COLUMNS = ("run_id", "doc_code", "version_no", "text_sha256")
DECISION_COLUMN = "structure_decision_id"
ACCEPTANCE_COLUMNS = (ACCEPTED_FIELD, DECISION_COLUMN)
EXPORT_COLUMNS = (*PROVENANCE_COLUMNS, *UNIT_COLUMNS, *ACCEPTANCE_COLUMNS)


def export_rows(cut: CompletedCut) -> list[dict]:
    """One dict per unit, keys exactly ``EXPORT_COLUMNS`` in that order."""
    provenance = {c: getattr(cut, c) for c in PROVENANCE_COLUMNS}
    rows = []
    for unit in cut.units:
        accepted = cut.accepted.get(unit.canonical_address, UnitAcceptance())
        rows.append(
            {
                **provenance,
                **{c: getattr(unit, c) for c in UNIT_COLUMNS},
                ACCEPTED_FIELD: [
                    {f: anomaly[f] for f in UNIT_ANOMALY_FIELDS} for anomaly in accepted.anomalies
                ],
                DECISION_COLUMN: accepted.decision_id,
            }
        )
    return rows


def as_jsonl(cut: CompletedCut) -> bytes:
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in export_rows(cut)]
    return "".join(lines).encode("utf-8")


def as_csv(cut: CompletedCut) -> bytes:
    """RFC 4180 CSV (CRLF rows, quoted where needed) with a header; a missing
    value (the top units' parent_address, a decision where nothing was accepted)
    is an empty field, and a unit's accepted anomalies one field of canonical
    JSON text ("[]" for none)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in export_rows(cut):
        row[ACCEPTED_FIELD] = canonical_json(row[ACCEPTED_FIELD])
        writer.writerow(["" if value is None else value for value in row.values()])
    return out.getvalue().encode("utf-8")


def as_akn(cut: CompletedCut) -> bytes:
    source = Source(
        doc_code=cut.doc_code,
        language=cut.language,
        text_sha256=cut.text_sha256,
        title=cut.title,
        version_no=cut.version_no,
        run_id=cut.run_id,
        made_at=cut.completed_at,
    )
    return valid_akn_xml(cut.units, source, cut.accepted)  # notes for units with anomalies


RENDER: dict[str, Callable[[CompletedCut], bytes]] = {
    "akn": as_akn,
    "jsonl": as_jsonl,
    "csv": as_csv,
}


def write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` and write ``data``; an existing file is never replaced."""
    try:
        with path.open("xb") as out:
            out.write(data)
    except FileExistsError:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"--output {sanitize_echo(str(path))} exists already"
        ) from None
    except OSError as err:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"--output {sanitize_echo(str(path))} cannot be written ({err.strerror})",
        ) from None


@click.command("export")
@click.option("--run-id", required=True, help="A completed live cut run.")
@click.option("--format", "fmt", type=click.Choice(list(RENDER)), required=True)
@click.option(
    "--output", type=click.Path(path_type=Path), default=None, help="A new file (default stdout)."
)
def export(run_id: str, fmt: str, output: Path | None) -> None:
    """Write the units of a completed live cut run as AKN 3.0 XML, JSON lines or CSV."""
    url = DatabaseServer(load_settings()).target_url()
    with connection(url, role=EXPORT_ROLE) as conn:
        cut = read_completed_cut(conn, run_id)
    data = RENDER[fmt](cut)
    if output is None:
        click.echo(data, nl=False)
    else:
        write_new_file(output, data)
        click.echo(f"{len(cut.units)} units of cut run {cut.run_id} written to {output}", err=True)
