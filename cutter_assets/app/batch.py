"""Batches (seed O5): many documents cut at once, each an ordinary cut run
carried by a Dagster run of its own that the daemon launches.

``orchestrate batch`` records the batch and its members in the ledger, then,
member by member, opens the member's cut run, links the two (once), and
submits a run of the job that opens a cut run in the batch's mode
(``rehearsal`` for dryrun, ``survey`` for live) to the instance's
QueuedRunCoordinator, as ``dagster job launch`` does. The daemon launches
them (a process per run with the DefaultRunLauncher, a Kubernetes Job with
the production profile) under the coordinator's tag concurrency limits: one
run per document (its partition), at most N per batch (the tag
``cutter/batch-max-N``). Nothing here waits for a slot or launches a run: the
progress display only reads the ledger and the runs' statuses. A batch never
approves anything: a live member stops at its SG_1 request like any cut.

A failed member meets the batch's policy in the stop sensor, in the daemon,
whether this command still runs or not (sensors/stops.py). ``resume-batch``
fails the runs whose worker died with their daemon, releases a strict
batch's held runs, submits what was never submitted (a member's cut run is
opened once, and its Dagster run keeps the id the ledger recorded with it),
and follows the batch again; ``inspect --batch-id`` shows each member's state
and the next step.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import GRPC_INFO_TAG, PARTITION_NAME_TAG
from dagster._core.utils import make_new_run_id

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import next_action, project_instance
from cutter_assets.core.commands import command
from cutter_assets.core.ids import uuid7
from cutter_assets.core.intake import (
    check_doc_code,
    decode_document,
    read_input_file,
    sanitize_echo,
)
from cutter_assets.core.phases import Mode, RunState
from cutter_assets.core.refusals import screen_text
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import batch as batches
from cutter_assets.db import ledger, survey
from cutter_assets.db.server import DatabaseServer
from cutter_assets.graph.jobs import launch_config
from cutter_assets.graph.partitions import MODE_TAG, RUN_ID_TAG, documents
from cutter_assets.platform.settings import PROJECT_ROOT, load_settings
from cutter_assets.resources import RESOURCES
from cutter_assets.runs.start import start_cut_run
from cutter_assets.sensors.stops import BATCH_TAG, HELD, HOLD_TAG, hold_queued, release_held

JOB_OF_MODE = {Mode.DRYRUN: "rehearsal", Mode.LIVE: "survey"}
DOC_TAG = "cutter/doc_code"
SLOTS_TAG = "cutter/batch-max-"  # + N: the per-batch limit (instance/dagster.yaml)
# What a member has reached when its run did what a batch asks of it: a green
# rehearsal, or a live survey up to its SG_1 request (and anything after it).
REACHED = {
    Mode.DRYRUN: {RunState.COMPLETED},
    Mode.LIVE: {
        RunState.AWAITING_CUT_AUTHORIZATION,
        RunState.WRITING,
        RunState.AWAITING_LIFECYCLE_AUTHORIZATION,
        RunState.ENACTING,
        RunState.COMPLETED,
    },
}
# A member's state, as the progress display and inspect name it.
DONE, FAILED, QUARANTINED = "done", "failed", "quarantined"
STOPPING, RUNNING, QUEUED, HELD_STATE, WAITING = "stopping", "running", "queued", "held", "waiting"
STATES = (DONE, FAILED, QUARANTINED, STOPPING, RUNNING, QUEUED, HELD_STATE, WAITING)
MOVING = {STOPPING, RUNNING, QUEUED}  # what the daemon still carries on by itself
FINAL = {RunState.STOPPED, RunState.VOIDED, RunState.COMPLETED}
REFRESH_SECONDS = 1.0
# A member whose Dagster run ended this long ago is not waited for any more:
# what the stop sensor did not record by then, it did not record.
STOP_GRACE_SECONDS = 120
# The run-queue daemon beats every 30 s; a beat older than this means none runs.
HEARTBEAT_SECONDS = 45
WORKER_GONE = (
    "its worker is gone: the code server that ran it no longer answers (its daemon was "
    "stopped); failed by resume-batch"
)


@dataclass(frozen=True)
class MemberState:
    seq: int
    doc_code: str
    run_id: str | None
    state: str  # one of STATES
    detail: str
    stop_code: str | None = None  # its cut run's STOP


# ---- which documents -----------------------------------------------------------
def documents_in(path: Path) -> list[str]:
    """The document codes listed in the file at ``path``, one a line (blank
    lines and ``#`` comments skipped), each checked, none twice."""
    settings = load_settings()
    data = read_input_file(path, settings.max_doc_bytes)
    name = sanitize_echo(path.name)
    text = decode_document(data, max_bytes=settings.max_doc_bytes, name=path.name).text
    codes = [line.strip() for line in text.splitlines()]
    codes = [check_doc_code(code) for code in codes if code and not code.startswith("#")]
    twice = sorted(code for code, n in Counter(codes).items() if n > 1)
    if twice:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"{name} lists {', '.join(twice)} twice")
    if not codes:
        raise CutterStop(StopCode.STOP_EMPTY_INPUT, f"{name} lists no document code")
    return codes


