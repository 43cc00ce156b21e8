"""Which language a legal text is written in (vi or en), when not declared."""

from __future__ import annotations

import re

_VI_HEADINGS = ("Điều", "ĐIỀU")
_EN_HEADINGS = ("Article", "ARTICLE", "Section", "SECTION")
# A line starting like an article heading; group 1 holds the Vietnamese ones. (No
# word is a prefix of another, so each line start matches at most one of them.)
_WORDS = "(" + "|".join(_VI_HEADINGS) + ")|" + "|".join(_EN_HEADINGS)
_FIRST_LINE = re.compile(f"(?:{_WORDS})")
_LATER_LINE = re.compile(f"\\n(?:{_WORDS})")  # the leading LF lets re skip to line starts
# Letters that occur in Vietnamese and not in English.
_VI_LETTERS = frozenset("ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def _heading_line_starts(text: str) -> tuple[int, int]:
    """How many lines start like a Vietnamese and like an English article heading."""
    found = _LATER_LINE.findall(text)
    first = _FIRST_LINE.match(text)
    if first is not None:
        found.append(first.group(1) or "")
    english = found.count("")
    return len(found) - english, english


def detect_language(text: str) -> str:
    """ "vi" or "en" for an NFC text: by the number of lines in its first 200 000
    characters that start like an article heading, then by the letters only
    Vietnamese uses.

    A text with no heading in either language still gets an answer; the
    extractor then stops it for having no article.
    """
    sample = text[:200_000]  # the opening of a law decides; counting further costs time
    vi, en = _heading_line_starts(sample)
    if vi != en:
        return "vi" if vi > en else "en"
    letters = sum(ch.isalpha() for ch in sample)
    vietnamese = sum(ch in _VI_LETTERS for ch in sample)
    return "vi" if letters and vietnamese * 50 >= letters else "en"
