"""Signed approvals dropped into the KB continue their cut run.

The cursor holds every approval doc already evaluated: its KB path, the
mtime and size it had when read, its sha256 and the reason it was refused
(none when accepted). A tick stats the docs and reads only a new or changed
one, so a tick with nothing new costs a directory walk, never a read or a
hash; bytes already evaluated (a doc touched, or copied under another name)
are not evaluated again.

A new doc is validated and recorded (``review_decision``) and a RunRequest
starts the partition's next stage, with ``run_key`` = the doc's sha256; an
invalid doc is refused with its reason (``approval_attempt`` row and a log
line), never silently skipped and never a run. A doc for a run that is not
awaiting its gate (VOIDED, STOPPED, COMPLETED, or at another gate) is such a
refusal, also when a tick recorded it and failed before its run was
requested: it is requested again only while its run still awaits the gate
(its stage would only fail otherwise). A path that is not a regular file of
at most ``MAX_DOC_BYTES`` (a FIFO, device, socket, symlink) is refused with a
log line at once, never read (a FIFO would block the sensor for good).

A tick that requests no run says why in its skip reason, which the sensor's
page in the UI shows: each doc it refused with its one line, else that
nothing is new, naming the newest doc evaluated when that one was refused
(so a refusal stays in sight until a newer doc is evaluated).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple, dataclass, replace
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from cutter_assets.core.approvals import MAX_DOC_BYTES, ApprovalRefused
from cutter_assets.core.phases import AWAITED
from cutter_assets.core.stops import CutterStop
from cutter_assets.db import approvals, ledger
from cutter_assets.graph.jobs import (
    enact_job,
    job_after,
    rehearsal_after_review_job,
    survey_after_review_job,
    write_job,
)
from cutter_assets.graph.partitions import MODE_TAG, RUN_ID_TAG, documents
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import LAWS_DIR, KnowledgeBase

APPROVAL_GLOB = "*/*/SG[012]-*-approval-*.md"
REFUSAL_CHARS = 300  # of a refusal's reason, in the cursor and the skip reason
DESCRIPTION = (
    "Continues a cut run when its signed approval lands in the KB: SG_0 (the structure "
    "review; a rehearsal's too) goes on with the survey or the rehearsal, SG_1 or SG_2 of a "
    "live run starts the write or enact stage; a refused approval is this sensor's skip reason."
)


@dataclass(frozen=True)
class Evaluated:
    """An approval doc a tick evaluated, as the cursor keeps it."""

    path: str
    mtime_ns: int
    size: int
    sha256: str
    refusal: str | None = None  # why it was refused; None: accepted


@sensor(
    jobs=[write_job, enact_job, survey_after_review_job, rehearsal_after_review_job],
    minimum_interval_seconds=1,  # an idle tick only stats; the daemon's loop sets the real pace
    default_status=DefaultSensorStatus.RUNNING,
    description=DESCRIPTION,
)
def approval_sensor(context: SensorEvaluationContext, database: CutterDatabase, kb: KnowledgeBase):
    tick = _Tick(context, database, kb)
    root = kb.root_path()
    for path in sorted((root / LAWS_DIR).glob(APPROVAL_GLOB)):
        tick.visit(path, str(path.relative_to(root)))
    return tick.result()


class _Tick:
    """One evaluation: the docs the cursor keeps, the runs requested, the refusals."""

    def __init__(
        self, context: SensorEvaluationContext, database: CutterDatabase, kb: KnowledgeBase
    ):
        self.context, self.database, self.kb = context, database, kb
        self.before, self.digests = _read_cursor(context.cursor)
        self.kept: list[Evaluated] = []
        self.requests: list[RunRequest] = []
        self.refusals: list[str] = []

    def visit(self, path: Path, relative: str) -> None:
        """Evaluate the doc unless the cursor holds it as it is now."""
        try:
            stat = path.lstat()
        except FileNotFoundError:
            return  # gone since the directory was read
        known = self.before.get(relative)
        if known is not None and (known.mtime_ns, known.size) == (stat.st_mtime_ns, stat.st_size):
            self.kept.append(known)
            return
        try:
            data = self.kb.read(relative, cap=MAX_DOC_BYTES)
        except (CutterStop, OSError) as refused:
            self._refuse(relative, f"refused unread: {str(refused)[:REFUSAL_CHARS]}")
            return  # never in the cursor: refused again while it is there
        seen = Evaluated(relative, stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest())
        if seen.sha256 not in self.digests:
            self.digests.add(seen.sha256)
            seen = self._evaluate(seen)
        self.kept.append(seen)

    def _evaluate(self, seen: Evaluated) -> Evaluated:
        """Request the doc's run, or refuse it; the doc as the cursor keeps it."""
        try:
            decision = _decision(self.database, self.kb.root_path(), seen.path, seen.sha256)
        except ApprovalRefused as refused:
            reason = str(refused)[:REFUSAL_CHARS]
            self._refuse(seen.path, f"refused: {reason}")
            return replace(seen, refusal=reason)
        self.context.log.info(f"approval {seen.path} accepted for run {decision.run_id}")
        self.requests.append(
            RunRequest(
                run_key=seen.sha256,
                job_name=job_after(decision.gate, decision.mode),
                partition_key=decision.doc_code,
                tags={RUN_ID_TAG: decision.run_id, MODE_TAG: decision.mode},
            )
        )
        return seen

    def _refuse(self, relative: str, why: str) -> None:
        self.context.log.warning(f"approval {relative} {why}")
        self.refusals.append(f"{relative} {why}")

    def result(self) -> SensorResult:
        return SensorResult(
            run_requests=self.requests,
            skip_reason=None if self.requests else _skip_reason(self.refusals, self.kept),
            cursor=json.dumps([astuple(doc) for doc in self.kept]),
            dynamic_partitions_requests=_partitions_for(self.context, self.requests),
        )


