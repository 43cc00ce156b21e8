"""Reading an input file (``read_input_file``) and the intake rules that keep
bad input out of the database: NUL bytes, titles, unit caps, control
characters in arguments. No database here."""

from __future__ import annotations

import os

import pytest

from cutter_assets.core.intake import (
    MAX_UNITS_CEILING,
    READ_CAP_BYTES,
    check_max_units,
    check_title,
    decode_document,
    read_input_file,
)
from cutter_assets.core.refusals import one_line, screen_arguments, screen_text
from cutter_assets.core.stops import CutterStop, StopCode
from tests.guards import within


def _refused(call, *args, **kwargs) -> CutterStop:
    with pytest.raises(CutterStop) as stop:
        call(*args, **kwargs)
    assert "\n" not in stop.value.line()
    return stop.value


def test_a_regular_file_is_read(tmp_path):
    path = tmp_path / "law.txt"
    path.write_bytes(b"Dieu 1.\n")
    assert read_input_file(path) == b"Dieu 1.\n"
    assert read_input_file(str(path), 8) == b"Dieu 1.\n"


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with within(5):
        stop = _refused(read_input_file, fifo)
    assert stop.code is StopCode.STOP_REFUSED_INPUT and "a FIFO" in stop.detail


@pytest.mark.parametrize(
    "path,kind", [("/dev/zero", "a character device"), ("/dev/null", "a character device")]
)
def test_a_device_is_refused(path, kind):
    with within(5):
        stop = _refused(read_input_file, path)
    assert stop.code is StopCode.STOP_REFUSED_INPUT and kind in stop.detail


def test_a_directory_is_refused(tmp_path):
    stop = _refused(read_input_file, tmp_path)
    assert stop.code is StopCode.STOP_REFUSED_INPUT and "a directory" in stop.detail


def test_a_missing_file_is_refused(tmp_path):
    stop = _refused(read_input_file, tmp_path / "nothing.txt")
    assert stop.code is StopCode.STOP_REFUSED_INPUT and "nothing.txt" in stop.detail


def test_a_file_name_with_a_line_break_is_echoed_on_one_line(tmp_path):
    stop = _refused(read_input_file, tmp_path / "two\nlines.txt")
    assert "two?lines.txt" in stop.detail


def test_a_link_out_of_the_working_directory_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "passwd").symlink_to("/etc/passwd")
    stop = _refused(read_input_file, "passwd")
    assert stop.code is StopCode.STOP_REFUSED_INPUT and "outside the working directory" in (
        stop.detail
    )
    (tmp_path / "etc").symlink_to("/etc")  # a linked folder on the way counts too
    assert _refused(read_input_file, "etc/passwd").code is StopCode.STOP_REFUSED_INPUT


def test_a_link_inside_the_working_directory_and_a_plain_outside_path_are_read(
    tmp_path, monkeypatch
):
    inside, outside = tmp_path / "work", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (inside / "law.txt").write_bytes(b"inside")
    (inside / "link.txt").symlink_to(inside / "law.txt")
    (outside / "law.txt").write_bytes(b"outside")
    monkeypatch.chdir(inside)
    assert read_input_file("link.txt") == b"inside"
    assert read_input_file(outside / "law.txt") == b"outside"


def test_more_than_the_cap_is_too_large(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 11)
    assert _refused(read_input_file, path, 10).code is StopCode.STOP_TOO_LARGE
    assert read_input_file(path, 11) == b"x" * 11
    assert READ_CAP_BYTES == 64 * 1024 * 1024


@pytest.mark.parametrize(
    "data",
    [b"Dieu 1. A\x00B\n", "Dieu 1. Pham vi".encode("utf-16-le"), b"\x00"],
    ids=["nul-inside", "utf16-without-bom", "only-nul"],
)
def test_nul_bytes_are_refused_at_intake(data):
    stop = _refused(decode_document, data, name="law.txt")
    assert stop.code is StopCode.STOP_REFUSED_INPUT and "NUL" in stop.detail


@pytest.mark.parametrize("title", ["a\nb", "a\rb", "a\x00b", "tab\there", "a\u2028b", "\x1b[31m"])
def test_a_title_is_one_line_of_text(title):
    assert _refused(check_title, title).code is StopCode.STOP_REFUSED_INPUT


def test_ordinary_and_long_titles():
    assert check_title("Hiến pháp 2013") == "Hiến pháp 2013"
    assert _refused(check_title, "x" * 501).code is StopCode.STOP_REFUSED_INPUT


@pytest.mark.parametrize("value", [0, -1, MAX_UNITS_CEILING + 1, 10**30])
def test_unit_caps_outside_a_postgresql_integer_are_refused(value):
    assert _refused(check_max_units, value).code is StopCode.STOP_REFUSED_INPUT


@pytest.mark.parametrize(
    "tokens",
    [
        ["--actor", "me\nSTOP_FAKE: forged"],
        ["--title", "a\x00b"],
        ["--title=a\rb"],
        ["--approver", "x\u202ey"],  # a right-to-left override
        ["--approver", "bad\udcffbyte"],  # an undecodable argv byte
    ],
)
def test_control_characters_in_arguments_are_refused(tokens):
    stop = _refused(screen_arguments, tokens)
    assert stop.code is StopCode.STOP_REFUSED_INPUT and "control character" in stop.detail


def test_numbers_are_allowed_only_where_named():
    screen_arguments(["--max-units", "4321"], numbers_allowed_for=("--max-units",))
    screen_arguments(["--max-units=4321"], numbers_allowed_for=("--max-units",))
    screen_arguments(["--port", "5432"])
    assert _refused(screen_arguments, ["--title", "4321"]).code is StopCode.STOP_REFUSED_INPUT


def test_free_text_from_anywhere_is_screened():
    screen_text("--key", "0123456789ABCDEF0123456789ABCDEF01234567")
    assert _refused(screen_text, "--actor", "a\nb").code is StopCode.STOP_REFUSED_INPUT
    stop = _refused(screen_text, "--approver", "postgresql://u:secret@h/db")
    assert "secret" not in stop.line()


def test_one_line_masks_secrets_and_joins_lines():
    line = one_line("STOP_X: first\nsecond\r\nthird postgresql://u:pw9999@h/db \x1b")
    assert line == "STOP_X: first second third postgresql://u:***@h/db ?"
    assert len(one_line("y" * 5000)) == 1000
