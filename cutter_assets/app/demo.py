"""The whole story on the embedded default, as the README's demo runs it:
register a law, rehearse it, cut it live up to SG_1, let a demo sovereign
sign, and let the approval sensor in the Dagster daemon continue the run to
SG_2, enactment and closeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from cutter_assets.app.daemon import DagsterDaemon
from cutter_assets.app.keys import allow_sovereign_key, create_backup_key
from cutter_assets.app.orchestration import describe_run, launch_cut
from cutter_assets.app.sovereign import arm, draft_approval, sign_approval
from cutter_assets.core.commands import command
from cutter_assets.core.phases import Mode, RunState
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.db.connection import connection
from cutter_assets.db.schema import apply_schema
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import Settings, load_settings
from cutter_assets.resources import RESOURCES
from cutter_assets.signing.gpg import make_key, open_gpg
from cutter_assets.signing.keyring import find_key

DOC_CODE = "ICX-CONST"
OPERATOR = "operator@demo.cutter"
WAIT_SECONDS = 300
DEMO_BACKUP_NAME = "Cutter demo backup"
DEMO_SOVEREIGN = ("Cutter demo sovereign", "sovereign@demo.cutter")


def run_demo(say: Callable[[str], None], register: Callable[[], str]) -> None:
    server = DatabaseServer(load_settings())
    say(server.up().describe())
    with connection(server.target_url()) as conn:
        report = apply_schema(conn)
    say(f"schema: {len(report.applied)} applied, {len(report.unchanged)} unchanged")
    backup, sovereign = demo_keys()
    say(f"keys: backup {backup[:16]}…, sovereign {sovereign[:16]}…")
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
        say(f"    {_sign(live.run_id, 'SG_1', sovereign)}")
        _wait_for(live.run_id, RunState.AWAITING_LIFECYCLE_AUTHORIZATION, daemon.log)
        say("4/5 the demo sovereign signs SG_2; the sensor continues to enactment and closeout …")
        say(f"    {_sign(live.run_id, 'SG_2', sovereign)}")
        _wait_for(live.run_id, RunState.COMPLETED, daemon.log)
    say("5/5 done.")
    _finish(say, live.run_id)


def demo_keys() -> tuple[str, str]:
    """(backup recipient, sovereign key to sign with): the configured ones,
    else demo keys made and configured the way ``cutter keys`` does it."""
    settings = load_settings()
    return settings.backup_recipient or create_backup_key(DEMO_BACKUP_NAME), _sovereign(settings)


def _sovereign(settings: Settings) -> str:
    """The demo signs as the sovereign: an allowed key whose secret key is
    here, or a demo key made and allowed when none is allowed yet. A demo
    key is never added to an allow-list that holds real sovereigns."""
    gpg = open_gpg(settings.gnupg_home)
    if not settings.sovereign_fingerprints:
        fingerprint = make_key(gpg, *DEMO_SOVEREIGN, encrypt=False)
        return allow_sovereign_key(fingerprint).fingerprint
    for fingerprint in settings.sovereign_fingerprints:
        key = find_key(gpg, fingerprint)
        if key is not None and key.secret:
            return fingerprint
    raise CutterStop(
        StopCode.STOP_CONFIG,
        "the demo signs as the sovereign, but no allowed sovereign key has its secret key "
        f"here; run the demo in a state dir of its own: CUTTER_STATE_DIR=.cutter-demo "
        f"{command('demo')}",
    )


def _sign(run_id: str, gate: str, fingerprint: str) -> str:
    return sign_approval(draft_approval(run_id, gate, "sovereign"), fingerprint, "gpg")


def _finish(say, run_id: str) -> None:
    say("")
    say(describe_run(run_id))
    say("")
    say(f"KB evidence:  {load_settings().kb_root}")
    say(
        f"lineage:      {command('ui')}   (then open http://127.0.0.1:3000, Assets, "
        f"partition {DOC_CODE})"
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
