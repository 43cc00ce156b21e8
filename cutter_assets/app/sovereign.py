"""The sovereign's side: drafting and signing approval docs, and arming the
kill switch for one run."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cutter_assets.core import approvals as core
from cutter_assets.core.phases import (
    AWAITED,
    GATE,
    GATE_BY_SHORT,
    REHEARSED_GATES,
    REQUEST_PHASE,
    Mode,
    RunState,
)
from cutter_assets.core.pins import sha256_of
from cutter_assets.core.reports import approval_stem
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger, switch
from cutter_assets.db.connection import connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings
from cutter_assets.resources import RESOURCES
from cutter_assets.signing.documents import SigningKeyRefused, gpg_sign, signing_key, stub_sign

CLOSED = (RunState.COMPLETED, RunState.VOIDED, RunState.STOPPED)
_PAYLOAD_LINE = re.compile(r"^> payload_sha\s*:\s*([0-9a-f]{64})\s*$", re.M)


def draft_approval(run_id: str, gate: str, approver: str) -> str:
    """The doc to sign; payload_sha is read from the run's request doc in the KB
    and must equal the ledger's pin and the sha256 of the payload the ledger
    holds (else STOP_DRIFT); an SG_0 acknowledgment lists that payload's text
    and anomalies. An approver that is not one line of text is
    STOP_REFUSED_INPUT before anything is read; a run that is not awaiting the
    gate is STOP_STATE (its approval could never be used)."""
    try:
        core.check_header_value("approver", approver)
    except core.ApprovalRefused as refused:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, str(refused)) from None
    gate_name = GATE_BY_SHORT[gate].name
    with RESOURCES["database"].transaction(commit=False) as conn:
        run = ledger.get_run(conn, run_id)
        require_awaiting(run, gate_name)
        request = ledger.phases(conn, run_id).get(REQUEST_PHASE[gate_name])
    if request is None:
        raise CutterStop(StopCode.STOP_STATE, f"run {run_id} has not requested {gate}")
    text = RESOURCES["kb"].read(request.kb_doc_path).decode("utf-8")
    found = _PAYLOAD_LINE.search(text)
    if found is None or found.group(1) != request.pins["payload_sha"]:
        raise CutterStop(
            StopCode.STOP_DRIFT, f"the {gate} request doc and the ledger disagree on payload_sha"
        )
    if sha256_of(request.pins["payload"]) != request.pins["payload_sha"]:
        raise CutterStop(
            StopCode.STOP_DRIFT, f"the {gate} request's payload no longer hashes to its payload_sha"
        )
    try:
        return core.draft(
            gate=gate_name,
            run_id=run_id,
            payload_sha=found.group(1),
            approver=approver,
            signed_utc=datetime.now(UTC),
            doc_code=run.doc_code,
            payload=request.pins["payload"],
        )
    except core.ApprovalRefused as refused:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, str(refused)) from None


def sign_approval(text: str, fingerprint: str | None, provider: str) -> str:
    """Sign a drafted approval and place it, write-once, in its run's KB folder.

    With gpg the key must be one secret key of the keyring whose fingerprint
    is on the sovereign allow-list, checked before the ledger is read, and the
    signature must be that key's (never gpg's default key); STOP_REFUSED_INPUT
    otherwise. A run that is not awaiting the doc's gate is STOP_STATE."""
    try:
        header = core.parse(text)
    except core.ApprovalRefused as refused:
        raise CutterStop(StopCode.STOP_APPROVAL_INVALID, str(refused)) from None
    key = _sovereign_key(fingerprint) if provider == "gpg" else None
    with RESOURCES["database"].transaction(commit=False) as conn:
        run = ledger.get_run(conn, header.run_id)
    require_awaiting(run, header.gate)
    if key is None and run.mode == Mode.LIVE and header.gate in REHEARSED_GATES:
        raise CutterStop(
            StopCode.STOP_APPROVAL_INVALID,
            f"a live run's {GATE[header.gate].short} is signed with gpg (--key FPR); "
            "the stub signs a rehearsal's only",
        )
    if key is not None:
        try:
            signed = gpg_sign(text, key, allowed=load_settings().sovereign_fingerprints)
        except SigningKeyRefused as refused:
            raise CutterStop(StopCode.STOP_REFUSED_INPUT, str(refused)) from None
        except ValueError as err:
            raise CutterStop(StopCode.STOP_APPROVAL_INVALID, str(err)) from None
    else:
        signed = stub_sign(text, header.approver)
    now = datetime.now(UTC)
    kb = RESOURCES["kb"]
    stem = f"{run.kb_folder}/{approval_stem(header.gate)}-{now:%Y%m%d}"
    for name in (f"{stem}.md", f"{stem}-{now:%H%M%S}.md"):
        if not kb.resolve(name).exists():
            return kb.write_once(name, signed).path
    raise CutterStop(StopCode.STOP_KB_UPLOAD, f"{stem}.md already exists")


def require_awaiting(run: ledger.Run, gate: str) -> None:
    """A live run awaiting ``gate`` is the only one an approval can serve
    (DESIGN §4: a rehearsal needs none), or a rehearsal awaiting the structure
    review (it waits there too); STOP_STATE, one line, otherwise."""
    if run.mode == Mode.DRYRUN and gate not in REHEARSED_GATES:
        raise CutterStop(
            StopCode.STOP_STATE, f"run {run.run_id} is a rehearsal (dryrun); it is never approved"
        )
    if run.state != AWAITED[gate]:
        stopped = f" ({run.stop_code})" if run.stop_code else ""
        raise CutterStop(
            StopCode.STOP_STATE,
            f"run {run.run_id} is {run.state}{stopped}, not awaiting {GATE[gate].short}",
        )


def _sovereign_key(key: str | None) -> str:
    """The full fingerprint of the allow-listed secret key ``--key`` names."""
    if not key:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, "--key FPR is needed to sign with gpg")
    try:
        return signing_key(key, allowed=load_settings().sovereign_fingerprints)
    except SigningKeyRefused as refused:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, str(refused)) from None


# ---- the kill switch -------------------------------------------------------------
def _admin():
    return connection(DatabaseServer(load_settings()).target_url())


def arm(run_id: str | None) -> str:
    """Arm execution for one live run (or the next live run that writes).
    A closed run (COMPLETED, VOIDED, STOPPED) or a rehearsal never writes
    under the switch: STOP_STATE, so no switch is left armed for nothing."""
    with _admin() as conn:
        if run_id is not None:
            _require_armable(ledger.get_run(conn, run_id))
        switch.arm(conn, run_id)
        conn.commit()
    target = f"run {run_id}" if run_id else "the next live run that writes"
    return f"execution armed for {target}; it disarms itself when that run closes or stops"


def _require_armable(run: ledger.Run) -> None:
    if run.mode == Mode.DRYRUN:
        raise CutterStop(
            StopCode.STOP_STATE, f"run {run.run_id} is a rehearsal (dryrun); it writes nothing"
        )
    if run.state in CLOSED:
        stopped = f" ({run.stop_code})" if run.stop_code else ""
        raise CutterStop(
            StopCode.STOP_STATE, f"run {run.run_id} is {run.state}{stopped}; it writes nothing more"
        )


def disarm() -> str:
    with _admin() as conn:
        count = switch.disarm(conn, "disabled by hand")
        conn.commit()
    return f"execution disarmed ({count} switch)"


def switch_status() -> str:
    with _admin() as conn:
        row = switch.armed(conn)
    if row is None:
        return "execution disarmed (at rest)"
    return f"execution ARMED since {row[1]:%Y-%m-%d %H:%M} for {row[0] or 'the next live run'}"
