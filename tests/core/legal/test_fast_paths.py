"""The extractor's fast paths give exactly what the general paths give.

Each shortcut is checked against the plain definition it replaces: the
characters ``prepare_text`` may skip against ``unicodedata``, ``nfc_line``
against ``unicodedata.normalize``, ``prepare_text`` against composing every
line, the language count against ``str.count``, the clean heading forms
against ``classify``, and whole extractions with the shortcuts on against the
same extractions taken the general way (no clean forms, no promises about
spaces or quotation marks), over the corpus, mutations of it and generated
laws.
"""

from __future__ import annotations

import random
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutter_assets.core.legal import EXTRACTORS
from cutter_assets.core.legal.detect import detect_language
from cutter_assets.core.legal.extract import prepare_text
from cutter_assets.core.legal.model import ExtractWarning
from cutter_assets.core.legal.normalize import (
    LOOKALIKES,
    PLAIN_RANGES,
    clean_inline,
    has_lookalike,
    has_odd_space,
    join_body,
    nfc_line,
    normalize_line,
    plain_end,
    split_lines,
)
from cutter_assets.core.legal.tree import Heading, build_extraction, has_quote_mark
from cutter_assets.core.stops import CutterStop
from tests.core.legal.corpus import CORPUS_FILES, corpus_text
from tests.core.legal.generators import generate

CODE = "VN-FAST"
VI = EXTRACTORS["vi"]


def _plain_chars() -> list[str]:
    return [
        chr(c) for lo, hi in PLAIN_RANGES for c in range(ord(lo), ord(hi) + 1) if chr(c) != "\n"
    ]


def _composition_seconds() -> set[str]:
    """Every character that follows the first in a canonical decomposition: the
    only ones a preceding character can compose with (plus Hangul vowels and
    trailing consonants, composed by rule)."""
    seconds = {chr(c) for c in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for code in range(sys.maxunicode + 1):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<"):
            seconds.update(chr(int(part, 16)) for part in decomposition.split()[1:])
    return seconds


# -- preparing the text ----------------------------------------------------------------
def test_plain_characters_need_no_preparation() -> None:
    seconds = _composition_seconds()
    for ch in _plain_chars():
        assert unicodedata.combining(ch) == 0, hex(ord(ch))
        assert unicodedata.normalize("NFC", ch) == ch, hex(ord(ch))
        assert ch not in seconds, hex(ord(ch))
        first = unicodedata.normalize("NFD", ch)[0]
        assert unicodedata.combining(first) == 0 and first not in seconds, hex(ord(ch))
        assert ch == " " or not ch.isspace(), hex(ord(ch))
        assert ch not in LOOKALIKES, hex(ord(ch))
    assert plain_end("Điều 5. “Quyền” – ₫ ‰") == len("Điều 5. “Quyền” – ₫ ‰")


# Plain letters, combining marks, look-alikes, odd spaces, line ends and characters
# that NFC changes on their own (Ångström sign, Kelvin sign, en quad, U+0344, U+0F73)
# or composes by rule (Hangul jamo).
_ALPHABET = (
    "aeiouyAEOdDđĐơưăâêô .,;:()“”\"'12"
    "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323\u0344\u0345\u0f73"
    "\u00d0\u00f0\t\u00a0\u2000\u2003\u3000\u0085\u2028\x1c"
    "\u212b\u212a\u1100\u1161\u11a8\uac00\u03b1\u1f71\n\r"
)
_texts = st.text(alphabet=_ALPHABET, max_size=80)


def _compose_every_line(text: str) -> tuple[str, list[ExtractWarning], bool]:
    """What ``prepare_text`` replaces: every line composed, one by one."""
    lines = split_lines(text)
    warnings = []
    lookalikes = has_lookalike(text)
    for i, line in enumerate(lines):
        fixed = unicodedata.normalize("NFC", line)
        if fixed != line:
            warnings.append(ExtractWarning(i + 1, "unicode_nfd", "decomposed text composed to NFC"))
        if lookalikes and has_lookalike(fixed):
            warnings.append(ExtractWarning(i + 1, "lookalike_letter", "Ð/ð (eth) read as Đ/đ"))
            fixed = normalize_line(fixed)
        lines[i] = fixed
    joined = "\n".join(lines)
    return joined, warnings, has_odd_space(joined)


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_nfc_line_is_nfc(text: str) -> None:
    composed: dict[str, str] = {}
    for line in (text, text[::-1], text + text):
        assert nfc_line(line, composed) == unicodedata.normalize("NFC", line)
        assert nfc_line(line) == unicodedata.normalize("NFC", line)


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_prepare_text_is_every_line_composed(text: str) -> None:
    assert prepare_text(text) == _compose_every_line(text)


@pytest.mark.parametrize("name", CORPUS_FILES[:2])
def test_prepare_text_on_the_corpus(name: str) -> None:
    text = corpus_text(name)
    for variant in (
        text,
        unicodedata.normalize("NFD", text),
        text.replace("\n", "\r\n"),
        text.replace("Đ", "\u00d0").replace(" ", "\t", 30),
    ):
        assert prepare_text(variant) == _compose_every_line(variant)


def _count_line_starts(text: str, words: tuple[str, ...]) -> int:
    return sum(text.count("\n" + word) + text.startswith(word) for word in words)


def _detect_by_counting(text: str) -> str:
    sample = text[:200_000]
    vi = _count_line_starts(sample, ("Điều", "ĐIỀU"))
    en = _count_line_starts(sample, ("Article", "ARTICLE", "Section", "SECTION"))
    if vi != en:
        return "vi" if vi > en else "en"
    letters = sum(ch.isalpha() for ch in sample)
    vietnamese = sum(
        ch in "ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ" for ch in sample
    )
    return "vi" if letters and vietnamese * 50 >= letters else "en"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["Điều", "ĐIỀU", "Article", "ARTICLE", "Section", "SECTION", "Điều 1.", "x", "ệ",
             "\n", "\r\n", " ", "Articles", "Điềuu", "\nĐiều"]
        ),
        max_size=40,
    )
)  # fmt: skip
def test_detect_language_counts_line_starts(words: list[str]) -> None:
    text = "".join(words)
    assert detect_language(text) == _detect_by_counting(text)


