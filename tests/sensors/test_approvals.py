"""The approval sensor reads only regular files: a FIFO, a symlink or an
oversized file named like an approval is refused with a log line at once,
never read (a FIFO would block every tick), and requests no run."""

from __future__ import annotations

import os

from dagster import DagsterInstance, build_sensor_context

from cutter_assets.core.approvals import MAX_DOC_BYTES
from cutter_assets.resources import RESOURCES
from cutter_assets.resources.kb import LAWS_DIR
from cutter_assets.sensors.approvals import approval_sensor
from tests.guards import within


def test_files_that_are_not_plain_approvals_are_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setenv("CUTTER_KB_ROOT", str(tmp_path / "kb"))
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path / "state"))
    folder = tmp_path / "kb" / LAWS_DIR / "doc" / "v0123456789abcdef-automation-cut-20261121"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "SG1-cut-authz-approval-20261121.md")
    (tmp_path / "approval.md").write_text("---\n")
    (folder / "SG1-cut-authz-approval-20261122.md").symlink_to(tmp_path / "approval.md")
    (folder / "SG2-lifecycle-authz-approval-20261121.md").write_bytes(b"x" * (MAX_DOC_BYTES + 1))
    with DagsterInstance.ephemeral() as instance, within(10):
        with build_sensor_context(instance=instance, resources=RESOURCES) as context:
            result = approval_sensor(context)
    assert result.run_requests == [] and result.cursor == "[]"
