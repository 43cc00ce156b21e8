"""``dagster-daemon`` with a sensor loop of one second instead of five.

Dagster's sensor daemon evaluates sensors at most once per
``MIN_INTERVAL_LOOP_TIME`` (5 s, a module constant with no setting), so an
approval landing in the KB waited 2.5 s on average, and up to 5 s, before the
approval sensor (``minimum_interval_seconds=1``) could see it. Approval ->
stage started must stay under 3 s (bench/latency.py), so the daemon cutter
starts sets that constant before Dagster's own entry point runs. A test holds
that the constant still exists where this expects it.
"""

from __future__ import annotations

import dagster._daemon.sensor as sensor_daemon
from dagster._daemon.cli import main

SENSOR_LOOP_SECONDS = 1


def faster_sensor_loop() -> None:
    sensor_daemon.MIN_INTERVAL_LOOP_TIME = SENSOR_LOOP_SECONDS


def run() -> None:
    faster_sensor_loop()
    main()


if __name__ == "__main__":
    run()
