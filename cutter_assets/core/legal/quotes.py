"""Quotations in a law's text: amending provisions quote whole articles and
sections, whose headings belong to the amended law, never units of this one.

Both builders (``tree.py``, ``english/builder.py``) keep the balance of the
quotation marks line by line (``Quotes``): while a quotation is open every
line is body text, and a heading inside one is reported (``quoted_heading``).
A closing mark with nothing open, or a quotation never closed, is an anomaly
(``anomalies.py``): a quotation that lost one of its marks would otherwise turn
quoted text into units, or units into quoted text.
"""

from __future__ import annotations

from cutter_assets.core.legal.anomalies import Anomalies
from cutter_assets.core.legal.model import ExtractWarning
from cutter_assets.core.legal.normalize import shorten

OPEN_QUOTES = "“\"‘'«"  # how a line of quoted text may start
QUOTE_MARKS = ("“", "”", '"')  # the marks whose balance is kept (``Quotes.track``)


def has_quote_mark(text: str) -> bool:
    """Whether any line of ``text`` could open or close a quotation."""
    return any(mark in text for mark in QUOTE_MARKS)


class Quotes:
    """The quotation marks read so far: open curly quotes, whether an odd number
    of straight quotes was read, and a block quotation. ``block`` is the pair of
    marks of a quotation that only a line's end closes (EU amending text between
    ``‘`` and ``’``: ``’`` is also the apostrophe); None where a text has none.
    ``open`` says whether any of them is open, ``line`` where it opened. The
    anomalies go to ``anomalies``."""

    __slots__ = ("anomalies", "block", "depth", "straight", "in_block", "line", "open")

    def __init__(self, anomalies: Anomalies, block: tuple[str, str] | None = None):
        self.anomalies = anomalies
        self.block = block
        self.depth = 0
        self.straight = False
        self.in_block = False
        self.line = 0
        self.open = False

    def start_block(self, s: str, lineno: int) -> None:
        """A line opening with ``block[0]`` opens a block quotation, unless it closes
        it too."""
        block = self.block
        if block is not None and s.startswith(block[0]) and not self._closes_block(s):
            self.in_block, self.line, self.open = True, lineno, True

    def _closes_block(self, s: str) -> bool:
        return s.rstrip(";.,)").endswith(self.block[1])

    def track(self, s: str, lineno: int) -> None:
        """The balance after the stripped line ``s`` (line ``lineno``). Without a
        ``block``, only a line holding one of ``QUOTE_MARKS`` can change it."""
        if self.in_block and lineno > self.line and self._closes_block(s):
            self.in_block = False
        was_open = self.depth or self.straight
        if "“" in s or "”" in s:
            depth = self.depth + s.count("“") - s.count("”")
            if depth < 0:
                # A closing mark that closes nothing: the quotation it was meant for
                # was closed earlier, by a nested quote that lost its opening mark,
                # and the quoted lines since were read as units. It closes nothing
                # here, so the marks after it balance as they would have.
                self.anomalies.add(
                    "quotation",
                    "closing quotation mark with no quotation open",
                    lineno,
                    s,
                    expected="an open quotation",
                    found="a closing mark",
                    accept="read the mark as text: the lines before it stay units",
                )
                depth = 0
            self.depth = depth
        if s.count('"') % 2:
            self.straight = not self.straight
        if not was_open and (self.depth or self.straight):
            self.line = lineno
        self.open = bool(self.depth or self.straight or self.in_block)

    def check_closed(self) -> None:
        """At the end of the text: a quotation still open made the rest body text."""
        if self.open:
            line = self.line
            self.anomalies.add(
                "quotation",
                "quotation is never closed (everything after it would be body text)",
                line,
                self.anomalies.lines[line - 1],
                expected="a closing mark",
                found="none until the end",
                accept=f"read everything after line {line} as quoted text",
            )


def quoted_heading(s: str, lineno: int, address: str, opened_at: int = 0) -> ExtractWarning:
    """The report of a heading in quoted text, kept as body text of ``address``:
    on a line inside the quotation opened at line ``opened_at``, or (0) on the
    line that opens the quotation."""
    where = f"is inside the quotation opened at line {opened_at}" if opened_at else "is quoted text"
    return ExtractWarning(
        lineno, "quoted_provision", f'"{shorten(s)}" {where}; kept as body text of {address}'
    )
