"""Settings read from the environment refuse what they cannot use, with STOP_CONFIG."""

from __future__ import annotations

import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import (
    INSTANCE_PROFILES,
    PRODUCTION,
    SINGLE_MACHINE,
    load_settings,
)


@pytest.mark.parametrize("value", ["lots", "", "-5", "0", "1e6", "5 MB"])
def test_a_document_size_limit_that_is_not_a_whole_number_is_a_config_stop(tmp_path, value):
    env = {"CUTTER_STATE_DIR": str(tmp_path), "CUTTER_MAX_DOC_BYTES": value}
    with pytest.raises(CutterStop) as stop:
        load_settings(env)
    assert stop.value.code is StopCode.STOP_CONFIG
    assert "CUTTER_MAX_DOC_BYTES" in stop.value.detail


def test_a_document_size_limit_is_read_from_the_environment(tmp_path):
    env = {"CUTTER_STATE_DIR": str(tmp_path), "CUTTER_MAX_DOC_BYTES": "1234"}
    assert load_settings(env).max_doc_bytes == 1234
    assert load_settings({"CUTTER_STATE_DIR": str(tmp_path)}).max_doc_bytes == 5 * 1024 * 1024


def test_the_instance_profile_is_single_machine_unless_one_is_named(tmp_path):
    env = {"CUTTER_STATE_DIR": str(tmp_path)}
    assert load_settings(env).instance_profile == SINGLE_MACHINE
    assert load_settings(env).instance_yaml == INSTANCE_PROFILES[SINGLE_MACHINE]
    env["CUTTER_INSTANCE_PROFILE"] = "production"
    env["CUTTER_DATABASE_URL"] = "postgresql://cutter@db.example/cutter"
    assert load_settings(env).instance_profile == PRODUCTION
    assert load_settings(env).instance_yaml == INSTANCE_PROFILES[PRODUCTION]


@pytest.mark.parametrize("name", ["prod", "Production", "kubernetes", "../dagster"])
def test_a_profile_name_that_is_no_profile_is_a_config_stop_naming_the_valid_ones(tmp_path, name):
    env = {"CUTTER_STATE_DIR": str(tmp_path), "CUTTER_INSTANCE_PROFILE": name}
    with pytest.raises(CutterStop) as stop:
        load_settings(env)
    assert stop.value.code is StopCode.STOP_CONFIG
    assert stop.value.line() == (
        f"STOP_CONFIG: CUTTER_INSTANCE_PROFILE names no instance profile ({name}); "
        "use one of: single-machine, production"
    )


def test_the_production_profile_without_an_external_database_is_a_config_stop(tmp_path):
    env = {"CUTTER_STATE_DIR": str(tmp_path), "CUTTER_INSTANCE_PROFILE": "production"}
    with pytest.raises(CutterStop) as stop:
        load_settings(env)
    assert stop.value.code is StopCode.STOP_CONFIG
    assert "set CUTTER_DATABASE_URL" in stop.value.detail


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "cluster",
            "STOP_CONFIG: CUTTER_INSTANCE_PROFILE names no instance profile (cluster); "
            "use one of: single-machine, production",
        ),
        (
            "production",
            "STOP_CONFIG: the production instance profile needs an external PostgreSQL: set "
            "CUTTER_DATABASE_URL to its cutter database (or unset CUTTER_INSTANCE_PROFILE for "
            "the single-machine profile)",
        ),
    ],
)
def test_a_profile_refused_is_one_stop_line_and_its_exit_code(
    cli, tmp_path, monkeypatch, name, line
):
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("CUTTER_DATABASE_URL", raising=False)
    monkeypatch.setenv("CUTTER_INSTANCE_PROFILE", name)
    for argv in (("db", "up"), ("doctor",)):
        code, out, err = cli(*argv)
        assert code == StopCode.STOP_CONFIG.exit_code and out == ""
        assert err.splitlines() == [line]
    assert not (tmp_path / "pg").exists() and not (tmp_path / "dagster").exists()


def test_every_change_to_config_yaml_is_seen_by_the_next_read(tmp_path):
    """Parsed settings are reused only for the same bytes: a file rewritten in
    place within the same clock tick, at the same size, is read anew."""
    env = {"CUTTER_STATE_DIR": str(tmp_path)}
    config = tmp_path / "config.yaml"
    for fingerprint in ("A" * 40, "B" * 40, "A" * 40):
        config.write_text(f"backup_recipient: {fingerprint}\n", encoding="utf-8")
        assert load_settings(env).backup_recipient == fingerprint
    sovereigns = "sovereign_keys: [c1, d2]\n"
    config.write_text(sovereigns, encoding="utf-8")
    for _ in range(2):  # the list is joined into the caller's copy, never the kept one
        assert load_settings(env).sovereign_fingerprints == ("C1", "D2")
    config.write_text("- not\n- a mapping\n", encoding="utf-8")
    with pytest.raises(CutterStop) as stop:
        load_settings(env)
    assert stop.value.code is StopCode.STOP_CONFIG and str(config) in stop.value.detail
    config.unlink()
    assert load_settings(env).backup_recipient == ""
