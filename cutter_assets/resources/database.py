"""The target database as a Dagster resource.

It holds no connection string in its config (Dagster stores config in its
event log): the URL is discovered at run time from the embedded server or
``CUTTER_DATABASE_URL``. ``transaction`` owns commit and rollback, so an
asset never half-writes: it commits everything or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource

from cutter_assets.db.connection import open_connection
from cutter_assets.db.server import DatabaseServer
from cutter_assets.settings import load_settings


class CutterDatabase(ConfigurableResource):
    """Connections to the target database, as one of the lane roles."""

    def url(self) -> str:
        return DatabaseServer(load_settings()).target_url()

    @contextmanager
    def transaction(self, role: str = "cutter_exec", *, commit: bool = True) -> Iterator:
        """One transaction as ``role``: committed when the block ends normally
        and ``commit`` is true, rolled back otherwise (dryrun passes False)."""
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
