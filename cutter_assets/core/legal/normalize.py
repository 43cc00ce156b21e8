"""Text normalisation and number reading shared by every extractor.

``normalize_body`` defines the text a unit's ``content_hash`` covers, so it is
deliberately small and stable: change it and every stored hash changes.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that look like Vietnamese đ/Đ but are the Icelandic eth; found in real texts.
LOOKALIKES: dict[str, str] = {"\u00d0": "\u0110", "\u00f0": "\u0111"}
_LOOKALIKE_TABLE = str.maketrans(LOOKALIKES)

# Horizontal whitespace: space, tab and the Unicode space separators (NBSP & co).
_HSPACE = "[ \\t\\f\\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
_HSPACE_RUN = re.compile(_HSPACE + "+")
_SPACE_RUN = re.compile(" {2,}")

# Characters a line may hold and still need no preparation: each is its own NFC form
# and never combines with a neighbour (canonical combining class 0, never the second
# half of a canonical composition), and none is Ð/ð or whitespace other than the
# space. A line made of them only is left as it is; tests/core/legal/test_fast_paths.py
# checks every one against unicodedata. Plus LF, which separates the lines.
PLAIN_RANGES: tuple[tuple[str, str], ...] = (
    ("\n", "\n"),
    (" ", "~"),  # printable ASCII
    ("\u00a1", "\u00cf"),  # Latin-1 without the controls, NBSP, Ð and ð
    ("\u00d1", "\u00ef"),
    ("\u00f1", "\u02ff"),  # Latin Extended-A and -B, IPA, spacing modifier letters
    ("\u1e00", "\u1eff"),  # Latin Extended Additional: the precomposed Vietnamese letters
    ("\u2010", "\u2027"),  # dashes, curly quotes, bullets, ellipsis
    ("\u2030", "\u205e"),  # per mille, primes, other punctuation
    ("\u20a0", "\u20bf"),  # currency signs (₫)
)
_PLAIN = "".join(f"{lo}-{hi}" for lo, hi in PLAIN_RANGES)
_PLAIN_RUN = re.compile(f"[{_PLAIN}]*")
# Written as one character then the rest so that re skips to a run's start quickly.
_OTHER_RUN = re.compile(f"[^{_PLAIN}][^{_PLAIN}]*")


def split_lines(text: str) -> list[str]:
    """Split on LF, CRLF or lone CR only, so line numbers match what editors show."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def plain_end(text: str, start: int = 0) -> int:
    """Where the run of ``PLAIN_RANGES`` characters from ``start`` ends (len(text): no
    character after ``start`` needs preparing)."""
    return _PLAIN_RUN.match(text, start).end()


def nfc_line(line: str, composed: dict[str, str] | None = None) -> str:
    """``unicodedata.normalize("NFC", line)``, computed around the characters
    outside ``PLAIN_RANGES`` only.

    A plain character neither combines with what precedes it nor moves past it,
    so NFC can cut the text before each one and compose the pieces apart: the
    only pieces that can change are the runs of other characters, each with
    the character before it (``e`` + U+0301 composes to ``é``). On a long line
    with a few decomposed letters this is much faster than composing the whole
    line. ``composed`` keeps the pieces already composed (a text repeats the same few).
    """
    if composed is None:
        composed = {}
    pieces: list[str] = []
    done = 0
    for run in _OTHER_RUN.finditer(line):
        start, stop = run.span()
        if start > done:
            start -= 1
        pieces.append(line[done:start])
        piece = line[start:stop]
        fixed = composed.get(piece)
        if fixed is None:
            fixed = composed[piece] = unicodedata.normalize("NFC", piece)
        pieces.append(fixed)
        done = stop
    if not pieces:
        return line
    pieces.append(line[done:])
    return "".join(pieces)


def has_lookalike(text: str) -> bool:
    return "\u00d0" in text or "\u00f0" in text


def normalize_line(line: str) -> str:
    """NFC plus the look-alike letter fix: the form every heading regex sees."""
    if not unicodedata.is_normalized("NFC", line):
        line = unicodedata.normalize("NFC", line)
    if has_lookalike(line):
        line = line.translate(_LOOKALIKE_TABLE)
    return line


def normalize_body(text: str) -> str:
    """The canonical text of a unit body (what ``content_hash`` covers).

    NFC; Ð/ð look-alikes read as Đ/đ; CRLF and CR become LF; on every line runs
    of horizontal whitespace collapse to one space and leading and trailing
    whitespace (``str.strip``) go; leading and trailing blank lines are dropped and runs of
    blank lines collapse to one. Indentation carries no meaning in these texts,
    and dropping it keeps every digest stable under whitespace changes.
    """
    return join_body(split_lines(normalize_line(text)), has_odd_space(text))


def has_odd_space(text: str) -> bool:
    """Whether ``text`` holds whitespace other than space and LF/CR (rare)."""
    return _ODD_SPACE.search(text) is not None


