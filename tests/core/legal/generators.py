"""Random well-formed Vietnamese and English laws with the unit tree they must
yield, written independently of the extractor (its own numbering, addresses
and letter orders), for the property tests.

Well-formed is not unambiguous: a Vietnamese article whose last clause has a
second paragraph (not a list after a colon) may end with the article's own
closing text, and nothing in the text says which; the extractor keeps it in the
clause and reports it (``tail_undecided``). ``Document.warnings`` lists those.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

VI_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()
EN_LETTERS = list("abcdefghijklmnopqrstuvwxyz")
ROMAN = {
    1: "I", 4: "IV", 5: "V", 9: "IX", 10: "X", 40: "XL", 50: "L", 90: "XC", 100: "C",
}  # fmt: skip
VI_ORDINALS = {
    1: "NHẤT", 2: "HAI", 3: "BA", 4: "TƯ", 5: "NĂM", 6: "SÁU", 7: "BẢY", 8: "TÁM", 9: "CHÍN",
    10: "MƯỜI", 11: "MƯỜI MỘT", 12: "MƯỜI HAI", 13: "MƯỜI BA", 14: "MƯỜI BỐN", 15: "MƯỜI LĂM",
    20: "HAI MƯƠI", 21: "HAI MƯƠI MỐT",
}  # fmt: skip
EN_WORDS_NUM = "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN".split()

# Words that never start a heading, a marker or a closing formula.
VI_WORDS = (
    "quyền nghĩa vụ công dân nhà nước tổ chức cá nhân bảo vệ môi trường hoạt động quản lý "
    "thực hiện trách nhiệm cơ quan có thẩm quyền theo quy định pháp luật việc đăng ký giấy phép "
    "hồ sơ thủ tục kiểm tra giám sát đánh giá tác động xã hội kinh tế văn hóa giáo dục y tế "
    "quốc phòng an ninh đất đai tài nguyên nước không khí ưu tiên phát triển bền vững hợp tác "
    "quốc tế thông tin dữ liệu số hóa"
).split()
EN_WORDS = (
    "the member states shall ensure that competent authorities apply measures regarding data "
    "protection processing of personal information by public bodies within the scope of "
    "obligations rights remedies supervision cooperation report assessment transparency "
    "market services providers users access security incidents"
).split()
VI_NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Đức Dũng"]


def roman(value: int) -> str:
    out = ""
    for number in sorted(ROMAN, reverse=True):
        while value >= number:
            out += ROMAN[number]
            value -= number
    return out


@dataclass
class Expected:
    address: str
    kind: str
    parent: str | None
    number: str
    title: str
    body: str


@dataclass
class Document:
    text: str = field(repr=False)
    doc_code: str
    language: str
    units: list[Expected] = field(default_factory=list, repr=False)
    recipe: str = ""  # how to regenerate it: generate(seed, budget, language, flags)
    warnings: list[tuple[str, int]] = field(default_factory=list)  # (kind, line) besides NFD


class _Writer:
    def __init__(self, rng: random.Random, language: str, doc_code: str):
        self.rng = rng
        self.language = language
        self.doc_code = doc_code
        self.lines: list[str] = []
        self.units: list[Expected] = []
        self.warnings: list[tuple[str, int]] = []

    def para(self, *lines: str) -> None:
        self.lines.extend(lines)
        self.lines.append("")

    def sentence(self, end: str = ".") -> str:
        words = VI_WORDS if self.language == "vi" else EN_WORDS
        picked = [self.rng.choice(words) for _ in range(self.rng.randint(3, 12))]
        text = " ".join(picked)
        return text[0].upper() + text[1:] + end

    def title(self, upper: bool) -> str:
        words = VI_WORDS if self.language == "vi" else EN_WORDS
        text = " ".join(self.rng.choice(words) for _ in range(self.rng.randint(1, 6)))
        return text.upper() if upper else text[0].upper() + text[1:]

    def unit(self, address: str, kind: str, parent: str | None, number: str, title: str, body: str):
        self.units.append(Expected(address, kind, parent, number, title, body))


def generate(seed: int, budget: int, language: str, flags: dict[str, bool]) -> Document:
    """A law of at most ``budget`` units; ``flags`` choose the levels used and
    whether it has a preamble and a closing block."""
    rng = random.Random(seed)
    doc_code = f"GEN-{language.upper()}-{seed % 1000}"
    w = _Writer(rng, language, doc_code)
    vi = language == "vi"
    has_preamble = flags["preamble"] and budget >= 3
    has_closing = flags["closing"] and budget >= 3
    left = budget - has_preamble - has_closing

    if has_preamble:
        if vi:
            lines = ["QUỐC HỘI", "LUẬT", "BẢO VỆ " + w.title(True), w.sentence(";")]
        else:
            lines = ["REGULATION OF THE COUNCIL", w.sentence(","), "Whereas " + w.sentence(";")]
        for line in lines:
            w.para(line)
        w.unit(f"{doc_code}/preamble", "preamble", None, "", "", "\n\n".join(lines))

    levels = [k for k in ("part", "chapter", "section", "subsection") if flags[k]]
    if "subsection" in levels and "section" not in levels:
        levels.remove("subsection")
    if not vi and "subsection" in levels:
        levels.remove("subsection")
    levels = levels[: max(0, left - 1)]  # room for the containers and one article
    counters: dict[tuple[str, str], int] = {}
    path: dict[str, tuple[str, str]] = {}  # kind -> (address, number) of the open container
    article = 0
    first = True
    while True:
        # Open new containers (always all deeper levels too) before some articles.
        opening: list[str] = []
        if first:
            opening = list(levels)
        elif levels and rng.random() < 0.25:
            opening = levels[rng.randrange(len(levels)) :]
        if left < len(opening) + 1:
            break
        for kind in opening:
            _open_container(w, kind, levels, path, counters)
            left -= 1
        first = False
        article += 1
        left -= 1 + _article(w, article, levels, path, left - 1)
        if left < 1:
            break

    if has_closing:
        if vi:
            lines = [
                f"Luật này đã được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa XIV, "
                f"kỳ họp thứ {rng.randint(1, 9)} thông qua ngày 1 tháng 1 năm 2020.",
                "CHỦ TỊCH QUỐC HỘI",
                rng.choice(VI_NAMES),
            ]
        else:
            lines = ["Done at Brussels, 1 January 2020.", "For the Council", "The President"]
        for line in lines:
            w.para(line)
        w.unit(f"{doc_code}/closing", "closing", None, "", "", "\n\n".join(lines))
    recipe = f"generate({seed}, {budget}, {language!r}, {flags!r})"
    text = _render(w.lines, flags)
    return Document(text, doc_code, language, w.units, recipe, w.warnings)


_PREFIX = {"part": "part", "chapter": "chp", "section": "sec", "subsection": "subsec"}
_VI_WORD = {"part": "Phần", "chapter": "Chương", "section": "Mục", "subsection": "Tiểu mục"}


def _open_container(w, kind, levels, path, counters) -> None:
    rng = w.rng
    above = [k for k in levels[: levels.index(kind)]]
    for k in list(path):
        if levels.index(k) >= levels.index(kind):
            del path[k]
    # Parts and chapters count across the document; sections restart in their
    # chapter (or part), subsections in their section.
    if kind in ("part", "chapter"):
        scope = "doc"
    else:
        scope = path[above[-1]][0] if above else "doc"
    number = counters.get((kind, scope), 0) + 1
    counters[(kind, scope)] = number
    parent = path[above[-1]][0] if above else None
    address = f"{parent or w.doc_code}/{_PREFIX[kind]}_{number}"
    path[kind] = (address, str(number))
    title = w.title(upper=True) if rng.random() < 0.9 else ""
    vi = w.language == "vi"
    if vi:
        if kind == "part":
            label = (
                f"PHẦN THỨ {VI_ORDINALS[number]}"
                if number in VI_ORDINALS and rng.random() < 0.6
                else f"{rng.choice(['Phần', 'PHẦN'])} {roman(number)}"
            )
        elif kind == "chapter":
            label = f"Chương {roman(number) if rng.random() < 0.8 else number}"
            label += rng.choice(["", ".", ""])
        else:
            label = f"{_VI_WORD[kind]} {number if rng.random() < 0.8 else roman(number)}"
    else:
        word = {"part": "PART", "chapter": "CHAPTER", "section": "Section"}.get(kind)
        if word is None:
            raise AssertionError("English documents have no subsections")
        if kind == "part" and number <= len(EN_WORDS_NUM) and rng.random() < 0.3:
            label = f"{word} {EN_WORDS_NUM[number - 1]}"
        else:
            label = f"{word} {roman(number) if kind != 'section' else number}"
    inline = title and not label.startswith("PHẦN THỨ") and rng.random() < 0.4
    if inline:
        w.para(f"{label}{rng.choice(['. ', ': ', ' - '])}{title}")
    else:
        w.para(label)
        if title:
            w.para(title)
    w.unit(address, kind, parent, str(number), title, "")


def _article(w, number: int, levels, path, room: int) -> int:
    """Write article ``number``; return how many sub-units it got (<= room)."""
    rng = w.rng
    vi = w.language == "vi"
    parent = path[levels[-1]][0] if levels else None
    address = f"{parent or w.doc_code}/art_{number}"
    titled = rng.random() < 0.7
    title = w.title(upper=False) if titled else ""
    if vi:
        w.para(f"Điều {number}. {title}" if titled else f"Điều {number}.")
    elif titled and rng.random() < 0.5:
        w.para(f"Article {number}", title)
    else:
        w.para(
            f"Article {number}{rng.choice([' - ', ': ', '. '])}{title}"
            if titled
            else f"Article {number}"
        )
    index = len(w.units)
    w.unit(address, "article", parent, str(number), title, "")
    used = 0
    shape = rng.random()
    if room < 1 or shape < 0.3:
        body = [w.sentence() for _ in range(rng.randint(1, 2))]
        for line in body:
            w.para(line)
        w.units[index].body = "\n\n".join(body)
        return 0
    intro = []
    if rng.random() < 0.5:
        intro = [w.sentence(":")]
        w.para(intro[0])
    w.units[index].body = "\n\n".join(intro)
    letters = VI_LETTERS if vi else EN_LETTERS
    if shape < 0.4:  # points directly under the article
        n_points = min(room, rng.randint(1, len(letters)))
        return _points(w, address, n_points, letters)
    n_clauses = min(room, rng.randint(1, 12))
    undecided = 0  # the line of the last clause's second paragraph, if it may close the article
    for clause in range(1, n_clauses + 1):
        if used >= room:
            break
        marker = f"{clause}." if vi or rng.random() < 0.5 else f"({clause})"
        text = [w.sentence(rng.choice([".", ";", ":"]))]
        w.para(f"{marker} {text[0]}")
        undecided = 0
        if rng.random() < 0.15:
            text.append(w.sentence())
            if vi and not text[0].endswith(":"):
                undecided = len(w.lines) + 1
            w.para(text[1])
        clause_address = f"{address}/para_{clause}"
        w.unit(clause_address, "clause", address, str(clause), "", "\n\n".join(text))
        used += 1
        if rng.random() < 0.35 and used < room:
            n_points = min(room - used, rng.randint(1, 8 if rng.random() < 0.9 else len(letters)))
            used += _points(w, clause_address, n_points, letters)
            undecided = 0  # the paragraph comes before the clause's points
    if undecided:
        w.warnings.append(("tail_undecided", undecided))
    return used


def _points(w, parent: str, count: int, letters: list[str]) -> int:
    rng = w.rng
    vi = w.language == "vi"
    for letter in letters[:count]:
        marker = f"{letter})" if vi or rng.random() < 0.5 else f"({letter})"
        text = w.sentence(rng.choice([";", "."]))
        w.para(f"{marker} {text}")
        slug = "dd" if letter == "đ" else letter
        w.unit(f"{parent}/point_{slug}", "point", parent, slug, "", text)
    return count


def _render(lines: list[str], flags: dict[str, bool]) -> str:
    rng = random.Random(len(lines))
    if flags["trailing"]:
        lines = [line + rng.choice(["", " ", "  ", "\t", " \t "]) for line in lines]
    text = "\n".join(lines)
    if flags["nfd"]:
        text = unicodedata.normalize("NFD", text)
    if flags["crlf"]:
        text = text.replace("\n", "\r\n")
    return text
