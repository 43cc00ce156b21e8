"""Test databases: one real PostgreSQL server per test session (the embedded
one from the pgserver wheel, or CUTTER_DATABASE_URL), and a fresh database
with the schema applied for every test module that asks for one."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutter_assets.db.connection import open_connection
from cutter_assets.db.schema import apply_schema
from cutter_assets.db.server import create_database, drop_database, with_database
from cutter_assets.signing.gpg import make_key, stop_agent

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """An administrator URL on a real server (database part is replaced per use)."""
    external = os.environ.get("CUTTER_DATABASE_URL")
    if external:
        yield external
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    # A short path: the server's Unix socket lives in it (~100 byte limit).
    data_dir = Path(tempfile.mkdtemp(prefix="cutpg-", dir="/tmp"))
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


def _database_name(prefix: str, node_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", node_name.lower())[-30:].strip("_")
    return f"{prefix}_{slug}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def empty_db_url(pg_server_url, request) -> str:
    """A brand-new empty database for this test module, dropped afterwards."""
    name = _database_name("t", request.module.__name__)
    create_database(pg_server_url, name)
    yield with_database(pg_server_url, name)
    drop_database(pg_server_url, name)
    drop_database(pg_server_url, name + "_dagster")  # made when a test starts Dagster on it


@pytest.fixture(scope="module")
def db_url(empty_db_url) -> str:
    """A fresh database of this test module with the whole schema applied."""
    conn = open_connection(empty_db_url)
    try:
        apply_schema(conn)
    finally:
        conn.close()
    return empty_db_url


@pytest.fixture(scope="session")
def gpg_home(tmp_path_factory) -> Iterator[Path]:
    """A GnuPG home with one test key (ed25519 + cv25519, no passphrase)."""
    import gnupg

    home = Path(tempfile.mkdtemp(prefix="cutgpg-", dir="/tmp"))
    home.chmod(0o700)
    gpg = gnupg.GPG(gnupghome=str(home))
    key_fingerprint = make_key(gpg, "cutter test backup", "backup@test.cutter")
    (home / "backup.fpr").write_text(key_fingerprint)
    yield home
    stop_agent(home)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def stop_gpg_agents_of_temporary_keyrings(tmp_path_factory):
    """The keyrings tests make under pytest's temporary folders (demo keys,
    other recipients) get their agents stopped when the session ends."""
    yield
    for keyring in tmp_path_factory.getbasetemp().rglob("pubring.kbx"):
        stop_agent(keyring.parent)


@pytest.fixture(scope="module")
def cutter_env(db_url, gpg_home, tmp_path_factory):
    """The process environment of a cutter deployment on this module's database:
    KB, state, backups and the backup recipient all in fresh temporary places."""
    root = tmp_path_factory.mktemp("cutter")
    env = {
        "CUTTER_DATABASE_URL": db_url,
        "CUTTER_STATE_DIR": str(root / "state"),
        "CUTTER_KB_ROOT": str(root / "kb"),
        "CUTTER_BACKUP_DIR": str(root / "backups"),
        "CUTTER_GNUPGHOME": str(gpg_home),
        "CUTTER_BACKUP_RECIPIENT": (gpg_home / "backup.fpr").read_text(),
        "DAGSTER_HOME": str(root / "state" / "dagster"),
    }
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    yield {**env, "root": root}
    mp.undo()


CORPUS = REPO / "corpus" / "vn"


@pytest.fixture(scope="session")
def sovereign_key(gpg_home) -> str:
    """An allow-listed sovereign signing key in the test keyring."""
    import gnupg

    gpg = gnupg.GPG(gnupghome=str(gpg_home))
    key_fingerprint = make_key(gpg, "test sovereign", "sovereign@test.cutter", encrypt=False)
    return key_fingerprint


@pytest.fixture(scope="session")
def stranger_key(gpg_home) -> str:
    """A key in the keyring that is NOT on the sovereign allow-list."""
    import gnupg

    gpg = gnupg.GPG(gnupghome=str(gpg_home))
    key_fingerprint = make_key(gpg, "stranger", "stranger@test.cutter", encrypt=False)
    return key_fingerprint


@pytest.fixture(scope="module")
def governed_env(cutter_env, sovereign_key):
    """cutter_env plus the sovereign allow-list."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CUTTER_SOVEREIGN_KEYS", sovereign_key)
    yield {**cutter_env, "sovereign": sovereign_key}
    mp.undo()


@pytest.fixture
def cli(capsys):
    """Run ``cutter`` in process: (exit code, stdout, stderr)."""
    from cutter_assets.app.cli import main

    def run(*args):
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            main([*args])
            raise SystemExit(0)
        out, err = capsys.readouterr()
        return done.value.code or 0, out, err

    return run


# ---- the attack suite's table (tests/attacks, `./run attacks`) ----------------
ATTACKS = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[ATTACKS] = []


@pytest.fixture
def attack(request):
    """Record one attack as a row of the table: (name, expected, observed);
    the row passes when observed equals expected (or as ``passed`` says),
    and the test fails with it."""
    rows = request.config.stash[ATTACKS]

    def record(name: str, expected: str, observed: str, *, passed: bool | None = None) -> None:
        ok = observed == expected if passed is None else passed
        rows.append((name, expected, observed, ok))
        assert ok, f"{name}: expected {expected}, observed {observed}"

    return record


def pytest_terminal_summary(terminalreporter, config):
    rows = config.stash.get(ATTACKS, [])
    if not rows:
        return
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    widths = [
        max(w, len(h)) for w, h in zip(widths, ("attack", "expected", "observed"), strict=True)
    ]
    write = terminalreporter.write_line
    write("")
    write(
        " | ".join(
            h.ljust(w) for h, w in zip(("attack", "expected", "observed"), widths, strict=True)
        )
        + " | result"
    )
    for name, expected, observed, ok in rows:
        cells = (name, expected, observed)
        write(
            " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            + (" | PASS" if ok else " | FAIL")
        )
    passed = sum(1 for row in rows if row[3])
    write(f"attacks: {passed} passed, {len(rows) - passed} failed")