_ODD_SPACES = "\t\f\v\u00a0\u1680\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
_ODD_SPACE = re.compile("[" + re.escape(_ODD_SPACES) + "]")


def join_body(lines: list[str], odd_space: bool = True) -> str:
    """``normalize_body`` for text already split into NFC lines (the hot path).

    ``odd_space`` False promises the lines hold no whitespace but spaces.
    """
    out: list[str] = []
    blank = True  # drops leading blank lines
    for line in lines:
        line = _HSPACE_RUN.sub(" ", line).strip() if odd_space else line.strip()
        if line:
            if "  " in line:
                line = _SPACE_RUN.sub(" ", line)
            out.append(line)
            blank = False
        elif not blank:
            out.append("")
            blank = True
    if out and not out[-1]:
        out.pop()
    return "\n".join(out)


def collapse_spaces(text: str) -> str:
    """Runs of spaces to one space (what ``join_body`` does inside a line whose
    only whitespace is spaces)."""
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


def clean_inline(text: str) -> str:
    """One line of heading text: whitespace collapsed, ends trimmed."""
    return _HSPACE_RUN.sub(" ", text).strip()


def one_edit(word: str, target: str) -> bool:
    """True when ``word`` is exactly one insertion, deletion or substitution away."""
    if word == target or abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        return sum(a != b for a, b in zip(word, target, strict=True)) == 1
    short, long_ = (word, target) if len(word) < len(target) else (target, word)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def shorten(text: str, limit: int = 60) -> str:
    """A bounded, printable echo of a line for STOP details and warnings."""
    text = clean_inline(text) if len(text) <= 4 * limit else _clean_head(text, limit)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean_head(text: str, limit: int) -> str:
    """``clean_inline`` of the start of a long ``text``, marked as going on: enough
    of it to fill ``limit`` once whitespace is collapsed (all of it where that is
    not enough). Warnings quote whole paragraphs; only their start is shown."""
    head = clean_inline(text[: 4 * limit])
    return head + " …" if len(head) >= limit else clean_inline(text)


def is_upper_title(text: str) -> bool:
    """True for a line written in capitals (chapter titles in Vietnamese laws)."""
    return text.upper() == text and any(ch.isalpha() for ch in text)


_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(token: str) -> int | None:
    """Strict Roman numeral (upper case, canonical form) to int, else None."""
    if not token or not _ROMAN.fullmatch(token):
        return None
    total = 0
    for i, ch in enumerate(token):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[token[i + 1]] if i + 1 < len(token) else 0
        total += -value if value < nxt else value
    return total


def int_to_roman(value: int) -> str:
    out = []
    for number, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


_VI_UNITS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5,
    "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
}  # fmt: skip
_VI_TAIL = {**_VI_UNITS, "mốt": 1, "lăm": 5}


def vi_number_words(tokens: list[str]) -> int | None:
    """Vietnamese ordinal words after ``THỨ`` to int (1..99), else None.

    NHẤT = 1, TƯ = 4; MƯỜI HAI = 12, MƯỜI LĂM = 15, HAI MƯƠI MỐT = 21.
    """
    words = [t.lower() for t in tokens]
    if words == ["nhất"]:
        return 1
    if not words or len(words) > 3:
        return None
    head = words[0]
    if head == "mười":
        if len(words) == 1:
            return 10
        tail = _VI_TAIL.get(words[1]) if len(words) == 2 else None
        return None if tail is None else 10 + tail
    if len(words) == 1:
        return _VI_UNITS.get(head)
    tens = _VI_UNITS.get(head)
    if tens is None or tens < 2 or words[1] != "mươi":
        return None
    if len(words) == 2:
        return tens * 10
    tail = _VI_TAIL.get(words[2])
    return None if tail is None else tens * 10 + tail


_VI_ORDINAL_WORDS = {
    1: "NHẤT", 2: "HAI", 3: "BA", 4: "TƯ", 5: "NĂM", 6: "SÁU", 7: "BẢY", 8: "TÁM", 9: "CHÍN",
}  # fmt: skip
_VI_TAIL_WORDS = {**_VI_ORDINAL_WORDS, 1: "MỐT", 5: "LĂM"}


def vi_ordinal(value: int) -> str:
    """The words ``vi_number_words`` reads back (for generated test documents)."""
    if value < 10:
        return _VI_ORDINAL_WORDS[value]
    tens, unit = divmod(value, 10)
    head = "MƯỜI" if tens == 1 else f"{_VI_ORDINAL_WORDS[tens] if tens != 4 else 'BỐN'} MƯƠI"
    if unit == 0:
        return head
    if tens == 1 and unit == 1:
        return "MƯỜI MỘT"
    return f"{head} {_VI_TAIL_WORDS[unit]}"


EN_NUMBER_WORDS: dict[str, int] = {
    word: i
    for i, word in enumerate(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split(),
        start=1,
    )
}
