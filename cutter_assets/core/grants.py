"""The privilege matrix as plain data: one line per (grantee, object,
privilege), its digest, and the difference from the expected matrix."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def matrix_lines(rows: Iterable[tuple[str, str, str]]) -> list[str]:
    return sorted({f"{grantee} {privilege} {obj}" for grantee, obj, privilege in rows})


def matrix_sha(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


def matrix_delta(expected: list[str], live: list[str]) -> list[str]:
    """'missing: …' for expected grants not held, 'unexpected: …' for extra ones."""
    want, have = set(expected), set(live)
    return [f"missing: {line}" for line in sorted(want - have)] + [
        f"unexpected: {line}" for line in sorted(have - want)
    ]
