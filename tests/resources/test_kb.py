"""The KB resource: rooted where the settings say, write-once, redacted,
confined to its root, STOP_KB_UPLOAD after three failed tries, and reading
only regular files of a capped size, never blocking on a FIFO."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

import pytest

from cutter_assets.core.approvals import MAX_DOC_BYTES
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.resources.kb import LAWS_DIR, KnowledgeBase
from tests.guards import within


@pytest.fixture
def kb_at(monkeypatch):
    """The KB resource over ``root``, set the one way a deployment sets it."""

    def at(root) -> KnowledgeBase:
        monkeypatch.setenv("CUTTER_KB_ROOT", str(root))
        return KnowledgeBase(retry_base_seconds=0.01)

    return at


def test_docs_are_written_once_with_their_sha(tmp_path, kb_at):
    kb = kb_at(tmp_path)
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
def test_secrets_are_redacted_before_they_touch_the_disk(tmp_path, monkeypatch, kb_at, url):
    monkeypatch.setenv("CUTTER_DATABASE_URL", url)
    kb = kb_at(tmp_path)
    kb.write_once(
        "x.md",
        f"url {url} and Zz9-secret again, password=hunter22\n",
    )
    text = (tmp_path / "x.md").read_text()
    assert "Zz9-secret" not in text and "hunter22" not in text and "***" in text


def test_a_failing_write_is_tried_three_times_then_stops(tmp_path, kb_at):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the KB root should be")
    kb = kb_at(blocker / "kb")
    with pytest.raises(CutterStop) as stop:
        kb.write_once("doc.md", "text")
    assert stop.value.code is StopCode.STOP_KB_UPLOAD and "3 times" in stop.value.detail


@pytest.mark.parametrize("path", ["../escape.md", "a/../../escape.md", "/etc/passwd"])
def test_paths_outside_the_root_are_refused(tmp_path, kb_at, path):
    with pytest.raises(CutterStop) as stop:
        kb_at(tmp_path / "kb").write_once(path, "x")
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT
    assert not (tmp_path / "escape.md").exists()


def test_a_second_run_on_the_same_day_gets_its_own_folder(tmp_path, kb_at):
    kb = kb_at(tmp_path)
    when = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    first = kb.claim_run_folder("ICX-CONST", "ab" * 32, when, "live")
    second = kb.claim_run_folder("ICX-CONST", "ab" * 32, when, "live")
    rehearsal = kb.claim_run_folder("ICX-CONST", "ab" * 32, when, "dryrun")
    assert first.endswith("icx-const/vabababababababab-automation-cut-20261121")
    assert second == first + "-0930"
    assert rehearsal.endswith("automation-dryrun-20261121")


def test_the_root_is_the_settings_and_no_resource_field(tmp_path, kb_at):
    assert kb_at(tmp_path).root_path() == tmp_path
    assert "root" not in KnowledgeBase.model_fields
    assert KnowledgeBase(root=str(tmp_path / "elsewhere")).root_path() == tmp_path


def test_a_doc_is_read_back(tmp_path, kb_at):
    kb = kb_at(tmp_path)
    kb.write_once("a/b.md", "# hello\n")
    assert kb.read("a/b.md") == b"# hello\n"


def test_a_fifo_named_like_an_approval_is_refused_at_once(tmp_path, kb_at):
    kb = kb_at(tmp_path)
    folder = LAWS_DIR / "doc" / "v0123456789abcdef-automation-cut-20261121"
    (tmp_path / folder).mkdir(parents=True)
    os.mkfifo(tmp_path / folder / "SG1-cut-authz-approval-20261121.md")
    with within(5), pytest.raises(CutterStop) as stop:
        kb.read(f"{folder}/SG1-cut-authz-approval-20261121.md", cap=MAX_DOC_BYTES)
    assert stop.value.code is StopCode.STOP_REFUSED_INPUT and "FIFO" in stop.value.detail


def test_symlinks_are_never_read_through(tmp_path, kb_at):
    kb = kb_at(tmp_path / "kb")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "approval.md").write_text("approved")
    kb.write_once("run/real.md", "real")
    (tmp_path / "kb" / "run" / "link.md").symlink_to(tmp_path / "outside" / "approval.md")
    (tmp_path / "kb" / "linked-run").symlink_to(tmp_path / "outside")
    for path in ("run/link.md", "linked-run/approval.md"):
        with pytest.raises(CutterStop) as stop:
            kb.read(path)
        assert stop.value.code is StopCode.STOP_REFUSED_INPUT, path


def test_a_doc_over_the_cap_is_refused(tmp_path, kb_at):
    kb = kb_at(tmp_path)
    kb.write_once("big.md", "x" * (MAX_DOC_BYTES + 1))
    with pytest.raises(CutterStop) as stop:
        kb.read("big.md", cap=MAX_DOC_BYTES)
    assert stop.value.code is StopCode.STOP_TOO_LARGE
    assert len(kb.read("big.md")) == MAX_DOC_BYTES + 1
