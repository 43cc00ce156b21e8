"""KB documents as pure text: the phase report template (seed doc 04 §2), the
STOP doc, sovereign request docs and the runs-index line.

Every value shown passes through ``safe`` so a multi-line or pipe-laden value
cannot break the markdown, and no document exceeds ``MAX_DOC_LINES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from cutter_assets.core.commands import command
from cutter_assets.core.phases import GATE, Phase

MAX_DOC_LINES = 250
_LIMITS = {"inputs": 40, "work": 40, "snapshot_diff": 30, "invariants": 45, "artifacts": 20}
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=False,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Invariant:
    """One internal-gate assertion. ``ok`` is expected == observed unless the
    caller decided it (``holds``) for a range or a property."""

    name: str
    expected: Any
    observed: Any
    holds: bool | None = None

    @property
    def ok(self) -> bool:
        return self.expected == self.observed if self.holds is None else self.holds


@dataclass(frozen=True)
class Artifact:
    path: str
    sha256: str
    size: int


@dataclass
class PhaseReport:
    phase: Phase
    run_id: str
    doc_code: str
    mode: str
    written_utc: datetime
    inputs: dict[str, Any] = field(default_factory=dict)
    work: list[str] = field(default_factory=list)
    snapshot_diff: list[tuple[str, Any, Any]] = field(default_factory=list)
    invariants: list[Invariant] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)
    production_mutation: str = "NONE"

    @property
    def passed(self) -> bool:
        return all(inv.ok for inv in self.invariants)

    @property
    def failed_invariants(self) -> list[Invariant]:
        return [inv for inv in self.invariants if not inv.ok]


def safe(value: Any, limit: int = 120) -> str:
    """One table-safe line: no newlines or pipes, bounded length."""
    text = " ".join(str(value).split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(items: list, limit: int, filler) -> list:
    if len(items) <= limit:
        return list(items)
    return list(items[: limit - 1]) + [filler(len(items) - limit + 1)]


def render_phase_doc(report: PhaseReport) -> str:
    phase = report.phase
    position = f"{phase.number:02d} of 11" if phase.number else "sovereign gate request"
    outcome = "PASS" if report.passed else "FAIL"
    verdict = {"outcome": outcome, **report.verdict}
    if not report.passed:
        verdict["failed_invariants"] = ", ".join(i.name for i in report.failed_invariants)
    text = _ENV.get_template("phase_doc.md.j2").render(
        title=phase.title,
        position=position,
        phase=phase.key,
        outcome=outcome,
        production_mutation=safe(report.production_mutation),
        run_id=report.run_id,
        doc_code=report.doc_code,
        mode=report.mode,
        written_utc=report.written_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        inputs=_bounded(
            [(k, safe(v)) for k, v in report.inputs.items()],
            _LIMITS["inputs"],
            lambda n: ("more_inputs", f"{n} not shown"),
        ),
        work=_bounded(
            [safe(w, 200) for w in report.work], _LIMITS["work"], lambda n: f"… {n} more steps"
        ),
        snapshot_diff=_bounded(
            [(safe(n), safe(a), safe(b)) for n, a, b in report.snapshot_diff],
            _LIMITS["snapshot_diff"],
            lambda n: (f"… {n} more", "", ""),
        ),
        invariants=_bounded(
            [_shown(i) for i in report.invariants],
            _LIMITS["invariants"],
            lambda n: Invariant(f"… {n} more", "", ""),
        ),
        artifacts=_bounded(
            [Artifact(safe(a.path, 160), a.sha256, a.size) for a in report.artifacts],
            _LIMITS["artifacts"],
            lambda n: Artifact(f"… {n} more", "", 0),
        ),
        verdict=[(k, safe(v)) for k, v in verdict.items()],
    )
    return _check_length(text)


def _shown(inv: Invariant) -> Invariant:
    """The invariant with display-safe values and its verdict kept."""
    return Invariant(safe(inv.name), safe(inv.expected), safe(inv.observed), inv.ok)


def render_stop_doc(
    *,
    run_id: str,
    doc_code: str,
    mode: str,
    code: str,
    detail: str,
    phase: str,
    written_utc: datetime,
    next_steps: list[str],
) -> str:
    lines = [
        f"# STOP {code} · {run_id}",
        "",
        "> ```yaml",
        f"> stop_code           : {code}",
        f"> phase               : {phase}",
        "> production_mutation : NONE by the stopped phase (it writes units only in the "
        "transaction that records it)",
        f"> run_id              : {run_id}",
        f"> document            : {doc_code}",
        f"> mode                : {mode}",
        f"> written_utc         : {written_utc.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "> ```",
        "",
        "## Reason",
        "",
        safe(detail, 2000),
        "",
        "## What to do next",
        "",
        *[f"- {safe(step, 300)}" for step in next_steps],
        "",
    ]
    return _check_length("\n".join(lines))


def approval_stem(gate: str) -> str:
    """The file stem the sovereign's signed approval of ``gate`` carries."""
    return GATE[gate].file_stem


