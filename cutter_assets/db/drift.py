"""Every pin re-checked right before a phase works (DESIGN §0), in the
phase's own transaction where the pin lives in PostgreSQL: a drift is a
STOP with a code of its own that names what moved, before anything is
written.

- the document, its version and the vocab (STOP_DRIFT);
- the text digest recomputed from the stored text itself (STOP_DRIFT_TEXT);
- the governed functions' fingerprints (STOP_FINGERPRINT_DRIFT);
- every guard trigger present and enabled (STOP_DRIFT_TRIGGER);
- the privilege matrix, probed again (STOP_GRANT_DELTA);
- the backup file, hashed again (STOP_DRIFT_BACKUP);
- every earlier KB doc, hashed again against the ledger (STOP_DRIFT_KB);
- the structure acknowledgment a cut as found was made under: still the
  consumed SG_0 decision over the request, the anomalies mark accepted exactly
  those the request listed (STOP_DRIFT), its signed doc unchanged in the KB
  (STOP_DRIFT_KB).
"""

from __future__ import annotations

import hashlib
from typing import Any

from cutter_assets.core.grants import matrix_sha
from cutter_assets.core.legal.digests import text_digest_holds
from cutter_assets.core.phases import GATE_SG0
from cutter_assets.core.pins import drift, sha256_of
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries, survey
from cutter_assets.db.schema import live_fingerprints

# A trigger fires for ordinary sessions when it is enabled on origin or always.
ENABLED = ("O", "A")


def guard_triggers(conn) -> list[tuple[str, str, str, str]]:
    """(table, trigger, function, enabled) of every trigger on the governed tables."""
    with conn.cursor() as cur:
        cur.execute(queries.GUARD_TRIGGERS)
        return [tuple(row) for row in cur.fetchall()]


def triggers_sha(triggers: list[tuple[str, str, str, str]]) -> str:
    return sha256_of([list(t[:3]) for t in triggers])


def disabled_triggers(triggers: list[tuple[str, str, str, str]]) -> list[str]:
    return [f"{table}.{name}" for table, name, _, enabled in triggers if enabled not in ENABLED]


def recheck_pins(conn, run, earlier: dict[str, Any], kb, vault) -> None:
    """Refuse to go on if anything pinned earlier in this run has moved."""
    source = earlier.get("source_pin")
    if source is None:
        return
    _source(conn, run, source.pins)
    if "grant_probe" in earlier:
        _grants(conn, earlier["grant_probe"].pins)
    if "backup" in earlier and vault is not None:
        _backup(vault, run.run_id, earlier["backup"].pins)
    _kb_docs(kb, earlier)
    if "mark" in earlier and "payload" in earlier["structure_review"].pins:
        _structure(conn, run, earlier, kb)


def _source(conn, run, pins: dict[str, Any]) -> None:
    document = survey.find_document(conn, run.doc_code)
    latest = survey.latest_version(conn, document.id)  # its text read once, here
    # a newer version than the run's is drift of its own, below
    if latest.id == run.source_version_id and not text_digest_holds(
        latest.full_text, pins["text_sha256"]
    ):
        raise CutterStop(
            StopCode.STOP_DRIFT_TEXT,
            f"the stored text of {run.doc_code} v{latest.version_no} no longer hashes to "
            f"its pinned text_sha256 {pins['text_sha256'][:16]}",
        )
    triggers = guard_triggers(conn)
    off = disabled_triggers(triggers)
    if off or ("triggers_sha" in pins and triggers_sha(triggers) != pins["triggers_sha"]):
        moved = ", ".join(off) if off else "the set of guard triggers changed"
        raise CutterStop(StopCode.STOP_DRIFT_TRIGGER, f"guard triggers moved: {moved}")
    with conn.cursor() as cur:
        fingerprints = live_fingerprints(cur)
    if sha256_of(fingerprints) != pins.get("fingerprints_sha"):
        raise CutterStop(
            StopCode.STOP_FINGERPRINT_DRIFT,
            "a governed function was redefined since source_pin (fingerprints_sha differs)",
        )
    live = {
        "source_document_id": document.id,
        "source_version_id": latest.id,
        "text_sha256": latest.text_sha256,
        "vocab_sha": sha256_of(survey.vocab(conn)),
    }
    differences = drift({k: pins.get(k) for k in live}, live)
    if differences:
        raise CutterStop(
            StopCode.STOP_DRIFT, "live state moved since source_pin: " + "; ".join(differences)
        )


def _grants(conn, pins: dict[str, Any]) -> None:
    live = survey.privilege_matrix(conn)
    if matrix_sha(live) != pins["grant_matrix_sha"]:
        raise CutterStop(
            StopCode.STOP_GRANT_DELTA,
            f"the privilege matrix moved since grant_probe ({len(live)} privileges now, "
            f"{pins.get('grant_lines')} pinned)",
        )


def _backup(vault, run_id: str, pins: dict[str, Any]) -> None:
    try:
        record = vault.verify(run_id)
    except CutterStop as stop:
        raise CutterStop(StopCode.STOP_DRIFT_BACKUP, stop.detail) from None
    if record.sha256 != pins["backup_sha256"]:
        raise CutterStop(
            StopCode.STOP_DRIFT_BACKUP,
            f"the backup of run {run_id} is not the one pinned "
            f"({record.sha256[:16]} now, {pins['backup_sha256'][:16]} pinned)",
        )


def _kb_docs(kb, earlier: dict[str, Any]) -> None:
    for phase, record in earlier.items():
        if not record.kb_doc_path:
            continue
        if not kb.resolve(record.kb_doc_path).exists():
            kb.recover_pending(record.kb_doc_path, record.kb_doc_sha256)
        _kb_doc(kb, f"the {phase} doc", record.kb_doc_path, record.kb_doc_sha256)


def _kb_doc(kb, what: str, path: str, sha256: str) -> None:
    """STOP_DRIFT_KB unless the KB doc at ``path`` still hashes to ``sha256``."""
    try:
        data = kb.read(path)
    except (CutterStop, OSError) as err:
        raise CutterStop(StopCode.STOP_DRIFT_KB, f"{what} {path}: {err}") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise CutterStop(
            StopCode.STOP_DRIFT_KB, f"{what} {path} changed after the ledger recorded it"
        )


def _structure(conn, run, earlier: dict[str, Any], kb) -> None:
    """The SG_0 acknowledgment mark cut the text as found under (the review
    asked for one): the run's consumed SG_0 decision, over the requested
    payload, with its signed doc as recorded; and mark accepted exactly the
    anomalies the request listed."""
    request = earlier["structure_review"].pins
    mark = earlier["mark"].pins
    with conn.cursor() as cur:
        cur.execute(queries.CONSUMED_DECISION_OF_RUN, {"run_id": run.run_id, "gate": GATE_SG0})
        decision = cur.fetchone()
    accepted = [(a["kind"], a["line"], a["sha256"]) for a in mark["accepted_anomalies"]]
    listed = [(a["kind"], a["line"], a["sha256"]) for a in request["payload"]["anomalies"]]
    if (
        decision is None
        or decision[0] != mark.get("sg0_decision")
        or decision[1] != request["payload_sha"]
        or accepted != listed
    ):
        raise CutterStop(
            StopCode.STOP_DRIFT,
            "the structure acknowledgment moved since mark: the anomalies cut as found are not "
            "exactly those of the consumed SG_0 decision over the request",
        )
    _kb_doc(kb, "the SG_0 acknowledgment", decision[2], decision[3])