def pending_documents(mode: str) -> list[str]:
    """Every registered document whose latest version waits for a cut in ``mode``."""
    with RESOURCES["database"].transaction(commit=False) as conn:
        return batches.pending(conn, mode)


# ---- opening a batch -------------------------------------------------------------
def batch_limits(instance: DagsterInstance) -> list[int]:
    """The N a batch may ask for: the per-batch rules of the run coordinator."""
    queue = instance.get_concurrency_config().run_queue_config
    if queue is None:
        raise CutterStop(StopCode.STOP_CONFIG, "the Dagster instance has no run queue")
    return sorted(
        rule["limit"]
        for rule in queue.tag_concurrency_limits
        if rule["key"] == f"{SLOTS_TAG}{rule['limit']}"
        and isinstance(rule.get("value"), dict)
        and rule["value"].get("applyLimitPerUniqueValue")
    )


def open_new_batch(
    doc_codes: list[str], *, mode: str, on_failure: str, max_concurrent: int, actor: str
) -> tuple[str, list[str]]:
    """Record the batch with the documents that can be cut now; its id and a
    line for each document left out (quarantined, or held by a cut run)."""
    instance = project_instance()
    try:
        limits = batch_limits(instance)
    finally:
        instance.dispose()
    if max_concurrent not in limits:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"--max-concurrent must be one of {', '.join(map(str, limits))} (the per-batch "
            "limits of the instance's run coordinator)",
        )
    RESOURCES["vault"].require_recipient()  # a missing backup key stops before anything is written
    with RESOURCES["database"].transaction() as conn:
        for code in doc_codes:
            survey.find_document(conn, code)  # STOP_DOCUMENT_UNKNOWN, with the nearest codes
        skipped = _left_out(conn, doc_codes)
        members = [code for code in doc_codes if code not in skipped]
        if not members:
            raise CutterStop(StopCode.STOP_STATE, "nothing to cut: " + "; ".join(skipped.values()))
        batch_id = str(uuid7())
        batches.open_batch(
            conn,
            batch_id=batch_id,
            mode=mode,
            on_failure=on_failure,
            max_concurrent=max_concurrent,
            actor=actor,
            doc_codes=members,
        )
    return batch_id, list(skipped.values())


def _left_out(conn, doc_codes: list[str]) -> dict[str, str]:
    """Why each document that cannot be a member now is left out."""
    why = {
        code: f"{code}: quarantined by batch {held.batch_id} ({held.reason}); release it: "
        + command(f"doc release {code}")
        for code, held in batches.quarantined(conn, doc_codes).items()
    }
    for code in doc_codes:
        runs = ledger.open_runs(conn, code)
        if code not in why and runs:
            why[code] = f"{code}: cut run {runs[0]} holds it; " + command(
                f"orchestrate inspect --run-id {runs[0]}"
            )
    return why


