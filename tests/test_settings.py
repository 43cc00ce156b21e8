"""Settings read from the environment refuse what they cannot use, with STOP_CONFIG."""

from __future__ import annotations

import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import load_settings


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
