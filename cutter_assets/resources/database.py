"""The target database as a Dagster resource.

It holds no connection string in its config (Dagster stores config in its
event log): the URL is discovered at run time from the embedded server or
``CUTTER_DATABASE_URL``. The resource owns transactions, so an asset never
half-writes: live, a phase commits everything or nothing; dryrun, every
phase's work goes into one run-long transaction that is rolled back when the
Dagster run ends (the database also refuses to commit dryrun units), while
the ledger of the rehearsal is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import ConfigurableResource
from psycopg2 import sql
from pydantic import PrivateAttr

from cutter_assets.core.phases import LEDGER_ROLE, Mode, Role
from cutter_assets.db.connection import open_connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings


@functools.lru_cache(maxsize=8)
def _target_url(settings) -> str:
    """The target URL, found once per process and settings (the embedded
    server's socket lives in its data directory, so the URL does not move)."""
    return DatabaseServer(settings).target_url()


class CutterDatabase(ConfigurableResource):
    """Connections to the target database, as one of the lane roles."""

    _rehearsal: Any = PrivateAttr(default=None)

    def url(self) -> str:
        return _target_url(load_settings())

    @contextmanager
    def transaction(self, role: str = Role.EXEC, *, commit: bool = True) -> Iterator:
        """One transaction as ``role``: committed when the block ends normally
        and ``commit`` is true, rolled back otherwise."""
        conn = open_connection(self.url(), role=role)
        try:
            yield conn
            if commit:
                conn.commit()
            else:
                conn.rollback()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    @contextmanager
    def phase_connections(self, mode: str, role: str) -> Iterator[tuple[Any, Any]]:
        """(work, ledger) connections for one phase run as ``role``."""
        if mode == Mode.DRYRUN:
            with self._rehearsal_phase(role) as pair:
                yield pair
            return
        ledger_role = LEDGER_ROLE[role]
        with self.transaction(ledger_role) as ledger:
            if role == ledger_role:
                yield ledger, ledger
                return
            with self.transaction(role) as work:  # an independent session (the verifier)
                yield work, ledger

    @contextmanager
    def _rehearsal_phase(self, role: str):
        if self._rehearsal is None:
            self._rehearsal = open_connection(self.url())
        work = self._rehearsal
        # kept: the rehearsal's ledger, written by the same role as a live run's
        ledger = open_connection(self.url(), role=LEDGER_ROLE[role])
        try:
            with work.cursor() as cur:
                cur.execute("SAVEPOINT phase")
                cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            try:
                yield work, ledger
                ledger.commit()
            except BaseException:
                ledger.rollback()
                with work.cursor() as cur:
                    cur.execute("ROLLBACK TO SAVEPOINT phase")
                raise
            finally:
                with work.cursor() as cur:
                    cur.execute("RESET ROLE")
        finally:
            ledger.close()

    def teardown_after_execution(self, context) -> None:
        if self._rehearsal is not None:
            self._rehearsal.rollback()  # nothing a rehearsal wrote survives it
            self._rehearsal.close()
            self._rehearsal = None
