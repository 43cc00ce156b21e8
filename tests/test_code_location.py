"""The code location loads in Dagster, and the project's instance stores
runs and events in PostgreSQL through dagster-postgres."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance
from dagster._serdes import serialize_value
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from cutter_assets.app.orchestration import project_instance
from cutter_assets.db.dagster_storage import PooledEventLogStorage, PooledRunStorage
from cutter_assets.db.server import DatabaseServer
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
    monkeypatch.setenv("CUTTER_DATABASE_URL", db_url)
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path))
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    try:
        assert isinstance(instance.run_storage, PooledRunStorage)
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PooledEventLogStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert instance.get_runs_count() == 0
    finally:
        instance.dispose()


def test_no_connection_string_in_the_instance_or_the_environment(db_url, tmp_path, monkeypatch):
    """The instance's storage finds the server itself: getting the instance
    changes no environment variable, and neither its config nor the
    InstanceRef Dagster hands to run workers holds a URL or a password."""
    monkeypatch.setenv("CUTTER_DATABASE_URL", db_url)
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path))
    before = dict(os.environ)
    instance = project_instance()
    try:
        assert dict(os.environ) == before
        assert instance.get_runs_count() == 0  # the storage reached the server
        ref = serialize_value(instance.get_ref())
        server_url = DatabaseServer(load_settings()).dagster_url()
        assert "postgresql" not in ref and server_url not in ref
    finally:
        instance.dispose()


def test_the_package_never_changes_the_environment():
    """Environments for child processes are built as dicts; nothing in the
    package assigns to ``os.environ`` (a process-wide side effect)."""
    changes = []
    for path in sorted((PROJECT_ROOT / "cutter_assets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("update", "setdefault", "pop", "clear", "putenv"):
                    target = node.func.value
            elif isinstance(node, (ast.Assign, ast.Delete)):
                targets = node.targets
                target = next((t.value for t in targets if isinstance(t, ast.Subscript)), None)
            if target is not None and ast.unparse(target) in ("os.environ", "os"):
                changes.append(f"{path.name}:{node.lineno}")
    assert changes == []
