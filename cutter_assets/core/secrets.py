"""Keeping secrets out of everything cutter writes: KB docs, log lines,
Dagster metadata and exception texts all pass through ``redact``."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s/]+)@")
_KEY_VALUE = re.compile(r"(?i)\b(password|passwd|pwd|passphrase|secret|token)\s*[=:]\s*([^\s,;&]+)")
_KEY_BLOCK = re.compile(
    r"-----BEGIN PGP PRIVATE KEY BLOCK-----.*?-----END PGP PRIVATE KEY BLOCK-----", re.S
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Mask URL passwords, key=value secrets, private key blocks and every
    given secret value (also in its URL-encoded form)."""
    text = _KEY_BLOCK.sub("-----PGP PRIVATE KEY BLOCK REDACTED-----", text)
    text = _URL_CREDENTIALS.sub(lambda m: m.group("head") + MASK + "@", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}={MASK}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text