# ---- submitting the members' runs --------------------------------------------------
@contextmanager
def submitter(instance: DagsterInstance) -> Iterator[Submitter]:
    """A Submitter on the project's workspace, the one the daemon launches from."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    target = WorkspaceFileTarget([str(PROJECT_ROOT / "workspace.yaml")])
    with WorkspaceProcessContext(instance, target, code_server_log_level="WARNING") as process:
        yield Submitter(instance, process.create_request_context())


class Submitter:
    """Creates a member's Dagster run of its job on the code location the
    daemon launches from (as ``dagster job launch`` does) and submits it to
    the run queue."""

    def __init__(self, instance: DagsterInstance, context):
        self.instance, self.context = instance, context
        self.location, self.repository = _cut_jobs_location(context)
        self._jobs: dict[str, tuple] = {}

    def submit(self, dagster_run_id: str, mode: str, tags: dict[str, str]) -> None:
        """Create the run with its recorded id unless it exists, and queue it
        unless it was queued already: a member is never launched twice."""
        run = self.instance.get_run_by_id(dagster_run_id)
        if run is None:
            run = self._create(dagster_run_id, mode, tags)
        if run.status == DagsterRunStatus.NOT_STARTED:
            self.instance.submit_run(dagster_run_id, self.context)

    def _create(self, dagster_run_id: str, mode: str, tags: dict[str, str]):
        job, plan = self._job(mode)
        return self.instance.create_run(
            job_name=job.name,
            run_id=dagster_run_id,
            run_config=launch_config(mode),
            resolved_op_selection=None,
            step_keys_to_execute=plan.step_keys_to_execute,
            op_selection=None,
            status=None,
            root_run_id=None,
            parent_run_id=None,
            tags={**job.tags, **tags},
            job_snapshot=job.job_snapshot,
            execution_plan_snapshot=plan,
            parent_job_snapshot=job.parent_job_snapshot,
            remote_job_origin=job.get_remote_origin(),
            job_code_origin=job.get_python_origin(),
            asset_selection=None,
            asset_check_selection=None,
            asset_graph=self.repository.asset_graph,
        )

    def _job(self, mode: str):
        """The remote job that opens a cut run in ``mode`` and its execution
        plan, fetched once (a member's plan does not depend on its document)."""
        if mode not in self._jobs:
            from dagster._core.definitions.selector import JobSubsetSelector

            selector = JobSubsetSelector(
                location_name=self.location.name,
                repository_name=self.repository.name,
                job_name=JOB_OF_MODE[mode],
                op_selection=None,
            )
            job = self.location.get_job(selector)
            plan = self.location.get_execution_plan(
                job,
                launch_config(mode),
                step_keys_to_execute=None,
                known_state=None,
                instance=self.instance,
            )
            self._jobs[mode] = (job, plan.execution_plan_snapshot)
        return self._jobs[mode]


def _cut_jobs_location(context):
    """The code location of the workspace, and its repository, that hold the
    jobs that open cut runs."""
    entries = list(context.get_code_location_entries().values())
    for location in (entry.code_location for entry in entries if entry.code_location):
        for repository in location.get_repositories().values():
            if all(repository.has_job(job) for job in JOB_OF_MODE.values()):
                return location, repository
    errors = [
        f"{entry.origin.location_name}: {entry.load_error.message.splitlines()[0]}"
        for entry in entries
        if entry.load_error
    ]
    raise CutterStop(
        StopCode.STOP_CONFIG,
        "no code location of the workspace holds the cut jobs" + "".join(f"; {e}" for e in errors),
    )


def submit_members(batch_id: str, instance: DagsterInstance) -> list[str]:
    """Queue a Dagster run for every member that has none queued yet, in the
    members' order; a line for each member that could not be started."""
    with RESOURCES["database"].transaction(commit=False) as conn:
        batch = batches.get_batch(conn, batch_id)
        members = batches.members(conn, batch_id)
    todo = [m for m in members if not _queued(instance, m)]
    if not todo:
        return []
    new = sorted({m.doc_code for m in todo} - set(instance.get_dynamic_partitions(documents.name)))
    instance.add_dynamic_partitions(documents.name, new)
    problems = []
    with submitter(instance) as queue:
        for member in todo:
            try:
                run_id, dagster_run_id = open_member(batch, member)
            except CutterStop as refused:
                problems.append(f"{member.doc_code}: not started: {refused.line()}")
                continue
            queue.submit(dagster_run_id, batch.mode, _tags(batch, member.doc_code, run_id))
    return problems


def _queued(instance: DagsterInstance, member: batches.Member) -> bool:
    if member.dagster_run_id is None:
        return False
    run = instance.get_run_by_id(member.dagster_run_id)
    return run is not None and run.status != DagsterRunStatus.NOT_STARTED


def open_member(batch: batches.Batch, member: batches.Member) -> tuple[str, str]:
    """The member's cut run and Dagster run ids: the recorded ones, or a cut
    run opened now and linked to the member in the same transaction."""
    if member.run_id is not None:
        return member.run_id, member.dagster_run_id
    dagster_run_id = make_new_run_id()
    with RESOURCES["database"].transaction() as conn:
        started = start_cut_run(
            conn, RESOURCES["kb"], member.doc_code, mode=batch.mode, actor=batch.actor
        )
        batches.start_member(
            conn,
            batch_id=batch.batch_id,
            doc_code=member.doc_code,
            run_id=started.run_id,
            dagster_run_id=dagster_run_id,
        )
    return started.run_id, dagster_run_id


def _tags(batch: batches.Batch, doc_code: str, run_id: str) -> dict[str, str]:
    return {
        RUN_ID_TAG: run_id,
        MODE_TAG: batch.mode,
        BATCH_TAG: batch.batch_id,
        DOC_TAG: doc_code,
        PARTITION_NAME_TAG: doc_code,
        f"{SLOTS_TAG}{batch.max_concurrent}": batch.batch_id,
    }


# ---- where each member is ------------------------------------------------------------
def member_states(batch_id: str, instance: DagsterInstance) -> tuple[batches.Batch, list]:
    """The batch and each member's state, from the ledger and its Dagster run."""
    with RESOURCES["database"].transaction(commit=False) as conn:
        batch = batches.get_batch(conn, batch_id)
        members = batches.members(conn, batch_id)
    records = instance.get_run_records(RunsFilter(tags={BATCH_TAG: batch_id}))
    runs = {record.dagster_run.run_id: record for record in records}
    return batch, [state_of(batch, m, runs.get(m.dagster_run_id)) for m in members]


def state_of(batch: batches.Batch, member: batches.Member, record) -> MemberState:
    """Where one member is: the ledger speaks first (its cut run's state, its
    quarantine), then its Dagster run's status (``record``: its run record)."""
    state, detail = _ledger_state(batch, member)
    if state is None:
        state, detail = _dagster_state(record)
    if state == STOPPING and _sensor_late(record):  # shown as it is (its ticks in the UI say why)
        state, detail = FAILED, detail.replace("waits for", "was not recorded by")
    return MemberState(member.seq, member.doc_code, member.run_id, state, detail, member.stop_code)


def _sensor_late(record) -> bool:
    """The member's Dagster run ended long enough ago for the stop sensor to
    have acted on it."""
    ended = record.end_time if record is not None else None
    return ended is not None and time.time() - ended > STOP_GRACE_SECONDS


def _ledger_state(batch: batches.Batch, member: batches.Member) -> tuple[str | None, str]:
    if member.state in REACHED[batch.mode]:
        return DONE, member.state
    if member.state not in FINAL:
        return None, ""
    if member.quarantined:
        return QUARANTINED, member.quarantined
    stopped = f"{member.state} {member.stop_code or ''}: {member.stop_detail or ''}"
    if (
        batch.on_failure == batches.QUARANTINE
        and member.state == RunState.STOPPED
        and not member.quarantine_recorded
    ):
        return STOPPING, f"{stopped} (its quarantine waits for the stop sensor)"
    return FAILED, stopped


def _dagster_state(record) -> tuple[str, str]:
    if record is None or record.dagster_run.status == DagsterRunStatus.NOT_STARTED:
        return WAITING, "not submitted"
    dagster_run, status = record.dagster_run, record.dagster_run.status
    if status == DagsterRunStatus.QUEUED:
        held = dagster_run.tags.get(HOLD_TAG) == HELD
        return (HELD_STATE, "held in the queue") if held else (QUEUED, "queued")
    if status in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING):
        return RUNNING, f"Dagster run {status.value}"
    if status == DagsterRunStatus.FAILURE:
        return STOPPING, "Dagster run FAILURE (its STOP waits for the stop sensor)"
    return FAILED, dagster_run.tags.get("cutter/refused") or f"Dagster run {status.value}"


