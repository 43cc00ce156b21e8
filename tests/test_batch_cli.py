"""The batch commands refuse bad input with one STOP line and its exit code,
before any batch is recorded or any run is opened: no document source or two,
a per-batch limit the instance has no rule for, a file that is not a list of
registered codes, documents that cannot be cut now, an unknown batch, an
inspect that names neither or both, a release of what is not quarantined."""

from __future__ import annotations

import os
import uuid

import pytest

from cutter_assets.core.stops import StopCode
from tests.assets.flow import count
from tests.assets.harness import register, start
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


@pytest.fixture(scope="module")
def law(cutter_env, db_url) -> str:
    register(db_url, "BC-LAW", SMALL_LAW)
    return "BC-LAW"


def _listing(tmp_path, text: str):
    path = tmp_path / "documents.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _refused(cli, code: StopCode, *argv: str) -> str:
    exit_code, _, err = cli(*argv)
    lines = err.strip().splitlines()
    assert exit_code == code.exit_code, err
    assert len(lines) == 1 and lines[0].startswith(code.name), err
    return lines[0]


def test_a_batch_names_its_documents_one_way(cli, law, tmp_path):
    _refused(cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "batch")
    both = ("--document-ids", _listing(tmp_path, f"{law}\n"), "--all-pending")
    _refused(cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "batch", *both)


def test_nothing_pending_is_said_and_is_no_failure(cli, law):
    exit_code, out, _ = cli("orchestrate", "batch", "--all-pending", "--mode", "live")
    assert exit_code == 0 and "no document waits for a live cut" in out


@pytest.mark.parametrize("limit", ["7", "0", "-1"])
def test_a_per_batch_limit_needs_its_rule_in_the_instance(cli, law, tmp_path, limit):
    argv = ("--document-ids", _listing(tmp_path, law), "--max-concurrent", limit)
    line = _refused(cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "batch", *argv)
    assert "--max-concurrent must be one of 1, 2, 3, 4" in line


@pytest.mark.parametrize(
    "listing,code",
    [
        ("BC-NOWHERE\n", StopCode.STOP_DOCUMENT_UNKNOWN),
        ("BC-LAW\n# again\nBC-LAW\n", StopCode.STOP_REFUSED_INPUT),
        ("# nothing but a comment\n\n", StopCode.STOP_EMPTY_INPUT),
        ("", StopCode.STOP_EMPTY_INPUT),
        ("bc-law\n", StopCode.STOP_BAD_DOC_CODE),
        ("BC-LAW\x00\n", StopCode.STOP_REFUSED_INPUT),
    ],
)
def test_a_document_list_holds_registered_codes_once(cli, law, tmp_path, listing, code):
    _refused(cli, code, "orchestrate", "batch", "--document-ids", _listing(tmp_path, listing))


def test_a_document_list_is_a_regular_file(cli, law, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        _refused(
            cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "batch", "--document-ids", str(path)
        )


def test_documents_held_by_a_cut_run_leave_nothing_to_cut(cli, cutter_env, db_url, tmp_path):
    register(db_url, "BC-BUSY", SMALL_LAW)
    run_id = start("BC-BUSY")
    line = _refused(
        cli,
        StopCode.STOP_STATE,
        "orchestrate",
        "batch",
        "--document-ids",
        _listing(tmp_path, "BC-BUSY"),
    )
    assert f"nothing to cut: BC-BUSY: cut run {run_id} holds it" in line


def test_an_actor_is_one_plain_line(cli, law, tmp_path):
    argv = ("--document-ids", _listing(tmp_path, law), "--actor", "two\nlines")
    _refused(cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "batch", *argv)


def test_an_unknown_batch_is_refused(cli, law):
    for batch_id in (str(uuid.uuid4()), "not-a-batch"):
        _refused(
            cli, StopCode.STOP_RUN_UNKNOWN, "orchestrate", "resume-batch", "--batch-id", batch_id
        )
        _refused(cli, StopCode.STOP_RUN_UNKNOWN, "orchestrate", "inspect", "--batch-id", batch_id)


def test_inspect_names_a_run_or_a_batch(cli, law):
    _refused(cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "inspect")
    both = ("--run-id", str(uuid.uuid4()), "--batch-id", str(uuid.uuid4()))
    _refused(cli, StopCode.STOP_REFUSED_INPUT, "orchestrate", "inspect", *both)


def test_only_a_quarantined_document_is_released(cli, law):
    _refused(cli, StopCode.STOP_STATE, "doc", "release", law)
    _refused(cli, StopCode.STOP_BAD_DOC_CODE, "doc", "release", "not a code")


def test_no_refusal_recorded_a_batch(cli, law, db_url):
    assert count(db_url, "SELECT count(*) FROM cutter_governance.batch") == 0
