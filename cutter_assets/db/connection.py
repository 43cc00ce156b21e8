"""Opening connections, as the administrator or as one of the lane roles.

A lane role is taken with ``SET ROLE`` on the administrator's session, so the
privileges PostgreSQL enforces are exactly that role's. A connection error is
one STOP line with no password in it (see ``cutter_assets.db.server.connect``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg2 import errors, sql

from cutter_assets.core.commands import command
from cutter_assets.core.phases import Role
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.server import connect

LANE_ROLES = Role.LANES


def open_connection(url: str, *, role: str | None = None):
    conn = connect(url, application_name="cutter", connect_timeout=10)
    if role is not None:
        if role not in LANE_ROLES:
            conn.close()
            raise ValueError(f"unknown lane role {role!r}")
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        except errors.InvalidParameterValue:  # the role does not exist: no schema yet
            conn.close()
            raise CutterStop(
                StopCode.STOP_CONFIG,
                f"the database has no role {role}: its schema is not applied — "
                f"run: {command('db init')}",
            ) from None
        conn.commit()
    return conn


@contextmanager
def connection(url: str, *, role: str | None = None) -> Iterator:
    """A connection that is rolled back unless the caller committed, then closed."""
    conn = open_connection(url, role=role)
    try:
        yield conn
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()