def test_detect_language_on_the_corpus() -> None:
    for name in CORPUS_FILES:
        text = corpus_text(name)
        assert detect_language(text) == _detect_by_counting(text)


# -- the clean heading forms ----------------------------------------------------------
_numbers = st.sampled_from(["1", "2", "9", "10", "12", "123", "007", "1٣", "٣"])
_payloads = st.text(alphabet="aĐđ 1²\t\u00a0.:;“-", min_size=0, max_size=12)
_lines = st.one_of(
    st.builds("{}. {}".format, _numbers, _payloads),
    st.builds("{}.  {}".format, _numbers, _payloads),
    st.builds("{}) {}".format, st.sampled_from(list("abcdđefghijklmnopqrstuvwxyz")), _payloads),
    st.builds("Điều {}. {}".format, _numbers, _payloads),
    st.builds("Điều {}.{}".format, _numbers, _payloads),
    st.builds("{}{}".format, st.sampled_from(list("Đ0123456789abcdđ")), _payloads),
)


@settings(max_examples=500, deadline=None)
@given(_lines)
def test_clean_forms_read_a_line_as_classify_does(line: str) -> None:
    s = line.strip()
    form = VI.clean_forms.get(s[0]) if s else None
    m = form[1](s) if form is not None else None
    if m is None:
        return
    kind, _, letters = form
    token, payload = m.groups()
    ordinal, number = (int(token), str(int(token))) if letters is None else letters[token]
    found = VI.classify(s)
    assert type(found) is Heading
    assert (found.kind, found.ordinal, found.number) == (kind, ordinal, number)
    assert found.tolerances == () and found.refusal is None
    if kind == "article":
        assert (found.title, found.text) == (clean_inline(payload or ""), "")
    else:
        assert (found.title, found.text) == (None, payload)


# -- whole extractions: the fast paths against the general ones -------------------------
class _GeneralOnly:
    """The Vietnamese grammar without its clean forms: every line is classified."""

    clean_forms: dict = {}

    def __getattr__(self, name: str):
        return getattr(VI, name)


def _outcome(text: str, *, general: bool, max_units: int = 100_000):
    prepared, warnings, odd_space = prepare_text(text)
    try:
        extraction = build_extraction(
            _GeneralOnly() if general else VI,
            doc_code=CODE,
            lines=prepared.split("\n"),
            warnings=warnings,
            max_units=max_units,
            odd_space=True if general else odd_space,
            quotes=True if general else has_quote_mark(prepared),
        )
    except CutterStop as stop:
        return ("stop", stop.code, stop.detail)
    return (
        extraction.units,
        extraction.warnings,
        extraction.counts,
        extraction.unit_lines,
        extraction.region_text,
    )


