"""Fuzzing the command line: generated arguments and file contents for the
commands that take input, valid-looking and hostile mixed (NULs, line breaks,
very long strings, huge numbers, DSNs, path traversal, special files).

Whatever comes in, ``cutter`` either succeeds or fails with exactly one STOP
line on stderr; it never prints a traceback, never hangs, and a failure leaves
the database, its schemas and the KB exactly as they were. A success may add
rows (a valid ``doc add``, a restore into a new schema): the snapshot is then
taken again."""

from __future__ import annotations

import os
import uuid

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cutter_assets.resources.backup import BackupVault
from tests.guards import within
from tests.integrity import snapshot

DSN = "postgresql://u:secret@h/db"
LAW = "Điều 1. Phạm vi\nLuật này quy định.\n\nĐiều 2. Đối tượng\nCơ quan, tổ chức.\n"
# A well-formed approval for a run that does not exist: signing reads the ledger.
APPROVAL = (
    f"---\ngate: SG_1_cut_authz\nrun_id: {uuid.uuid4()}\npayload_sha: {'a' * 64}\n"
    "signed_utc: 2026-12-01T00:00:00Z\nallowance: explicit\napprover: fz\n---\n\nI authorize.\n"
)
HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "two\nlines",
    "STOP_FAKE: forged\r\nsecond",
    "\u2028",
    "\u202eevil",
    "bad\udcffbyte",
    "\x1b[31m",
    "x" * 5000,
    "Đ" * 300,
    str(2**31),
    str(2**63),
    str(-(2**31) - 1),
    str(10**40),
    "-1",
    "0",
    "1e9",
    DSN,
    "host=h password=secret",
    "--password=secret",
    "--force",
    "--skip-verify",
    "-",
    "--",
    "../../../../etc/passwd",
    "/etc/shadow",
    "../" * 30 + "etc/passwd",
    "DROP TABLE public.information_unit;",
    "x'); DELETE FROM public.source_document;--",
    "ab" * 32,
    "public",
    "cutter_governance",
    "pg_catalog",
    "information_schema",
]
text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
contents = st.one_of(
    st.sampled_from(
        [
            b"",
            b"\x00",
            LAW.encode() + b"\x00",
            LAW.encode("utf-16"),
            LAW.encode("utf-16-le"),
            b"\xff\xfe\x00\x01binary",
            LAW.encode(),
            (LAW + DSN + "\n").encode(),
            APPROVAL.encode(),
            APPROVAL.replace("approver: fz", "approver: fz\x00").encode(),
        ]
    ),
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
)
# A file argument: generated content in a regular file, or a special path.
files = st.one_of(
    contents.map(lambda data: ("content", data)),
    st.sampled_from(["fifo", "directory", "/dev/null", "missing", "link-out", "traversal"]).map(
        lambda kind: ("special", kind)
    ),
    text.map(lambda path: ("path", path)),
)


def mostly(*values):
    """One of ``values`` three times in four, else any ``text``."""
    return st.integers(0, 3).flatmap(lambda i: text if i == 0 else st.sampled_from(values))


def options(*pairs):
    """Any subset of the given (flag, values) pairs, in any order."""
    return st.lists(
        st.sampled_from(pairs).flatmap(lambda pair: pair[1].map(lambda v: [pair[0], v])),
        max_size=len(pairs),
    ).map(lambda chosen: [token for pair in chosen for token in pair])


def flag(name, values):
    return values.map(lambda value: [name, value])


run_ids = st.integers(0, 3).flatmap(lambda i: text if i == 0 else st.uuids().map(str))
# Mostly none: an extra argument is a usage error before anything else is tried.
extras = st.integers(0, 3).flatmap(lambda i: st.lists(text, max_size=2) if i == 0 else st.just([]))
FILE = object()  # where the materialized file argument goes