def _read_cursor(cursor: str | None) -> tuple[dict[str, Evaluated], set[str]]:
    """The docs the cursor holds, by path, and every sha256 already evaluated
    (a cursor written before stats were kept is a bare list of sha256s)."""
    entries = json.loads(cursor or "[]")
    docs = {row[0]: Evaluated(*row) for row in entries if isinstance(row, list)}
    legacy = {entry for entry in entries if isinstance(entry, str)}
    return docs, legacy | {doc.sha256 for doc in docs.values()}


def _decision(database: CutterDatabase, root: Path, relative: str, digest: str):
    """The doc's decision: the one a tick recorded and failed before its run was
    requested, while that run still awaits the gate; else the doc evaluated now
    (ApprovalRefused with the reason, recorded as an attempt)."""
    decision = approvals.recorded_unconsumed(database, digest)
    if decision is not None and _still_awaited(database, decision):
        return decision
    return approvals.evaluate(database, root, relative, channel="sensor")


def _still_awaited(database: CutterDatabase, decision: approvals.Decision) -> bool:
    """The decision's run still awaits the decision's gate."""
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, decision.run_id)
    return run.state == AWAITED[decision.gate]


def _skip_reason(refusals: list[str], kept: list[Evaluated]) -> str:
    """Why a tick requested no run, as the sensor's page shows it."""
    if refusals:
        return f"{len(refusals)} approval doc(s) refused: " + "; ".join(refusals)
    reason = f"no new approval doc ({len(kept)} evaluated)"
    newest = max(kept, key=lambda doc: doc.mtime_ns, default=None)
    if newest is not None and newest.refusal:
        reason += f"; the newest, {newest.path}, was refused: {newest.refusal}"
    return reason


def _partitions_for(context: SensorEvaluationContext, requests: list[RunRequest]) -> list:
    """The partition each requested run needs, added with the request when it is
    missing, whatever sensor ran first."""
    missing = sorted(
        {
            request.partition_key
            for request in requests
            if not context.instance.has_dynamic_partition(documents.name, request.partition_key)
        }
    )
    return [documents.build_add_request(missing)] if missing else []
