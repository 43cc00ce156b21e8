"""The Dagster daemon on the project's workspace, for the length of a block.

The daemon starts a code server of its own; stopping only the daemon leaves
that server running after the block. Both live in a process group of their
own and are stopped together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import PROJECT_ROOT

STOP_SECONDS = 30


class DagsterDaemon:
    def __init__(self, server: DatabaseServer, log: Path | None = None):
        self.env = {**os.environ, **server.dagster_env()}
        self.log = log or Path(tempfile.mkstemp(prefix="cutter-daemon-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> DagsterDaemon:
        daemon = [sys.executable, "-m", "cutter_assets.app.daemon_main"]  # sensors every 1 s
        self.proc = subprocess.Popen(
            [*daemon, "run", "-w", str(PROJECT_ROOT / "workspace.yaml")],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, with the code server
        )
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.wait_for_runs()
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(STOP_SECONDS)
        self._signal_group(signal.SIGKILL)  # whatever of the group outlived the daemon
        deadline = time.monotonic() + STOP_SECONDS
        while self._signal_group(0) and time.monotonic() < deadline:
            time.sleep(0.2)  # until the killed processes are reaped

    def wait_for_runs(self, seconds: float = STOP_SECONDS) -> None:
        """Until no Dagster run has a worker: the run workers the daemon
        launched are in its group, and a cut run's last phase closes the run in
        the ledger just before its Dagster run records its own success."""
        from dagster import RunsFilter
        from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES

        from cutter_assets.app.orchestration import project_instance

        instance = project_instance()
        try:
            deadline = time.monotonic() + seconds
            in_progress = RunsFilter(statuses=ACTIVE_RUN_STATUSES)
            while instance.get_runs_count(in_progress) and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            instance.dispose()

    def _signal_group(self, sig: int) -> bool:
        """Send ``sig`` to the group; false when no process of it is left."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return False
        return True
