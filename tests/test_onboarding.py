"""A fresh deployment set up with the commands cutter itself names: every
command a message shows starts with the one command name (``./run`` under
the run script), works exactly as shown, and takes a registered law from an
empty state dir and keyring to the SG_1 pause and past it without the demo."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from cutter_assets.core.commands import command, command_name
from cutter_assets.core.reports import render_void_doc
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.resources.kb import KnowledgeBase
from cutter_assets.runs.stops import write_stop_doc
from cutter_assets.signing.documents import gpg_sign
from cutter_assets.signing.gpg import open_gpg
from tests.conftest import CORPUS, REPO
from tests.keyrings import exported_key, fresh_deployment, short_dir

PACKAGE = REPO / "cutter_assets"
SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
SUBCOMMANDS = "orchestrate|approve|killswitch|keys|doctor|db|doc|backup|ui|extract|demo|export"
HARD_CODED = re.compile(rf"(?<![\w./-])cutter (?:{SUBCOMMANDS})\b")


# ---- one command name -----------------------------------------------------------------
@pytest.mark.parametrize(
    "value,shown",
    [
        (None, "cutter"),
        ("./run", "./run"),
        ("/opt/cutter/bin/cutter", "/opt/cutter/bin/cutter"),
        ("python -m cutter_assets.app.cli", "python -m cutter_assets.app.cli"),
        ("", "cutter"),
        ("./run; rm -rf ~", "cutter"),
        ("$(id)", "cutter"),
        ("`id`", "cutter"),
        ("./run | tee", "cutter"),
        ("./run\nSTOP_NONE: fine", "cutter"),
        ("'./run'", "cutter"),
        (" ./run", "cutter"),
        ("./run  db", "cutter"),
        ("x" * 201, "cutter"),
    ],
)
def test_the_command_name_is_a_plain_command_or_cutter(value, shown):
    environ = {} if value is None else {"CUTTER_COMMAND": value}
    assert command_name(environ) == shown
    assert command("db init", environ) == f"{shown} db init"


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant in a module but its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, documented)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_message_hard_codes_the_cutter_command():
    """Every command shown is built by core.commands.command, so it works as
    shown under ./run as well as with cutter on the PATH."""
    found = [
        f"{path.relative_to(REPO)}:{line}: {text.strip()[:80]}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in _message_strings(path)
        if HARD_CODED.search(text)
    ]
    found += [
        f"{path.relative_to(REPO)}"
        for path in sorted(PACKAGE.rglob("templates/*"))
        if HARD_CODED.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_kb_docs_name_the_command_that_wrote_them(monkeypatch, tmp_path):
    monkeypatch.setenv("CUTTER_COMMAND", "./run")
    monkeypatch.setenv("CUTTER_KB_ROOT", str(tmp_path / "kb"))
    run = SimpleNamespace(
        run_id="R-1", doc_code="ONB-DOC", mode="live", state="STOPPED", kb_folder="runs/r1"
    )
    void_doc = render_void_doc(run, [], 0, "runs/r1/reason.md")
    assert "./run orchestrate cut --document-id ONB-DOC" in void_doc
    write_stop_doc(KnowledgeBase(), run, "mark", CutterStop(StopCode.STOP_STRUCTURE, "a gap"))
    (stop_doc,) = (tmp_path / "kb" / "runs" / "r1").glob("STOP-*.md")
    text = stop_doc.read_text()
    for shown in (
        "./run orchestrate inspect --run-id R-1",
        "./run orchestrate void --run-id R-1 --reason-kb-id <path>",
        "./run orchestrate cut --document-id ONB-DOC",
    ):
        assert shown in text
    assert not HARD_CODED.search(void_doc + text)


# ---- a fresh deployment, end to end ------------------------------------------------------
def _cutter(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _as_shown(line: str) -> subprocess.CompletedProcess:
    """A command exactly as a message shows it, typed at the repo root."""
    assert line.startswith("./run "), line
    return subprocess.run(
        line,
        shell=True,
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _fixed(refused: subprocess.CompletedProcess, code: StopCode, fix: str) -> None:
    """The refusal is one STOP line ending in the command that fixes it, and
    that command, typed as shown, works."""
    assert refused.returncode == code.exit_code, refused.stderr
    assert refused.stderr.startswith(f"{code.name}: ") and len(refused.stderr.splitlines()) == 1
    shown = refused.stderr.split(" — run: ", 1)[1].strip()
    assert shown == fix
    done = _as_shown(shown)
    assert done.returncode == 0, done.stderr


def _fields(stdout: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())


def test_a_registered_law_is_cut_live_on_a_fresh_deployment_without_the_demo(
    empty_db_url, monkeypatch
):
    with short_dir("cutonb-") as root:
        fresh_deployment(monkeypatch, root)
        monkeypatch.setenv("CUTTER_DATABASE_URL", empty_db_url)
        monkeypatch.setenv("CUTTER_ACTOR", "operator@onboarding.test")

        doctor = _cutter("doctor")
        assert doctor.returncode == 1 and "run: ./run db init" in doctor.stdout
        live_cut = ("orchestrate", "cut", "--document-id", "ONB-LAW", "--mode", "live")
        add = ("doc", "add", "--code", "ONB-LAW", str(SMALL_LAW))
        assert "run: ./run db init" in _cutter(*live_cut).stderr
        _fixed(_cutter(*add), StopCode.STOP_CONFIG, "./run db init")
        assert _cutter(*add).returncode == 0
        _fixed(_cutter(*live_cut), StopCode.STOP_BACKUP, "./run keys backup create")

        sovereign, public = exported_key(root, "Ms Sovereign", "sovereign@onboarding.test")
        imported = _cutter("keys", "sovereign", "import", str(public), "--allow")
        assert imported.returncode == 0, imported.stderr
        doctor = _cutter("doctor")
        assert doctor.returncode == 0, doctor.stdout

        rehearsal = _cutter("Cắt văn bản ONB-LAW")
        assert rehearsal.returncode == 0, rehearsal.stderr
        assert _fields(rehearsal.stdout)["state"] == "COMPLETED"
        live = _as_shown(_fields(rehearsal.stdout)["next"].split(": ", 1)[1])
        assert live.returncode == 0, live.stderr
        fields = _fields(live.stdout)
        assert fields["state"] == "AWAITING_CUT_AUTHORIZATION"
        run_id = fields["cut"].split()[-1]
        assert f"./run approve draft --run-id {run_id} --gate SG_1" in fields["next"]

        # the sovereign signs with a keyring of their own; the import lets it count
        assert _cutter("killswitch", "enable", "--single-run", "--run-id", run_id).returncode == 0
        draft = _cutter("approve", "draft", "--run-id", run_id, "--gate", "SG_1")
        assert draft.returncode == 0, draft.stderr
        own_ring = open_gpg(root / "ring-sovereign")
        approval = Path(fields["kb"].split()[-1]) / "SG1-cut-authz-approval-onboarding.md"
        signed = Path(os.environ["CUTTER_KB_ROOT"]) / approval
        signed.write_text(gpg_sign(draft.stdout, sovereign, own_ring), encoding="utf-8")
        resumed = _cutter(
            "orchestrate", "resume", "--run-id", run_id, "--approval-kb-id", str(approval)
        )
        assert resumed.returncode == 0, resumed.stderr
        assert _fields(resumed.stdout)["state"] == "AWAITING_LIFECYCLE_AUTHORIZATION"
