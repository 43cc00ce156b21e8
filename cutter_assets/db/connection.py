"""Opening connections, as the administrator or as one of the lane roles.

A lane role is taken with ``SET ROLE`` on the administrator's session, so the
privileges PostgreSQL enforces are exactly that role's. Connection errors are
re-raised as one STOP line with the URL redacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from psycopg2 import sql

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.server import redact_url

LANE_ROLES = ("cutter_exec", "cutter_enact", "cutter_verify", "cutter_probe")


def open_connection(url: str, *, role: str | None = None):
    try:
        conn = psycopg2.connect(url, application_name="cutter", connect_timeout=10)
    except psycopg2.Error as err:
        # libpq messages name hosts and users, never passwords; redact the URL anyway.
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CutterStop(
            StopCode.STOP_DATABASE_UNAVAILABLE,
            f"cannot connect to {redact_url(url)}: {reason.replace(url, redact_url(url))}",
        ) from None
    if role is not None:
        if role not in LANE_ROLES:
            conn.close()
            raise ValueError(f"unknown lane role {role!r}")
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
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
