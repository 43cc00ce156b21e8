"""Starting a cut run: the one place a run id is minted, its ledger row
opened (STOP_REPLAY_CONFLICT if another is open) and its KB folder claimed."""

from __future__ import annotations

from dataclasses import dataclass

from cutter_assets.core.ids import uuid7, uuid7_datetime
from cutter_assets.core.intake import check_doc_code
from cutter_assets.core.phases import Mode
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger, survey
from cutter_assets.resources.kb import KnowledgeBase

MODES = Mode.ALL
SCOPES = ("enacted_only", "all")


@dataclass(frozen=True)
class StartedRun:
    run_id: str
    doc_code: str
    mode: str
    kb_folder: str
    source_version_id: str


def start_cut_run(
    conn, kb: KnowledgeBase, doc_code: str, *, mode: str, actor: str, scope: str = "enacted_only"
) -> StartedRun:
    """Open a run for the document's latest version in the caller's transaction."""
    check_doc_code(doc_code)
    if mode not in MODES or scope not in SCOPES:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"mode must be one of {MODES}, scope one of {SCOPES}"
        )
    document = survey.find_document(conn, doc_code)
    version = survey.latest_version(conn, document.id)
    run_id = uuid7()
    ledger.open_run(
        conn,
        run_id=str(run_id),
        document_id=document.id,
        version_id=version.id,
        doc_code=doc_code,
        mode=mode,
        scope=scope,
        actor=actor,
    )
    folder = kb.claim_run_folder(doc_code, version.text_sha256, uuid7_datetime(run_id), mode)
    ledger.set_kb_folder(conn, str(run_id), folder)
    return StartedRun(str(run_id), doc_code, mode, folder, version.id)