def _check_region(text: str) -> None:
    """``region_text`` as defined: the normalised lines from the first unit's on."""
    prepared, warnings, odd_space = prepare_text(text)
    lines = prepared.split("\n")
    try:
        extraction = build_extraction(
            VI,
            doc_code=CODE,
            lines=lines,
            warnings=warnings,
            max_units=100_000,
            odd_space=odd_space,
            quotes=has_quote_mark(prepared),
        )
    except CutterStop:
        return
    first = extraction.unit_lines[0]
    assert extraction.region_text == join_body(lines[first - 1 :])


_TRICKY_LINES = [
    "Điều 5", "Điều5.", "Điền 7.", "Điều 3:", "Điều 4 Tiêu đề", "Điều 12a. X", "1.", "1.4 abc",
    "2 Khoản", "3, Khoản", "4..X", "1 , 2 và 3", "a)", "đ) x", "f) x", "d) y", "i) z", "c)Kiểm",
    "“Điều 2. X", "”", '"', "“1. trích", "Chương V", "CHƯƠNG IV.", "Mục 2", "Tiểu mục 1",
    "PHẦN THỨ HAI", "(Đã ký)", "Nguyễn Văn An", "CHỦ TỊCH QUỐC HỘI", "TIÊU ĐỀ VIẾT HOA",
    "Luật này đã được Quốc hội khóa XIII thông qua.", "Nơi nhận:", "   ", "\t1. Tab",
    "Điều 11 của Luật này.", "x;c) Giấy", "\u00d0iều 9. X", "1. ²x", "  2.  hai  khoảng  ",
    "1) Một.", "2- Hai.", "a. Điểm.", "b- Điểm.", "l. Một.", "4. ủy ban.", "c) áp dụng;",
    "b) X; c) Y; d) Z.", "Chính phủ quy định chi tiết Điều này.", "Theo khoản này.",
    "Mục.2", "PHỤ LỤC I", "TT | A | B", "1\tX\tY", "Điều 7:Trong trường hợp sau:",
    "Luật này do Quốc hội khóa XV thông qua.",
]  # fmt: skip


def _mutations(text: str, seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        lines = text.split("\n")
        for _ in range(rng.randint(1, 3)):
            if not lines:  # an earlier deletion took every line
                lines.append(rng.choice(_TRICKY_LINES))
                continue
            i = rng.randrange(len(lines))
            j = min(len(lines), i + rng.randint(1, 6))
            op = rng.randrange(6)
            if op == 0:
                del lines[i:j]
            elif op == 1:
                lines[j:j] = lines[i:j]
            elif op == 2:
                lines.insert(i, rng.choice(_TRICKY_LINES))
            elif op == 3:
                lines[i] = rng.choice(["  ", "\t", "“", '"']) + lines[i]
            elif op == 4 and i + 1 < len(lines):
                lines[i : i + 2] = [lines[i] + rng.choice(["", " ", ";"]) + lines[i + 1]]
            else:
                lines.insert(i, "")
        out.append("\n".join(lines))
    return out


@pytest.mark.parametrize("name", [n for n in CORPUS_FILES if n != CORPUS_FILES[2]])
def test_the_corpus_cuts_the_same_either_way(name: str) -> None:
    text = corpus_text(name)
    for variant in (
        text,
        text.replace(" ", "  ", 200),
        "\n".join(" " + x for x in text.split("\n")),
    ):
        assert _outcome(variant, general=False) == _outcome(variant, general=True)
        _check_region(variant)


def test_mutated_laws_cut_or_stop_the_same_either_way() -> None:
    small = [n for n in CORPUS_FILES if 0 < len(corpus_text(n)) < 130_000]
    for k, name in enumerate(small):
        for text in _mutations(corpus_text(name), seed=k, count=40):
            assert _outcome(text, general=False) == _outcome(text, general=True)
            _check_region(text)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.booleans(), st.booleans())
def test_generated_laws_cut_the_same_either_way(seed, budget, nfd, trailing) -> None:
    flags = {
        "part": seed % 2 == 0, "chapter": seed % 3 == 0, "section": seed % 5 == 0,
        "subsection": seed % 7 == 0, "preamble": True, "closing": seed % 2 == 1,
        "nfd": nfd, "crlf": False, "trailing": trailing,
    }  # fmt: skip
    text = generate(seed, budget, "vi", flags).text
    assert _outcome(text, general=False) == _outcome(text, general=True)
    for mutated in _mutations(text, seed, 3):
        assert _outcome(mutated, general=False) == _outcome(mutated, general=True)
