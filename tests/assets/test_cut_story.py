"""The whole cut through real Dagster runs: dryrun and live agree, gates
hold under repeated attempts, void then re-cut works, enacted units stay."""

from __future__ import annotations

import threading

import psycopg2
import pytest
from psycopg2 import errors

from cutter_assets.app.sovereign import arm, disarm
from cutter_assets.assets.write import change_set
from cutter_assets.core import phases as catalogue
from cutter_assets.core.stops import StopCode
from tests.assets.flow import (
    approve,
    count,
    cut_live,
    enact,
    leg_b,
    live_to_sg1,
    rehearse,
    write,
)
from tests.assets.harness import (
    materialized,
    phase_records,
    refused,
    register,
    run_row,
    start,
    survey,
)
from tests.conftest import CORPUS

LAW = CORPUS / "hien-phap.txt"
SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


@pytest.fixture(scope="module")
def constitution(governed_env, db_url):
    register(db_url, "STORY-CONST", LAW)
    rehearsal = rehearse("STORY-CONST")
    run_id = live_to_sg1("STORY-CONST")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    first_write = write("STORY-CONST", run_id)
    approve(run_id, "SG_2", governed_env["sovereign"])
    first_enact = enact("STORY-CONST", run_id)
    return rehearsal, run_id, first_write, first_enact


def test_live_and_dryrun_give_identical_digests_and_counts(constitution, db_url):
    rehearsal, live, first_write, first_enact = constitution
    assert first_write.success and first_enact.success
    assert run_row(live).state == run_row(rehearsal).state == "COMPLETED"
    dry, wet = phase_records(rehearsal), phase_records(live)
    for phase, pin in [
        ("source_pin", "manifest_digest"),
        ("mark", "region_sha"),
        ("mark", "unit_count"),
        ("cutplan", "writer_digest"),
        ("cutplan", "row_count"),
        ("change_set", "row_count"),
        ("lifecycle_enactment", "enacted_count"),
    ]:
        assert dry[phase].pins[pin] == wet[phase].pins[pin], (phase, pin)
    assert set(dry) == set(wet) and len(wet) == len(catalogue.PHASES)
    # the rehearsal committed nothing; the live run wrote every unit once, enacted
    n = wet["change_set"].pins["row_count"]
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE "
            "canonical_address LIKE 'STORY-CONST/%%'",
        )
        == n
    )
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE "
            "canonical_address LIKE 'STORY-CONST/%%' AND lifecycle_status = 'enacted'",
        )
        == n
    )
    assert (
        count(
            db_url,
            "SELECT count(*) FROM cutter_governance.cut_change_set c JOIN "
            "cutter_governance.orchestrator_run r USING (run_id) WHERE r.run_id = %s",
            (rehearsal,),
        )
        == 0
    )


def test_gates_hold_under_repeated_attempts(constitution, db_url):
    _, live, _, _ = constitution
    before = count(db_url, "SELECT count(*) FROM public.information_unit")
    for assets in (None, [change_set]):
        again = write("STORY-CONST", live, assets=assets)
        assert materialized(again) == [] and refused(again).code == StopCode.STOP_STATE
    for attempt in (leg_b("STORY-CONST", live), enact("STORY-CONST", live)):
        assert materialized(attempt) == [] and refused(attempt) is not None
    assert count(db_url, "SELECT count(*) FROM public.information_unit") == before
    change_set_id = phase_records(live)["change_set"].pins["change_set_id"]
    for table in ("cut_change_set", "manifest_envelope", "verify_result"):
        assert (
            count(
                db_url,
                f"SELECT count(*) FROM cutter_governance.{table} WHERE change_set_id = %s",
                (change_set_id,),
            )
            == 1
        )
    assert run_row(live).state == "COMPLETED"


def test_enacted_units_stay_immutable(constitution, db_url):
    _, live, _, _ = constitution
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        with pytest.raises(errors.RaiseException, match="immutable"):
            cur.execute(
                "UPDATE public.information_unit SET title = 'x' "
                "WHERE canonical_address = 'STORY-CONST/chp_1/art_1'"
            )


