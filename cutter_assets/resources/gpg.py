"""One way to open the GnuPG keyring cutter uses (backups and approvals)."""

from __future__ import annotations

from pathlib import Path

import gnupg

from cutter_assets.settings import load_settings


def open_gpg(home: Path | None = None) -> gnupg.GPG:
    """python-gnupg over ``home`` (default: the settings' gnupg home), created 0700."""
    home = (home or load_settings().gnupg_home).absolute()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return gnupg.GPG(gnupghome=str(home))