def counts(states: list[MemberState]) -> Counter:
    return Counter(s.state for s in states)


def settled(states: list[MemberState]) -> bool:
    """Nothing of the batch moves on by itself any more."""
    return not any(s.state in MOVING for s in states)


# ---- the daemon, and following a batch ------------------------------------------------
def daemon_running(instance: DagsterInstance) -> bool:
    """A daemon launches queued runs: its run-queue daemon beat lately."""
    beat = instance.get_daemon_heartbeats().get("QUEUED_RUN_COORDINATOR")
    return beat is not None and time.time() - beat.timestamp < HEARTBEAT_SECONDS


class DaemonKeeper:
    """A daemon for as long as a batch is followed: the one that beats
    already, else one started here (again, if it died), stopped at the end."""

    def __init__(self, instance: DagsterInstance, batch_id: str, say: Callable[[str], None]):
        self.instance, self.batch_id, self.say = instance, batch_id, say
        self.server = DatabaseServer(load_settings())
        self.started: list[DagsterDaemon] = []
        self.told = False

    @property
    def owns_one(self) -> bool:
        return bool(self.started) and self.started[-1].running()

    def ensure(self) -> None:
        if self.owns_one:
            return
        if self.started:  # what is left of the one that died (its code server or itself)
            self.started[-1].__exit__(None, None, None)
        if not self.started and daemon_running(self.instance):
            if not self.told:
                self.say("daemon    the running daemon launches the batch's runs")
                self.told = True
            return
        log = self.server.settings.state_dir / f"daemon-batch-{self.batch_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.started.append(DagsterDaemon(self.server, log).__enter__())
        self.say(f"daemon    started for this batch (log {log})")

    def close(self) -> None:
        """Stop what was started here once its runs are done (a dead one's
        leftover code server with it); its heartbeats go with it, so the next
        command that needs a daemon does not wait for them to age."""
        for daemon in self.started:
            daemon.__exit__(None, None, None)
        if self.started:
            self.instance.wipe_daemon_heartbeats()


