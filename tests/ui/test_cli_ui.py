"""``cutter ui``: the webserver, the daemon and the code server they load the
project from, stopped together however the command is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.ui.test_browser import _answers, _free_port

WAIT_SECONDS = 90


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not read its status


def test_sigterm_stops_the_ui_the_daemon_and_the_code_server(cutter_env, tmp_path):
    port = _free_port()
    cutter = Path(sys.executable).with_name("cutter")
    log = tmp_path / "ui.log"
    ui = subprocess.Popen(
        [str(cutter), "ui", "--port", str(port)],
        env={**os.environ, **cutter_env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not _answers(f"http://127.0.0.1:{port}/server_info"):
            assert ui.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.5)
        started = _descendants(ui.pid)
        commands = " ".join(Path(f"/proc/{pid}/cmdline").read_text() for pid in started)
        for part in ("dagster-webserver", "daemon_main", "code_server_main", "forkserver"):
            assert part in commands, part
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(WAIT_SECONDS) == 128 + signal.SIGTERM
        deadline = time.monotonic() + WAIT_SECONDS
        while any(map(_alive, started)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if _alive(pid)], log.read_text()[-2000:]
    finally:
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGKILL)
