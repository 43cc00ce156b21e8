"""Intake rules for untrusted input, without a database."""

from __future__ import annotations

import hashlib

import pytest

from cutter_assets.core.intake import check_doc_code, decode_document, sanitize_echo
from cutter_assets.core.stops import CutterStop, StopCode


@pytest.mark.parametrize("code", ["ICX-CONST", "VN-HP-2013", "AB", "A" + "B" * 63])
def test_good_doc_codes_pass(code):
    assert check_doc_code(code) == code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "A",
        "icx-const",
        "1ABC",
        "ICX CONST",
        "ICX/CONST",
        "ICX_CONST",
        "ICX-CONST\n",
        "A" + "B" * 64,
        "ĐIỀU",
        "X'; DROP TABLE x;--",
        "../ETC",
    ],
)
def test_bad_doc_codes_are_refused(code):
    with pytest.raises(CutterStop) as stop:
        check_doc_code(code)
    assert stop.value.code is StopCode.STOP_BAD_DOC_CODE
    assert "\n" not in stop.value.line()


def test_text_is_decoded_and_its_exact_bytes_hashed():
    data = "Điều 1. Phạm vi\n".encode()
    decoded = decode_document(b"\xef\xbb\xbf" + data)
    assert decoded.text == "Điều 1. Phạm vi\n"
    assert decoded.sha256 == hashlib.sha256(b"\xef\xbb\xbf" + data).hexdigest()
    assert decoded.byte_size == len(data) + 3


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", StopCode.STOP_EMPTY_INPUT),
        (b" \n\t\r\n ", StopCode.STOP_EMPTY_INPUT),
        (b"\xef\xbb\xbf", StopCode.STOP_EMPTY_INPUT),
        ("Điều".encode("cp1258", errors="replace") + b"\xff\xfe", StopCode.STOP_NOT_UTF8),
        ("Điều 1.".encode("utf-16"), StopCode.STOP_NOT_UTF8),
        (b"x" * 101, StopCode.STOP_TOO_LARGE),
    ],
    ids=["empty", "whitespace", "bom-only", "latin-bytes", "utf16", "too-large"],
)
def test_bad_text_is_refused_with_its_own_code(data, code):
    with pytest.raises(CutterStop) as stop:
        decode_document(data, max_bytes=100)
    assert stop.value.code is code
    assert stop.value.exit_code == code.exit_code != 0


def test_exit_codes_are_distinct_and_nonzero():
    codes = [code.exit_code for code in StopCode]
    assert len(codes) == len(set(codes))
    assert all(0 < c < 126 for c in codes)


def test_echo_is_bounded_and_printable():
    echoed = sanitize_echo("a\x00b" + "c" * 100)
    assert "\x00" not in echoed and len(echoed) <= 43