@contextmanager
def kept_daemon(instance, batch_id: str, say) -> Iterator[DaemonKeeper]:
    keeper = DaemonKeeper(instance, batch_id, say)
    try:
        yield keeper
    finally:
        keeper.close()


class Progress:
    """Counts by state, elapsed time and rate: one live line on a terminal
    (rich), else a plain line whenever the counts change."""

    def __init__(self, say: Callable[[str], None], live: bool):
        self.say, self.last = say, ""
        self.started = time.monotonic()
        self.first: int | None = None  # members settled when following began
        self._live = None
        if live:
            from rich.live import Live

            self._live = Live("", refresh_per_second=4, transient=False)
            self._live.start()

    def show(self, states: list[MemberState]) -> None:
        tally = counts(states)
        settled_now = tally[DONE] + tally[FAILED] + tally[QUARANTINED]
        self.first = settled_now if self.first is None else self.first
        minutes = (time.monotonic() - self.started) / 60
        rate = (settled_now - self.first) / minutes if minutes else 0.0
        shown = " · ".join(f"{state} {tally[state]}" for state in STATES if tally[state])
        line = f"{shown} | {_clock(minutes * 60)} elapsed, {rate:.1f} documents/min"
        if self._live is not None:
            self._live.update(line)
        elif shown != self.last:  # one line per change of the counts
            self.say(line)
        self.last = shown

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def follow(batch_id: str, say: Callable[[str], None], *, live: bool) -> list[MemberState]:
    """Show the batch's progress until nothing of it moves by itself; the
    daemon it needs runs meanwhile. Interrupted (Ctrl-C), the batch is
    paused if this command runs its daemon (its queued runs are held, its
    running ones finish) and only left otherwise."""
    instance = project_instance()
    progress = Progress(say, live)
    try:
        with kept_daemon(instance, batch_id, say) as keeper:
            try:
                while True:
                    keeper.ensure()
                    _, states = member_states(batch_id, instance)
                    progress.show(states)
                    if settled(states):
                        return states
                    time.sleep(REFRESH_SECONDS)
            except KeyboardInterrupt:
                progress.close()
                _pause(instance, keeper, batch_id, say)
                raise
    finally:
        progress.close()
        instance.dispose()


