"""Where the KB, the backups and the keyring live is the deployment's
settings, never a run's: Dagster refuses run config (launchpad or API) that
names them, before anything runs or is written."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance, DagsterInvalidConfigError, validate_run_config

from cutter_assets.definitions import defs
from cutter_assets.graph.jobs import JOBS, launch_config
from cutter_assets.graph.partitions import documents

MOVED = {
    "kb-root": ("kb", {"root": "/tmp/elsewhere-kb"}),
    "backup-dir": ("vault", {"backup_dir": "/tmp/elsewhere-backups"}),
    "gnupg-home": ("vault", {"gnupg_home": "/tmp/elsewhere-gnupg"}),
    "recipient": ("vault", {"recipient": "0" * 40}),
    "no-tables": ("vault", {"tables": []}),
}


@pytest.mark.parametrize("job", [job.name for job in JOBS])
def test_every_job_runs_without_resource_config(job):
    """No job needs resource config; the two that open a cut run need only
    its mode, and refuse a launch that does not name it."""
    definition = defs.resolve_job_def(job)
    if AssetKey("source_pin") not in definition.asset_layer.selected_asset_keys:
        validate_run_config(definition, {})
        return
    with pytest.raises(DagsterInvalidConfigError, match="mode"):
        validate_run_config(definition, {"ops": {"source_pin": {"config": {}}}})
    for mode in ("dryrun", "live"):
        validate_run_config(definition, launch_config(mode))


@pytest.mark.parametrize("job", [job.name for job in JOBS])
@pytest.mark.parametrize("moved", sorted(MOVED))
def test_a_run_config_cannot_move_the_kb_backups_or_keyring(job, moved):
    resource, config = MOVED[moved]
    with pytest.raises(DagsterInvalidConfigError) as refused:
        validate_run_config(
            defs.resolve_job_def(job), {"resources": {resource: {"config": config}}}
        )
    assert "unexpected config entry" in str(refused.value)


def test_a_run_pointed_elsewhere_is_refused_before_it_writes(tmp_path, monkeypatch):
    configured, elsewhere = tmp_path / "kb", tmp_path / "elsewhere"
    monkeypatch.setenv("CUTTER_KB_ROOT", str(configured))
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path / "state"))
    with DagsterInstance.ephemeral() as instance, pytest.raises(DagsterInvalidConfigError):
        instance.add_dynamic_partitions(documents.name, ["ICX-CONST"])
        defs.resolve_job_def("survey").execute_in_process(
            run_config={"resources": {"kb": {"config": {"root": str(elsewhere)}}}},
            instance=instance,
            partition_key="ICX-CONST",
        )
    assert not elsewhere.exists() and not configured.exists()
