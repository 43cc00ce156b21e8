"""Dagster's Postgres storage with kept connections.

dagster-postgres opens a new connection for every statement it runs (its
engines use ``NullPool``), which is about 470 connections and several seconds
for one rehearsal. These classes are the same storages with a small pool per
process: one connection kept, more opened while threads need them. A process
keeps at most one idle connection per storage; ``dispose`` closes it.

``instance/dagster.yaml`` names ``PooledPostgresStorage`` under
``storage: custom``. Its config is dagster-postgres's own, and may be empty:
the storage then finds the project's server the way every cutter process does
(``DatabaseServer``, from ``CUTTER_STATE_DIR`` or ``CUTTER_DATABASE_URL``), so
no connection string lives in the instance's config, in its ``InstanceRef``
(which Dagster passes to run workers on their command line) or in an
environment variable set for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from dagster._serdes import ConfigurableClassData
from dagster_postgres import (
    DagsterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings

# A dropped connection is replaced after this long, as the webserver does.
POOL_RECYCLE_SECONDS = 3600
# Connections beyond the kept one, for threads (sensors, the webserver).
MAX_OVERFLOW = 10
NO_STATEMENT_TIMEOUT = 0


class _KeptConnections:
    """dagster-postgres's own switch from NullPool to a pool with one kept
    connection (what dagster-webserver calls on start), and its release."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._present: set[tuple[str, ...]] = set()  # see _remember_yes
        super().__init__(*args, **kwargs)
        self.optimize_for_webserver(NO_STATEMENT_TIMEOUT, POOL_RECYCLE_SECONDS, MAX_OVERFLOW)

    def dispose(self) -> None:
        super().dispose()
        self._engine.dispose()


def _remember_yes(probe: Callable[..., bool]) -> Callable[..., bool]:
    """A schema probe (does this table or column exist?) that asks the catalog
    only until it says yes. Dagster's generic code asks again for nearly every
    event and run it stores. A yes is kept for the life of the storage (a
    migration adds tables and columns, none removes them); a no is never kept,
    so a table or column added later is still seen."""

    @functools.wraps(probe)
    def remembered(self, *args: Any) -> bool:
        # The question is the probe and its names; a connection argument is not part of it.
        key = (probe.__name__, *(a for a in args if isinstance(a, str)))
        if key in self._present:
            return True
        found = probe(self, *args)
        if found:
            self._present.add(key)
        return found

    return remembered


class PooledRunStorage(_KeptConnections, PostgresRunStorage):
    has_run_stats_index_cols = _remember_yes(PostgresRunStorage.has_run_stats_index_cols)
    has_backfill_id_column = _remember_yes(PostgresRunStorage.has_backfill_id_column)
    has_bulk_actions_selector_cols = _remember_yes(
        PostgresRunStorage.has_bulk_actions_selector_cols
    )
    has_bulk_action_job_name_column = _remember_yes(
        PostgresRunStorage.has_bulk_action_job_name_column
    )


class PooledEventLogStorage(_KeptConnections, PostgresEventLogStorage):
    has_table = _remember_yes(PostgresEventLogStorage.has_table)
    _has_asset_key_col_on_connection = _remember_yes(
        PostgresEventLogStorage._has_asset_key_col_on_connection
    )


class PooledScheduleStorage(_KeptConnections, PostgresScheduleStorage):
    pass


class PooledPostgresStorage(DagsterPostgresStorage):
    """``DagsterPostgresStorage`` whose three storages keep their connections."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: Any = None,
    ):
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        options = {"token_provider": token_provider}
        self._run_storage = PooledRunStorage(postgres_url, should_autocreate_tables, **options)
        self._event_log_storage = PooledEventLogStorage(
            postgres_url, should_autocreate_tables, **options
        )
        self._schedule_storage = PooledScheduleStorage(
            postgres_url, should_autocreate_tables, **options
        )
        super(DagsterPostgresStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledPostgresStorage:
        if config_value.get("postgres_url") or config_value.get("postgres_db"):
            url = pg_url_from_config(config_value)
        else:
            url = DatabaseServer(load_settings()).dagster_url()
        return cls(
            inst_data=inst_data,
            postgres_url=url,
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    def dispose(self) -> None:
        for storage in (self._run_storage, self._event_log_storage, self._schedule_storage):
            storage.dispose()
