"""`cutter doctor` on real parts: each check FAILs with the command that
fixes it until that step is done, the doctor itself starts and changes
nothing, no password is shown, the instance profile in use is shown (and
fails when its run launcher is not installed), and the daemon check sees a
real daemon."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import psycopg2
import pytest

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.doctor import examine
from cutter_assets.db.connection import open_connection
from cutter_assets.db.schema import GOVERNED_FUNCTIONS_SQL, apply_schema
from cutter_assets.db.server import DatabaseServer, create_database, drop_database, with_database
from cutter_assets.platform.settings import load_settings
from tests.guards import wait_until
from tests.keyrings import exported_key, fresh_deployment, short_dir


@contextmanager
def own_database(server_url: str, *, schema: bool):
    """A database of this test's own (the schema applied when asked), dropped
    afterwards with Dagster's storage beside it."""
    name = f"doctor_{uuid.uuid4().hex[:10]}"
    create_database(server_url, name)
    url = with_database(server_url, name)
    if schema:
        conn = open_connection(url)
        try:
            apply_schema(conn)
        finally:
            conn.close()
    try:
        yield url
    finally:
        drop_database(server_url, name)
        drop_database(server_url, name + "_dagster")


@pytest.fixture
def deployment(monkeypatch):
    with short_dir("cutdoc-") as root:
        fresh_deployment(monkeypatch, root)
        yield root


def _lines(out: str) -> dict[str, str]:
    """{check name: its line} of the doctor's output."""
    return {line.split()[1]: line for line in out.splitlines()}


def test_each_missing_step_fails_with_its_fix_until_it_is_done(
    cli, deployment, pg_server_url, monkeypatch
):
    with own_database(pg_server_url, schema=False) as url:
        monkeypatch.setenv("CUTTER_DATABASE_URL", url)
        code, out, _ = cli("doctor")
        lines = _lines(out)
        assert code == 1 and len(lines) == 7
        assert lines["server"].startswith("OK   server     external PostgreSQL running")
        home = deployment / "state" / "dagster" / "dagster.yaml"
        assert lines["profile"] == (
            "WARN profile    single-machine (instance/profiles/single-machine.yaml), "
            f"not yet in {home} — run: ./run db up"
        )
        assert lines["schema"].startswith("FAIL schema")
        assert lines["schema"].endswith("schema files not applied — run: ./run db init")
        assert lines["backup"] == (
            "FAIL backup     STOP_BACKUP: no backup recipient configured — "
            "run: ./run keys backup create"
        )
        assert lines["sovereign"].startswith("FAIL sovereign  STOP_CONFIG: no sovereign key")
        assert lines["sovereign"].endswith("run: ./run keys sovereign import FILE --allow")
        assert "not checked" in lines["killswitch"] and "not checked" in lines["daemon"]
        with psycopg2.connect(url) as conn, conn.cursor() as cur:  # checked, not applied
            cur.execute("SELECT to_regnamespace('cutter_governance')")
            assert cur.fetchone()[0] is None

        assert cli("db", "init")[0] == 0
        assert cli("keys", "backup", "create")[0] == 0
        sovereign, public = exported_key(deployment, "Sovereign", "sov@x.org")
        assert cli("keys", "sovereign", "import", str(public), "--allow")[0] == 0
        assert cli("db", "up")[0] == 0
        code, out, _ = cli("doctor")
        lines = _lines(out)
        assert code == 0
        for name in ("server", "schema", "backup", "sovereign"):
            assert lines[name].startswith("OK "), lines[name]
        assert lines["profile"] == (
            f"INFO profile    single-machine (instance/profiles/single-machine.yaml), "
            f"installed in {home}"
        )
        assert sovereign in lines["sovereign"]
        assert lines["killswitch"] == "INFO killswitch execution disarmed (at rest)"
        assert lines["daemon"].startswith("WARN daemon     not running")
        assert lines["daemon"].endswith("start it: ./run ui")


def test_a_profile_whose_run_launcher_is_not_installed_fails_with_its_fix(
    cli, deployment, pg_server_url, monkeypatch
):
    """The production profile's K8sRunLauncher comes with dagster-k8s, which
    cutter does not install: the doctor names it, and does not load the
    instance for the daemon check."""
    with own_database(pg_server_url, schema=True) as url:
        monkeypatch.setenv("CUTTER_DATABASE_URL", url)
        monkeypatch.setenv("CUTTER_INSTANCE_PROFILE", "production")
        code, out, _ = cli("doctor")
    lines = _lines(out)
    assert code == 1 and lines["schema"].startswith("OK   schema")
    assert lines["profile"] == (
        "FAIL profile    production (instance/profiles/production.yaml): its run launcher "
        "dagster_k8s.K8sRunLauncher is not installed here — install dagster-k8s (or unset "
        "CUTTER_INSTANCE_PROFILE for the single-machine profile)"
    )
    assert lines["daemon"] == "WARN daemon     not checked: the instance profile cannot load here"


def test_the_doctor_never_starts_the_embedded_server(cli, deployment, monkeypatch):
    monkeypatch.delenv("CUTTER_DATABASE_URL", raising=False)
    code, out, _ = cli("doctor")
    lines = _lines(out)
    assert code == 1
    assert lines["server"].startswith("FAIL server     embedded PostgreSQL stopped")
    assert lines["server"].endswith("— run: ./run db up")
    assert lines["schema"] == "FAIL schema     not checked: no server — run: ./run db up"
    assert not (deployment / "state" / "pg").exists()


def test_an_unreachable_server_fails_without_showing_its_password(cli, deployment, monkeypatch):
    monkeypatch.setenv("CUTTER_DATABASE_URL", "postgresql://cutter:S3cretPw@127.0.0.1:9/cutter")
    code, out, err = cli("doctor")
    server = _lines(out)["server"]
    assert code == 1 and "S3cretPw" not in out + err
    assert server.startswith("FAIL server     external PostgreSQL stopped")
    assert server.endswith("correct CUTTER_DATABASE_URL, then run: ./run db up")


def test_a_redefined_governed_function_fails_the_schema_check(
    cli, deployment, pg_server_url, monkeypatch
):
    with own_database(pg_server_url, schema=True) as url:
        monkeypatch.setenv("CUTTER_DATABASE_URL", url)
        assert _lines(cli("doctor")[1])["schema"].startswith("OK   schema")
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(GOVERNED_FUNCTIONS_SQL)
            signature = cur.fetchone()[0]
            cur.execute(f"ALTER FUNCTION {signature} SET work_mem = '1MB'")
        code, out, _ = cli("doctor")
        assert code == 1
        assert _lines(out)["schema"].startswith("FAIL schema     STOP_FINGERPRINT_DRIFT: ")
        assert f"{signature} was redefined" in out


def test_the_daemon_check_sees_a_running_daemon(deployment, pg_server_url, monkeypatch, tmp_path):
    with own_database(pg_server_url, schema=True) as url:
        monkeypatch.setenv("CUTTER_DATABASE_URL", url)

        def daemon_check():
            return next(c for c in examine() if c.name == "daemon")

        assert daemon_check().status == "WARN"
        server = DatabaseServer(load_settings())
        with DagsterDaemon(server, tmp_path / "daemon.log") as daemon:
            wait_until(lambda: daemon_check().status == "OK", 180, daemon=daemon, interval=2)
        assert daemon_check().detail.startswith("running")
