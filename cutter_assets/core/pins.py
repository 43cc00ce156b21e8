"""Canonical digests of plain data and the comparison of pins with live state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical_json(value: Any) -> str:
    """One byte-exact JSON text per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def drift(pinned: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """Every key whose live value differs from its pin, as 'key: pinned -> live'.

    A key missing on either side is drift too: silence is never agreement.
    """
    lines = []
    for key in sorted(set(pinned) | set(live)):
        before, after = pinned.get(key, "<absent>"), live.get(key, "<absent>")
        if before != after:
            lines.append(f"{key}: {_short(before)} -> {_short(after)}")
    return lines


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:16] + "…"
