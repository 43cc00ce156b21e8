"""The code a process runs: cutter's package and its SQL, as this process
loaded them, compared with the disk before every phase.

A long-lived process keeps the code it imported: the code server's forkserver
(every run worker is a fork of it), the daemon, the UI. Upgraded under it
(new files pulled, ``db migrate`` run), such a process would run the old
phases against the new schema, and the fingerprints it checks are read from
the new files, so nothing else would see it: a cut made by code that is no
longer the project's, silently. The digest is taken when this module is first
imported (with the definitions, so before any fork) and a phase is refused,
nothing done, when the files differ (STOP_CODE_DRIFT): restart the process and
run the stage again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cutter_assets.core.commands import command
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import PROJECT_ROOT

# What a phase runs: the package (code, catalogue, templates) and the SQL with its pins.
CODE_ROOTS = (PROJECT_ROOT / "cutter_assets", PROJECT_ROOT / "sql")
CODE_SUFFIXES = frozenset({".py", ".yaml", ".sql", ".j2"})


def code_digest(roots: tuple[Path, ...] = CODE_ROOTS) -> str:
    """sha256 over every code file under ``roots``: its path and its bytes, in path order."""
    digest = hashlib.sha256()
    for root in roots:
        files = sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file())
        for path in files:
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


LOADED = code_digest()


def check_code_unchanged() -> None:
    """STOP_CODE_DRIFT when the code on disk is not the code this process loaded."""
    if code_digest() != LOADED:
        raise CutterStop(
            StopCode.STOP_CODE_DRIFT,
            "cutter's code on disk changed since this process loaded it (an upgrade?): "
            "nothing was done; restart the process that ran this (for the UI and the "
            f"daemon: {command('ui')}), then run the stage again",
        )
