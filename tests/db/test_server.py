"""`cutter db up | status | url | down` on a real embedded server in its own
data directory: started once, reused across commands, stopped by `down`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def _cutter(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CUTTER_DATABASE_URL"}
    env["CUTTER_STATE_DIR"] = str(state_dir)
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _postmaster_pid(state_dir: Path) -> int:
    return int((state_dir / "pg" / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def state_dir():
    path = Path(tempfile.mkdtemp(prefix="cst-", dir="/tmp"))
    yield path
    _cutter(path, "db", "down")
    shutil.rmtree(path, ignore_errors=True)


def test_embedded_server_lifecycle(state_dir):
    assert _cutter(state_dir, "db", "status").returncode == 1  # nothing yet

    up = _cutter(state_dir, "db", "up")
    assert up.returncode == 0, up.stderr
    assert "embedded PostgreSQL running" in up.stdout
    pid = _postmaster_pid(state_dir)
    assert (state_dir / "dagster" / "dagster.yaml").exists()

    # the server outlives the command that started it, and is reused
    status = _cutter(state_dir, "db", "status")
    assert status.returncode == 0 and "running" in status.stdout
    assert _cutter(state_dir, "db", "up").returncode == 0
    assert _postmaster_pid(state_dir) == pid

    url = _cutter(state_dir, "db", "url")
    assert url.returncode == 0 and "/cutter?" in url.stdout
    dagster_url = _cutter(state_dir, "db", "url", "--dagster")
    assert (
        "postgresql+psycopg2://" in dagster_url.stdout and "/cutter_dagster?" in dagster_url.stdout
    )

    init = _cutter(state_dir, "db", "init")
    assert init.returncode == 0 and "match their fingerprints" in init.stdout

    down = _cutter(state_dir, "db", "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert _cutter(state_dir, "db", "status").returncode == 1


def test_external_url_is_used_and_never_started(db_url, tmp_path):
    env = dict(os.environ, CUTTER_DATABASE_URL=db_url, CUTTER_STATE_DIR=str(tmp_path / "s"))
    status = subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", "db", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0 and status.stdout.startswith("external PostgreSQL running")
    down = subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", "db", "down"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not stopped" in down.stdout
    assert not (tmp_path / "s" / "pg").exists()


def test_an_unreachable_external_server_is_one_stop_line_without_its_password(tmp_path):
    secret = "s3cr3t-Pa55"
    env = dict(
        os.environ,
        CUTTER_STATE_DIR=str(tmp_path / "s"),
        CUTTER_DATABASE_URL=f"postgresql://admin:{secret}@127.0.0.1:1/cutter",
    )
    done = subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", "db", "init"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 20
    assert (
        done.stderr.startswith("STOP_DATABASE_UNAVAILABLE") and len(done.stderr.splitlines()) == 1
    )
    assert secret not in done.stderr + done.stdout
