"""Batch throughput on the embedded default, through a real Dagster daemon.

    python bench/batch.py [--documents N] [--max-concurrent N] [--mode dryrun|live]

N documents (default 24), registered from the small laws of the corpus under
distinct codes, are cut as one batch: each a Dagster run of its own that the
daemon's run queue launches in a process of its own (the DefaultRunLauncher),
at most --max-concurrent (default 4) at a time. The same cuts called in one
process, one after the other (what ``cutter orchestrate cut`` does: the job
executed in process on the same instance), are the baseline.

Prints, by the wall clock: documents per minute both ways and their ratio
(target: >= 30/min on 2 cores), and the fixed cost of a run (a batch run's
launch-to-end time minus the same cut in process). By CPU seconds, which
other work on the machine does not change: what a document costs in a batch
and in one process (this process, the daemon's process tree, PostgreSQL), the
fixed cost of a run, the rate the batch could reach on idle cores, and where
a batch document's CPU goes (the daemon and PostgreSQL idling, a run worker's
instance (its imports are done once, by the code server's forkserver), the
cut itself, the rest); then where a run's wall time
goes (the queue, process start, its steps and backup step, its Dagster
events) and GnuPG alone. The daemon runs before the batch starts (its own
start is not counted). Runs in a throw-away state dir (embedded PostgreSQL,
KB, demo keys) under /tmp; Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.latency import embedded_default, set_up  # noqa: E402 - after the path is set

SMALL_LAWS = [
    REPO / "corpus" / "vn" / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt",
    REPO / "corpus" / "en" / "us-publ-115-7-inspire-women-act.txt",
    REPO / "corpus" / "en" / "in-act-1961-28-dowry-prohibition-act.txt",
    REPO / "corpus" / "en" / "uk-ukla-2017-1-faversham-oyster-fishery-company-act.txt",
    REPO / "corpus" / "en" / "us-usc-t09-arbitration.txt",
]
TARGET_PER_MINUTE = 30.0
BASELINE_DOCUMENTS = 10
ACTOR = "bench@cutter.local"


def register(prefix: str, n: int) -> list[str]:
    """N documents, the small laws in turn, as ``cutter doc add`` registers them."""
    from cutter_assets.app.cli import register_file

    codes = [f"{prefix}-{i:04d}" for i in range(1, n + 1)]
    for i, code in enumerate(codes):
        register_file(code, SMALL_LAWS[i % len(SMALL_LAWS)])
    return codes


def in_one_process(codes: list[str], mode: str) -> list[float]:
    """Seconds of each cut executed in this process, as ``orchestrate cut`` runs it."""
    from cutter_assets.app.orchestration import launch_cut

    seconds = []
    for code in codes:
        started = time.perf_counter()
        result = launch_cut(code, mode=mode, actor=ACTOR, scope="enacted_only")
        seconds.append(time.perf_counter() - started)
        if result.stop is not None:
            raise SystemExit(f"{code}: {result.stop.line()}")
    return seconds


def as_a_batch(codes: list[str], mode: str, max_concurrent: int) -> tuple[str, float]:
    """(the batch id, seconds from opening the batch to the last member done)."""
    from cutter_assets.app.batch import DONE, run_batch

    started = time.perf_counter()
    batch_id, states = run_batch(
        codes,
        mode=mode,
        on_failure="continue",
        max_concurrent=max_concurrent,
        actor=ACTOR,
        say=lambda line: None,
        live=False,
    )
    took = time.perf_counter() - started
    undone = [s for s in states if s.state != DONE]
    if undone:
        raise SystemExit(f"{len(undone)} member(s) not done, first: {undone[0]}")
    return batch_id, took


def run_timings(instance, batch_id: str) -> list[dict[str, float]]:
    """For each run of the batch, from its own events: queued (enqueued ->
    launched), process start (launched -> started), steps (started -> ended),
    the backup step alone, and how many events it wrote."""
    from dagster import DagsterEventType, RunsFilter

    from cutter_assets.sensors.stops import BATCH_TAG

    started, launched, begun = (
        DagsterEventType.RUN_ENQUEUED.value,
        DagsterEventType.RUN_STARTING.value,
        DagsterEventType.RUN_START.value,
    )
    ended = (DagsterEventType.RUN_SUCCESS.value, DagsterEventType.RUN_FAILURE.value)
    backup = [
        f"{kind.value}:backup"
        for kind in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
    ]
    rows = []
    for run in instance.get_runs(RunsFilter(tags={BATCH_TAG: batch_id})):
        records = instance.get_records_for_run(run.run_id, limit=100_000).records
        at: dict[str, float] = {}
        for record in records:
            event = record.event_log_entry
            if event.dagster_event_type is not None:
                kind = event.dagster_event_type.value
                at.setdefault(
                    f"{kind}:{event.step_key}" if event.step_key else kind, event.timestamp
                )
        end = next(at[kind] for kind in ended if kind in at)
        rows.append(
            {
                "queued": at[launched] - at[started],
                "process start": at[begun] - at[launched],
                "run": end - at[begun],
                "launch to end": end - at[launched],
                "backup step": at[backup[1]] - at[backup[0]],
                "events": len(records),
            }
        )
    return rows


def event_write_seconds(instance, n: int = 200) -> float:
    """Seconds to store one Dagster event in the instance's Postgres storage."""
    from dagster import DagsterRun

    run = instance.add_run(DagsterRun(job_name="bench_events"))
    started = time.perf_counter()
    for i in range(n):
        instance.report_engine_event(f"bench event {i}", run)
    return (time.perf_counter() - started) / n


