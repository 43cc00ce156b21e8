"""Digests: deterministic, the same for NFC/NFD, CRLF/LF and trailing-space
variants of a text (manifest_digest pins the raw source sha on purpose), and
writer_digest independent of row order and covering every column the unit
writers store (WRITTEN below). Expected values are recomputed here
with hashlib and json, never copied from the code's output."""

from __future__ import annotations

import hashlib
import json
import unicodedata

import pytest

from cutter_assets.core.legal import (
    content_hash,
    extract_units,
    idempotency_key,
    manifest_digest,
    region_sha,
    units_frame,
    writer_digest,
)
from tests.core.legal.corpus import corpus_text

CODE = "VN-HP-2013"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def variants(text: str) -> dict[str, str]:
    return {
        "nfc": unicodedata.normalize("NFC", text),
        "nfd": unicodedata.normalize("NFD", text),
        "crlf": text.replace("\n", "\r\n"),
        "cr": text.replace("\n", "\r"),
        "trailing": "\n".join(line + "  \t" for line in text.split("\n")),
        "as_found": text,
    }


@pytest.fixture(scope="module")
def extractions():
    text = corpus_text("hien-phap.txt")
    return {name: extract_units(v, doc_code=CODE) for name, v in variants(text).items()}


def test_units_are_identical_across_variants(extractions) -> None:
    reference = extractions["nfc"].units
    for name, extraction in extractions.items():
        assert extraction.units == reference, name


def test_content_hash_is_sha256_of_the_body(extractions) -> None:
    for unit in extractions["nfd"].units:
        assert unit.content_hash == sha(unit.body) == content_hash(unit.body)


def test_region_sha_invariant_and_deterministic(extractions) -> None:
    values = {name: region_sha(e) for name, e in extractions.items()}
    assert len(set(values.values())) == 1, values
    again = extract_units(corpus_text("hien-phap.txt"), doc_code=CODE)
    assert region_sha(again) == values["as_found"]
    assert values["nfc"] == sha(extractions["nfc"].region_text)
    # The region is the normalised text from the first unit to the last.
    assert extractions["nfc"].region_text.startswith("QUỐC HỘI\n-------")
    assert extractions["nfc"].region_text.endswith("CHỦ TỊCH QUỐC HỘI\n\nNguyễn Sinh Hùng")


def test_region_sha_changes_with_the_text() -> None:
    text = corpus_text("hien-phap.txt")
    a = extract_units(text, doc_code=CODE)
    b = extract_units(text.replace("Thủ đô", "Thủ phủ"), doc_code=CODE)
    assert region_sha(a) != region_sha(b)


def test_idempotency_key_recomputed_independently() -> None:
    key = idempotency_key(CODE, f"{CODE}/chp_1/art_5", "ab" * 32)
    assert key == sha(f"{CODE}|{CODE}/chp_1/art_5|{'ab' * 32}")
    with pytest.raises(ValueError):
        idempotency_key(CODE, "a|b", "ab")


WRITTEN = (
    "canonical_address",
    "unit_kind",
    "section_type",
    "number",
    "raw_heading",
    "title",
    "parent_address",
    "sort_order",
    "content_hash",
)


def _written(unit) -> dict:
    """The columns fn_iu_create_many stores for a unit (the body through its hash)."""
    return {column: getattr(unit, column) for column in WRITTEN}


def _independent_writer_digest(units) -> str:
    rows = sorted(
        (
            dict(
                _written(u),
                idempotency_key=sha(f"{CODE}|{u.canonical_address}|{u.content_hash}"),
            )
            for u in units
        ),
        key=lambda r: r["canonical_address"],
    )
    return sha(json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def test_writer_digest_order_and_input_form_free(extractions) -> None:
    units = extractions["nfc"].units
    expected = _independent_writer_digest(units)
    frame = units_frame(extractions["nfc"])
    dicts = [dict(_written(u), body=u.body) for u in units]
    assert writer_digest(units) == expected
    assert writer_digest(list(reversed(units))) == expected
    assert writer_digest(frame) == expected
    assert writer_digest(frame.iloc[::-1]) == expected
    assert writer_digest(dicts[::-1]) == expected
    with_keys = [
        dict(d, idempotency_key=sha(f"{CODE}|{d['canonical_address']}|{d['content_hash']}"))
        for d in dicts
    ]
    assert writer_digest(with_keys) == expected


def test_writer_digest_needs_every_written_column(extractions) -> None:
    row = _written(extractions["nfc"].units[1])
    for column in WRITTEN:
        partial = {k: v for k, v in row.items() if k != column}
        with pytest.raises(ValueError, match=column):
            writer_digest([partial])


def test_written_columns_invariant_across_variants(extractions) -> None:
    # raw_heading, title, number, parent and order of an NFD, CRLF or
    # trailing-space source are those of the NFC source, row for row.
    reference = [_written(u) for u in extractions["nfc"].units]
    assert any(
        r["raw_heading"] != unicodedata.normalize("NFD", r["raw_heading"]) for r in reference
    )
    assert any(r["title"] != unicodedata.normalize("NFD", r["title"]) for r in reference)
    for name, extraction in extractions.items():
        assert [_written(u) for u in extraction.units] == reference, name


def test_writer_digest_invariant_across_variants(extractions) -> None:
    values = {name: writer_digest(e.units) for name, e in extractions.items()}
    assert len(set(values.values())) == 1, values
    assert values["nfd"] == _independent_writer_digest(extractions["nfc"].units)


def test_writer_digest_changes_when_a_body_changes(extractions) -> None:
    text = corpus_text("hien-phap.txt").replace("Thủ đô", "Thủ phủ")
    changed = extract_units(text, doc_code=CODE)
    assert writer_digest(changed.units) != writer_digest(extractions["nfc"].units)


def test_manifest_digest(extractions) -> None:
    source = sha("any source bytes")
    values = {name: manifest_digest(e, source) for name, e in extractions.items()}
    # Same source sha -> the same manifest for every variant: all other parts are invariant.
    assert len(set(values.values())) == 1
    nfc = extractions["nfc"]
    expected = sha(
        json.dumps(
            {
                "doc_code": CODE,
                "language": "vi",
                "region_sha": sha(nfc.region_text),
                "unit_count": len(nfc.units),
                "source_sha256": source,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
    )
    assert values["nfc"] == expected
    # The raw bytes of an NFD copy are another source version: deliberately another manifest.
    raw_nfc = hashlib.sha256(variants(corpus_text("hien-phap.txt"))["nfc"].encode()).hexdigest()
    raw_nfd = hashlib.sha256(variants(corpus_text("hien-phap.txt"))["nfd"].encode()).hexdigest()
    assert manifest_digest(nfc, raw_nfc) != manifest_digest(extractions["nfd"], raw_nfd)
    assert manifest_digest(nfc, raw_nfc) == manifest_digest(nfc, raw_nfc)
