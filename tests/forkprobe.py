"""A process target that reports which modules its process had imported when it
started (it imports nothing but ``sys``): tests/test_latency_settings.py."""

import sys


def imported(queue, names: list[str]) -> None:
    queue.put([name for name in names if name in sys.modules])
