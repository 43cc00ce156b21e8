"""The English drafting conventions the extractor reads, and how a text shows
which one it follows.

Each convention says which containers exist (outermost first), the word of
the top-level provision (a US, UK or Indian section, an EU article), the
ladder of markers below it (the form and style of each level's number and the
Akoma Ntoso kind it opens), the enacting formula that ends the preamble, the
closing formula, and how its headings look:

- US Code: ``CHAPTER 1—TITLE`` > ``§ 1. Title`` > (a) > (1) > (A) > (i), the
  editorial apparatus (analyses, source credits, notes) kept as body text;
- US public law: ``TITLE I—`` > ``Subtitle A—`` > ``SEC. 2. TITLE.``, markers as
  in the Code;
- UK Act: ``PART 1`` + title > cross-heading > ``1 Title`` > (1) > (a) > (i),
  then ``SCHEDULE`` + title with paragraphs ``1 Text`` > (1) > (a) > (i);
- EU act: ``CHAPTER I`` > ``Section 1`` > ``Article 1`` (titles on the next
  line) > ``1.`` > ``(1)`` > ``(a)`` > ``(i)``, recitals, annexes after the
  signatures;
- Indian Act: ``CHAPTER I`` > ``1. Short title.—(1)`` > (a) > (i), with India
  Code's amendment marks (``1[4.``) and page footnotes;
- US Constitution: ``We the People`` > ``Article. I.`` > ``Section. 1.``, sections
  numbered from 1 again in each article, paragraphs kept as text, the
  attestation and signatures the closing, amendments after them.
"""

from __future__ import annotations

import re

from cutter_assets.core.legal.english.lines import (
    CONTAINER,
    DOT,
    PAREN,
    PROVISION,
    SCHEDULE,
    Line,
    Opening,
    amendment_mark,
    read_marker,
)
from cutter_assets.core.legal.english.numbers import (
    DECIMAL,
    LOWER,
    LROMAN,
    UPPER,
    Number,
    container,
    decimal,
)
from cutter_assets.core.legal.grammar import reference_line
from cutter_assets.core.legal.normalize import clean_inline, is_upper_title

Ladder = tuple[tuple[str, str, str], ...]  # (marker form, number style, unit kind), outermost first
_SAMPLE_STYLE = {"1": DECIMAL, "a": LOWER, "A": UPPER, "i": LROMAN}


def _ladder(*levels: str) -> Ladder:
    """A ladder from its markers as they look, outermost first: ``"(a) subsection"``
    is a lower-case letter in parentheses opening a subsection, ``"1. paragraph"``
    a number and a dot opening a paragraph."""
    rungs = []
    for level in levels:
        marker, kind = level.split()
        form = PAREN if marker.startswith("(") else DOT
        rungs.append((form, _SAMPLE_STYLE[marker.strip("().")], kind))
    return tuple(rungs)


_US_LADDER = _ladder("(a) subsection", "(1) paragraph", "(A) subparagraph", "(i) clause")
_UK_LADDER = _ladder("(1) subsection", "(a) paragraph", "(i) subparagraph")
# UK schedule paragraphs: sub-paragraph (1), paragraph (a), sub-paragraph (i).
_UK_SCHEDULE_LADDER = _ladder("(1) subparagraph", "(a) paragraph", "(i) subparagraph")
_EU_LADDER = _ladder("1. paragraph", "(1) point", "(a) point", "(i) point")

_DASHES = "—–"
_CONTAINER_WORDS = {
    "TITLE": "title",
    "SUBTITLE": "subtitle",
    "Subtitle": "subtitle",
    "CHAPTER": "chapter",
    "Chapter": "chapter",
    "SUBCHAPTER": "subchapter",
    "Subchapter": "subchapter",
    "PART": "part",
    "Part": "part",
    "Section": "section",
    "SECTION": "section",
}
_TITLE_LINE_END = ".;:,—–-"  # how text (never a title) ends
_REPEALED = re.compile(r"\[?(?:Repealed|REPEALED|Omitted|OMITTED)\b")
# "SCHEDULE", "SCHEDULE 2", "THE SCHEDULE", "THE SECOND SCHEDULE", "ANNEX", "ANNEX IV".
_ORDINAL_WORDS = {
    w: i
    for i, w in enumerate(
        "FIRST SECOND THIRD FOURTH FIFTH SIXTH SEVENTH EIGHTH NINTH TENTH".split(), start=1
    )
}


