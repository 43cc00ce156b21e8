"""One way to open the GnuPG keyring cutter uses (backups and approvals)."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import gnupg

from cutter_assets.platform.settings import load_settings


def open_gpg(home: Path | None = None) -> gnupg.GPG:
    """python-gnupg over ``home`` (default: the settings' gnupg home), created 0700."""
    home = (home or load_settings().gnupg_home).absolute()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return _gpg_over(str(home))


@functools.lru_cache(maxsize=16)
def _gpg_over(home: str) -> gnupg.GPG:
    """One python-gnupg object per keyring directory and process: making one runs
    ``gpg --version`` (a process of its own, at every phase's backup and
    signature checks), and it holds no state of its own between calls, each of
    which runs gpg on the keyring as it is then."""
    return gnupg.GPG(gnupghome=home)


def make_key(
    gpg: gnupg.GPG, name: str, email: str, *, encrypt: bool = True, comment: str = ""
) -> str:
    """A new ed25519 key (with a cv25519 encryption subkey) without passphrase,
    for demos and tests; returns its fingerprint. The user id is
    ``name (comment) <email>``."""
    extra = {"subkey_type": "ECDH", "subkey_curve": "cv25519"} if encrypt else {}
    if comment:
        extra["name_comment"] = comment
    made = gpg.gen_key(
        gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            name_real=name,
            name_email=email,
            no_protection=True,
            expire_date=0,
            **extra,
        )
    )
    if not made.fingerprint:
        raise RuntimeError(f"gpg could not make a key: {made.stderr[-200:]}")
    return made.fingerprint


def stop_agent(home: Path) -> None:
    """Stop the gpg-agent GnuPG started for the keyring at ``home`` (it would
    outlive a throw-away keyring)."""
    try:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False
        )
    except FileNotFoundError:  # no gpgconf: nothing we can stop
        pass
