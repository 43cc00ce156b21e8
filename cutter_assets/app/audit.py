"""``cutter audit``: one evidence pack of a cut run that an auditor reads
without the UI.

    cutter audit --run-id R [--output DIR]

The ledger is read in one read-only snapshot as the verifier lane
(``db.audit``); then, now, every KB doc the ledger pinned is hashed again,
every approval's clearsigned text and every service signature is verified
again, and the pack is written twice with the same facts:
``audit-<run>.html`` (the phase timeline, approvals, digests, KB doc hashes
and signature checks, each KB doc a link) and ``audit-<run>.json``. A check
that fails is shown as FAILED in the pack and the command ends with one STOP
line: STOP_DRIFT_KB for a KB doc that no longer matches, else
STOP_APPROVAL_INVALID or STOP_INVARIANT_FAILED for a signature.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import jinja2

from cutter_assets.app.export import write_new_file
from cutter_assets.core import approvals
from cutter_assets.core.approvals import ApprovalRefused
from cutter_assets.core.intake import sanitize_echo
from cutter_assets.core.phases import PHASES
from cutter_assets.core.refusals import screen_text
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import audit as records
from cutter_assets.db.connection import connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment
from cutter_assets.signing.documents import service_signature_problem, verify_document

PACK_FORMAT = "cutter-audit/1"
VERIFIED = "verified"
FAILED = "FAILED"
DIGEST_SUFFIXES = ("sha", "sha256", "digest")  # the pins that are digests
_ORDER = {phase.key: index for index, phase in enumerate(PHASES)}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("cutter_assets.core", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _check(problem: str | None) -> dict[str, str | None]:
    return {"status": VERIFIED if problem is None else FAILED, "detail": problem}


def kb_doc_now(kb: KnowledgeBase, relative: str, recorded_sha256: str | None) -> dict[str, Any]:
    """A KB doc the ledger pinned, hashed again now: verified only when the
    file is there, readable and still has the recorded sha256."""
    full_path = kb.root_path() / relative
    entry = {
        "path": relative,
        "full_path": str(full_path),
        "uri": full_path.as_uri(),
        "recorded_sha256": recorded_sha256,
        "sha256_now": None,
    }
    try:
        entry["sha256_now"] = hashlib.sha256(kb.read(relative)).hexdigest()
    except (CutterStop, OSError) as err:
        why = err.line() if isinstance(err, CutterStop) else (err.strerror or type(err).__name__)
        return {**entry, **_check(f"unreadable now: {why}")}
    changed = entry["sha256_now"] != recorded_sha256
    return {**entry, **_check("changed since the ledger recorded it" if changed else None)}


def approval_signature_problem(decision: records.DecisionRecord, run_id: str) -> str | None:
    """Why the decision's stored clearsigned text does not verify now as the
    decision it was recorded as (None: it does): the signature, an allow-listed
    signer, the same signature bytes and key, and a header naming this gate,
    run and payload; the text is also exactly the doc whose sha256 was recorded."""
    text = decision.approval_text or ""
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != decision.approval_doc_sha256:
        return "the stored approval text is not the doc whose sha256 was recorded"
    try:
        document = verify_document(text, stub_allowed=decision.provider == "stub")
        header = approvals.parse(document.content)
    except ApprovalRefused as refused:
        return f"the signature does not verify: {refused}"
    found = (header.gate, header.run_id, header.payload_sha, document.signature_sha256)
    if found != (decision.gate, run_id, decision.payload_sha, decision.signature_sha256):
        return "the signed header or signature differs from the recorded decision"
    if decision.provider == "gpg" and document.signer != decision.signer_fingerprint:
        return f"signed by {document.signer}, recorded as {decision.signer_fingerprint}"
    return None


def service_signature_check(signed: records.ServiceSignatureRecord) -> str | None:
    """Why the record's service signature does not verify now (None: it does)."""
    if signed.principal != signed.expected_principal:
        return f"recorded as {signed.principal}'s, not {signed.expected_principal}'s"
    if signed.signature_payload_sha != signed.record_payload_sha:
        return "the signature covers another payload than the record"
    return service_signature_problem(signed.signature, signed.record_payload_sha, signed.principal)


