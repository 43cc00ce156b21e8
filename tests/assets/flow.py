"""The cut story step by step, for tests: rehearse, survey live, sign, write,
enact — each through real Dagster materializations."""

from __future__ import annotations

from datetime import datetime

import psycopg2

from cutter_assets.app.sovereign import arm
from cutter_assets.assets.enact import ENACT_ASSETS
from cutter_assets.assets.survey import SURVEY_ASSETS
from cutter_assets.assets.write import LEG_B_ASSETS, WRITE_ASSETS
from cutter_assets.core import approvals as core
from cutter_assets.core.phases import GATE_SG1, GATE_SG2
from cutter_assets.db import approvals, ledger
from cutter_assets.resources import RESOURCES
from cutter_assets.signing.documents import gpg_sign
from tests.assets.harness import start, survey

ALL = [*SURVEY_ASSETS, *WRITE_ASSETS, *ENACT_ASSETS]
GATE = {"SG_1": GATE_SG1, "SG_2": GATE_SG2}


def rehearse(code: str, instance=None) -> str:
    run_id = start(code, mode="dryrun", actor="operator@test.cutter")
    result = survey(code, run_id, assets=ALL, instance=instance)
    assert result.success, "rehearsal failed"
    return run_id


def live_to_sg1(code: str, instance=None, actor: str = "operator@test.cutter") -> str:
    run_id = start(code, mode="live", actor=actor)
    assert survey(code, run_id, instance=instance).success
    return run_id


def payload_sha(run_id: str, gate: str) -> str:
    request = {"SG_1": "cut_authorization_request", "SG_2": "lifecycle_authorization_request"}
    with RESOURCES["database"].transaction(commit=False) as conn:
        return ledger.phases(conn, run_id)[request[gate]].pins["payload_sha"]


def signed_doc(
    run_id: str,
    gate: str,
    key: str,
    *,
    approver="sovereign",
    payload=None,
    signed_utc: datetime | None = None,
    code="DOC",
    header_gate=None,
) -> str:
    text = core.draft(
        gate=header_gate or GATE[gate],
        run_id=run_id,
        payload_sha=payload or payload_sha(run_id, gate),
        approver=approver,
        signed_utc=signed_utc or datetime.now().astimezone(),
        doc_code=code,
    )
    return gpg_sign(text, key)


def place(run_id: str, gate: str, text: str, name: str | None = None) -> str:
    with RESOURCES["database"].transaction(commit=False) as conn:
        folder = ledger.get_run(conn, run_id).kb_folder
    stem = "SG1-cut-authz-approval" if gate == "SG_1" else "SG2-lifecycle-authz-approval"
    return RESOURCES["kb"].write_once(f"{folder}/{name or stem + '-20261121'}.md", text).path


def approve(run_id: str, gate: str, key: str, **kw) -> approvals.Decision:
    name = kw.pop("name", None)
    path = place(run_id, gate, signed_doc(run_id, gate, key, **kw), name)
    return approvals.evaluate(
        RESOURCES["database"], RESOURCES["kb"].root_path(), path, channel="test"
    )


def write(code: str, run_id: str, instance=None, assets=None):
    return survey(code, run_id, assets=assets or WRITE_ASSETS, instance=instance)


def leg_b(code: str, run_id: str, instance=None):
    return survey(code, run_id, assets=LEG_B_ASSETS, instance=instance)


def enact(code: str, run_id: str, instance=None):
    return survey(code, run_id, assets=ENACT_ASSETS, instance=instance)


def cut_live(code: str, key: str) -> str:
    """Rehearsal, live survey, SG_1, write, SG_2, enact: a COMPLETED live run."""
    rehearse(code)
    run_id = live_to_sg1(code)
    arm(run_id)
    approve(run_id, "SG_1", key)
    assert write(code, run_id).success
    approve(run_id, "SG_2", key)
    assert enact(code, run_id).success
    return run_id


def count(db_url: str, sql: str, params=()) -> int:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def last_attempt(db_url: str, path: str) -> tuple[str, str]:
    """(outcome, reason) of the newest approval_attempt for the doc at ``path``."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT outcome, reason FROM cutter_governance.approval_attempt "
            "WHERE doc_path = %s ORDER BY id DESC LIMIT 1",
            (path,),
        )
        return cur.fetchone()
