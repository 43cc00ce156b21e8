"""Signed approvals dropped into the KB continue their cut run.

A cursor remembers every approval doc already evaluated (by sha256). A new
doc is validated and recorded (``review_decision``) and a RunRequest starts
the partition's next stage, with ``run_key`` = the doc's sha256; an invalid
doc is refused with its reason (``approval_attempt`` row and a log line),
never silently skipped and never a run. A doc for a run that is not awaiting
its gate (VOIDED, STOPPED, COMPLETED, or at another gate) is such a refusal,
also when a tick recorded it and failed before its run was requested: it is
requested again only while its run still awaits the gate (its stage would
only fail otherwise). A path that is not a regular file of
at most ``MAX_DOC_BYTES`` (a FIFO, device, socket, symlink) is refused with a
log line at once, never read (a FIFO would block the sensor for good).
"""

import hashlib
import json

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
from cutter_assets.graph.jobs import JOB_AFTER_GATE, enact_job, write_job
from cutter_assets.graph.partitions import MODE_TAG, RUN_ID_TAG, documents
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import LAWS_DIR, KnowledgeBase

APPROVAL_GLOB = "*/*/SG[12]-*-approval-*.md"


@sensor(
    jobs=[write_job, enact_job],
    minimum_interval_seconds=5,
    default_status=DefaultSensorStatus.RUNNING,
)
def approval_sensor(context: SensorEvaluationContext, database: CutterDatabase, kb: KnowledgeBase):
    root = kb.root_path()
    seen = set(json.loads(context.cursor or "[]"))
    requests, documents_needed = [], set()
    for path in sorted((root / LAWS_DIR).glob(APPROVAL_GLOB)):
        relative = path.relative_to(root)
        try:
            data = kb.read(str(relative), cap=MAX_DOC_BYTES)
        except (CutterStop, OSError) as refused:
            context.log.warning(f"approval {relative} refused unread: {refused}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        # recorded by a tick that failed before its run was requested: request it again,
        # unless its run moved on (then evaluate() refuses it and records the reason)
        decision = approvals.recorded_unconsumed(database, digest)
        if decision is None or not _still_awaited(database, decision):
            try:
                decision = approvals.evaluate(database, root, relative, channel="sensor")
            except ApprovalRefused as refused:
                context.log.warning(f"approval {relative} refused: {refused}")
                continue
        context.log.info(f"approval {relative} accepted for run {decision.run_id}")
        documents_needed.add(decision.doc_code)
        requests.append(
            RunRequest(
                run_key=digest,
                job_name=JOB_AFTER_GATE[decision.gate],
                partition_key=decision.doc_code,
                tags={RUN_ID_TAG: decision.run_id, MODE_TAG: decision.mode},
            )
        )
    # the partition must exist before its run is requested, whatever sensor ran first
    new_partitions = sorted(
        code
        for code in documents_needed
        if not context.instance.has_dynamic_partition(documents.name, code)
    )
    return SensorResult(
        run_requests=requests,
        cursor=json.dumps(sorted(seen)),
        dynamic_partitions_requests=[documents.build_add_request(new_partitions)]
        if new_partitions
        else [],
    )


def _still_awaited(database: CutterDatabase, decision: approvals.Decision) -> bool:
    """The decision's run still awaits the decision's gate."""
    with database.transaction(commit=False) as conn:
        run = ledger.get_run(conn, decision.run_id)
    return run.state == AWAITED[decision.gate]
