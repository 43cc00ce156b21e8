"""Batches through the real daemon on the project's instance, whose
DefaultRunLauncher starts a process per run: one command cuts several
documents, each an ordinary cut run carried by a Dagster run of its own that
the run queue launches, at most N of the batch at a time and never two runs
of one document at once; it prints its progress and each member's next step,
quarantines the member that failed, and the next batch skips that document
until it is released. A live batch stops every member at its SG_1 request:
a batch never approves anything."""

from __future__ import annotations

import psycopg2
from dagster import DagsterRunStatus, RunsFilter
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.storage.tags import PARTITION_NAME_TAG
from dagster._core.utils import make_new_run_id

from cutter_assets.app.batch import submitter
from cutter_assets.app.orchestration import project_instance
from cutter_assets.core.stops import StopCode
from cutter_assets.db import batch as batches
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.stops import BATCH_TAG
from tests.assets.flow import count, rehearse
from tests.assets.harness import register
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
WAITING_ON_CUTPLAN = (
    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "WHERE c.relname = 'cutplan_row' AND NOT l.granted"
)


class CutplanHeld:
    """The cut plan's table locked: a cut run's cutplan phase waits inside
    itself (holding its cut run's row) until ``release``."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.blocker = psycopg2.connect(db_url)
        self.blocker.cursor().execute(
            "LOCK TABLE cutter_governance.cutplan_row IN SHARE ROW EXCLUSIVE MODE"
        )

    def waiting(self) -> int:
        """How many phases wait for the table."""
        return count(self.db_url, WAITING_ON_CUTPLAN)

    def release(self) -> None:
        if not self.blocker.closed:
            self.blocker.rollback()
            self.blocker.close()


def _listing(tmp_path, codes: list[str]) -> str:
    path = tmp_path / "documents.txt"
    path.write_text("# the batch\n" + "\n".join(codes) + "\n", encoding="utf-8")
    return str(path)


def _batch_id(out: str) -> str:
    return next(line.split()[1] for line in out.splitlines() if line.startswith("batch "))


def _most_at_once(records) -> int:
    """The most runs in progress at one moment, from their recorded start and
    end (a run that ends as another starts is not counted twice)."""
    edges = sorted(
        [(r.start_time, 1) for r in records] + [(r.end_time, -1) for r in records],
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def members_of(batch_id: str) -> list[batches.Member]:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return batches.members(conn, batch_id)


def _queue_another_rehearsal_of(code: str) -> str:
    """A run of the document's partition queued outside the batch (as the UI
    would): it must never run beside the batch's run of the same document."""
    instance = project_instance()
    try:
        dagster_run_id = make_new_run_id()
        with submitter(instance) as queue:
            queue.submit(dagster_run_id, "dryrun", {PARTITION_NAME_TAG: code})
        return dagster_run_id
    finally:
        instance.dispose()


def test_a_batch_cuts_its_documents_through_the_daemon_and_quarantines_a_failure(
    cli, cutter_env, db_url, tmp_path
):
    good = ["BT-ONE", "BT-TWO", "BT-THREE"]
    for code in good:
        register(db_url, code, SMALL_LAW)
    register(db_url, "BT-CAPPED", SMALL_LAW, max_units=1)  # mark stops it: over its cap
    beside = _queue_another_rehearsal_of("BT-ONE")

    argv = ("--document-ids", _listing(tmp_path, [*good, "BT-CAPPED"]), "--max-concurrent", "2")
    exit_code, out, err = cli("orchestrate", "batch", *argv)

    assert exit_code == StopCode.STOP_STRUCTURE.exit_code, err
    assert err.startswith("STOP_STRUCTURE: batch ") and "1 of 4 member(s) not done" in err
    batch_id = _batch_id(out)
    assert "done 3 · quarantined 1 |" in out  # the last progress line
    assert "next: cut it for real: cutter orchestrate cut --document-id BT-ONE --mode live" in out
    assert "next: fix the cause, then release it" in out and "doc release BT-CAPPED" in out

    members = members_of(batch_id)
    assert [(m.doc_code, m.state) for m in members] == [
        ("BT-ONE", "COMPLETED"),
        ("BT-TWO", "COMPLETED"),
        ("BT-THREE", "COMPLETED"),
        ("BT-CAPPED", "STOPPED"),
    ]
    assert members[3].stop_code == "STOP_STRUCTURE" and members[3].quarantined
    for code in [*good, "BT-CAPPED"]:  # one cut run each, the member's
        opened = "SELECT count(*) FROM cutter_governance.orchestrator_run WHERE doc_code = %s"
        assert count(db_url, opened + " AND actor <> 'dagster-ui'", (code,)) == 1

    instance = project_instance()
    try:
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        records = instance.get_run_records(RunsFilter(tags={BATCH_TAG: batch_id}))
        assert {r.dagster_run.run_id for r in records} == {m.dagster_run_id for m in members}
        for record in records:
            tags = record.dagster_run.tags
            assert tags["cutter/batch-max-2"] == batch_id
            assert tags[PARTITION_NAME_TAG] == tags["cutter/doc_code"]
            assert record.dagster_run.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)
        assert _most_at_once(records) <= 2
        same_document = [r for r in records if r.dagster_run.tags["cutter/doc_code"] == "BT-ONE"]
        same_document.append(instance.get_run_record_by_id(beside))
        assert same_document[1].dagster_run.is_finished
        assert _most_at_once(same_document) == 1
    finally:
        instance.dispose()

    # the next batch skips the quarantined document until it is released
    again = ("--document-ids", _listing(tmp_path, ["BT-CAPPED"]))
    exit_code, _, err = cli("orchestrate", "batch", *again)
    assert exit_code == StopCode.STOP_STATE.exit_code
    assert f"BT-CAPPED: quarantined by batch {batch_id} (STOP_STRUCTURE: " in err
    exit_code, out, _ = cli("orchestrate", "inspect", "--batch-id", batch_id)
    assert exit_code == 0 and "members   done 3, quarantined 1" in out
    exit_code, out, _ = cli("doc", "release", "BT-CAPPED")
    assert exit_code == 0 and "released  BT-CAPPED" in out
    with RESOURCES["database"].transaction(commit=False) as conn:
        pending = batches.pending(conn, "dryrun")
    assert "BT-CAPPED" in pending and not set(good) & set(pending)


def test_a_live_batch_stops_every_member_at_its_sg1_request(cli, cutter_env, db_url):
    codes = ["BT-LIVE-A", "BT-LIVE-B"]
    for code in codes:
        register(db_url, code, SMALL_LAW)
        rehearse(code)  # green: the documents wait for a live cut now
    decisions = "SELECT count(*) FROM cutter_governance.review_decision"
    before = count(db_url, decisions)

    argv = ("--all-pending", "--mode", "live", "--max-concurrent", "1", "--on-failure", "continue")
    exit_code, out, err = cli("orchestrate", "batch", *argv)

    assert exit_code == 0, err
    members = members_of(_batch_id(out))
    assert {m.doc_code for m in members} >= set(codes)  # and any other green document
    assert f"done {len(members)} |" in out and "approve draft --run-id" in out  # next: SG_1
    assert {m.state for m in members} == {"AWAITING_CUT_AUTHORIZATION"}
    assert count(db_url, decisions) == before  # nothing approved
    instance = project_instance()
    try:
        records = instance.get_run_records(RunsFilter(tags={BATCH_TAG: _batch_id(out)}))
        assert _most_at_once(records) == 1
    finally:
        instance.dispose()
