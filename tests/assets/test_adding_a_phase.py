"""Adding a phase is one catalogue row and one story: the asset, its place
in the graph, its group and job, its checks and the prerequisites of every
phase after it follow. The database's rules (append-only at run time) follow
by a migration generated from the catalogue (``cutter db rules --write``),
never written by hand."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import psycopg2
import pytest
from dagster import AssetKey, AssetSelection, Definitions, define_asset_job

from cutter_assets.assets.factory import phase_asset
from cutter_assets.assets.survey import SURVEY_ASSETS
from cutter_assets.core import phases as catalogue
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.rules import rules_in_force, rules_migration, write_rules_migration
from cutter_assets.resources import RESOURCES
from cutter_assets.runs.phase import Phase, PhaseOutcome

ROW = catalogue.Phase(
    "throwaway_probe", None, "Throw-away probe", "05b-throwaway-probe", "survey",
    catalogue.RunState.SURVEYING,
    checks=(catalogue.Check("probe_is_quiet", "A throw-away check, for this test."),),
    description="A phase added by one catalogue row and one story.",
)  # fmt: skip


def _story(ctx) -> PhaseOutcome:
    return PhaseOutcome(pins={}, checks={})


@pytest.fixture
def with_throwaway_phase(monkeypatch):
    phases = list(catalogue.PHASES)
    phases.insert([p.key for p in phases].index("grant_probe") + 1, ROW)
    monkeypatch.setattr(catalogue, "PHASES", tuple(phases))
    monkeypatch.setattr(catalogue, "BY_KEY", {p.key: p for p in phases})


def test_one_row_and_one_story_make_a_phase_asset_in_its_place(with_throwaway_phase):
    throwaway = phase_asset(Phase("throwaway_probe", _story))
    assert throwaway.key == AssetKey("throwaway_probe")
    assert throwaway.asset_deps[throwaway.key] == {AssetKey("grant_probe")}
    assert throwaway.group_names_by_key[throwaway.key] == "survey"
    (spec,) = throwaway.check_specs
    assert (spec.name, spec.description, spec.blocking) == (
        "probe_is_quiet",
        "A throw-away check, for this test.",
        True,
    )
    # every later phase now waits for it, and the SG_1 request follows it in the graph
    assert "throwaway_probe" in Phase("cut_authorization_request", _story).requires
    request = phase_asset(Phase("cut_authorization_request", _story))
    assert request.asset_deps[request.key] == {AssetKey("throwaway_probe")}
    # the survey job (an asset group) picks it up with no edit
    survey = define_asset_job("survey", selection=AssetSelection.groups("survey"))
    defs = Definitions(
        assets=[*SURVEY_ASSETS[:-1], throwaway, request], jobs=[survey], resources=RESOURCES
    )
    selected = defs.resolve_job_def("survey").asset_layer.selected_asset_keys
    assert AssetKey("throwaway_probe") in selected


def test_the_row_is_all_the_catalogue_needs(with_throwaway_phase):
    assert catalogue.runs_in("throwaway_probe") == (catalogue.RunState.SURVEYING,)
    assert catalogue.kb_file_name("throwaway_probe", "20261201") == (
        "05b-throwaway-probe-20261201.md"
    )
    assert dataclasses.replace(ROW).ledger_role == catalogue.Role.EXEC


def test_the_generated_migration_gives_the_database_the_new_rule(with_throwaway_phase, db_url):
    """The migration made from the catalogue with the new row, applied as a
    schema change is, leaves the database enforcing the new phase in its place:
    recorded in SURVEYING by cutter_exec, right after grant_probe."""
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            before, gates_before = rules_in_force(cur)
            assert "throwaway_probe" not in [key for _, key, _, _ in before]
            cur.execute(rules_migration())
            phases, gates = rules_in_force(cur)
        keys = [key for _, key, _, _ in phases]
        at = [key for _, key, _, _ in before].index("grant_probe") + 1
        old_keys = [key for _, key, _, _ in before]
        assert keys == old_keys[:at] + ["throwaway_probe"] + old_keys[at:]
        assert phases[at] == (at + 1, "throwaway_probe", "SURVEYING", "cutter_exec")
        assert gates == gates_before  # no gate moved
        with conn.cursor() as cur:  # and the tables are append-only again
            with pytest.raises(psycopg2.Error):
                cur.execute("DELETE FROM cutter_governance.phase_rule WHERE phase = 'mark'")
    finally:
        conn.rollback()
        conn.close()


def test_the_migration_is_written_as_the_next_schema_file(with_throwaway_phase, tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "014_ledger_state_machine.sql").write_text("-- applied\n")
    path = write_rules_migration("throwaway_probe", tmp_path)
    assert path.name == "015_throwaway_probe.sql"
    assert "'throwaway_probe'" in path.read_text(encoding="utf-8")
    with pytest.raises(CutterStop) as refused:
        write_rules_migration("../escape", tmp_path)
    assert refused.value.code == StopCode.STOP_REFUSED_INPUT


def test_db_rules_says_the_database_matches_the_catalogue(cutter_env):
    done = subprocess.run(
        [sys.executable, "-m", "cutter_assets.app.cli", "db", "rules"],
        capture_output=True,
        text=True,
        env=cutter_env,
    )
    assert done.returncode == 0, done.stderr
    assert "are the catalogue's" in done.stdout
