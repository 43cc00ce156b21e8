"""Database URLs and driver messages made safe to show (pure: no I/O).

A password hides in a URL's userinfo, or in any query parameter whose key
holds "pass" (password, sslpassword, passfile). When the userinfo holds a raw
'@', '%', '/', '?' or '#', libpq (first '@'), SQLAlchemy and urllib (last
'@') disagree on where it ends, and libpq's own messages then repeat what it
took for a host or a bad escape; so such a URL is masked whole, never guessed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_plus

MASK = "***"
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)", re.DOTALL)
_CLEAN_USERINFO = re.compile(r"(?:[^@/?#%\s]|%[0-9A-Fa-f]{2})*")
_HOST = r"(?:\[[0-9A-Fa-f:.]*\]|[^:,\[\]\s]*)(?::[0-9]*)?"
_HOSTS = re.compile(rf"{_HOST}(?:,{_HOST})*")
_KEYWORD_PASSWORD = re.compile(r"\w*pass\w*\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
# where a parser may cut a userinfo or a query value into pieces
_CUTS = re.compile(r"[@/?#:&=,\[\]]")
_MIN_FRAGMENT = 2


def _is_password_key(key: str) -> bool:
    return "pass" in unquote(key).lower()


def _masked_query(query: str) -> str:
    pairs = (pair.partition("=") for pair in query.split("&"))
    return "&".join(
        key + eq + (MASK if eq and _is_password_key(key) else value) for key, eq, value in pairs
    )


def clean_url_parts(url: str) -> tuple[str, str | None, str] | None:
    """(scheme, userinfo, the rest) when every parser reads ``url`` alike, else None."""
    match = _URL.fullmatch(url)
    if match is None or "#" in url:
        return None
    rest = match["rest"]
    authority = re.match(r"[^/?]*", rest)[0]
    userinfo, at, hosts = authority.rpartition("@")
    if "@" in rest[len(authority) :] or "@" in userinfo:
        return None
    if at and not _CLEAN_USERINFO.fullmatch(userinfo):
        return None
    if not _HOSTS.fullmatch(hosts):
        return None
    return match["scheme"], (userinfo if at else None), rest[len(userinfo) + len(at) :]


def _render(scheme: str, userinfo: str, rest: str) -> str:
    path, question, query = rest.partition("?")
    return f"{scheme}://{userinfo}{path}{question}{_masked_query(query) if question else ''}"


def redact_url(url: str) -> str:
    """The URL with every password masked, safe for a log line, a KB doc or a
    STOP line: the userinfo password, any query parameter whose key holds
    "pass", and the whole userinfo when parsers could read it differently."""
    parts = clean_url_parts(url)
    if parts is not None:
        scheme, userinfo, rest = parts
        user, colon, _ = (userinfo or "").partition(":")
        shown = "" if userinfo is None else f"{user}:{MASK}@" if colon else f"{user}@"
        return _render(scheme, shown, rest)
    match = _URL.fullmatch(url)
    if match is None:
        return "<unparseable database URL>"
    userinfo, at, after = match["rest"].rpartition("@")
    tail = clean_url_parts(f"{match['scheme']}://{after}")
    if at and tail is not None and not set(userinfo) & {"?", "#"}:
        return _render(tail[0], f"{MASK}@", tail[2])
    return f"{match['scheme']}://{MASK}"


def url_secrets(url: str) -> set[str]:
    """Every password in ``url`` as written and decoded, wherever any parser
    ends the userinfo or starts the query, and each piece a parser could cut."""
    written: set[str] = set()
    match = _URL.fullmatch(url)
    if match is None:  # a keyword/value DSN: host=... password=...
        written.update(value.strip("'") for value in _KEYWORD_PASSWORD.findall(url))
    else:
        rest = match["rest"]
        for at in {rest.find("@"), rest.rfind("@")} - {-1}:
            _, colon, password = rest[:at].partition(":")
            if colon:
                written.add(password)
        for question in {rest.find("?"), rest.find("?", rest.rfind("@") + 1)} - {-1}:
            for pair in rest[question + 1 :].split("&"):
                key, eq, value = pair.partition("=")
                if eq and _is_password_key(key):
                    written.add(value)
    candidates = set()
    for secret in written:
        for form in (secret, unquote(secret), unquote_plus(secret)):
            candidates.add(form)
            candidates.update(_CUTS.split(form))
    return {c for c in candidates if len(c) >= _MIN_FRAGMENT}


def redact_error(text: str, *urls: str) -> str:
    """A driver's message with every URL in ``urls`` redacted and every
    password from them (or a piece of one) masked, wherever it appears."""
    for url in sorted(urls, key=len, reverse=True):
        text = text.replace(url, redact_url(url))
    secrets = set().union(*(url_secrets(url) for url in urls))
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
