"""The asset graph is the catalogue: names, groups, order, checks and their
descriptions, prerequisites and the job of each stage all come from
core/phases.py (its rows in core/catalogue.yaml)."""

from __future__ import annotations

from cutter_assets.assets.enact import ENACT_ASSETS, ENACT_PHASES
from cutter_assets.assets.survey import SURVEY_ASSETS, SURVEY_PHASES
from cutter_assets.assets.write import WRITE_ASSETS, WRITE_PHASES
from cutter_assets.core import phases as catalogue
from cutter_assets.definitions import defs

ASSETS = [*SURVEY_ASSETS, *WRITE_ASSETS, *ENACT_ASSETS]


def test_every_asset_is_a_catalogue_phase_in_order_in_its_group():
    keys = [a.key.to_user_string() for a in ASSETS]
    assert keys == [p.key for p in catalogue.PHASES if p.asset]
    for assets_def in ASSETS:
        key = assets_def.key.to_user_string()
        assert assets_def.group_names_by_key[assets_def.key] == catalogue.phase(key).stage


def test_each_asset_depends_on_the_one_before_it():
    for before, after in zip(ASSETS, ASSETS[1:], strict=False):
        assert after.asset_deps[after.key] == {before.key}


def test_every_check_is_declared_once_with_a_description_and_its_blocking():
    declared = {
        (p.key, c.name): (c.description, c.blocking) for p in catalogue.PHASES for c in p.checks
    }
    found = {
        (spec.asset_key.to_user_string(), spec.name): (spec.description, spec.blocking)
        for assets_def in ASSETS
        for spec in assets_def.check_specs
    }
    assert found == declared
    assert all(description and len(description) > 20 for description, _ in found.values())


def test_prerequisites_and_states_come_from_the_catalogue():
    phases = {p.key: p for p in (*SURVEY_PHASES, *WRITE_PHASES, *ENACT_PHASES)}
    assert phases["change_set"].requires == catalogue.SURVEY
    assert phases["change_set"].expected_state == ("AWAITING_CUT_AUTHORIZATION",)
    assert phases["lifecycle_enactment"].expected_state == ("AWAITING_LIFECYCLE_AUTHORIZATION",)
    # past the optional structure review: from SURVEYING (no review) or awaiting it
    assert phases["mark"].expected_state == ("SURVEYING", "AWAITING_STRUCTURE_REVIEW")
    assert phases["cutplan"].expected_state == ("SURVEYING",)
    assert phases["verify_result"].role == "cutter_verify"
    assert "structural_verify" in phases["manifest_envelope"].requires
    assert phases["closeout"].requires == tuple(p.key for p in catalogue.PHASES[:-1])


def test_each_gate_continues_with_its_stage_job():
    keys = [p.key for p in catalogue.PHASES]
    for gate in catalogue.GATES:
        first_past = catalogue.PHASES[keys.index(gate.request_phase) + 1]
        for name in filter(None, (gate.next_job, gate.rehearsal_job)):
            job = defs.resolve_job_def(name)
            selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
            assert first_past.key in selected
            assert not selected & set(keys[: keys.index(gate.request_phase) + 1])


def test_past_the_structure_review_a_live_run_surveys_on_and_a_rehearsal_rehearses_on():
    live = defs.resolve_job_def(catalogue.job_after(catalogue.GATE_SG0, "live"))
    dryrun = defs.resolve_job_def(catalogue.job_after(catalogue.GATE_SG0, "dryrun"))
    assets = {p.key for p in catalogue.PHASES if p.asset}
    before = {"source_pin", "structure_review"}
    survey = {p.key for p in catalogue.PHASES if p.asset and p.stage == "survey"}
    assert {k.to_user_string() for k in live.asset_layer.selected_asset_keys} == survey - before
    assert {k.to_user_string() for k in dryrun.asset_layer.selected_asset_keys} == assets - before
    # SG_1 and SG_2 are never waited for by a rehearsal: a live run's job either way
    assert catalogue.job_after(catalogue.GATE_SG1, "dryrun") == "write"
    assert catalogue.REHEARSED_GATES == {catalogue.GATE_SG0}
    assert not catalogue.writes_past(catalogue.GATE_SG0)
    assert catalogue.writes_past(catalogue.GATE_SG1) and catalogue.writes_past(catalogue.GATE_SG2)


def test_the_catalogue_file_names_the_gates_and_states_the_code_knows():
    assert set(catalogue.GATE) == {catalogue.GATE_SG0, catalogue.GATE_SG1, catalogue.GATE_SG2}
    assert [g.short for g in catalogue.GATES] == ["SG_0", "SG_1", "SG_2"]
    assert [g.name for g in catalogue.GATES if g.optional] == [catalogue.GATE_SG0]
    states = {v for k, v in vars(catalogue.RunState).items() if k.isupper()}
    assert {p.state for p in catalogue.PHASES} <= states
    assert {g.awaited_state for g in catalogue.GATES} <= states
    assert {p.role for p in catalogue.PHASES} <= set(catalogue.Role.LANES)
    assert {p.stage for p in catalogue.PHASES} == set(catalogue.STAGES)


def test_every_story_reads_in_forty_lines_or_fewer():
    """STYLE: an asset body reads like the phase's story in ten to forty lines."""
    import ast
    from pathlib import Path

    stories = {}
    for path in (Path(__file__).resolve().parents[2] / "cutter_assets" / "assets").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_story"):
                stories[node.name] = node.end_lineno - node.lineno + 1
    assert len(stories) == len([p for p in catalogue.PHASES if p.asset])
    assert {name: n for name, n in stories.items() if n > 40} == {}
