"""Latency figures on the embedded default, with a real Dagster daemon.

    python bench/latency.py [--repeat N]

(a) a signed SG_1 approval lands in the KB -> the continuation's Dagster run
    (the write stage) is STARTED: from the doc's mtime to the run's RUN_START
    event, each time for a fresh live cut run of a small law (registered,
    rehearsed and surveyed to SG_1 first), split by the run's own events into
    the sensor (landing -> enqueued), the run queue (enqueued -> launched) and
    the run worker (launched -> started);
(b) ``cutter doc add`` -> the document's partition visible in the instance:
    from the command's start (a process of its own, as an operator runs it)
    to the first poll that finds the partition;
(c) the cost of one tick of each sensor with nothing new (the daemon ticks
    them every few seconds), evaluated in process.

(a) and (b) print the median of N (default 5) and its ratio to the 3 s target.
Runs in a throw-away state dir (embedded PostgreSQL, KB, demo keys) under /tmp.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SMALL_LAW = REPO / "corpus" / "vn" / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
TARGET_SECONDS = 3.0
WAIT_SECONDS = 120
OPERATOR = "operator@bench.cutter"
# Anything that would point the bench at another deployment than its own.
FOREIGN_SETTINGS = (
    "CUTTER_DATABASE_URL",
    "CUTTER_PG_DIR",
    "CUTTER_GNUPGHOME",
    "CUTTER_BACKUP_DIR",
    "CUTTER_BACKUP_RECIPIENT",
    "CUTTER_SOVEREIGN_KEYS",
    "DAGSTER_HOME",
)


def embedded_default(work: Path) -> None:
    """This process's environment: a deployment of its own in ``work``, with
    nothing configured but the state dir and the KB (a short path: the
    server's socket lives under it)."""
    for name in FOREIGN_SETTINGS:
        os.environ.pop(name, None)
    os.environ["CUTTER_STATE_DIR"] = str(work / "state")
    os.environ["CUTTER_KB_ROOT"] = str(work / "kb")


def set_up():
    """The server up with the schema, demo keys made and configured; returns
    (the server, the sovereign key to sign with)."""
    from cutter_assets.app.demo import demo_keys
    from cutter_assets.db.connection import connection
    from cutter_assets.db.schema import apply_schema
    from cutter_assets.db.server import DatabaseServer
    from cutter_assets.platform.settings import load_settings

    server = DatabaseServer(load_settings())
    server.up()
    try:
        with connection(server.target_url()) as conn:
            apply_schema(conn)
        _, sovereign = demo_keys()
    except BaseException:
        server.down()  # a set-up that failed leaves no server running
        raise
    return server, sovereign


def doc_add_latency(instance, code: str) -> tuple[float, float]:
    """(seconds from ``cutter doc add`` starting to its partition being visible,
    seconds the command took)."""
    from cutter_assets.graph.partitions import documents

    cutter = Path(sys.executable).with_name("cutter")
    started = time.time()
    command = [str(cutter), "doc", "add", "--code", code, "--language", "vi", str(SMALL_LAW)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    while not instance.has_dynamic_partition(documents.name, code):
        if time.time() - started > WAIT_SECONDS:
            raise SystemExit(f"the partition of {code} did not appear in {WAIT_SECONDS} s")
        time.sleep(0.02)
    visible = time.time()
    if proc.wait() != 0:
        raise SystemExit(f"cutter doc add {code} failed")
    return visible - started, time.time() - started


def live_at_sg1(code: str) -> str:
    """A rehearsed document's live cut run, surveyed up to SG_1 and armed."""
    from cutter_assets.app.orchestration import launch_cut
    from cutter_assets.app.sovereign import arm

    for mode in ("dryrun", "live"):
        result = launch_cut(code, mode=mode, actor=OPERATOR, scope="enacted_only")
        if result.stop is not None:
            raise SystemExit(f"{code} {mode}: {result.stop.line()}")
    arm(result.run_id)
    return result.run_id


def approval_latency(instance, run_id: str, sovereign: str) -> dict[str, float]:
    """Sign SG_1 into the KB and follow the write stage's Dagster run: the
    seconds from the doc landing to each of the run's first events."""
    from dagster import DagsterEventType

    from cutter_assets.app.sovereign import disarm, draft_approval, sign_approval
    from cutter_assets.resources import RESOURCES

    path = sign_approval(draft_approval(run_id, "SG_1", "sovereign"), sovereign, "gpg")
    landed = (RESOURCES["kb"].root_path() / path).stat().st_mtime
    dagster_run = _finished_write_stage(instance, run_id)
    disarm()  # the next cut run is armed in its turn
    kinds = {
        "enqueued": DagsterEventType.RUN_ENQUEUED,
        "launched": DagsterEventType.RUN_STARTING,
        "started": DagsterEventType.RUN_START,
    }
    return {
        name: instance.get_records_for_run(dagster_run, of_type=kind, limit=1)
        .records[0]
        .event_log_entry.timestamp
        - landed
        for name, kind in kinds.items()
    }


def _finished_write_stage(instance, run_id: str) -> str:
    """The id of the cut run's write stage once it succeeded (so the next
    measurement shares the machine with no run)."""
    from dagster import RunsFilter

    from cutter_assets.graph.partitions import RUN_ID_TAG

    wanted = RunsFilter(tags={RUN_ID_TAG: run_id}, job_name="write")
    deadline = time.time() + WAIT_SECONDS
    while time.time() < deadline:
        runs = instance.get_runs(wanted)
        if runs and runs[0].is_finished:
            if not runs[0].is_success:
                raise SystemExit(f"the write stage of {run_id} failed: {runs[0].run_id}")
            return runs[0].run_id
        time.sleep(0.5)
    raise SystemExit(f"the write stage of {run_id} did not finish in {WAIT_SECONDS} s")


def tick_costs(instance, repeat: int = 20) -> dict[str, float]:
    """Median seconds of one tick of each sensor with nothing new: the approval
    sensor from the cursor the daemon left (every doc already evaluated)."""
    from dagster import build_sensor_context

    from cutter_assets.resources import RESOURCES
    from cutter_assets.sensors.approvals import approval_sensor
    from cutter_assets.sensors.documents import document_sensor

    (state,) = [s for s in instance.all_instigator_state() if s.name == "approval_sensor"]
    cursor = state.instigator_data.cursor

    def tick(sensor, cursor=None) -> float:
        started = time.perf_counter()
        with build_sensor_context(instance=instance, resources=RESOURCES, cursor=cursor) as ctx:
            sensor(ctx)
        return time.perf_counter() - started

    return {
        "approval": statistics.median(tick(approval_sensor, cursor) for _ in range(repeat)),
        "document": statistics.median(tick(document_sensor) for _ in range(repeat)),
    }


def verdict(seconds: float) -> str:
    ratio = seconds / TARGET_SECONDS
    met = "met" if ratio <= 1 else "MISSED"
    return f"ratio to the {TARGET_SECONDS:.0f} s target {ratio:4.2f}x ({met})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cutlat-", dir="/tmp"))
    embedded_default(work)
    from cutter_assets.app.daemon import DagsterDaemon
    from cutter_assets.app.orchestration import project_instance
    from cutter_assets.signing.gpg import stop_agent

    server, sovereign = set_up()
    instance = project_instance()
    adds, approvals = [], []
    try:
        with DagsterDaemon(server, work / "daemon.log"):
            for i in range(1, args.repeat + 1):
                code = f"LATENCY-{i}"
                adds.append(doc_add_latency(instance, code))
                approvals.append(approval_latency(instance, live_at_sg1(code), sovereign))
        costs = tick_costs(instance)
    finally:
        instance.dispose()
        server.down()
        stop_agent(server.settings.gnupg_home)
        shutil.rmtree(work, ignore_errors=True)
    report(approvals, adds, costs)


def report(approvals: list[dict], adds: list[tuple[float, float]], costs: dict) -> None:
    print(f"(a) SG_1 approval lands in the KB -> write stage STARTED ({len(approvals)} cut runs)")
    for n, row in enumerate(approvals, 1):
        print(
            f"    {n}: {row['started']:5.2f} s   sensor {row['enqueued']:5.2f} s, "
            f"queue {row['launched'] - row['enqueued']:5.2f} s, "
            f"run worker {row['started'] - row['launched']:5.2f} s"
        )
    median = statistics.median(row["started"] for row in approvals)
    print(f"    median {median:5.2f} s   {verdict(median)}")
    print(f"(b) cutter doc add -> partition visible ({len(adds)} documents)")
    for n, (visible, took) in enumerate(adds, 1):
        print(f"    {n}: {visible:5.2f} s   (the command took {took:5.2f} s)")
    median = statistics.median(visible for visible, _ in adds)
    print(f"    median {median:5.2f} s   {verdict(median)}")
    print("(c) one sensor tick with nothing new, in process (median of 20)")
    for name, seconds in costs.items():
        print(f"    {name:<9} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