def _pause(instance, keeper: DaemonKeeper, batch_id: str, say) -> None:
    resume = command(f"orchestrate resume-batch --batch-id {batch_id}")
    if keeper.owns_one:
        say(f"paused    {hold_queued(instance, batch_id)} queued run(s) held; go on: {resume}")
    else:
        say(f"left      the batch goes on in the running daemon; follow it: {resume}")


# ---- resuming ---------------------------------------------------------------------------
def fail_orphans(instance: DagsterInstance, batch_id: str) -> list[str]:
    """Fail the batch's runs left STARTED by a worker that died with its
    daemon, so the stop sensor records their STOP now rather than at the hard
    cap. Only for a launcher that cannot check a worker's health (the
    DefaultRunLauncher, whose workers live in the code server that started
    them); run monitoring does it for the others."""
    if instance.run_launcher.supports_check_run_worker_health:
        return []
    active = RunsFilter(
        tags={BATCH_TAG: batch_id},
        statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED],
    )
    failed = []
    for run in instance.get_runs(active):
        if _server_gone(run.tags.get(GRPC_INFO_TAG)):
            instance.report_run_failed(run, WORKER_GONE)
            failed.append(run.tags.get(DOC_TAG, run.run_id))
    return failed


def _server_gone(grpc_info: str | None) -> bool:
    """The code server that launched a run no longer answers (unknown: no)."""
    if not grpc_info:
        return False
    from dagster._grpc.client import DagsterGrpcClient

    info = json.loads(grpc_info)
    client = DagsterGrpcClient(port=info.get("port"), socket=info.get("socket"), host=info["host"])
    try:
        client.ping("")
    except Exception:  # noqa: BLE001 - any failure to answer is an answer here
        return True
    return False


def resume_batch(batch_id: str, say: Callable[[str], None], *, live: bool) -> list[MemberState]:
    """Continue a batch: its orphaned runs failed, its held runs released,
    its members without a queued run submitted (never a second cut run),
    then followed until it settles."""
    instance = project_instance()
    try:
        with RESOURCES["database"].transaction(commit=False) as conn:
            batches.get_batch(conn, batch_id)  # STOP_RUN_UNKNOWN before anything else
        for doc_code in fail_orphans(instance, batch_id):
            say(f"failed    {doc_code}: {WORKER_GONE}")
        released = release_held(instance, batch_id)
        if released:
            say(f"released  {released} held run(s)")
        for line in submit_members(batch_id, instance):
            say(f"skipped   {line}")
    finally:
        instance.dispose()
    return follow(batch_id, say, live=live)


def run_batch(
    doc_codes: list[str],
    *,
    mode: str,
    on_failure: str,
    max_concurrent: int,
    actor: str,
    say: Callable[[str], None],
    live: bool,
) -> tuple[str, list[MemberState]]:
    """Open the batch, submit its members and follow it until it settles."""
    batch_id, skipped = open_new_batch(
        doc_codes, mode=mode, on_failure=on_failure, max_concurrent=max_concurrent, actor=actor
    )
    say(
        f"batch     {batch_id} ({mode}, {len(doc_codes) - len(skipped)} document(s), at most "
        f"{max_concurrent} at a time, on failure: {on_failure})"
    )
    for line in skipped:
        say(f"skipped   {line}")
    say(f"dagster   runs tagged {BATCH_TAG}={batch_id} (open the UI: {command('ui')})")
    instance = project_instance()
    try:
        for line in submit_members(batch_id, instance):
            say(f"skipped   {line}")
    finally:
        instance.dispose()
    return batch_id, follow(batch_id, say, live=live)


# ---- what people read ----------------------------------------------------------------
def describe_batch(batch_id: str) -> str:
    """The inspect view of a batch: each member's state and its next step."""
    instance = project_instance()
    try:
        batch, states = member_states(batch_id, instance)
    finally:
        instance.dispose()
    tally = counts(states)
    lines = [
        f"batch     {batch.batch_id}",
        f"mode      {batch.mode}   on failure {batch.on_failure}   at most "
        f"{batch.max_concurrent} at a time   actor {batch.actor}",
        f"created   {batch.created_at:%Y-%m-%d %H:%M:%S %Z}",
        "members   " + ", ".join(f"{s} {tally[s]}" for s in STATES if tally[s]),
    ]
    width = max(len(member.doc_code) for member in states)
    for member in states:
        lines.append(
            f"  {member.seq:>3} {member.doc_code:<{width}} {member.state:<11} "
            f"{member.run_id or '-':<36}  {member.detail}"
        )
        lines.append(f"      next: {next_step(batch, member)}")
    return "\n".join(lines)


