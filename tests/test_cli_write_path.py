"""Write-path integrity at the command line: bad input anywhere is one STOP
line on stderr with the STOP's own exit code, never a traceback, never a hang,
and nothing written to the database or the KB."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import uuid

import psycopg2
import pytest

from cutter_assets.core.intake import MAX_UNITS_CEILING
from cutter_assets.core.stops import StopCode
from cutter_assets.resources.backup import BackupVault
from tests.guards import within
from tests.integrity import snapshot

LAW = "Điều 1. Phạm vi\nNội dung.\n".encode()
RUN_ID = "0190f7a8-1234-7abc-8def-0123456789ab"


@pytest.fixture
def cutter(cutter_env, db_url, cli):
    """The CLI in process, asserting every call leaves the database and the KB
    as they were and fails with one STOP line: returns (exit code, stderr)."""

    def refused(*args):
        before = snapshot(db_url, cutter_env["CUTTER_KB_ROOT"])
        with within(30):
            code, out, err = cli(*args)
        assert code != 0, out
        assert len(err.splitlines()) == 1 and err.startswith("STOP_"), err
        assert "Traceback" not in out + err
        assert snapshot(db_url, cutter_env["CUTTER_KB_ROOT"]) == before
        return code, err

    return refused


def _document(db_url, doc_code):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT max_units FROM public.source_document WHERE doc_code = %s", (doc_code,))
        row = cur.fetchone()
    conn.close()
    return row


# ---- NUL bytes ------------------------------------------------------------
NUL_COMMANDS = {
    "doc add": ["doc", "add", "--code", "WP-NUL"],
    "extract": ["extract", "--doc-code", "WP-NUL"],
}


@pytest.mark.parametrize(
    "content",
    ["Điều 1. A\x00B\nNội dung.\n".encode(), "Dieu 1. A\nB\n".encode("utf-16-le")],
    ids=["nul-inside", "utf16-without-bom"],
)
@pytest.mark.parametrize("command", list(NUL_COMMANDS))
def test_nul_bytes_are_refused_at_intake(cutter, db_url, tmp_path, content, command):
    path = tmp_path / "nul.txt"
    path.write_bytes(content)
    code, err = cutter(*NUL_COMMANDS[command], str(path))
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "NUL" in err
    assert _document(db_url, "WP-NUL") is None


# ---- --max-units ----------------------------------------------------------
@pytest.mark.parametrize(
    "value", [str(MAX_UNITS_CEILING + 1), str(10**30), "0", "-5", "abc", "1e3", ""]
)
def test_a_unit_cap_that_is_no_positive_int32_is_refused(cutter, db_url, tmp_path, value):
    law = tmp_path / "law.txt"
    law.write_bytes(LAW)
    code, err = cutter("doc", "add", "--code", "WP-CAP", "--max-units", value, str(law))
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "--max-units" in err
    assert _document(db_url, "WP-CAP") is None


def test_the_largest_int32_cap_is_taken(cli, cutter_env, db_url, tmp_path):
    law = tmp_path / "law.txt"
    law.write_bytes(LAW)
    code, _, err = cli("doc", "add", "--code", "WP-CAP-MAX", "--max-units", "2147483647", str(law))
    assert code == 0, err
    assert _document(db_url, "WP-CAP-MAX") == (MAX_UNITS_CEILING,)


# ---- what a file argument may be -------------------------------------------
def _special(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.txt"
        os.mkfifo(path)
        return path
    if kind == "directory":
        return tmp_path
    if kind == "device":
        return "/dev/null"  # /dev/zero only in a subprocess: a regression reads it forever
    link = tmp_path / "passwd.txt"
    link.symlink_to("/etc/passwd")
    return link


COMMANDS = {
    "doc add": ["doc", "add", "--code", "WP-FILE"],
    "extract": ["extract", "--doc-code", "WP-FILE"],
    "approve sign": ["approve", "sign", "--provider", "stub"],
}


@pytest.mark.parametrize("kind", ["fifo", "directory", "device", "link-out-of-tree"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_only_a_regular_file_in_reach_is_read(cutter, db_url, tmp_path, command, kind):
    code, err = cutter(*COMMANDS[command], str(_special(tmp_path, kind)))
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code
    expected = {
        "fifo": "a FIFO",
        "directory": "a directory",
        "device": "a character device",
        "link-out-of-tree": "outside the working directory",
    }[kind]
    assert expected in err
    assert _document(db_url, "WP-FILE") is None


def _bounded_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_endless_device_is_refused_before_a_read(cutter_env, command):
    env = {k: v for k, v in cutter_env.items() if k != "root"}
    done = subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", *COMMANDS[command], "/dev/zero"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_bounded_memory,
    )
    assert done.returncode == StopCode.STOP_REFUSED_INPUT.exit_code, done.stderr[-500:]
    assert done.stderr.splitlines() == [
        "STOP_REFUSED_INPUT: zero is a character device, not a regular file"
    ]


@pytest.mark.parametrize(
    "content,stop",
    [
        (b"\xff\xfe\x00\x01\x80binary", StopCode.STOP_NOT_UTF8),
        ("> approval: SG_1\n".encode("utf-16"), StopCode.STOP_NOT_UTF8),
        ("> approval: SG_1\n".encode("utf-16-le"), StopCode.STOP_REFUSED_INPUT),
        (b"", StopCode.STOP_EMPTY_INPUT),
        (b"x" * (1024 * 1024 + 1), StopCode.STOP_TOO_LARGE),
    ],
    ids=["binary", "utf16", "utf16-without-bom", "empty", "too-large"],
)
def test_an_approval_file_that_is_no_text_is_refused(cutter, tmp_path, content, stop):
    path = tmp_path / "approval.md"
    path.write_bytes(content)
    code, err = cutter("approve", "sign", "--provider", "stub", str(path))
    assert code == stop.exit_code and err.startswith(stop.name + ":")


# ---- backup restore --into -------------------------------------------------
@pytest.fixture(scope="module")
def backup_run(cutter_env, db_url):
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        BackupVault().create(conn, run_id=run_id, doc_code="WP-BACKUP")
    conn.close()
    return run_id


@pytest.mark.parametrize(
    "schema",
    ["public", "cutter_governance", "cutter_meta", "information_schema", "pg_catalog", "pg_new"],
)
def test_a_restore_into_a_system_or_cutter_schema_is_refused(cutter, backup_run, schema):
    code, err = cutter("backup", "restore", "--run-id", backup_run, "--into", schema)
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and schema in err


def test_a_restore_into_an_existing_schema_is_refused(cli, cutter, backup_run):
    code, out, err = cli("backup", "restore", "--run-id", backup_run, "--into", "wp_scratch")
    assert code == 0, err
    code, err = cutter("backup", "restore", "--run-id", backup_run, "--into", "wp_scratch")
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "exists already" in err


# ---- free-text options ------------------------------------------------------
HOSTILE_TEXT = [
    "two\nlines",
    "carriage\rreturn",
    "STOP_FAKE: forged\u2028line",
    "escape \x1b[31m",
    "postgresql://u:secret@h/db",
    "password=secret",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_a_title_is_screened_like_every_argument(cutter, db_url, tmp_path, text):
    law = tmp_path / "law.txt"
    law.write_bytes(LAW)
    code, err = cutter("doc", "add", "--code", "WP-TITLE", "--title", text, str(law))
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "secret" not in err
    assert _document(db_url, "WP-TITLE") is None


@pytest.mark.parametrize("text", HOSTILE_TEXT)
@pytest.mark.parametrize(
    "args",
    [
        ["orchestrate", "cut", "--document-id", "WP-NONE", "--actor"],
        ["approve", "draft", "--run-id", RUN_ID, "--gate", "SG_1", "--approver"],
        ["orchestrate", "void", "--run-id", RUN_ID, "--reason-kb-id"],
        ["approve", "sign", "--provider", "gpg", "README.md", "--key"],
    ],
    ids=["actor", "approver", "reason", "key"],
)
def test_free_text_options_are_screened(cutter, args, text):
    code, err = cutter(*args, text)
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "secret" not in err


@pytest.mark.parametrize(
    "variable,args",
    [
        ("CUTTER_ACTOR", ["orchestrate", "cut", "--document-id", "WP-NONE"]),
        ("CUTTER_APPROVER", ["approve", "draft", "--run-id", RUN_ID, "--gate", "SG_1"]),
    ],
)
def test_free_text_defaults_from_the_environment_are_screened(cutter, monkeypatch, variable, args):
    monkeypatch.setenv(variable, "sovereign\nSTOP_FAKE: forged")
    code, err = cutter(*args)
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code


# ---- usage errors -------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["doc", "add", "--code"],
        ["doc", "add", "--code", "WP-X", "--bogus", "x", "law.txt"],
        ["extract", "--format", "xml", "law.txt"],
        ["no-such-command\nforged"],
        ["backup", "restore", "--run-id", RUN_ID],
        ["extract", "law.txt", "postgresql://u:secret@h/db"],
    ],
)
def test_a_usage_error_is_one_stop_line(cutter, args):
    code, err = cutter(*args)
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code and "secret" not in err


def test_a_bare_group_still_shows_its_help(cli):
    code, _, err = cli("doc")
    assert code == 2 and err.startswith("Usage: cutter doc") and "STOP_" not in err
