"""`cutter orchestrate cut` and the sovereign's one-liner: the survey through
Dagster on the project's instance, and every refusal with its own exit code,
one line, a sanitized echo and nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from cutter_assets.app.orchestration import project_instance
from cutter_assets.core.stops import StopCode
from tests.assets.harness import register
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


@pytest.fixture
def cutter(cutter_env, cli):
    return cli


def _runs(db_url) -> int:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cutter_governance.orchestrator_run")
        return cur.fetchone()[0]


def _subprocess(env, *args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


REFUSALS = [
    (["orchestrate", "cut", "--document-id", "CLI-A", "--force"], "--force"),
    (["orchestrate", "cut", "--document-id", "CLI-A", "--skip-verify"], "--skip-verify"),
    (["orchestrate", "cut", "--document-id", "CLI-A", "--no-backup"], "--no-backup"),
    (["orchestrate", "cut", "--document-id", "postgresql://admin:hunter2pw@db/cutter"], None),
    (["orchestrate", "cut", "--document-id", "CLI-A", "--password", "hunter2pw"], None),
    (["orchestrate", "cut", "--document-id", "CLI-A", "host=db password=hunter2pw"], None),
    (["orchestrate", "cut", "--document-id", "CLI-A", "--writer-digest", "ab" * 32], "ababab"),
    (["orchestrate", "cut", "--document-id", "CLI-A", "--expected-count", "60"], None),
    (
        [
            "orchestrate",
            "cut",
            "--document-id",
            "CLI-A",
            "--change-set-id",
            "0190f7a8-1234-7abc-8def-0123456789ab",
        ],
        None,
    ),
    (["orchestrate", "cut", "--document-id", "0190f7a8-1234-7abc-8def-0123456789ab"], None),
    (["Cắt văn bản CLI-A", "DROP TABLE public.information_unit;"], "DROP TABLE"),
    (["orchestrate", "cut", "--document-id", "CLI-A", "--actor", "60"], None),
]


@pytest.mark.parametrize("argv,echo", REFUSALS, ids=[" ".join(a)[-40:] for a, _ in REFUSALS])
def test_refused_on_sight(cutter, db_url, argv, echo):
    before = _runs(db_url)
    code, out, err = cutter(*argv)
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code
    assert err.startswith("STOP_REFUSED_INPUT:") and len(err.strip().splitlines()) == 1
    assert "hunter2pw" not in out + err
    assert "ab" * 32 not in err
    if echo:
        assert echo in err
    assert _runs(db_url) == before


def test_unknown_document_names_the_nearest(cutter, db_url):
    register(db_url, "CLI-NEAR-ONE", SMALL_LAW)
    code, _, err = cutter("Cat van ban CLI-NEAR-ONF")
    assert code == StopCode.STOP_DOCUMENT_UNKNOWN.exit_code
    assert "nearest: CLI-NEAR-ONE" in err and len(err.strip().splitlines()) == 1


def test_a_bad_document_code_is_refused(cutter):
    code, _, err = cutter("orchestrate", "cut", "--document-id", "lower-case")
    assert code == StopCode.STOP_BAD_DOC_CODE.exit_code


def _fields(stdout: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())


@pytest.mark.parametrize("say", ["Cắt văn bản", "Cat van ban"])
def test_the_sovereigns_one_liner_rehearses_then_cuts_to_sg1(cutter_env, db_url, say):
    code_name = "CLI-SAY"
    register(db_url, code_name, SMALL_LAW)
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:  # a fresh run each time
        cur.execute(
            "UPDATE cutter_governance.orchestrator_run SET state = 'VOIDED' WHERE doc_code = %s "
            "AND blocks_recut",
            (code_name,),
        )
    rehearsal = _subprocess({}, f"{say} {code_name}")
    assert rehearsal.returncode == 0, rehearsal.stderr
    assert _fields(rehearsal.stdout)["state"] == "COMPLETED"
    assert "--mode live" in _fields(rehearsal.stdout)["next"]
    done = _subprocess({}, f"{say} {code_name}", "--mode", "live")
    assert done.returncode == 0, done.stderr
    fields = _fields(done.stdout)
    assert fields["state"] == "AWAITING_CUT_AUTHORIZATION"
    run_id = fields["cut"].split()[-1]
    assert f"cutter approve draft --run-id {run_id} --gate SG_1" in done.stdout
    assert (Path(cutter_env["CUTTER_KB_ROOT"]) / fields["kb"].split()[-1]).is_dir()
    # the run is on the project's Postgres-backed instance, so the UI shows it
    inspect = _subprocess({}, "orchestrate", "inspect", "--run-id", run_id)
    assert inspect.returncode == 0
    assert "PASS cut_authorization_request" in " ".join(inspect.stdout.split())
    assert "awaiting  SG_1 cut authorization" in inspect.stdout


def test_a_second_cut_of_an_open_run_is_a_replay_conflict(cutter_env, db_url):
    register(db_url, "CLI-TWICE", SMALL_LAW)
    live = ("orchestrate", "cut", "--document-id", "CLI-TWICE", "--mode", "live")
    assert _subprocess({}, *live).returncode == 0
    before = _runs(db_url)
    again = _subprocess({}, *live)
    assert again.returncode == StopCode.STOP_REPLAY_CONFLICT.exit_code
    assert again.stderr.startswith("STOP_REPLAY_CONFLICT:")
    assert _runs(db_url) == before


def test_two_simultaneous_cuts_exactly_one_proceeds(cutter_env, db_url):
    register(db_url, "CLI-RACE", SMALL_LAW)
    command = [
        sys.executable,
        "-m",
        "cutter_assets.app.cli",
        "orchestrate",
        "cut",
        "--document-id",
        "CLI-RACE",
    ]
    procs = [
        subprocess.Popen(
            command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    codes = sorted(p.wait(timeout=300) for p in procs)
    assert codes == [0, StopCode.STOP_REPLAY_CONFLICT.exit_code]
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM cutter_governance.orchestrator_run WHERE doc_code = 'CLI-RACE'"
        )
        assert cur.fetchone()[0] == 1


def test_a_missing_backup_key_stops_before_anything_is_written(cutter_env, db_url):
    register(db_url, "CLI-NOKEY", SMALL_LAW)
    before = _runs(db_url)
    done = _subprocess(
        {"CUTTER_BACKUP_RECIPIENT": "F" * 40}, "orchestrate", "cut", "--document-id", "CLI-NOKEY"
    )
    assert done.returncode == StopCode.STOP_BACKUP.exit_code
    assert done.stderr.startswith("STOP_BACKUP:")
    assert _runs(db_url) == before


def test_no_secret_reaches_kb_logs_or_dagster_metadata(cutter_env, db_url):
    secret = "Sup3r-S3cret-pw"
    assert "postgres:@" in db_url
    with_password = db_url.replace("postgres:@", f"postgres:{secret}@")
    register(db_url, "CLI-SECRET", SMALL_LAW)
    done = _subprocess({"CUTTER_DATABASE_URL": with_password}, "Cắt văn bản CLI-SECRET")
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    run_id = next(
        line.split()[-1] for line in done.stdout.splitlines() if line.startswith("cut run")
    )
    scanned = 0
    for folder in (
        cutter_env["CUTTER_KB_ROOT"],
        cutter_env["CUTTER_BACKUP_DIR"],
        cutter_env["DAGSTER_HOME"],
    ):
        for path in Path(folder).rglob("*"):
            if path.is_file():
                scanned += 1
                assert secret.encode() not in path.read_bytes(), path
    assert scanned > 6
    instance = project_instance()
    try:
        dagster_runs = [r for r in instance.get_runs() if r.tags.get("cutter/run_id") == run_id]
        assert len(dagster_runs) == 1
        events = instance.all_logs(dagster_runs[0].run_id)
        assert events
        blob = json.dumps([str(e) for e in events]) + json.dumps(dict(dagster_runs[0].tags))
        assert secret not in blob
    finally:
        instance.dispose()
