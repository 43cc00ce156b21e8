"""The whole story on the embedded default, as the README's demo runs it:
register a law, rehearse it, cut it live up to SG_1, let a demo sovereign
sign, and let the approval sensor in the Dagster daemon continue the run to
SG_2, enactment and closeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.orchestration import describe_run, launch_cut
from cutter_assets.app.sovereign import arm, draft_approval, ensure_demo_keys, sign_approval
from cutter_assets.core.phases import Mode, RunState
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.db.connection import connection
from cutter_assets.db.schema import apply_schema
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import load_settings
from cutter_assets.resources import RESOURCES

DOC_CODE = "ICX-CONST"
OPERATOR = "operator@demo.cutter"
WAIT_SECONDS = 300


def run_demo(say: Callable[[str], None], register: Callable[[], str]) -> None:
    server = DatabaseServer(load_settings())
    say(server.up().describe())
    with connection(server.target_url()) as conn:
        report = apply_schema(conn)
    say(f"schema: {len(report.applied)} applied, {len(report.unchanged)} unchanged")
    keys = ensure_demo_keys()
    say(f"demo keys: backup {keys['backup'][:16]}…, sovereign {keys['sovereign'][:16]}…")
    say(register())
    done = _completed_live_run()
    if done is not None:
        say(f"{DOC_CODE} is already cut (run {done}); nothing is cut twice.")
        _finish(say, done)
        return
    say("1/5 rehearsal (dryrun, all eleven phases, nothing committed) …")
    rehearsal = launch_cut(DOC_CODE, mode=Mode.DRYRUN, actor=OPERATOR, scope="enacted_only")
    _raise(rehearsal)
    say(f"    {rehearsal.state}: {rehearsal.kb_folder}")
    say("2/5 live cut: survey up to the SG_1 request …")
    live = launch_cut(DOC_CODE, mode=Mode.LIVE, actor=OPERATOR, scope="enacted_only")
    _raise(live)
    say(f"    {live.state}: run {live.run_id}")
    say(f"    {arm(live.run_id)}")
    with DagsterDaemon(server) as daemon:
        say("3/5 the demo sovereign signs SG_1; the approval sensor (Dagster daemon) continues …")
        say(f"    {_sign(live.run_id, 'SG_1', keys['sovereign'])}")
        _wait_for(live.run_id, RunState.AWAITING_LIFECYCLE_AUTHORIZATION, daemon.log)
        say("4/5 the demo sovereign signs SG_2; the sensor continues to enactment and closeout …")
        say(f"    {_sign(live.run_id, 'SG_2', keys['sovereign'])}")
        _wait_for(live.run_id, RunState.COMPLETED, daemon.log)
    say("5/5 done.")
    _finish(say, live.run_id)


def _sign(run_id: str, gate: str, fingerprint: str) -> str:
    return sign_approval(draft_approval(run_id, gate, "sovereign"), fingerprint, "gpg")


def _finish(say, run_id: str) -> None:
    say("")
    say(describe_run(run_id))
    say("")
    say(f"KB evidence:  {load_settings().kb_root}")
    say(
        f"lineage:      cutter ui   (then open http://127.0.0.1:3000, Assets, partition {DOC_CODE})"
    )


def _raise(result) -> None:
    if result.stop is not None:
        raise result.stop


def _completed_live_run() -> str | None:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return ledger.completed_live_run(conn, DOC_CODE)


def _wait_for(run_id: str, state: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with RESOURCES["database"].transaction(commit=False) as conn:
            run = ledger.get_run(conn, run_id)
        if run.state == state:
            return
        if run.state == RunState.STOPPED:
            raise CutterStop(StopCode[run.stop_code], run.stop_detail or "")
        time.sleep(1)
    raise CutterStop(
        StopCode.STOP_STATE,
        f"run {run_id} did not reach {state} within {WAIT_SECONDS} s (daemon log: {log})",
    )
