"""Time-ordered identifiers (UUIDv7, RFC 9562) for cut runs and change sets."""

from __future__ import annotations

import os
import time
import uuid


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, then 74 random bits.

    Ids made later sort later (to the millisecond), so a ledger ordered by
    ``run_id`` reads in the order runs started.
    """
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    if not 0 <= ms < 1 << 48:
        raise ValueError("timestamp out of range for UUIDv7")
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 62 & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def uuid7_millis(value: uuid.UUID) -> int:
    return value.int >> 80


def uuid7_datetime(value: str | uuid.UUID):
    """When a UUIDv7 was made (UTC), e.g. the day a cut run started."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(uuid7_millis(uuid.UUID(str(value))) / 1000, UTC)
