"""The Dagster daemon and the project's code server, for the length of a block.

The code server (``code_server_main``: run workers forked from a process that
has imported cutter) is started first, and the daemon, and the UI when one is
started with them, load the project from it (``workspace``, a workspace file
naming its socket). All of them live in one process group and are stopped
together; stopping only the daemon would leave the code server and the run
workers running after the block.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import PROJECT_ROOT

STOP_SECONDS = 30
READY_SECONDS = 60
LOCATION = "cutter"  # the name workspace.yaml gives the project's code location


class DagsterDaemon:
    def __init__(self, server: DatabaseServer, log: Path | None = None):
        self.env = {**os.environ, **server.dagster_env()}
        self.log = log or Path(tempfile.mkstemp(prefix="cutter-daemon-", suffix=".log")[1])
        self.sockets = Path(tempfile.mkdtemp(prefix="cutter-code-"))  # short: a socket path
        self.workspace = self.sockets / "workspace.yaml"
        self.proc: subprocess.Popen | None = None  # the daemon
        self.code_server: subprocess.Popen | None = None  # leads the process group

    def __enter__(self) -> DagsterDaemon:
        socket = self.sockets / "code.sock"
        output = self.log.open("wb")
        self.code_server = self._start(
            ["cutter_assets.app.code_server_main", "--socket", str(socket)]
            + ["-m", "cutter_assets.definitions", "--location-name", LOCATION],
            output,
            process_group=0,  # a process group of its own, which the daemon joins
        )
        try:
            _wait_until_serving(socket, self.code_server)
            served = {"grpc_server": {"socket": str(socket), "location_name": LOCATION}}
            self.workspace.write_text(yaml.safe_dump({"load_from": [served]}))
            daemon = ["cutter_assets.app.daemon_main", "run", "-w", str(self.workspace)]
            self.proc = self._start(daemon, output, process_group=self.code_server.pid)
        except BaseException:
            self.__exit__(RuntimeError, None, None)
            raise
        return self

    def _start(self, module_and_args: list[str], output, **group) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", *module_and_args],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            **group,
        )

    @property
    def group(self) -> int:
        """The process group of the code server, the daemon and the run workers."""
        return self.code_server.pid

    def running(self) -> bool:
        """Both the daemon and the code server it launches runs from are alive."""
        return all(p is not None and p.poll() is None for p in (self.proc, self.code_server))

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.wait_for_runs()
        self._signal_group(signal.SIGTERM)
        for proc in (self.proc, self.code_server):
            try:
                if proc is not None:
                    proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                proc.wait(STOP_SECONDS)
        self._signal_group(signal.SIGKILL)  # whatever of the group outlived the daemon
        deadline = time.monotonic() + STOP_SECONDS
        while self._signal_group(0) and time.monotonic() < deadline:
            time.sleep(0.2)  # until the killed processes are reaped
        shutil.rmtree(self.sockets, ignore_errors=True)

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
            os.killpg(self.group, sig)
        except ProcessLookupError:
            return False
        return True


def _wait_until_serving(socket: Path, code_server: subprocess.Popen) -> None:
    """Until the code server answers on ``socket`` (it has loaded the project)."""
    from dagster._grpc.client import DagsterGrpcClient

    client = DagsterGrpcClient(socket=str(socket))
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if code_server.poll() is not None:
            raise RuntimeError(f"the code server exited with {code_server.returncode}")
        if socket.exists():
            try:
                client.ping("")
                return
            except Exception:  # noqa: BLE001 - not serving yet
                pass
        time.sleep(0.1)
    raise RuntimeError(f"the code server did not answer within {READY_SECONDS} s")