def render_request_doc(
    *,
    title: str,
    gate: str,
    run_id: str,
    doc_code: str,
    mode: str,
    payload_sha: str,
    payload: dict[str, Any],
    written_utc: datetime,
    ttl_hours: int,
    next_command: str,
    details: Sequence[str] = (),
) -> str:
    """A sovereign request doc. A payload value that is a list is shown by its
    length, its entries in ``details`` (a section of their own, lines already
    safe for markdown)."""
    lines = [
        f"# {title} · {run_id}",
        "",
        "> ```yaml",
        f"> gate                : {gate}",
        f"> run_id              : {run_id}",
        f"> payload_sha         : {payload_sha}",
        f"> document            : {doc_code}",
        f"> mode                : {mode}",
        f"> written_utc         : {written_utc.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"> approval_ttl_hours  : {ttl_hours}",
        "> ```",
        "",
        "## What the sovereign is asked to authorize",
        "",
        "The payload below pins every value the approval covers; `payload_sha` is the",
        "sha256 of its canonical JSON. An approval for any other payload is refused.",
        "",
        "```yaml",
        *[f"{key}: {_payload_value(value)}" for key, value in sorted(payload.items())],
        "```",
        "",
        *([*details, ""] if details else []),
        "## How to approve",
        "",
        f"    {next_command}",
        "",
        "then sign the printed document and place it in this folder as",
        f"`{approval_stem(gate)}-<YYYYMMDD>.md`. Silence is not approval: the request",
        f"expires after {ttl_hours} h.",
        "",
    ]
    return _check_length("\n".join(lines))


def _payload_value(value: Any) -> str:
    if isinstance(value, list):
        return f"({len(value)} entries, listed below)"
    return safe(value)


def render_void_doc(run, affected: list[tuple[str, str, str]], voided: int, reason_kb: str) -> str:
    """The compensation plan of a voided run: what it touched, what became of it."""
    shown = affected[:180]
    lines = [
        f"# VOID compensation plan · {run.run_id}",
        "",
        "> ```yaml",
        f"> run_id              : {run.run_id}",
        f"> document            : {run.doc_code}",
        f"> state_before        : {run.state}",
        f"> reason_kb           : {safe(reason_kb, 200)}",
        f"> drafts_voided       : {voided}",
        "> production_mutation : lifecycle draft -> voided only (forward-only; nothing deleted)",
        "> ```",
        "",
        "## Affected rows",
        "",
        "| canonical_address | information_unit_id | status before |",
        "|---|---|---|",
        *[f"| {safe(a)} | {i} | {s} |" for a, i, s in shown],
    ]
    if len(affected) > len(shown):
        lines.append(f"| … {len(affected) - len(shown)} more | | |")
    lines += [
        "",
        "## Next",
        "",
        "- the document can be cut again: "
        + command(f"orchestrate cut --document-id {run.doc_code}"),
        "",
    ]
    return _check_length("\n".join(lines))


def markdown_table(rows: list[dict[str, Any]], columns: list[str], limit: int = 10) -> str:
    """A small markdown table (a preview for Dagster metadata or a KB doc)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:limit]:
        lines.append("| " + " | ".join(safe(row.get(c, ""), 60) for c in columns) + " |")
    if len(rows) > limit:
        lines.append(f"| … {len(rows) - limit} more |" + " |" * (len(columns) - 1))
    return "\n".join(lines)


def runs_index_line(fields: list[str]) -> str:
    """One line per run for the runs index (seed doc 04 §9), at most 200 chars per field set."""
    return "- " + " · ".join(f"`{safe(f, 100)}`" for f in fields)


def _check_length(text: str) -> str:
    count = text.count("\n") + (0 if text.endswith("\n") else 1)
    if count > MAX_DOC_LINES:
        raise ValueError(f"KB doc would have {count} lines (limit {MAX_DOC_LINES})")
    return text
