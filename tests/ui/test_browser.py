"""The UI as a person uses it, in a real browser: Playwright drives Debian's
chromium against the Dagster webserver and daemon on the test's embedded
PostgreSQL. A law is rehearsed (CLI), its survey is launched live from the
survey job's launchpad, ``inspect`` shows the SG_1 pause, a signed SG_1
approval continues the run through the daemon's approval sensor, and the
change_set asset's metadata shows the approver and the full path of its KB
docs; the rehearsal's materialization says it is not the document's state.

Screenshots of each step go to ``$CUTTER_TEST_ARTIFACTS`` (default
``tests/ui/artifacts/``). Without ``/usr/bin/chromium`` (``./run test``
installs it as root with apt-get) the test is skipped and says why; the
project never downloads a browser build of its own.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dagster import DagsterRunStatus, RunsFilter

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import project_instance
from cutter_assets.app.sovereign import arm
from cutter_assets.core.stops import StopCode
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import PROJECT_ROOT, load_settings
from tests.assets.flow import place, signed_doc
from tests.assets.harness import phase_records, register, run_row
from tests.conftest import CORPUS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("CUTTER_TEST_ARTIFACTS") or Path(__file__).with_name("artifacts"))
LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"
CODE = "UI-LAW"
STEP_MS = 120_000  # a slow step of the UI on two shared cores
WAIT_SECONDS = 300


def _playwright_or_skip():
    """Playwright's sync API (and its ``expect``), or a skip that says what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser test skipped: no {CHROMIUM} (./run test installs Debian's chromium "
            "when it runs as root with apt-get; elsewhere: apt-get install chromium)"
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("browser test skipped: playwright is not installed (pip install -e '.[test]')")
    return sync_playwright, expect


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _webserver(env: dict[str, str], log: Path, workspace: Path) -> Iterator[str]:
    """The Dagster webserver on the daemon's code server and the project's
    instance (as ``cutter ui`` serves it), on a free loopback port; stopped
    (with its process group) when the block ends."""
    port = _free_port()
    webserver = Path(sys.executable).with_name("dagster-webserver")
    command = [str(webserver), "-h", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, "-w", str(workspace)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(f"{url}/server_info"), "the webserver to answer", log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def _wait_for(condition: Callable[[], bool], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise AssertionError(f"waited {WAIT_SECONDS} s for {what}\n{tail}")
        time.sleep(1)


@contextmanager
def _browser(sync_playwright) -> Iterator:
    """A page of Debian's chromium with a fresh profile; on a failure the page
    is saved (screenshot and HTML) beside the other artifacts."""
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        page = context.new_page()
        page.set_default_timeout(STEP_MS)
        try:
            yield page
        except BaseException:
            _shot(page, "failure")
            (ARTIFACTS / "failure.html").write_text(page.content(), encoding="utf-8")
            raise
        finally:
            context.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _dismiss_welcome(page) -> None:
    """Dagster greets a fresh browser profile with a newsletter dialog."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_role("button", name="Skip").click(timeout=15_000)
    except PlaywrightTimeout:
        pass  # no greeting this time


def _metadata_row(page, label: str):
    """The metadata table's row of ``label`` (its value is the row's text after it)."""
    return page.get_by_role("row").filter(has=page.get_by_text(label, exact=True)).first


def _dagster_run(run_id: str):
    instance = project_instance()
    try:
        return instance.get_run_by_id(run_id)
    finally:
        instance.dispose()


def _stage_runs(cut_run_id: str) -> list:
    instance = project_instance()
    try:
        return instance.get_runs(RunsFilter(tags={"cutter/run_id": cut_run_id}))
    finally:
        instance.dispose()


def test_a_survey_launched_from_the_ui_pauses_at_sg1_and_continues_once_signed(
    governed_env, db_url, cli
):
    sync_playwright, expect = _playwright_or_skip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("failure.*"):
        stale.unlink()
    register(db_url, CODE, LAW)
    code, _, err = cli("orchestrate", "cut", "--document-id", CODE)  # the rehearsal
    assert code == 0, err
    server = DatabaseServer(load_settings())
    env = {**os.environ, **server.dagster_env()}
    root = Path(governed_env["CUTTER_KB_ROOT"])
    with (
        DagsterDaemon(server, ARTIFACTS / "daemon.log") as daemon,
        _webserver(env, ARTIFACTS / "webserver.log", daemon.workspace) as url,
        _browser(sync_playwright) as page,
    ):
        # the survey job's launchpad: pick the partition, the config says live
        page.goto(f"{url}/locations/cutter/jobs/survey/playground")
        _dismiss_welcome(page)
        page.get_by_placeholder("Partition").click()
        page.get_by_text(CODE, exact=True).click()
        expect(page.locator(".CodeMirror")).to_contain_text("mode: 'live'", timeout=STEP_MS)
        expect(page.get_by_text("No errors")).to_be_visible()
        _shot(page, "01-survey-launchpad-live")
        page.get_by_role("button", name="Launch Run").click()
        page.wait_for_url("**/runs/**")
        dagster_run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        _wait_for(lambda: _dagster_run(dagster_run_id).is_finished, "the survey run", daemon.log)
        assert _dagster_run(dagster_run_id).status == DagsterRunStatus.SUCCESS
        page.get_by_text("Success", exact=True).first.wait_for()
        _shot(page, "02-survey-run-succeeded")

        # the pause at SG_1, as inspect shows it
        run_id = _dagster_run(dagster_run_id).tags["cutter/run_id"]
        code, out, err = cli("orchestrate", "inspect", "--run-id", run_id)
        assert code == 0, err
        assert "state     AWAITING_CUT_AUTHORIZATION" in out and "actor dagster-ui" in out

        # the sovereign arms the switch and signs; the daemon's sensor continues
        arm(run_id)
        approval = place(run_id, "SG_1", signed_doc(run_id, "SG_1", governed_env["sovereign"]))
        _wait_for(
            lambda: run_row(run_id).state in ("AWAITING_LIFECYCLE_AUTHORIZATION", "STOPPED"),
            "the write stage",
            daemon.log,
        )
        assert run_row(run_id).state == "AWAITING_LIFECYCLE_AUTHORIZATION", run_row(run_id)
        approval_sha = hashlib.sha256((root / approval).read_bytes()).hexdigest()
        write_runs = [r for r in _stage_runs(run_id) if r.job_name == "write"]
        assert [r.tags.get("dagster/run_key") for r in write_runs] == [approval_sha]
        _wait_for(lambda: _dagster_run(write_runs[0].run_id).is_finished, "the write run")
        page.goto(f"{url}/runs/{write_runs[0].run_id}")
        page.get_by_text("Success", exact=True).first.wait_for()
        _shot(page, "03-write-run-continued-by-the-sensor")

        # the change_set asset: the approval and its KB docs, by full path
        records = phase_records(run_id)
        page.goto(f"{url}/assets/change_set?view=partitions&partition={CODE}")
        _metadata_row(page, "approval/approver").wait_for()
        assert "sovereign" in _metadata_row(page, "approval/approver").inner_text()
        assert (
            governed_env["sovereign"]
            in _metadata_row(page, "approval/signer_fingerprint").inner_text()
        )
        assert str(root / approval) in _metadata_row(page, "approval/doc").inner_text()
        kb_doc = str(root / records["change_set"].kb_doc_path)
        assert kb_doc in _metadata_row(page, "kb_doc").inner_text()
        assert run_id in _metadata_row(page, "cutter/run_id").inner_text()
        _shot(page, "04-change-set-approval-metadata")

        # its history: the rehearsal's materialization says what it is
        page.goto(f"{url}/assets/change_set?view=events&partition={CODE}")
        page.locator('[data-index="1"]').first.click()  # the older event: the rehearsal
        marker = _metadata_row(page, "cutter/REHEARSAL")
        marker.wait_for()
        assert "not the document's state" in marker.inner_text()
        _shot(page, "05-change-set-rehearsal-marked")


def test_a_stopped_step_shows_its_stop_line_and_no_stack(cutter_env, db_url, cli):
    """A run stopped by a failed internal gate (more units than the document's
    cap, at mark), opened in the UI as an operator would: the failed step says
    its STOP line with the code, the detail and "handled", and no stack."""
    sync_playwright, expect = _playwright_or_skip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    register(db_url, "UI-CAPPED", LAW, max_units=5)
    code, _, err = cli("orchestrate", "cut", "--document-id", "UI-CAPPED")  # the rehearsal
    assert code == StopCode.STOP_STRUCTURE.exit_code, err
    line = "STOP_STRUCTURE: 0 < units <= cap (expected 1..5, observed 12)"
    assert "STOP_STRUCTURE: mark: 0 < units <= cap" in err  # the CLI names the phase
    (stopped,) = [run for run in _all_runs() if run.tags.get("dagster/partition") == "UI-CAPPED"]
    env = {**os.environ, **DatabaseServer(load_settings()).dagster_env()}
    workspace = PROJECT_ROOT / "workspace.yaml"
    with (
        _webserver(env, ARTIFACTS / "webserver-stop.log", workspace) as url,
        _browser(sync_playwright) as page,
    ):
        page.goto(f"{url}/runs/{stopped.run_id}")
        _dismiss_welcome(page)
        failure = page.get_by_text(line, exact=True).first
        expect(failure).to_be_visible(timeout=STEP_MS)
        expect(page.get_by_text("stop_handled", exact=True)).to_be_visible()
        failure.scroll_into_view_if_needed()
        _shot(page, "06-stopped-step-one-line")
        expect(page.get_by_text("Stack Trace")).to_have_count(0)


def _all_runs() -> list:
    instance = project_instance()
    try:
        return instance.get_runs()
    finally:
        instance.dispose()
