"""A deadline for tests of things that must never block: a regression fails
the test after a few seconds instead of hanging the suite."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def within(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (SIGALRM interrupts a
    blocked open or read of a FIFO; main thread only)."""

    def expired(signum, frame):
        raise TimeoutError(f"blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def wait_until(predicate, seconds: float = 60, *, daemon=None, interval: float = 0.2) -> None:
    """Poll ``predicate`` until it holds; fail after ``seconds`` (with the
    daemon's log, and at once if the daemon given has died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if daemon is not None:
            assert daemon.running(), daemon.log.read_text()[-3000:]
        if predicate():
            return
        time.sleep(interval)
    log = daemon.log.read_text()[-3000:] if daemon is not None else ""
    raise AssertionError(f"timed out after {seconds} s\n{log}")
