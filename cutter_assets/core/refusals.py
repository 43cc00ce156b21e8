"""Inputs the sovereign never hands over (seed doc 01 §4): connection strings
and passwords, digests, counts, ids that must be discovered, bypass flags and
raw SQL, and anything carrying a control character or a line break (it would
split a STOP line, a KB header or a ledger field). They are refused on sight
with STOP_REFUSED_INPUT and a sanitized echo, before anything connects anywhere.

Also the sovereign's one-line utterance, ``Cắt văn bản <doc_code>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from cutter_assets.core.intake import has_control
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode

BYPASS_FLAGS = ("--force", "--skip-verify", "--no-backup", "--yes-really", "--no-verify")
_CONNECTION = re.compile(
    r"(?i)(\b[a-z][a-z0-9+.-]*://)|(\b(host|hostaddr|dbname|user|password|sslmode)\s*=)"
    r"|\bPGPASS(WORD|FILE)\b|--(password|dsn|db-url|database-url|url)\b"
)
_DIGEST = re.compile(r"(?i)\b[0-9a-f]{32,}\b")
_UUID = re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_COUNT = re.compile(r"^[+-]?\d+$")
_AN_ID = "an id (ids are discovered or created by cutter)"
_A_COUNT = "a count (counts are discovered)"
# Flags whose name alone says they hand over what must be discovered, whatever
# their value: (the pattern of the name, what it hands over).
_REFUSED_FLAGS = (
    (
        re.compile(
            r"(?i)^--[a-z-]*(change-set|review-decision|signature|envelope|verify-result|"
            r"source-version|source-document)[a-z-]*"
        ),
        _AN_ID,
    ),
    (re.compile(r"(?i)^--[a-z-]*(count|rows|candidates|expect)[a-z-]*"), _A_COUNT),
)
_SQL = re.compile(
    r"(?i)\b(select|insert|update|delete|drop|alter|truncate|grant|revoke|create|"
    r"copy|execute)\b\s+\S+.*|;\s*$|--\s*$"
)
_UTTERANCE = re.compile(r"^\s*cat\s+van\s+ban\s+(?P<doc>\S+)\s*$", re.I)
ONE_LINE_LIMIT = 1000


def one_line(text: str, limit: int = ONE_LINE_LIMIT) -> str:
    """``text`` as one printable line for stderr: secrets masked, runs of
    whitespace (line breaks too) one space, other unprintable characters
    ``?``, bounded length."""
    text = " ".join(redact(text).split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sanitize(token: str) -> str:
    """A refused token as it may be echoed: secrets masked, digests and ids
    shortened, control characters replaced, bounded length."""
    text = redact(token)
    text = _DIGEST.sub(lambda m: m.group(0)[:6] + "…", text)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 60 else text[:57] + "..."


def screen_arguments(
    tokens: Sequence[str],
    *,
    ids_allowed_for: Sequence[str] = (),
    numbers_allowed_for: Sequence[str] = (),
) -> None:
    """Refuse the first token that hands over something that must be discovered
    or carries a control character.

    ``ids_allowed_for``: flags whose value may be an id (``--run-id`` for
    resume/inspect); an id anywhere else is refused. ``numbers_allowed_for``:
    flags whose value is a number the operator sets (a cap such as
    ``--max-units``), not a count that must be discovered; ``--port`` always is.
    """
    previous = ""
    for token in tokens:
        reason = _refusal_reason(token, previous, ids_allowed_for, numbers_allowed_for)
        if reason:
            raise CutterStop(
                StopCode.STOP_REFUSED_INPUT, f"{reason} is never accepted: {sanitize(token)!r}"
            )
        previous = token


def screen_text(flag: str, value: str) -> None:
    """The part of the screen every free-text value gets, also where an id or a
    hex fingerprint is legitimate (``--key``) or the value comes from the
    environment (``--actor``, ``--approver`` defaults): no control character or
    line break, no connection string or password."""
    if has_control(value):
        reason = "a control character or line break"
    elif _CONNECTION.search(value):
        reason = "a connection string or password"
    else:
        return
    raise CutterStop(
        StopCode.STOP_REFUSED_INPUT, f"{flag}: {reason} is never accepted: {sanitize(value)!r}"
    )


def _refusal_reason(
    token: str,
    previous: str,
    ids_allowed_for: Sequence[str],
    numbers_allowed_for: Sequence[str],
) -> str | None:
    flag = token.split("=", 1)[0]
    if has_control(token):
        return "a control character or line break"
    if flag in BYPASS_FLAGS:
        return "a bypass flag"
    if _CONNECTION.search(token):
        return "a connection string or password"
    for name, hands_over in _REFUSED_FLAGS:
        if name.match(flag):
            return hands_over
    value_of = flag if "=" in token else previous
    value = token.split("=", 1)[1] if "=" in token else token
    if _UUID.search(value) and value_of not in ids_allowed_for:
        return _AN_ID
    if _DIGEST.search(value):
        return "a digest (digests are computed, never supplied)"
    if _SQL.search(value):
        return "raw SQL"
    if _COUNT.match(value) and not (
        value_of.startswith("--port") or value_of in numbers_allowed_for
    ):
        return _A_COUNT
    return None


def fold(text: str) -> str:
    """Lower-case, diacritics removed (đ -> d), so 'Cắt văn bản' == 'cat van ban'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def parse_utterance(text: str) -> str | None:
    """The doc code in ``Cắt văn bản <doc_code>`` (diacritics optional), else None."""
    match = _UTTERANCE.match(fold(" ".join(text.split())))
    if match is None:
        return None
    start = len(text.rstrip()) - len(match.group("doc"))
    return text.rstrip()[start:]