class Convention:
    """The shared half of every convention: markers, titles, preamble and closing
    formulas. Subclasses say how their headings look (``heading``)."""

    name = ""
    containers: tuple[str, ...] = ()
    provision = "section"
    ladder: Ladder = _US_LADDER
    # A schedule's provisions and their ladder; None: a schedule's text is not cut further.
    schedule_provision: str | None = None
    schedule_ladder: Ladder = ()
    titled: frozenset[str] = frozenset()  # kinds whose title may follow on the next line
    letter_insertions = False  # (aa) after (a)
    amendment_marks = False  # India Code's "1[4." and "5[(1)]"
    crossheadings = False  # UK: a heading line between sections groups the next ones
    page_footnotes = False  # India: "1. Subs. by Act ..." blocks at page ends
    formula: re.Pattern[str] | None = None  # the enacting formula (ends the preamble)
    closing: re.Pattern[str] | None = None
    # A listing of the provisions' numbers (the Code's "Sec." analysis of a
    # chapter, an Indian Act's arrangement of sections): its head, its entries,
    # and whether lines that are not entries may stand among them.
    analysis_head: re.Pattern[str] | None = None
    analysis_entry: re.Pattern[str] | None = None
    analysis_gaps = False
    # The line that closes a provision's text: the rest, up to the next heading, is
    # editorial notes (the Code's "(July 30, 1947, ch. 392, 61 Stat. 670.)").
    source_credit: re.Pattern[str] | None = None
    # Whether lines are wrapped anywhere (a PDF's text, India Code): a line's end then
    # says little. Text after the last item of a list its parent introduces is the
    # parent's (its tail) when the item's sentence has ended or goes on ("..., or");
    # in wrapped text only after a semicolon, otherwise kept in the item, reported.
    wrapped_lines = False
    # The marks of a quotation of amending text that runs over lines, when they are
    # single quotes (EU: ‘ ’); double quotes are tracked for every convention.
    block_quotes: tuple[str, str] | None = None
    # The line under a schedule's title naming the section that gives it effect.
    schedule_reference: re.Pattern[str] | None = None
    # The container kind in each of which the provisions are numbered from 1 again
    # (a constitution's sections in each article); None: across the document or
    # the schedule.
    provisions_restart_in: str | None = None

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        """What a line opens other than a marker (``lines[index]`` is ``s``)."""
        raise NotImplementedError

    def classify(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        found = self.heading(s, lines, index, in_schedule)
        if found is not None:
            return found
        if in_schedule and self.schedule_provision is None:
            return None  # a schedule or annex read as text
        return read_marker(s, self.letter_insertions, self.amendment_marks)

    def title_line(self, s: str) -> bool:
        """Whether a line may be the title of the heading just above it."""
        return (
            len(s) <= 250
            and (s[0].isupper() or s[0].isdigit() or s[0] in "“‘(")
            and s[-1] not in _TITLE_LINE_END
        )

    def provision_jump(self, kind: str, number: Number) -> int | None:
        """The first provision number a container may start at other than the
        next one, read from the container's own number (None: none)."""
        return None


def _container(s: str, dashed: bool) -> Opening | None:
    """``CHAPTER 3—TITLE`` (``dashed``: the Code's form), or ``CHAPTER III``
    with its title on the next line, after a dash or in capitals on the same
    line: a container with its number's readings. ``Part 3 comes into force``
    is a sentence, not a heading."""
    word, _, rest = s.partition(" ")
    kind = _CONTAINER_WORDS.get(word)
    if kind is None or not rest:
        return None
    token, dash, title = _split_dash(rest)
    if dashed and not dash:
        return None
    if not dash:
        token, _, title = token.partition(" ")
        if title and not is_upper_title(title):
            return None
    readings = container(token)
    if not readings:
        return None
    return Opening(CONTAINER, kind, readings, title=clean_inline(title) or None)


def _split_dash(rest: str) -> tuple[str, str, str]:
    """``3—TITLE`` -> (``3``, ``—``, ``TITLE``); ``III`` -> (``III``, "", "")."""
    for at, ch in enumerate(rest):
        if ch in _DASHES:
            return rest[:at].strip(), ch, rest[at + 1 :]
    return rest.strip(), "", ""


def _numbered_block(s: str, word: str) -> tuple[Number, ...] | None:
    """``SCHEDULE``, ``SCHEDULE 2``, ``THE SCHEDULE``, ``THE SECOND SCHEDULE``,
    ``ANNEX IV`` (``word`` is SCHEDULE or ANNEX): the block's number, 1 for
    a sole unnumbered one; None when the line is not such a heading."""
    head = s.removeprefix("THE ")
    parts = head.split()
    if len(parts) == 2 and parts[1] == word and parts[0] in _ORDINAL_WORDS:
        value = _ORDINAL_WORDS[parts[0]]
        return (Number(DECIMAL, value, 0, str(value)),)
    if not parts or parts[0].upper() != word or parts[0] not in (word, word.title()):
        return None
    if len(parts) == 1:
        return (Number(DECIMAL, 1, 0, "1"),)
    return container(parts[1]) if len(parts) == 2 else None


def _repealed(title: str) -> bool:
    return _REPEALED.match(title) is not None


class UsCode(Convention):
    """A title of the United States Code as the Office of the Law Revision
    Counsel prints it: analyses, source credits and notes are editorial."""

    name = "us-code"
    containers = ("subtitle", "chapter", "subchapter", "part")
    analysis_head = re.compile(r"Sec\.$")
    analysis_entry = re.compile(r"(\d{1,5}[a-zA-Z]?)\. \S")
    source_credit = re.compile(r"\([A-Z].*\bStat\. ?\d.*\)\.?$")
    _SECTION = re.compile(r"(\[)?§ (\d{1,5}[a-zA-Z]?)\.(?: +(.*?))?\]?$")

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        c = s[0]
        if c == "§" or (c == "[" and s[1:2] == "§"):
            if s.startswith(("§§", "[§§")):
                return Opening(PROVISION, "section", (), refusal="a heading of several sections")
            m = self._SECTION.match(s)
            if m is None:
                return reference_line("a § reference, not a section heading")
            return _titled_section(m.group(2), m.group(3) or "", bool(m.group(1)))
        if "A" <= c <= "Z" and "—" in s:
            return _container(s, dashed=True)
        return None


def _titled_section(
    token: str, title: str, bracketed: bool = False, kind: str = "section"
) -> Opening:
    """A provision numbered ``token`` (``4``, ``4A``) with its title, repealed
    when bracketed (``[§ 14. Repealed]``) or titled so."""
    number = decimal(token)
    readings = () if number is None else (number,)
    refusal = None if readings else f"{kind} number {token!r} cannot be read"
    return Opening(
        PROVISION,
        kind,
        readings,
        title=clean_inline(title),
        repealed=bracketed or _repealed(title),
        refusal=refusal,
    )


class UsPublicLaw(Convention):
    """A US public law (slip law or Statutes at Large): ``SEC. 2. TITLE.``"""

    name = "us-public-law"
    containers = ("title", "subtitle", "chapter", "subchapter", "part")
    formula = re.compile(r"Be it enacted by the Senate and House of Represent")
    closing = re.compile(r"Approved [A-Z][a-z]+\.? \d{1,2}, \d{4}")
    _SECTION = re.compile(r"(?:SECTION|SEC\.) (\d{1,4}[A-Z]?)\.(?: +(.*))?$")
    # The heading in capitals, up to its full stop; body text may follow it.
    _CAPITALS = re.compile(r"([^a-z]*?[A-Z][^a-z]*?)\.(?: +(.*))?$")

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        if s.startswith("SEC"):
            m = self._SECTION.match(s)
            if m is None:
                return None
            rest = m.group(2) or ""
            caps = self._CAPITALS.match(rest)
            title, text = (caps.group(1), caps.group(2) or "") if caps else ("", rest)
            opening = _titled_section(m.group(1), title)
            opening.text = text
            return opening
        if "A" <= s[0] <= "Z" and "—" in s:
            found = _container(s, dashed=True)
            if found is not None and not self._heads_sections(lines, index):
                return reference_line("a container line of a table of contents")
            return found
        return None

    def _heads_sections(self, lines: list[str], index: int) -> bool:
        """A title or subtitle heading is followed by the next one or by a
        section heading; in a table of contents by ``Sec. 101.`` entries."""
        for line in lines[index + 1 :]:
            s = line.strip()
            if not s:
                continue
            if s.startswith(("SEC. ", "SECTION ")):
                return True
            if not ("A" <= s[0] <= "Z" and "—" in s and _container(s, dashed=True)):
                return False
        return False

    def provision_jump(self, kind: str, number: Number) -> int | None:
        """``TITLE II`` may start at ``SEC. 201.``: numbered by the title."""
        return number.value * 100 + 1 if kind == "title" else None


class UkAct(Convention):
    """A UK Act as legislation.gov.uk prints it: sections ``1 Title`` without the
    word "Section", Parts with their titles below, a Schedule at the end."""

    name = "uk-act"
    containers = ("part", "chapter", "crossheading")
    ladder = _UK_LADDER
    schedule_provision = "paragraph"
    schedule_ladder = _UK_SCHEDULE_LADDER
    titled = frozenset({"part", "chapter", "schedule"})
    letter_insertions = True
    crossheadings = True
    schedule_reference = re.compile(r"Sections? \d")
    # "BE IT ENACTED by the King's most Excellent Majesty", or in a local Act "May
    # it therefore please your Majesty that it may be enacted, and be it enacted, by ...".
    formula = re.compile(
        r"(?:BE IT ENACTED|Be it enacted|May it therefore please)\b.*?"
        r"(?:Queen|King)[’']s most Excellent Majesty"
    )
    _SECTION = re.compile(r"(\d{1,3}[A-Z]?) ([A-Z“‘(].*)$")
    _PARAGRAPH = re.compile(r"(\d{1,3}[A-Z]?)(?: +|(?=\())(.+)$")

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        c = s[0]
        if c.isdigit():
            return self._schedule_paragraph(s) if in_schedule else self._section(s)
        if c in "PC":
            return _container(s, dashed=False)
        if c in "ST":
            readings = _numbered_block(s, "SCHEDULE")
            if readings is not None:
                return Opening(SCHEDULE, "schedule", readings)
        return None

    def _section(self, s: str) -> Line:
        m = self._SECTION.match(s)
        if m is None or len(s) > 200 or s[-1] in _TITLE_LINE_END:
            return None  # text: a section title is short and has no full stop
        return _titled_section(m.group(1), m.group(2))

    def _schedule_paragraph(self, s: str) -> Line:
        m = self._PARAGRAPH.match(s)
        if m is None:
            return None
        token, text = m.groups()
        opening = _titled_section(token, "", kind="paragraph")
        inner = read_marker(text, self.letter_insertions, False) if text[0] == "(" else None
        if isinstance(inner, Opening):
            opening.inner = inner  # "2 (1) Tables.": the paragraph's first sub-paragraph
        else:
            opening.text = text
        return opening


class EuAct(Convention):
    """An EU regulation, directive or decision as the Official Journal prints it."""

    name = "eu-act"
    containers = ("part", "title", "chapter", "section")
    provision = "article"
    ladder = _EU_LADDER
    titled = frozenset({"part", "title", "chapter", "section", "article", "annex"})
    letter_insertions = True
    block_quotes = ("‘", "’")
    formula = re.compile(r"(?:HAVE|HAS) ADOPTED TH(?:IS|E FOLLOWING)\b")
    closing = re.compile(r"Done at [A-Z]")
    _ARTICLE = re.compile(r"(?:Article|ARTICLE) (\d{1,4}[a-z]?)$")

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        c = s[0]
        if c == "A":
            if s.startswith("ANNEX"):
                readings = _numbered_block(s, "ANNEX")
                return None if readings is None else Opening(SCHEDULE, "annex", readings)
            m = self._ARTICLE.match(s)
            if m is None:
                return None
            number = decimal(m.group(1))
            return Opening(PROVISION, "article", (number,) if number else ())
        if c in "PTCS":
            return _container(s, dashed=False)
        return None


class IndiaAct(Convention):
    """An Indian Act in the India Code's format: ``1. Short title.—(1) Text``."""

    name = "india-act"
    containers = ("part", "chapter")
    ladder = _UK_LADDER
    titled = frozenset({"part", "chapter", "schedule"})
    letter_insertions = True
    amendment_marks = True
    page_footnotes = True
    wrapped_lines = True
    formula = re.compile(r"(?:BE IT|BE it|Be it) enacted by Parliament\b")
    analysis_head = re.compile(r"ARRANGEMENT OF SECTIONS$")
    analysis_entry = re.compile(r"(\d{1,3}[A-Z]{0,2})\. \S")
    analysis_gaps = True
    _SECTION = re.compile(r"(?:(\d{1,2})\[)?(\d{1,3}[A-Z]{0,2})\.\s*(.*)$")
    _TITLE_END = ".—"
    _REPEALED = re.compile(r"\[(?:Repeal|REPEAL|Omitted|OMITTED)")  # "5. [Repeal.] Rep. by Act"

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        c = s[0]
        if c.isdigit():
            return self._section(s, lines, index)
        if c in "PC":
            return _container(s, dashed=False)
        if c == "T":
            readings = _numbered_block(s, "SCHEDULE")
            if readings is not None:
                return Opening(SCHEDULE, "schedule", readings)
        return None

    def _section(self, s: str, lines: list[str], index: int) -> Line:
        """``1. Short title.—(1) Text``, ``1[4. Title.—Text``, a title wrapped
        onto the next line (``... bailable and`` / ``non-compoundable.—(1)``),
        ``3. [Omitted.]``. A numbered line without the title's dash is a
        footnote, an arrangement entry or text: not a heading."""
        m = self._SECTION.match(s)
        if m is None:
            return None
        mark, token, rest = m.groups()
        takes = 0
        repealed = self._REPEALED.match(rest) is not None
        if repealed:
            title, text = "", rest
        else:
            at = rest.find(self._TITLE_END)
            if at < 0:
                wrapped = self._wrapped(lines, index)
                if wrapped is None:
                    return None
                rest, takes = f"{rest} {wrapped}", 1
                at = rest.find(self._TITLE_END)
            title, text = rest[:at], rest[at + len(self._TITLE_END) :].lstrip()
        opening = _titled_section(token, title)
        opening.tolerances = amendment_mark(mark, "section number")
        opening.repealed = opening.repealed or repealed
        opening.takes = takes
        inner = (
            read_marker(text, self.letter_insertions, True) if text[:1] in "(0123456789" else None
        )
        if isinstance(inner, Opening) and inner.form == PAREN:
            opening.inner = inner
        else:
            opening.text = text
        return opening

    def _wrapped(self, lines: list[str], index: int) -> str | None:
        """The next line, when it ends a heading title wrapped onto it."""
        if index + 1 >= len(lines):
            return None
        following = lines[index + 1].strip()
        if not following or following[0] in "(0123456789" or self._TITLE_END not in following:
            return None
        return following


class UsConstitution(Convention):
    """A constitution written as the US Constitution is (the National Archives
    transcription): the preamble ``We the People ...`` is its enacting formula,
    ``Article. I.`` (or ``Article I``) a container numbered in Roman numerals,
    ``Section. 1.`` (or ``Section 1.``) the provision, numbered from 1 again in
    each article. An article without sections holds its text itself (Articles
    V-VII). A section's paragraphs are text, never cut: the convention has no
    ladder, so a marker such as ``(a)`` stops the cut rather than being guessed.
    The attestation (the note of the words interlined, ``Attest ...``, ``done in
    Convention ...``) and the signatures are the closing.

    Amendments are ``article`` units: they call themselves articles ("ARTICLES
    in addition to, and Amendment of the Constitution"), and Akoma Ntoso has no
    amendment element in an act's body. They are numbered I, II ... in a sequence
    of their own, sections restarting in each as in the articles, so they need a
    container apart from the articles: one ``annex`` (AKN: an attachment of the
    act), as they were proposed and ratified after the signing and stand after
    the signatures. Its first ``Amendment I`` heading opens it: the
    Fourteenth's first section is ``annex_1/art_14/sec_1``. No new unit kind.
    """

    name = "us-constitution"
    containers = ("article",)
    ladder = ()
    schedule_provision = "section"
    provisions_restart_in = "article"
    formula = re.compile(r"We,? the [Pp]eople\b")
    closing = re.compile(r"The Words?\b.*\bbeing interlined\b|Attest\b|[Dd]one in Convention\b")
    _ARTICLE = re.compile(r"(Article|ARTICLE|Amendment|AMENDMENT)\.? ([IVXLC]+|\d{1,2})\.?$")
    _SECTION = re.compile(r"(?:Section|SECTION)\.? (\d{1,2})\.(?: +(.*))?$")
    _AMENDMENTS = (Number(DECIMAL, 1, 0, "1"),)  # the sole annex: its number

    def heading(self, s: str, lines: list[str], index: int, in_schedule: bool) -> Line:
        c = s[0]
        if c == "S":
            m = self._SECTION.match(s)
            if m is None:
                return None
            opening = _titled_section(m.group(1), "")
            opening.text = m.group(2) or ""
            return opening
        if c != "A":
            return None
        m = self._ARTICLE.match(s)
        if m is None:
            return None
        word, token = m.groups()
        article = Opening(CONTAINER, "article", container(token), title="")
        if word.upper() == "AMENDMENT" and not in_schedule:
            return Opening(SCHEDULE, "annex", self._AMENDMENTS, title="", inner=article)
        return article

    def title_line(self, s: str) -> bool:
        """No heading here has a title, so no line is one: a lost heading shows
        as the gap it leaves in its sequence (``be elected, as follows`` is text)."""
        return False


CONVENTIONS: tuple[Convention, ...] = (
    UsCode(),
    UsPublicLaw(),
    UkAct(),
    EuAct(),
    IndiaAct(),
    UsConstitution(),
)

# What each convention's provision headings look like at a line start, and its
# formula: the evidence ``detect_convention`` weighs. Each pattern starts with the
# line feed before the line: re then skips from one line feed to the next, where a
# "^" in MULTILINE mode would be tried at every character.
_EVIDENCE: dict[str, re.Pattern[str]] = {
    "us-code": re.compile(r"\n\[?§ \d"),
    "us-public-law": re.compile(r"\n(?:SECTION 1|SEC\. \d+)\. [A-Z]"),
    "uk-act": re.compile(r"\n\d{1,3}[A-Z]? [A-Z][^.\n]{0,150}(?=\n)"),
    "eu-act": re.compile(r"\nArticle \d+[a-z]?(?=\n)"),
    "india-act": re.compile(r"\n(?:\d{1,2}\[)?\d{1,3}[A-Z]{0,2}\. [^\n]*\.—"),
    "us-constitution": re.compile(r"\n(?:Article|ARTICLE)\.? [IVXLC]+\.?(?=\n)"),
}
_FORMULA_WEIGHT = 1000


def _at_line_start(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A line pattern (``match`` on a stripped line) found anywhere in a text
    given with a line feed before it (see ``_EVIDENCE``)."""
    return re.compile(rf"\n[ \t]*(?:{pattern.pattern})")


_FORMULAS = {c.name: _at_line_start(c.formula) for c in CONVENTIONS if c.formula is not None}


def detect_convention(text: str) -> Convention | None:
    """The convention whose enacting formula starts a line of the text (a strong
    sign) and whose provision headings start the most lines; None when no
    convention has its formula or, for the Code (which has none), a ``§``
    heading."""
    text = f"\n{text}\n"
    best: tuple[int, Convention] | None = None
    for convention in CONVENTIONS:
        formula = _FORMULAS.get(convention.name)
        if formula is not None and formula.search(text) is None:
            continue
        headings = len(_EVIDENCE[convention.name].findall(text))
        if formula is None and not headings:
            continue
        score = headings + (_FORMULA_WEIGHT if formula is not None else 0)
        if best is None or score > best[0]:
            best = (score, convention)
    return None if best is None else best[1]
