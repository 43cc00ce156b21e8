"""How English provisions are numbered, and which number may come next.

A number is read in a *style* (decimal, letters, Roman numerals, number
words) and may carry an inserted suffix: ``4A`` after 4, ``(1A)`` after
(1), ``(aa)`` after (a) where the convention allows it. ``follows`` is the
one rule every sequence obeys: the next number, or the next insertion after
the same number. A token that two styles can read (``i``: the letter after
h, or Roman one) gets both readings; the builder keeps the one the
document's sequence allows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from cutter_assets.core.legal.normalize import EN_NUMBER_WORDS, int_to_roman, roman_to_int

DECIMAL = "decimal"
LOWER = "lower"  # a, b, ... z
UPPER = "upper"  # A, B, ... Z
LROMAN = "lroman"  # i, ii, iii
UROMAN = "uroman"  # I, II, III
WORDS = "words"  # ONE, TWO (EU "PART ONE")

_DECIMAL = re.compile(r"(\d{1,4})([A-Za-z]{0,2})")


@dataclass(frozen=True, slots=True)
class Number:
    """One reading of a number: its style, its place in the style's sequence,
    the inserted suffix (0 none, 1 for A or a, 2 for B or b) and the form an
    address shows (``4A``, ``a``, ``iv``; Roman and word numbers of containers
    as decimals, as the Vietnamese grammar writes them)."""

    style: str
    value: int
    insert: int
    text: str


def follows(number: Number, last: Number | None) -> bool:
    """Whether ``number`` may come right after ``last`` (None: it opens the
    sequence, so it must be the first number, never an insertion)."""
    if last is None:
        return number.value == 1 and number.insert == 0
    if number.insert == 0:
        return number.value == last.value + 1
    return number.value == last.value and number.insert == last.insert + 1


def next_text(last: Number | None, style: str) -> str:
    """How the number due after ``last`` is written, for messages."""
    if last is None:
        return show(style, 1)
    return show(style, last.value + 1)


def inserted_text(last: Number) -> str:
    """The number inserted right after ``last`` (``4A`` after 4, ``4B`` after 4A)."""
    letter = chr(ord("A") + last.insert)
    if last.style != DECIMAL or last.text[-1:].islower():
        letter = letter.lower()
    return f"{show(last.style, last.value)}{letter}"


def show(style: str, value: int) -> str:
    """``value`` written in ``style`` (for messages and Roman markers)."""
    if style in (LOWER, UPPER):
        letter = chr(ord("a") + value - 1) if 0 < value <= 26 else "?"
        return letter if style == LOWER else letter.upper()
    if style in (LROMAN, UROMAN):
        roman = int_to_roman(value)
        return roman.lower() if style == LROMAN else roman
    return str(value)


def written(number: Number) -> str:
    """``number`` as the document writes it, for messages: a container's Roman
    number in Roman numerals (its ``text`` is the decimal its address shows)."""
    return show(UROMAN, number.value) if number.style == UROMAN else number.text


@functools.lru_cache(maxsize=1024)  # a law repeats the same few tokens: 1, 2, a, b
def decimal(token: str) -> Number | None:
    """``4``, ``4A``, ``12b``: a decimal number with an optional inserted suffix
    of one letter (``4A``) or two (``4ZA`` is not read: None)."""
    m = _DECIMAL.fullmatch(token)
    if m is None:
        return None
    digits, suffix = m.groups()
    if len(suffix) > 1:
        return None
    insert = ord(suffix.upper()) - ord("A") + 1 if suffix else 0
    return Number(DECIMAL, int(digits), insert, f"{int(digits)}{suffix}")


@functools.lru_cache(maxsize=1024)
def letters(token: str, insertions: bool) -> tuple[Number, ...]:
    """The readings of a marker's letters: ``b`` (a letter), ``iv`` (Roman),
    ``i`` (both), ``ba`` (b with an inserted a, where ``insertions``)."""
    readings: list[Number] = []
    lower = token.islower()
    roman = roman_to_int(token.upper())
    if roman is not None:
        readings.append(Number(LROMAN if lower else UROMAN, roman, 0, token))
    if len(token) == 1:
        readings.append(Number(LOWER if lower else UPPER, _index(token), 0, token))
    elif len(token) == 2 and insertions and roman is None and token[1].islower() == lower:
        readings.append(
            Number(LOWER if lower else UPPER, _index(token[0]), _index(token[1]), token)
        )
    return tuple(readings)


@functools.lru_cache(maxsize=256)
def container(token: str) -> tuple[Number, ...]:
    """The readings of a container's number: ``3``, ``3A``, ``IV``, ``A``
    (``I``: Roman one, or the ninth letter), ``ONE``."""
    number = decimal(token)
    if number is not None:
        return (number,)
    readings: list[Number] = []
    roman = roman_to_int(token)
    if roman is not None:
        readings.append(Number(UROMAN, roman, 0, str(roman)))
    if len(token) == 1 and token.isupper():
        readings.append(Number(UPPER, _index(token), 0, token))
    word = EN_NUMBER_WORDS.get(token.lower())
    if word is not None and token.isalpha():
        readings.append(Number(WORDS, word, 0, str(word)))
    return tuple(readings)


def _index(letter: str) -> int:
    return ord(letter.lower()) - ord("a") + 1
