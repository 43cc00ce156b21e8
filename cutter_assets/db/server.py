"""The PostgreSQL server cutter talks to: the embedded one from the ``pgserver``
wheel (default) or the server named by ``CUTTER_DATABASE_URL``.

The server hosts two databases: the target (``cutter``, or the one named in
the URL) and Dagster's own storage (``<target>_dagster``). URLs leave this
module only through ``redact_url`` when they are shown to anyone, and a
driver's message only through ``redact_error``.
"""

from __future__ import annotations

import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import URL, make_url

from cutter_assets.core.commands import command
from cutter_assets.core.dsn import clean_url_parts, redact_error, redact_url
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import (
    DAGSTER_DB_SUFFIX,
    TARGET_DB_NAME,
    Settings,
)

# pgserver logs full command lines at INFO; keep them out of operator output.
logging.getLogger("pgserver").setLevel(logging.WARNING)


def parse_url(url: str) -> URL:
    """SQLAlchemy's reading of ``url``; STOP_CONFIG for a URL libpq would read
    otherwise (a raw '@', '%', '/', '?' or '#' in the password)."""
    if clean_url_parts(url) is None:
        raise CutterStop(
            StopCode.STOP_CONFIG,
            f"database URL {redact_url(url)} is ambiguous: write each '@', '%', '/', '?' "
            "or '#' of its userinfo as %XX",
        )
    return make_url(url)


def with_database(url: str, database: str, *, driver: str = "postgresql") -> str:
    """The same server and credentials, another database (and driver name)."""
    return (
        parse_url(url)
        .set(database=database, drivername=driver)
        .render_as_string(hide_password=False)
    )


def connect(url: str, **kwargs) -> psycopg2.extensions.connection:
    """``psycopg2.connect``; a failure is STOP_DATABASE_UNAVAILABLE whose line
    carries neither the URL's password nor any piece of it."""
    try:
        return psycopg2.connect(url, **kwargs)
    except psycopg2.Error as err:
        lines = str(err).strip().splitlines()
        reason = redact_error(lines[0] if lines else type(err).__name__, url)
        raise CutterStop(
            StopCode.STOP_DATABASE_UNAVAILABLE,
            f"cannot connect to {redact_url(url)}: {reason} — start that server (or correct "
            f"CUTTER_DATABASE_URL), then check with: {command('doctor')}",
        ) from None


def _pgserver():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver copes.
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver.utils import PostmasterInfo
    return pgserver, PostmasterInfo


@dataclass(frozen=True)
class ServerStatus:
    kind: str  # "embedded" | "external"
    running: bool
    where: str  # data directory, or the redacted URL
    url: str | None  # the admin URL of the target database (may hold a password)

    def describe(self) -> str:
        state = "running" if self.running else "stopped"
        shown = redact_url(self.url) if self.url else "-"
        return f"{self.kind} PostgreSQL {state} ({self.where}); target database {shown}"


class DatabaseServer:
    """Start, find and stop the server; create the two databases."""

    def __init__(self, settings: Settings):
        self.settings = settings

    # ---- discovery -------------------------------------------------------
    def status(self) -> ServerStatus:
        if not self.settings.embedded:
            url = self.settings.external_url
            return ServerStatus("external", _reachable(url), redact_url(url), url)
        info = self._postmaster_info()
        running = info is not None and info.is_running()
        url = with_database(info.get_uri(), TARGET_DB_NAME) if running else None
        return ServerStatus("embedded", running, str(self.settings.pg_dir), url)

    def target_url(self) -> str:
        """The admin URL of the target database; starts the embedded server if needed."""
        if not self.settings.embedded:
            return self.settings.external_url  # connecting says whether it is reachable
        status = self.status()
        if status.running:
            return status.url
        if self.settings.embedded:
            return self.up().url
        raise CutterStop(
            StopCode.STOP_DATABASE_UNAVAILABLE,
            f"cannot connect to {redact_url(self.settings.external_url)}",
        )

    def dagster_url(self) -> str:
        """The SQLAlchemy URL for Dagster's storage (psycopg2 driver, see DESIGN §8)."""
        target = parse_url(self.target_url())
        return with_database(
            target.render_as_string(hide_password=False),
            target.database + DAGSTER_DB_SUFFIX,
            driver="postgresql+psycopg2",
        )

    # ---- lifecycle -------------------------------------------------------
    def up(self) -> ServerStatus:
        if self.settings.embedded:
            self.settings.pg_dir.parent.mkdir(parents=True, exist_ok=True)
            pgserver, _ = _pgserver()
            pgserver.get_server(self.settings.pg_dir, cleanup_mode=None)
        status = self.status()
        if not status.running:
            raise CutterStop(
                StopCode.STOP_DATABASE_UNAVAILABLE, f"server did not start ({status.where})"
            )
        self._ensure_databases(status.url)
        self.write_dagster_home()
        return status

    def down(self) -> ServerStatus:
        if not self.settings.embedded:
            return self.status()
        info = self._postmaster_info()
        if info is not None and info.is_running():
            pgserver, _ = _pgserver()
            user = "pgserver" if _is_root() else None
            pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.settings.pg_dir, user=user)
        return self.status()

    def write_dagster_home(self) -> Path:
        """DAGSTER_HOME with the selected instance profile as its dagster.yaml
        (CUTTER_INSTANCE_PROFILE), copied as it is: a profile holds no URL, so
        neither does the file. An equal file is left alone (a read-only mount,
        such as a Kubernetes ConfigMap holding the same profile, stays as it is)."""
        home = self.settings.dagster_home
        home.mkdir(parents=True, exist_ok=True)
        profile = self.settings.instance_yaml
        target = home / "dagster.yaml"
        if not target.exists() or target.read_bytes() != profile.read_bytes():
            shutil.copyfile(profile, target)
        return home

    def dagster_env(self) -> dict[str, str]:
        """Environment for Dagster processes (webserver, daemon, runs); the server
        runs and both databases exist once this returns. It holds no URL: the
        instance's storage finds the server from these (see dagster_storage)."""
        self.up()
        return {
            "DAGSTER_HOME": str(self.write_dagster_home()),
            # absolute, so run workers started elsewhere find the same state and KB
            "CUTTER_STATE_DIR": str(self.settings.state_dir),
            "CUTTER_KB_ROOT": str(self.settings.kb_root),
        }

    # ---- internals -------------------------------------------------------
    def _postmaster_info(self):
        if not (self.settings.pg_dir / "PG_VERSION").exists():
            return None
        _, postmaster_info = _pgserver()
        return postmaster_info.read_from_pgdata(self.settings.pg_dir)

    def _ensure_databases(self, target_url: str) -> None:
        target = parse_url(target_url).database
        for name in (target, target + DAGSTER_DB_SUFFIX):
            create_database(target_url, name, exist_ok=True)


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def _reachable(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=5).close()
        return True
    except psycopg2.Error:
        return False


def maintenance_url(url: str) -> str:
    return with_database(url, "postgres")


def create_database(server_url: str, name: str, *, exist_ok: bool = False) -> None:
    conn = connect(maintenance_url(server_url))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() and exist_ok:
                return
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def drop_database(server_url: str, name: str) -> None:
    conn = connect(maintenance_url(server_url))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        conn.close()