def test_the_verifier_wrote_as_cutter_verify(constitution, db_url):
    _, live, _, _ = constitution
    change_set_id = phase_records(live)["change_set"].pins["change_set_id"]
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT v.created_by, s.created_by, s.principal FROM "
            "cutter_governance.verify_result v JOIN cutter_governance.signature s "
            "ON s.id = v.verifier_signature_id WHERE v.change_set_id = %s",
            (change_set_id,),
        )
        assert cur.fetchone() == ("cutter_verify", "cutter_verify", "verifier")


def test_a_live_cut_needs_a_green_rehearsal(governed_env, db_url):
    register(db_url, "STORY-NOREH", SMALL_LAW)
    run_id = live_to_sg1("STORY-NOREH")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    result = write("STORY-NOREH", run_id)
    assert not result.success
    assert run_row(run_id).stop_code == "STOP_INVARIANT_FAILED"
    assert "green rehearsal" in run_row(run_id).stop_detail
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE "
            "canonical_address LIKE 'STORY-NOREH/%%'",
        )
        == 0
    )


def test_without_the_kill_switch_nothing_is_written_and_the_run_waits(governed_env, db_url):
    register(db_url, "STORY-SWITCH", SMALL_LAW)
    rehearse("STORY-SWITCH")
    run_id = live_to_sg1("STORY-SWITCH")
    approve(run_id, "SG_1", governed_env["sovereign"])
    disarm()
    attempt = write("STORY-SWITCH", run_id)
    assert materialized(attempt) == [] and not _failed_steps(attempt)
    assert refused(attempt).code == StopCode.STOP_EXECUTION_DISABLED
    assert run_row(run_id).state == "AWAITING_CUT_AUTHORIZATION"  # refused, not stopped
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE "
            "canonical_address LIKE 'STORY-SWITCH/%%'",
        )
        == 0
    )
    arm(run_id)
    assert write("STORY-SWITCH", run_id).success  # the same approval, now consumed once
    assert run_row(run_id).state == "AWAITING_LIFECYCLE_AUTHORIZATION"
    disarm()


def test_change_set_alone_without_the_gates_is_refused(governed_env, db_url):
    register(db_url, "STORY-ALONE", SMALL_LAW)
    rehearse("STORY-ALONE")
    # survey stopped by a real failure: a revoked grant
    run_id = start("STORY-ALONE", mode="live", actor="operator@test.cutter")
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("REVOKE SELECT ON public.unit_version FROM cutter_verify")
    try:
        assert not survey("STORY-ALONE", run_id).success
    finally:
        with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
            cur.execute("GRANT SELECT ON public.unit_version TO cutter_verify")
    arm(None)  # a stopped run cannot be armed: the switch waits for the next live write
    attempt = survey("STORY-ALONE", run_id, assets=[change_set])
    assert materialized(attempt) == [] and not _failed_steps(attempt)
    assert refused(attempt).code == StopCode.STOP_STATE
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE "
            "canonical_address LIKE 'STORY-ALONE/%%'",
        )
        == 0
    )
    disarm()
    # and a surveyed run awaiting SG_1 without any approval is refused as well
    register(db_url, "STORY-NOAPPROVAL", SMALL_LAW)
    rehearse("STORY-NOAPPROVAL")
    waiting = live_to_sg1("STORY-NOAPPROVAL")
    arm(waiting)
    attempt = survey("STORY-NOAPPROVAL", waiting, assets=[change_set])
    assert refused(attempt).code == StopCode.STOP_APPROVAL_INVALID
    assert run_row(waiting).state == "AWAITING_CUT_AUTHORIZATION"
    disarm()