def next_step(batch: batches.Batch, member: MemberState) -> str:
    resume = command(f"orchestrate resume-batch --batch-id {batch.batch_id}")
    if member.state == QUARANTINED:
        return "fix the cause, then release it (later batches skip it until then): " + command(
            f"doc release {member.doc_code}"
        )
    if member.state in (DONE, FAILED):
        with RESOURCES["database"].transaction(commit=False) as conn:
            run = ledger.get_run(conn, member.run_id)
        if run.state in FINAL or member.state == DONE:
            return next_action(run)[1]
        void = command(f"orchestrate void --run-id {run.run_id} --reason-kb-id <path>")
        again = command(f"orchestrate cut --document-id {run.doc_code}")
        return f"its Dagster run ended without its cut run: void it: {void}, then {again}"
    return {
        STOPPING: f"the stop sensor records its STOP (a daemon must run: {resume} starts one)",
        RUNNING: f"wait for it; follow the batch: {resume}",
        QUEUED: f"wait for it (the daemon launches it); follow the batch: {resume}",
        HELD_STATE: f"the batch stopped launching after a failure (strict); go on: {resume}",
        WAITING: f"launch it: {resume}",
    }[member.state]


def final_stop(batch_id: str, states: list[MemberState]) -> CutterStop | None:
    """The STOP a batch command ends with when a member did not get done: the
    first such member's own STOP code, one line naming inspect."""
    undone = [s for s in states if s.state != DONE]
    if not undone:
        return None
    first = undone[0]
    code = StopCode[first.stop_code] if first.stop_code in StopCode.__members__ else None
    return CutterStop(
        code or StopCode.STOP_STATE,
        f"batch {batch_id}: {len(undone)} of {len(states)} member(s) not done (first: "
        f"{first.doc_code} {first.state}); {command(f'orchestrate inspect --batch-id {batch_id}')}",
    )


# ---- what the commands do --------------------------------------------------------------
def batch(
    document_ids: Path | None,
    all_pending: bool,
    *,
    mode: str,
    on_failure: str,
    max_concurrent: int,
    actor: str,
    say: Callable[[str], None],
) -> None:
    """``orchestrate batch``: the documents of the file, or every pending
    one, cut as one batch; ends with its inspect view, and with the first
    undone member's STOP when not every member got done."""
    if (document_ids is None) == (not all_pending):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, "name the documents: --document-ids FILE or --all-pending"
        )
    codes = documents_in(document_ids) if document_ids else pending_documents(mode)
    if not codes:
        say(f"no document waits for a {mode} cut")
        return
    batch_id, states = run_batch(
        codes,
        mode=mode,
        on_failure=on_failure,
        max_concurrent=max_concurrent,
        actor=actor,
        say=say,
        live=sys.stdout.isatty(),
    )
    _finish(batch_id, states, say)


def resume(batch_id: str, say: Callable[[str], None]) -> None:
    """``orchestrate resume-batch``: continue the batch and follow it to its end."""
    _finish(batch_id, resume_batch(batch_id, say, live=sys.stdout.isatty()), say)


def _finish(batch_id: str, states: list[MemberState], say: Callable[[str], None]) -> None:
    say(describe_batch(batch_id))
    stop = final_stop(batch_id, states)
    if stop is not None:
        raise stop


def release(doc_code: str, actor: str) -> str:
    """``doc release``: later batches take the quarantined document again."""
    check_doc_code(doc_code)
    screen_text("--actor", actor)
    with RESOURCES["database"].transaction() as conn:
        if not batches.release(conn, doc_code, actor):
            raise CutterStop(StopCode.STOP_STATE, f"{doc_code} is not quarantined")
    return f"released  {doc_code}: later batches take it again"