def _phase_entry(record, kb: KnowledgeBase) -> dict[str, Any]:
    return {
        "phase": record.phase,
        "outcome": record.outcome,
        "recorded_at": _utc(record.recorded_at),
        "dagster_run_id": record.dagster_run_id,
        "idempotency_key": record.idempotency_key,
        "pins": record.pins,
        "kb_doc": (
            {"owner": record.phase, **kb_doc_now(kb, record.kb_doc_path, record.kb_doc_sha256)}
            if record.kb_doc_path
            else None
        ),
    }


def _approval_entry(decision: records.DecisionRecord, run_id: str, kb: KnowledgeBase) -> dict:
    return {
        "decision_id": decision.id,
        "gate": decision.gate,
        "approver": decision.approver,
        "provider": decision.provider,
        "signer_fingerprint": decision.signer_fingerprint,
        "signer_uid": records.signer_uid(decision),
        "signed_utc": _utc(decision.signed_utc),
        "recorded_at": _utc(decision.recorded_at),
        "consumed_at": _utc(decision.consumed_at),
        "consumed_by": decision.consumed_by,
        "payload_sha": decision.payload_sha,
        "signature_sha256": decision.signature_sha256,
        "doc": {
            "owner": decision.gate,
            **kb_doc_now(kb, decision.approval_doc_path, decision.approval_doc_sha256),
        },
        "signature": _check(approval_signature_problem(decision, run_id)),
    }


def _service_signature_entry(signed: records.ServiceSignatureRecord) -> dict[str, Any]:
    return {
        "record": signed.record,
        "record_id": signed.record_id,
        "principal": signed.principal,
        "payload_sha": signed.record_payload_sha,
        "signature_id": signed.signature_id,
        "provider": signed.provider,
        "signature_sha256": signed.signature_sha256,
        "created_by": signed.created_by,
        "created_at": _utc(signed.created_at),
        **_check(service_signature_check(signed)),
    }


def _timeline(record: records.RunRecord) -> list[dict[str, str]]:
    """What happened to the run, in time order, from the ledger's own stamps."""
    run = record.run
    events = [(run.started_at, f"cut run opened ({run.mode}, actor {run.actor})")]
    events += [
        (p.recorded_at, f"phase {p.phase} {p.outcome} (Dagster run {p.dagster_run_id or '-'})")
        for p in record.phases.values()
    ]
    for d in record.decisions:
        events.append((d.recorded_at, f"{d.gate} approval recorded: {d.approval_doc_path}"))
        if d.consumed_at:
            events.append((d.consumed_at, f"{d.gate} approval consumed by {d.consumed_by}"))
    events += [
        (a.evaluated_at, f"approval attempt refused ({a.channel}): {a.doc_path}: {a.reason}")
        for a in record.attempts
        if a.outcome == "refused"
    ]
    if run.stop_code:
        events.append((run.updated_at, f"stopped: {run.stop_code}: {run.stop_detail or ''}"))
    if record.voided_at:
        events.append((record.voided_at, f"voided; reason {record.void_reason_kb}"))
    return [{"at": _utc(at), "event": text} for at, text in sorted(events, key=lambda e: e[0])]


def build_pack(record: records.RunRecord, kb: KnowledgeBase, now: datetime) -> dict[str, Any]:
    """Every fact of the pack, checks made now, as plain JSON-ready data."""
    run = record.run
    phases = sorted(record.phases.values(), key=lambda p: (_ORDER.get(p.phase, 99), p.phase))
    phase_entries = [_phase_entry(p, kb) for p in phases]
    approval_entries = [_approval_entry(d, run.run_id, kb) for d in record.decisions]
    kb_docs = [p["kb_doc"] for p in phase_entries if p["kb_doc"]]
    kb_docs += [a["doc"] for a in approval_entries]
    signatures = [_service_signature_entry(s) for s in record.service_signatures]
    failures = _failures(kb_docs, approval_entries, signatures)
    return {
        "format": PACK_FORMAT,
        "generated_utc": _utc(now),
        "kb_root": str(kb.root_path()),
        "verdict": FAILED if failures else VERIFIED,
        "failures": failures,
        "run": {
            "run_id": run.run_id,
            "doc_code": run.doc_code,
            "source_document_id": run.source_document_id,
            "source_version_id": run.source_version_id,
            "mode": run.mode,
            "scope": run.scope,
            "actor": run.actor,
            "state": run.state,
            "stop_code": run.stop_code,
            "stop_detail": run.stop_detail,
            "kb_folder": run.kb_folder,
            "started_at": _utc(run.started_at),
            "updated_at": _utc(run.updated_at),
            "voided_at": _utc(record.voided_at),
            "void_reason_kb": record.void_reason_kb,
        },
        "timeline": _timeline(record),
        "phases": phase_entries,
        "approvals": approval_entries,
        "approval_attempts": [
            {
                "evaluated_at": _utc(a.evaluated_at),
                "doc_path": a.doc_path,
                "doc_sha256": a.doc_sha256,
                "gate": a.gate,
                "outcome": a.outcome,
                "reason": a.reason,
                "channel": a.channel,
            }
            for a in record.attempts
        ],
        "service_signatures": signatures,
        "kb_docs": kb_docs,
        "digests": {
            f"{p.phase}.{name}": value
            for p in phases
            for name, value in p.pins.items()
            if name.endswith(DIGEST_SUFFIXES) and isinstance(value, str)
        },
    }


