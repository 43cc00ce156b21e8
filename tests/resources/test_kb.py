"""The KB resource: write-once, redacted, confined to its root, and
STOP_KB_UPLOAD after three failed tries."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.resources.kb import KnowledgeBase


def test_docs_are_written_once_with_their_sha(tmp_path):
    kb = KnowledgeBase(root=str(tmp_path))
    doc = kb.write_once("a/b.md", "# hello\n")
    assert hashlib.sha256((tmp_path / "a/b.md").read_bytes()).hexdigest() == doc.sha256
    with pytest.raises(CutterStop) as stop:
        kb.write_once("a/b.md", "# changed\n")
    assert stop.value.code is StopCode.STOP_KB_UPLOAD and "write-once" in stop.value.detail
    assert (tmp_path / "a/b.md").read_text() == "# hello\n"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://admin:Zz9-secret@db:5432/cutter",
        "postgresql://admin@db:5432/cutter?password=Zz9-secret",  # a query password
        "postgresql://admin:Zz9%2Dsecret@db:5432/cutter",  # percent-encoded
    ],
)
def test_secrets_are_redacted_before_they_touch_the_disk(tmp_path, monkeypatch, url):
    monkeypatch.setenv("CUTTER_DATABASE_URL", url)
    kb = KnowledgeBase(root=str(tmp_path))
    kb.write_once(
        "x.md",
        f"url {url} and Zz9-secret again, password=hunter22\n",
    )
    text = (tmp_path / "x.md").read_text()
    assert "Zz9-secret" not in text and "hunter22" not in text and "***" in text


def test_a_failing_write_is_tried_three_times_then_stops(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the KB root should be")
    kb = KnowledgeBase(root=str(blocker / "kb"), retry_base_seconds=0.01)
    with pytest.raises(CutterStop) as stop:
        kb.write_once("doc.md", "text")
    assert stop.value.code is StopCode.STOP_KB_UPLOAD and "3 times" in stop.value.detail


@pytest.mark.parametrize("path", ["../escape.md", "a/../../escape.md", "/etc/passwd"])
def test_paths_outside_the_root_are_refused(tmp_path, path):
    with pytest.raises(CutterStop) as stop:
        KnowledgeBase(root=str(tmp_path / "kb")).write_once(path, "x")
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert not (tmp_path / "escape.md").exists()


def test_a_second_run_on_the_same_day_gets_its_own_folder(tmp_path):
    kb = KnowledgeBase(root=str(tmp_path))
    when = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    first = kb.claim_run_folder("ICX-CONST", "ab" * 32, when, "live")
    second = kb.claim_run_folder("ICX-CONST", "ab" * 32, when, "live")
    rehearsal = kb.claim_run_folder("ICX-CONST", "ab" * 32, when, "dryrun")
    assert first.endswith("icx-const/vabababababababab-automation-cut-20261121")
    assert second == first + "-0930"
    assert rehearsal.endswith("automation-dryrun-20261121")
