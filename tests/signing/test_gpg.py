"""One python-gnupg object per keyring serves a process; every call still
runs gpg on the keyring as it is then, so a key removed or added by anyone
is seen by the next call."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from cutter_assets.signing.gpg import make_key, open_gpg, stop_agent


def test_the_kept_gpg_object_sees_the_keyring_as_it_is_now():
    home = Path(tempfile.mkdtemp(prefix="cutgpg-", dir="/tmp"))
    try:
        gpg = open_gpg(home)
        assert open_gpg(home) is gpg  # kept: no gpg --version per call
        fingerprint = make_key(open_gpg(home), "short-lived", "short@test.cutter")
        assert fingerprint in {key["fingerprint"] for key in gpg.list_keys()}
        subprocess.run(  # removed behind the kept object's back, as an operator would
            ["gpg", "--homedir", str(home), "--batch", "--yes"]
            + ["--delete-secret-and-public-key", fingerprint],
            check=True,
            capture_output=True,
        )
        assert fingerprint not in {key["fingerprint"] for key in open_gpg(home).list_keys()}
        signed = open_gpg(home).sign("text", keyid=fingerprint)
        assert not signed.data  # a key that is gone signs nothing
        other = home / "other"
        assert open_gpg(other) is not gpg  # another keyring, another object
        stop_agent(other)
    finally:
        stop_agent(home)
        shutil.rmtree(home, ignore_errors=True)