def _failures(kb_docs: list, approval_entries: list, signatures: list) -> list[dict[str, str]]:
    """Each failed check with the STOP it makes: a KB doc, then an approval's
    signature, then a service signature."""
    found = [
        {"stop": StopCode.STOP_DRIFT_KB.name, "what": f"KB doc {d['path']}", "why": d["detail"]}
        for d in kb_docs
        if d["status"] != VERIFIED
    ]
    found += [
        {
            "stop": StopCode.STOP_APPROVAL_INVALID.name,
            "what": f"{a['gate']} approval {a['decision_id']}",
            "why": a["signature"]["detail"],
        }
        for a in approval_entries
        if a["signature"]["status"] != VERIFIED
    ]
    found += [
        {
            "stop": StopCode.STOP_INVARIANT_FAILED.name,
            "what": f"{s['principal']} signature on {s['record']} {s['record_id']}",
            "why": s["detail"],
        }
        for s in signatures
        if s["status"] != VERIFIED
    ]
    return found


def render_json(pack: dict[str, Any]) -> str:
    return json.dumps(pack, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_html(pack: dict[str, Any]) -> str:
    return _TEMPLATES.get_template("audit.html.j2").render(pack=pack)


def pack_paths(run_id: str, folder: Path) -> tuple[Path, Path]:
    return folder / f"audit-{run_id}.html", folder / f"audit-{run_id}.json"


def write_pack(pack: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Both files, new (an earlier pack is never replaced), redacted like every
    text cutter writes."""
    paths = pack_paths(pack["run"]["run_id"], folder)
    for path in paths:
        if path.exists():
            raise CutterStop(
                StopCode.STOP_REFUSED_INPUT,
                f"{sanitize_echo(str(path))} exists already; choose another --output folder",
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"--output {sanitize_echo(str(folder))} cannot be made ({err.strerror})",
        ) from None
    secrets = secrets_in_environment()
    for path, text in zip(paths, (render_html(pack), render_json(pack)), strict=True):
        write_new_file(path, redact(text, secrets).encode("utf-8"))
    return paths


def verdict_stop(pack: dict[str, Any], paths: tuple[Path, Path]) -> CutterStop | None:
    """The STOP of the first failed check (KB docs first), naming every failure's
    count and the pack; None when every check passed."""
    failures = pack["failures"]
    if not failures:
        return None
    first = failures[0]
    return CutterStop(
        StopCode[first["stop"]],
        f"audit of cut run {pack['run']['run_id']}: {len(failures)} check(s) FAILED, first "
        f"{first['what']}: {first['why']}; see {paths[0]}",
    )


@click.command("audit")
@click.option("--run-id", required=True, help="The cut run to audit.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="The folder the pack is written to (made if missing).",
)
def audit(run_id: str, output: Path) -> None:
    """Write one evidence pack of a cut run, HTML and JSON: its phase timeline,
    approvals, digests, KB doc hashes verified now and signature checks."""
    screen_text("--output", str(output))
    url = DatabaseServer(load_settings()).target_url()
    with connection(url, role=records.AUDIT_ROLE) as conn:
        record = records.read_run_record(conn, run_id)
    pack = build_pack(record, KnowledgeBase(), datetime.now(UTC))
    paths = write_pack(pack, output)
    click.echo(f"audit of cut run {record.run.run_id}: {pack['verdict']}")
    for path in paths:
        click.echo(f"  {path}")
    stop = verdict_stop(pack, paths)
    if stop is not None:
        raise stop