def test_void_then_recut(governed_env, db_url, tmp_path):
    from cutter_assets.app.orchestration import void
    from cutter_assets.resources import RESOURCES

    register(db_url, "STORY-VOID", SMALL_LAW)
    rehearse("STORY-VOID")
    run_id = live_to_sg1("STORY-VOID")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    assert write("STORY-VOID", run_id).success
    drafts = count(
        db_url,
        "SELECT count(*) FROM public.information_unit WHERE canonical_address LIKE 'STORY-VOID/%%'",
    )
    reason = RESOURCES["kb"].write_once("reasons/void-story.md", "# why\nwrong edition\n").path
    plan = void(run_id, reason)
    assert run_row(run_id).state == "VOIDED"
    text = (RESOURCES["kb"].root_path() / plan).read_text()
    assert f"drafts_voided       : {drafts}" in text and "STORY-VOID/art_1" in text
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE "
            "canonical_address LIKE 'STORY-VOID/%%'",
        )
        == drafts
    )  # nothing deleted
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE canonical_address "
            "LIKE 'STORY-VOID/%%' AND lifecycle_status = 'voided'",
        )
        == drafts
    )
    again = cut_live("STORY-VOID", governed_env["sovereign"])
    assert run_row(again).state == "COMPLETED"
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE canonical_address "
            "LIKE 'STORY-VOID/%%' AND lifecycle_status = 'enacted'",
        )
        == drafts
    )


def test_an_enacted_run_cannot_be_voided(constitution, governed_env):
    from cutter_assets.app.orchestration import void
    from cutter_assets.core.stops import CutterStop
    from cutter_assets.resources import RESOURCES

    _, live, _, _ = constitution
    reason = RESOURCES["kb"].write_once("reasons/void-enacted.md", "# no\n").path
    with pytest.raises(CutterStop) as stop:
        void(live, reason)
    assert stop.value.code.name == "STOP_STATE"
    assert run_row(live).state == "COMPLETED"


def test_a_void_waits_for_an_enactment_in_progress_then_refuses(governed_env, db_url):
    """A void started while the enact phase holds the run waits for it, sees
    ENACTING and refuses: a run is never marked voided over enacted units."""
    from cutter_assets.app.orchestration import void
    from cutter_assets.core.stops import CutterStop
    from cutter_assets.db import ledger
    from cutter_assets.db.connection import open_connection
    from cutter_assets.resources import RESOURCES

    register(db_url, "STORY-RACE", SMALL_LAW)
    rehearse("STORY-RACE")
    run_id = live_to_sg1("STORY-RACE")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    assert write("STORY-RACE", run_id).success
    reason = RESOURCES["kb"].write_once("reasons/void-race.md", "# why\nrace\n").path
    outcome: dict[str, CutterStop] = {}

    def attempt_void() -> None:
        try:
            void(run_id, reason)
        except CutterStop as stop:
            outcome["stop"] = stop

    decision = approve(run_id, "SG_2", governed_env["sovereign"]).id
    # the enact phase's first steps, as its role, not yet committed
    enacting = open_connection(db_url, role="cutter_enact")
    try:
        ledger.get_run(enacting, run_id, lock=True)
        ledger.pass_gate(enacting, run_id, "SG_2_lifecycle_authz", decision, "the enact phase")
        voiding = threading.Thread(target=attempt_void)
        voiding.start()
        voiding.join(timeout=1.5)
        assert voiding.is_alive()  # waiting for the phase's transaction
        enacting.commit()
        voiding.join(timeout=60)
    finally:
        enacting.close()
        disarm()
    assert not voiding.is_alive()
    assert outcome["stop"].code.name == "STOP_STATE" and "ENACTING" in str(outcome["stop"])
    run = run_row(run_id)
    assert run.state == "ENACTING"
    assert not list((RESOURCES["kb"].root_path() / run.kb_folder).glob("VOID-*"))
    assert (
        count(
            db_url,
            "SELECT count(*) FROM public.information_unit WHERE canonical_address "
            "LIKE 'STORY-RACE/%%' AND lifecycle_status = 'voided'",
        )
        == 0
    )


def test_each_completed_run_has_one_line_in_the_runs_index(constitution):
    from cutter_assets.resources import RESOURCES
    from cutter_assets.resources.kb import RUNS_INDEX

    rehearsal, live, _, _ = constitution
    lines = (RESOURCES["kb"].root_path() / RUNS_INDEX).read_text().splitlines()
    for run_id, mode in ((rehearsal, "dryrun"), (live, "live")):
        (line,) = [line for line in lines if run_id in line]
        assert "COMPLETED" in line and mode in line and "STORY-CONST" in line


def _failed_steps(result) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
