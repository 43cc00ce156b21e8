"""The settings the latency targets rest on: an approval landing in the KB
starts its stage, and ``cutter doc add`` shows its partition, within 3 s on
the embedded default. bench/latency.py measures the figures; these tests pin
the settings (the partition that ``doc add`` adds itself is tested in
tests/sensors/test_hygiene.py)."""

from __future__ import annotations

import subprocess
import sys

import dagster._daemon.sensor as sensor_daemon
import yaml
from dagster._daemon.sensor import MIN_INTERVAL_LOOP_TIME

from cutter_assets.app.code_server_main import PRELOADED
from cutter_assets.app.daemon_main import SENSOR_LOOP_SECONDS, faster_sensor_loop
from cutter_assets.platform.settings import DAGSTER_YAML_TEMPLATE
from cutter_assets.sensors.approvals import approval_sensor
from cutter_assets.sensors.documents import document_sensor


def test_the_sensors_tick_on_every_loop_of_the_daemon():
    """The daemon evaluates sensors once per loop of its own (5 s); an interval
    as long as the loop lets a tick slip to the next loop (5 s becomes 10 s),
    and one of at most 1 s keeps up with a faster loop."""
    for sensor in (approval_sensor, document_sensor):
        assert sensor.minimum_interval_seconds < MIN_INTERVAL_LOOP_TIME, sensor.name
        assert sensor.minimum_interval_seconds <= 1, sensor.name


def test_the_run_queue_is_read_every_second():
    config = yaml.safe_load(DAGSTER_YAML_TEMPLATE.read_text(encoding="utf-8"))
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    assert coordinator["config"]["dequeue_interval_seconds"] <= 1


def test_the_daemon_cutter_starts_loops_over_its_sensors_every_second(monkeypatch):
    """Dagster's sensor loop is a module constant (5 s); the daemon cutter
    starts sets it to 1 s before Dagster's entry point runs. If Dagster moves
    or renames it, this fails instead of the latency silently growing."""
    assert isinstance(MIN_INTERVAL_LOOP_TIME, int | float)
    monkeypatch.setattr(sensor_daemon, "MIN_INTERVAL_LOOP_TIME", 5)
    faster_sensor_loop()
    assert sensor_daemon.MIN_INTERVAL_LOOP_TIME == SENSOR_LOOP_SECONDS == 1
    done = subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.daemon_main", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "--workspace" in done.stdout + done.stderr


# Run in a process of its own: the patch stays out of the test process.
WORKER_PROBE = """
import logging, sys, threading
from dagster._core.utils import FuturesAwareThreadPoolExecutor
from dagster._grpc.server import DagsterApiServer
from cutter_assets.app.code_server_main import PRELOADED, forking_run_workers
from tests.forkprobe import imported

if sys.argv[1] == "forking":
    forking_run_workers()
server = DagsterApiServer(
    threading.Event(), logging.getLogger(), FuturesAwareThreadPoolExecutor(),
    lazy_load_user_code=True,
)
context = server._mp_ctx
queue = context.Queue()
worker = context.Process(target=imported, args=(queue, PRELOADED))
worker.start()
print(context.get_start_method(), *queue.get(timeout=60))
worker.join()
"""


def test_the_code_server_cutter_starts_forks_run_workers_with_cutter_imported():
    """The project's code server starts a run's worker (``_mp_ctx.Process``, as
    Dagster's StartRun does) from a process that has imported cutter's
    definitions, so a worker starts with its imports done; Dagster's own server
    spawns a fresh interpreter. If Dagster stops choosing its context in that
    attribute, this fails instead of the latency silently growing."""

    def worker_of(server: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", WORKER_PROBE, server],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.split()

    assert worker_of("forking") == ["forkserver", *PRELOADED]
    assert worker_of("dagster's") == ["spawn"]