COMMANDS = {
    "extract": st.tuples(
        st.just(["extract", FILE]),
        options(
            ("--language", mostly("vi", "en")),
            ("--doc-code", mostly("FZ-EXTRACT")),
            ("--max-units", mostly("1", "5", "1000")),
            ("--format", mostly("table", "jsonl")),
        ),
    ),
    "doc add": st.tuples(
        flag("--code", mostly("FZ-ADD", "FZ-ADD-EN")),
        options(
            ("--title", mostly("Luật thử", "")),
            ("--language", mostly("vi", "en")),
            ("--max-units", mostly("1", "4321", "2147483647")),
        ),
        st.just(["doc", "add", FILE]),
    ).map(lambda parts: [parts[2][:2], parts[0], parts[1], parts[2][2:]]),
    "approve draft": st.tuples(
        st.just(["approve", "draft"]),
        flag("--run-id", run_ids),
        flag("--gate", mostly("SG_1", "SG_2")),
        options(("--approver", mostly("sovereign", "so@x.vn"))),
    ),
    "approve sign": st.tuples(
        st.just(["approve", "sign", FILE]),
        options(("--provider", mostly("stub", "gpg")), ("--key", mostly("ABCDEF0123456789"))),
    ),
    "orchestrate inspect": st.tuples(
        st.just(["orchestrate", "inspect"]), flag("--run-id", run_ids)
    ),
    "orchestrate cut": st.tuples(
        st.just(["orchestrate", "cut"]),
        flag("--document-id", mostly("FZ-NONE", "fz-lower")),
        options(
            ("--mode", mostly("dryrun", "live")),
            ("--actor", mostly("sovereign@x.vn")),
            ("--scope", mostly("enacted_only", "all")),
        ),
    ),
    "backup restore": st.tuples(
        st.just(["backup", "restore"]),
        flag("--run-id", st.one_of(st.just("BACKUP"), run_ids)),
        flag("--into", mostly("fz_scratch", "fz_other", "cutter_meta", "public", "pg_fz")),
    ),
}


@pytest.fixture(scope="module")
def backup_run(cutter_env, db_url):
    """One real backup, so some generated restores get as far as the restore."""
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        BackupVault().create(conn, run_id=run_id, doc_code="FZ-ADD")
    conn.close()
    return run_id


def _materialize(spec, folder, n):
    kind, value = spec
    if kind == "content":
        path = folder / f"input-{n}.txt"
        path.write_bytes(value)
        return str(path)
    if kind == "path":
        return value
    if value == "fifo":
        path = folder / f"pipe-{n}"
        os.mkfifo(path)
        return str(path)
    if value == "directory":
        return str(folder)
    if value == "missing":
        return str(folder / "missing.txt")
    if value == "link-out":
        link = folder / f"link-{n}.txt"
        link.symlink_to("/etc/passwd")
        return str(link)
    if value == "traversal":
        return str(folder / ".." / ".." / ".." / ".." / "etc" / "passwd")
    return value


@pytest.mark.parametrize("command", list(COMMANDS))
@settings(
    max_examples=22,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_input_is_a_success_or_one_stop_line_and_nothing_written(
    cli, cutter_env, db_url, backup_run, tmp_path_factory, command, data
):
    parts = data.draw(COMMANDS[command], label="argv")
    argv = [token for part in parts for token in part]
    argv += data.draw(extras, label="extra arguments")
    folder = tmp_path_factory.mktemp("fuzz")
    if FILE in argv:
        spec = data.draw(files, label="file")
        argv[argv.index(FILE)] = _materialize(spec, folder, 0)
    argv = [backup_run if token == "BACKUP" else token for token in argv]
    kb = cutter_env["CUTTER_KB_ROOT"]
    before = snapshot(db_url, kb)
    with within(120):
        code, out, err = cli(*argv)
    assert "Traceback" not in out + err
    if code == 0:
        return  # a legitimate success may add rows
    assert len(err.splitlines()) == 1 and err.startswith("STOP_"), err
    assert DSN not in err and "secret@" not in err
    assert snapshot(db_url, kb) == before
