"""The code location loads in Dagster, and the project's instance stores
runs and events in PostgreSQL through dagster-postgres."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.dagster_storage import PooledEventLogStorage, PooledRunStorage
from cutter_assets.platform.settings import PROJECT_ROOT, load_settings


def test_definitions_validate_through_the_workspace():
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_instance_uses_postgres_storage_on_the_same_server(db_url, tmp_path, monkeypatch):
    settings = load_settings({"CUTTER_DATABASE_URL": db_url, "CUTTER_STATE_DIR": str(tmp_path)})
    server = DatabaseServer(settings)
    server.up()  # creates <db>_dagster beside the target database
    env = server.dagster_env()
    assert env["CUTTER_DAGSTER_STORAGE_URL"].startswith("postgresql+psycopg2://")
    monkeypatch.setenv("CUTTER_DAGSTER_STORAGE_URL", env["CUTTER_DAGSTER_STORAGE_URL"])
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    try:
        assert isinstance(instance.run_storage, PooledRunStorage)
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PooledEventLogStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert instance.get_runs_count() == 0
    finally:
        instance.dispose()
