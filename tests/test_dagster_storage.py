"""The project's Dagster storage: dagster-postgres with kept connections.

Stock dagster-postgres opens a connection per statement; the pooled storage
must store the same events while opening only a handful of connections, and
its catalog memory must only ever remember tables that exist."""

from __future__ import annotations

import psycopg2
import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    MaterializeResult,
    asset,
    materialize,
)
from sqlalchemy import event

from cutter_assets.app.orchestration import project_instance as project_instance_of_cutter
from cutter_assets.db.dagster_storage import PooledEventLogStorage


@pytest.fixture
def project_instance(db_url, tmp_path, monkeypatch):
    """The instance as ``instance/dagster.yaml`` configures it, on this module's server."""
    monkeypatch.setenv("CUTTER_DATABASE_URL", db_url)
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path))
    instance = project_instance_of_cutter()
    yield instance
    instance.dispose()


def _engines(instance):
    return [instance.run_storage._engine, instance.event_log_storage._engine]


def _chain(length: int):
    assets, previous = [], None
    for i in range(length):

        @asset(
            name=f"step_{i}",
            deps=[previous] if previous else [],
            check_specs=[AssetCheckSpec("holds", asset=f"step_{i}", blocking=True)],
        )
        def step():
            return MaterializeResult(check_results=[AssetCheckResult(passed=True)])

        assets.append(step)
        previous = step
    return assets


def test_a_run_stores_every_event_over_a_handful_of_connections(project_instance):
    opened = []
    for engine in _engines(project_instance):
        event.listen(engine, "connect", lambda *_: opened.append(1))

    result = materialize(_chain(6), instance=project_instance)

    assert result.success
    stored = project_instance.all_logs(result.run_id)
    assert len(stored) >= 6 * 5  # start, outputs, materialization, check, success per step
    materializations = [e for e in stored if e.dagster_event_type.value == "ASSET_MATERIALIZATION"]
    assert len(materializations) == 6
    # Stock dagster-postgres opens one connection per statement here (hundreds).
    assert len(opened) <= 4, f"{len(opened)} connections for {len(stored)} events"


def test_only_existing_tables_are_remembered(project_instance):
    storage = project_instance.event_log_storage
    assert isinstance(storage, PooledEventLogStorage)
    url = storage._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    assert not storage.has_table("cutter_storage_probe")

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE cutter_storage_probe (x int)")
    assert storage.has_table("cutter_storage_probe")  # a no was not remembered

    assert storage.has_table("event_logs")
    assert storage.has_asset_key_col("last_materialization_timestamp")
    assert not storage.has_asset_key_col("no_such_column")


def test_a_second_run_asks_the_catalog_nothing(project_instance):
    assert materialize(_chain(3), instance=project_instance).success
    catalog = []
    for engine in _engines(project_instance):
        event.listen(
            engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_: (
                catalog.append(statement)
                if "pg_catalog" in statement or "information_schema" in statement
                else None
            ),
        )

    assert materialize(_chain(3), instance=project_instance).success
    # Stock dagster-postgres asks which tables and columns exist again for each
    # run and most events (table, asset-key column and run-column probes).
    assert catalog == []


def test_dispose_closes_the_kept_connections(project_instance):
    project_instance.get_runs_count()
    pools = [engine.pool for engine in _engines(project_instance)]
    assert sum(pool.checkedin() for pool in pools) >= 1
    project_instance.dispose()
    assert sum(pool.checkedin() for pool in pools) == 0
