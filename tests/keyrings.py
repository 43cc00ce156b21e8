"""A fresh deployment for the onboarding tests: an empty state dir and
keyring (nothing configured, nothing in the environment that would stand in
for the set-up) and keys made the way an operator receives them, in a
keyring of their owner's and exported to a file."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cutter_assets.signing.gpg import make_key, open_gpg, stop_agent

SET_UP_BY_ENVIRONMENT = (
    "CUTTER_GNUPGHOME",
    "CUTTER_BACKUP_RECIPIENT",
    "CUTTER_SOVEREIGN_KEYS",
    "CUTTER_BACKUP_DIR",
    "DAGSTER_HOME",
)


@contextmanager
def short_dir(prefix: str) -> Iterator[Path]:
    """A directory with a short path (gpg-agent's sockets live in a keyring
    home, and a socket path is limited to ~100 bytes), removed afterwards
    with the agents of every keyring under it."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield root
    finally:
        for ring in root.rglob("pubring.kbx"):
            stop_agent(ring.parent)
        shutil.rmtree(root, ignore_errors=True)


def fresh_deployment(mp: pytest.MonkeyPatch, root: Path, command: str = "./run") -> dict:
    """The environment of a deployment in ``root`` that nobody has set up:
    state (and so the keyring and config.yaml) and KB under ``root``."""
    for name in SET_UP_BY_ENVIRONMENT:
        mp.delenv(name, raising=False)
    env = {
        "CUTTER_STATE_DIR": str(root / "state"),
        "CUTTER_KB_ROOT": str(root / "kb"),
        "CUTTER_COMMAND": command,
    }
    for name, value in env.items():
        mp.setenv(name, value)
    return env


def exported_key(
    root: Path, name: str, email: str, *, encrypt: bool = False, secret: bool = False
) -> tuple[str, Path]:
    """A key made in its owner's keyring under ``root``, and the file its
    public (or, with ``secret``, its secret) key is exported to."""
    home = root / f"ring-{email.split('@')[0]}"
    home.mkdir(mode=0o700, exist_ok=True)
    ring = open_gpg(home)
    fingerprint = make_key(ring, name, email, encrypt=encrypt)
    exported = (
        ring.export_keys(fingerprint, secret=True, passphrase="")
        if secret
        else ring.export_keys(fingerprint)
    )
    path = root / f"{email.split('@')[0]}{'-secret' if secret else ''}.asc"
    path.write_text(exported, encoding="utf-8")
    return fingerprint, path


def quick_key(root: Path, uid: str, algorithm: str, usage: str) -> tuple[str, Path]:
    """A key gpg makes from a raw user id (any bytes a uid may hold) and a
    usage (``sign``, ``cert``, …), exported public to a file."""
    home = root / "ring-quick"
    home.mkdir(mode=0o700, exist_ok=True)
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", "--quick-gen-key"]
        + [uid, algorithm, usage, "never"],
        check=True,
        capture_output=True,
    )
    ring = open_gpg(home)
    fingerprint = next(k["fingerprint"] for k in ring.list_keys() if uid in k["uids"])
    path = root / f"quick-{fingerprint[-8:]}.asc"
    path.write_text(ring.export_keys(fingerprint), encoding="utf-8")
    return fingerprint, path