def gpg_seconds(n: int = 10) -> float:
    """Seconds of one encryption to the backup recipient, as the backup phase does."""
    from cutter_assets.platform.settings import load_settings
    from cutter_assets.signing.gpg import open_gpg

    settings = load_settings()
    gpg = open_gpg(settings.gnupg_home)
    payload = b"x" * 20_000
    started = time.perf_counter()
    for _ in range(n):
        result = gpg.encrypt(payload, settings.backup_recipient, always_trust=True, armor=False)
        if not result.ok:
            raise SystemExit(f"gpg: {result.status}")
    return (time.perf_counter() - started) / n


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and all its descendants so far: its own, those
    of its children it has reaped, and those of the ones still alive (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # gone since it was listed: its parent counts it now
        return 0.0
    own = sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return found


class CpuMeter:
    """CPU seconds spent meanwhile by this process (and its children), by the
    daemon's process tree, and by PostgreSQL's."""

    def __init__(self, postmaster: int, daemon: int | None = None):
        self.pids = {"this process": os.getpid(), "PostgreSQL": postmaster}
        if daemon is not None:
            self.pids["daemon, code server, run workers"] = daemon
        self.start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def spent(self) -> dict[str, float]:
        spent = {name: cpu_seconds(pid) - self.start[name] for name, pid in self.pids.items()}
        if "daemon, code server, run workers" in spent:  # a child of this process
            spent["this process"] -= spent["daemon, code server, run workers"]
        return spent


WORKER_START = """
import resource, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started = cpu()
from cutter_assets.app.code_server_main import PRELOADED
for name in PRELOADED:
    __import__(name)
imported = cpu()
from dagster import DagsterInstance
instance = DagsterInstance.get()
instance.get_runs_count()
print(imported - started, cpu() - imported)
"""


def worker_start_seconds(n: int = 3) -> tuple[float, float]:
    """CPU seconds a fresh interpreter spends before a run's first step:
    importing what the code server's forkserver imports once for every worker
    (Dagster, cutter's definitions, the storage, pandas), then what each
    worker still does itself, loading the instance from DAGSTER_HOME."""
    import subprocess

    from cutter_assets.db.server import DatabaseServer
    from cutter_assets.platform.settings import load_settings

    env = {**os.environ, **DatabaseServer(load_settings()).dagster_env()}

    def sample() -> list[float]:
        out = subprocess.check_output([sys.executable, "-c", WORKER_START], env=env)
        return [float(value) for value in out.split()]

    samples = [sample() for _ in range(n)]
    return statistics.mean(s[0] for s in samples), statistics.mean(s[1] for s in samples)


def idle_rates(postmaster: int, daemon: int, seconds: float = 15) -> dict[str, float]:
    """CPU seconds per wall second of the daemon's tree and PostgreSQL with no
    run: the sensors ticking, the run queue and run monitoring polling."""
    meter = CpuMeter(postmaster, daemon)
    time.sleep(seconds)
    return {name: spent / seconds for name, spent in meter.spent().items()}


def postmaster_pid(pg_dir: Path) -> int:
    return int((pg_dir / "postmaster.pid").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=24)
    parser.add_argument("--max-concurrent", type=int, default=4)
    parser.add_argument("--mode", choices=("dryrun", "live"), default="dryrun")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cutbat-", dir="/tmp"))
    embedded_default(work)
    from cutter_assets.app.batch import daemon_running
    from cutter_assets.app.daemon import DagsterDaemon
    from cutter_assets.app.orchestration import project_instance
    from cutter_assets.signing.gpg import stop_agent

    server, _ = set_up()
    instance = project_instance()
    postmaster = postmaster_pid(server.settings.pg_dir)
    figures = {"load before": os.getloadavg()[0]}
    try:
        base_codes = register("BASE", min(BASELINE_DOCUMENTS, args.documents))
        meter = CpuMeter(postmaster)
        figures["baseline"] = in_one_process(base_codes, args.mode)
        figures["baseline cpu"] = meter.spent()
        codes = register("BATCH", args.documents)
        with DagsterDaemon(server, work / "daemon.log") as daemon:
            while not daemon_running(instance):
                time.sleep(0.5)
            figures["idle"] = idle_rates(postmaster, daemon.group)
            meter = CpuMeter(postmaster, daemon.group)
            batch_id, figures["took"] = as_a_batch(codes, args.mode, args.max_concurrent)
            time.sleep(2)  # the code server reaps its last run workers
            figures["batch cpu"] = meter.spent()
        figures["load after"] = os.getloadavg()[0]
        figures["runs"] = run_timings(instance, batch_id)
        figures["event"], figures["gpg"] = event_write_seconds(instance), gpg_seconds()
        figures["worker start"] = worker_start_seconds()
    finally:
        instance.dispose()
        server.down()
        stop_agent(server.settings.gnupg_home)
        shutil.rmtree(work, ignore_errors=True)
    report(args, figures)


def report(args, figures: dict) -> None:
    rows, cores, n = figures["runs"], os.cpu_count(), args.documents

    def mean(name: str) -> float:
        return statistics.mean(row[name] for row in rows)

    in_process = statistics.mean(figures["baseline"])
    batch_rate, process_rate = 60 * n / figures["took"], 60 / in_process
    batch_cpu = {name: s / n for name, s in figures["batch cpu"].items()}
    base_cpu = {name: s / len(figures["baseline"]) for name, s in figures["baseline cpu"].items()}
    per_doc, per_base = sum(batch_cpu.values()), sum(base_cpu.values())
    met = "met" if batch_rate >= TARGET_PER_MINUTE else "MISSED"
    print(
        f"{n} {args.mode} cuts of the corpus's small laws, at most {args.max_concurrent} at a "
        f"time, {cores} cores (load average {figures['load before']:.1f} before, "
        f"{figures['load after']:.1f} after: other work shares the machine)"
    )
    print("wall clock, on this machine as it is:")
    print(
        f"  batch through the daemon    {batch_rate:6.1f} documents/min ({figures['took']:.1f} s)"
        f"   target {TARGET_PER_MINUTE:.0f}/min: {met}"
    )
    print(
        f"  in one process, one by one  {process_rate:6.1f} documents/min "
        f"({in_process:.2f} s each, {len(figures['baseline'])} cuts)"
    )
    print(f"  ratio batch / one process   {batch_rate / process_rate:6.2f}x")
    print(
        f"  fixed cost of a run         {mean('launch to end') - in_process:6.2f} s "
        "(launch to end, minus the same cut in process)"
    )
    print("CPU seconds per document (what the machine's load does not change):")
    for name, seconds in batch_cpu.items():
        print(f"  batch: {name:<34} {seconds:6.2f} s")
    for name, seconds in base_cpu.items():
        print(f"  one process: {name:<28} {seconds:6.2f} s")
    print(
        f"  fixed cost of a run         {per_doc - per_base:6.2f} s of CPU "
        f"({per_doc:.2f} s a document in a batch, {per_base:.2f} s in one process)"
    )
    print(
        f"  on {cores} idle cores the batch could do {60 * cores / per_doc:5.1f} documents/min "
        f"(one process, one core: {60 / per_base:5.1f})"
    )
    idle = sum(figures["idle"].values()) * figures["took"] / n
    imports, instance = figures["worker start"]
    print("where a batch document's CPU goes:")
    print(
        f"  the daemon and PostgreSQL idling  {idle:5.2f} s (sensors every second, the queue, "
        f"run monitoring: {sum(figures['idle'].values()):.2f} s a second, over "
        f"{figures['took'] / n:.1f} s a document)"
    )
    print(
        "  a run worker's imports             none: it is a fork of the code server's process "
        f"that imported them once ({imports:.2f} s each if spawned)"
    )
    print(f"  a run worker's instance           {instance:5.2f} s (its Postgres storages)")
    print(f"  the cut itself, as in one process {per_base:5.2f} s")
    rest = per_doc - idle - instance - per_base
    print(f"  the rest                          {rest:5.2f} s (spawn, launch, events, code server)")
    print("where a batch run's time goes (wall clock, mean of its runs):")
    print(f"  queued, waiting for a slot  {mean('queued'):6.2f} s")
    print(f"  process start               {mean('process start'):6.2f} s (launched -> started)")
    print(
        f"  the run                     {mean('run'):6.2f} s (started -> ended), of which the "
        f"backup step {mean('backup step'):.2f} s"
    )
    events = mean("events")
    print(
        f"  Dagster events              {events:6.0f} per run x {figures['event'] * 1000:.1f} ms"
        f" = {events * figures['event']:.2f} s"
    )
    print(f"  GnuPG                       {figures['gpg'] * 1000:6.1f} ms per encryption")


if __name__ == "__main__":
    main()
