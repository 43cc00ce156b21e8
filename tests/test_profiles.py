"""The instance profiles (instance/profiles/). The single-machine profile is
the instance every cutter process uses (instance/dagster.yaml) and loads as a
Dagster instance on the project's database. The production profile passes
Dagster's instance schema; the parts Dagster ships (its storage, found from
CUTTER_DATABASE_URL, and its run coordinator) load from their config; its run
launcher is dagster-k8s's K8sRunLauncher with options that launcher takes
(dagster-k8s is not a dependency of cutter); and both profiles keep one run
per document, the strict batch's hold, per-batch limits, the 60-minute
hard cap and a bound on the sensors' ticks. CUTTER_INSTANCE_PROFILE selects
the profile cutter installs in DAGSTER_HOME (tests/test_settings.py has its
refusals). A batch run with the DefaultRunLauncher on the project's instance
is tests/test_batch.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.instance.config import (
    dagster_instance_config,
    get_default_tick_retention_settings,
    get_tick_retention_settings,
)
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.run_coordinator import QueuedRunCoordinator, RunCoordinator
from dagster._core.scheduler.instigation import TickStatus
from dagster._core.storage.base_storage import DagsterStorage
from dagster._serdes import ConfigurableClassData

from cutter_assets.app.batch import SLOTS_TAG, batch_limits
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import (
    DAGSTER_YAML_TEMPLATE,
    PRODUCTION,
    PROJECT_ROOT,
    SINGLE_MACHINE,
    load_settings,
)
from cutter_assets.sensors.stops import HELD, HOLD_TAG

PROFILES = PROJECT_ROOT / "instance" / "profiles"
# K8sRunLauncher.config_type() of dagster-k8s 0.29.27, the release of Dagster
# 1.13.27 (instance_config_map is its one required option); production.yaml
# was validated against that schema itself.
K8S_LAUNCHER_OPTIONS = frozenset(
    {
        "dagster_home", "env_config_maps", "env_secrets", "env_vars", "fail_pod_on_run_failure",
        "image_pull_policy", "image_pull_secrets", "instance_config_map", "job_image",
        "job_namespace", "k8s_api_ssl_ca_cert_file", "kubeconfig_file", "labels",
        "load_incluster_config", "only_allow_user_defined_env_vars",
        "only_allow_user_defined_k8s_config_fields", "postgres_password_secret", "resources",
        "run_k8s_config", "scheduler_name", "security_context", "service_account_name",
        "volume_mounts", "volumes",
    }
)  # fmt: skip

# cutter's sensors tick as often as every second: skipped ticks are
# purged after a day, the others after 30 days (STARTED ticks as Dagster keeps them).
TICK_RETENTION = {
    TickStatus.STARTED: -1,
    TickStatus.SKIPPED: 1,
    TickStatus.SUCCESS: 30,
    TickStatus.FAILURE: 30,
}


@pytest.fixture
def servers(cutter_env):
    """The module's database and Dagster's beside it, as every cutter process finds them."""
    DatabaseServer(load_settings()).up()


def _validated(profile: Path, home: Path) -> dict:
    """The profile as Dagster reads it from DAGSTER_HOME, checked against the
    instance schema (an unknown key or a wrong type raises)."""
    home.mkdir()
    shutil.copyfile(profile, home / "dagster.yaml")
    config, _ = dagster_instance_config(str(home))
    return config


def _rehydrated(section: dict, base: type):
    """A ConfigurableClass section loaded from its module, class and config."""
    data = ConfigurableClassData(
        section["module"], section["class"], yaml.safe_dump(section["config"])
    )
    return data.rehydrate(base)


def test_there_is_a_single_machine_and_a_production_profile():
    assert sorted(p.name for p in PROFILES.iterdir()) == ["production.yaml", "single-machine.yaml"]
    assert (PROFILES / "single-machine.yaml").resolve() == DAGSTER_YAML_TEMPLATE.resolve()


def test_the_single_machine_profile_loads_as_the_projects_instance(servers, tmp_path):
    _validated(PROFILES / "single-machine.yaml", tmp_path / "home")
    instance = DagsterInstance.from_config(str(tmp_path / "home"))
    try:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert isinstance(instance.run_launcher, DefaultRunLauncher)  # a process per run
        assert batch_limits(instance) == [1, 2, 3, 4]
        assert instance.get_runs_count() >= 0  # its storage is the project's database
        assert instance.get_tick_retention_settings(InstigatorType.SENSOR) == TICK_RETENTION
    finally:
        instance.dispose()


def test_the_production_profile_validates_and_loads_what_dagster_ships(servers, tmp_path):
    config = _validated(PROFILES / "production.yaml", tmp_path / "home")
    coordinator = _rehydrated(config["run_coordinator"], RunCoordinator)
    assert isinstance(coordinator, QueuedRunCoordinator)
    assert coordinator.dequeue_interval_seconds == 1
    storage = _rehydrated(config["storage"]["custom"], DagsterStorage)
    try:
        assert storage.run_storage.get_runs_count() >= 0  # CUTTER_DATABASE_URL's server
    finally:
        storage.dispose()
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    assert set(launcher["config"]) <= K8S_LAUNCHER_OPTIONS
    assert "instance_config_map" in launcher["config"]
    assert launcher["config"]["env_secrets"] == ["cutter-database"]  # the URL, from a Secret
    assert config["run_monitoring"]["max_resume_run_attempts"] == 0  # a stage is never re-entered


@pytest.mark.parametrize("profile", ["single-machine.yaml", "production.yaml"])
def test_every_profile_keeps_the_limits_and_the_hard_cap(profile, tmp_path):
    config = _validated(PROFILES / profile, tmp_path / "home")
    limits = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    per_value = {"applyLimitPerUniqueValue": True}
    assert {"key": "dagster/partition", "value": per_value, "limit": 1} in limits
    assert {"key": HOLD_TAG, "value": HELD, "limit": 0} in limits
    batches = [rule for rule in limits if rule["key"].startswith(SLOTS_TAG)]
    assert batches and all(
        rule == {"key": f"{SLOTS_TAG}{rule['limit']}", "value": per_value, "limit": rule["limit"]}
        for rule in batches
    )
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] and monitoring["max_runtime_seconds"] == 3600
    text = (PROFILES / profile).read_text(encoding="utf-8")
    assert "://" not in text and "password:" not in text  # no connection string, no secret


# ---- selecting a profile: CUTTER_INSTANCE_PROFILE ---------------------------------------
SECRET = "Pr0fileS3cret"


def _installed(environ: dict[str, str]) -> Path:
    """DAGSTER_HOME/dagster.yaml once cutter has written the home for ``environ``."""
    return DatabaseServer(load_settings(environ)).write_dagster_home() / "dagster.yaml"


@pytest.mark.parametrize("name", [SINGLE_MACHINE, PRODUCTION])
def test_the_selected_profile_is_installed_in_dagster_home(name, tmp_path):
    env = {
        "CUTTER_STATE_DIR": str(tmp_path / "state"),
        "CUTTER_DATABASE_URL": f"postgresql://cutter:{SECRET}@db.example:5432/cutter",
        "CUTTER_INSTANCE_PROFILE": name,
    }
    installed = _installed(env)
    assert installed.read_bytes() == (PROFILES / f"{name}.yaml").read_bytes()
    text = installed.read_text(encoding="utf-8")
    assert SECRET not in text and "db.example" not in text and "://" not in text


def test_the_default_profile_is_single_machine_and_replaces_another(tmp_path):
    env = {"CUTTER_STATE_DIR": str(tmp_path / "state")}
    assert _installed(env).read_bytes() == DAGSTER_YAML_TEMPLATE.read_bytes()
    production = {
        **env,
        "CUTTER_INSTANCE_PROFILE": PRODUCTION,
        "CUTTER_DATABASE_URL": "postgresql://cutter@db.example/cutter",
    }
    assert _installed(production).read_bytes() == (PROFILES / "production.yaml").read_bytes()
    assert _installed(env).read_bytes() == DAGSTER_YAML_TEMPLATE.read_bytes()  # back again


@pytest.mark.parametrize("profile", ["single-machine.yaml", "production.yaml"])
def test_every_profile_purges_sensor_ticks(profile, tmp_path):
    config = _validated(PROFILES / profile, tmp_path / "home")
    settings = config["retention"]["sensor"]
    defaults = get_default_tick_retention_settings(InstigatorType.SENSOR)
    assert get_tick_retention_settings(settings, defaults) == TICK_RETENTION
