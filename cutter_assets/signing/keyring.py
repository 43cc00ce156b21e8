"""The project keyring as an operator sets it up: what a key file holds
(looked at before anything is imported), importing one public key, listing
and removing keys, and the set-up a cut and an approval need (a backup
recipient in the keyring, at least one allowed sovereign key).

Every refusal is one STOP line that names the command which fixes it. A key
is only ever named by its fingerprint and a printable, bounded form of its
user id: a uid may hold line breaks or terminal escapes, and is shown, never
written into the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cutter_assets.core.commands import command
from cutter_assets.core.intake import sanitize_echo
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import BACKUP_RECIPIENT, Settings, overriding_variable

KEY_FILE_MAX_BYTES = 1024 * 1024  # a public key with many certifications stays far below
_FINGERPRINT = re.compile(r"[0-9A-F]{40}")
# gpg's validity of a key that must not be used: expired, revoked, invalid, disabled
_UNUSABLE = frozenset("erid")
ENCRYPT, SIGN = "E", "S"  # gpg's usable capabilities of a whole key (upper case)


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    uids: tuple[str, ...]
    capabilities: str  # gpg's field: lower case per key, upper case usable for the whole key
    validity: str
    secret: bool  # a secret key is in the file (scanned) or in the keyring (listed)
    keyids: tuple[str, ...]  # the primary key's and each subkey's long key id

    @property
    def uid(self) -> str:
        """The first user id, printable and bounded, for showing."""
        return sanitize_echo(self.uids[0], 80) if self.uids else "(no user id)"

    def can(self, capability: str) -> bool:
        return capability in self.capabilities and self.validity not in _UNUSABLE


def fingerprint_of(text: str) -> str:
    """A full fingerprint as gpg prints it (spaces and case as you like), or
    STOP_REFUSED_INPUT: a short key id or a uid could name more than one key."""
    value = "".join((text or "").split()).upper().removeprefix("0X")
    if not _FINGERPRINT.fullmatch(value):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"{sanitize_echo(text or '', 60)!r} is not a full key fingerprint (40 hex digits)",
        )
    return value


def _info(row: dict, secret: bool) -> KeyInfo:
    return KeyInfo(
        row["fingerprint"].upper(),
        tuple(row.get("uids", ())),
        row.get("cap", ""),
        row.get("trust", ""),
        secret,
        tuple(k.upper() for k in (row["keyid"], *(sub[0] for sub in row.get("subkeys", [])))),
    )


def scan_key_file(gpg, data: bytes, name: str) -> KeyInfo:
    """The one public key ``data`` holds, read without importing it. Refused
    (STOP_REFUSED_INPUT): no key, more than one key, or a secret key, which
    never enters the keyring this way (its secret material is not read out)."""
    shown = sanitize_echo(name)
    scanned = [row for row in gpg.scan_keys_mem(data) if row.get("fingerprint")]
    if not scanned:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"{shown} holds no OpenPGP key")
    if len(scanned) > 1:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"{shown} holds {len(scanned)} keys; give one key per file"
        )
    key = _info(scanned[0], secret=scanned[0].get("type") == "sec")
    if key.secret:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"{shown} holds a secret key; give its public key only "
            f"(gpg --export --armor {key.fingerprint} > public.asc)",
        )
    return key


def import_public_key(gpg, data: bytes, key: KeyInfo) -> None:
    """Import the public key ``scan_key_file`` found in ``data``; a key already
    in the keyring is refused (importing would merge into it)."""
    if find_key(gpg, key.fingerprint) is not None:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"key {key.fingerprint} is in the keyring already; see: {command('keys show')}",
        )
    result = gpg.import_keys(data)
    imported = {fpr.upper() for fpr in result.fingerprints if fpr}
    if result.imported != 1 or imported != {key.fingerprint}:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"gpg did not import key {key.fingerprint} alone"
        )


def find_key(gpg, fingerprint: str) -> KeyInfo | None:
    """The key with exactly this primary fingerprint, if it is in the keyring
    (None for anything but a full fingerprint: gpg never sees it)."""
    if not _FINGERPRINT.fullmatch(fingerprint):
        return None
    secret = {row["fingerprint"].upper() for row in gpg.list_keys(secret=True, keys=[fingerprint])}
    for row in gpg.list_keys(keys=[fingerprint]):
        if row["fingerprint"].upper() == fingerprint:
            return _info(row, secret=fingerprint in secret)
    return None


def all_keys(gpg) -> list[KeyInfo]:
    secret = {row["fingerprint"].upper() for row in gpg.list_keys(secret=True)}
    rows = gpg.list_keys()
    return [_info(row, secret=row["fingerprint"].upper() in secret) for row in rows]


def delete_public_key(gpg, key: KeyInfo) -> None:
    """Remove a public key. A key whose secret key is here is refused: cutter
    never destroys secret material; the operator does that with gpg."""
    if key.secret:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"key {key.fingerprint} has its secret key in this keyring; cutter never deletes "
            f"one — run: gpg --homedir {gpg.gnupghome} --delete-secret-and-public-key "
            f"{key.fingerprint}",
        )
    deleted = gpg.delete_keys(key.fingerprint)
    if str(deleted) != "ok":
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"gpg did not delete key {key.fingerprint}: {deleted}"
        )


# ---- the set-up a cut and an approval need ------------------------------------------
def backup_key(gpg, settings: Settings) -> KeyInfo:
    """The configured backup recipient's key, able to encrypt; else STOP_BACKUP
    naming the command that fixes it."""
    fingerprint = settings.backup_recipient
    if not fingerprint:
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"no backup recipient configured — run: {command('keys backup create')}",
        )
    key = find_key(gpg, fingerprint)
    if key is None:
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"backup recipient key {sanitize_echo(fingerprint, 60)} is not in the keyring "
            f"{settings.gnupg_home} — "
            f"import its public key: {command('keys backup import FILE')}",
        )
    if not key.can(ENCRYPT):
        where = overriding_variable(BACKUP_RECIPIENT) or settings.config_file
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"backup recipient key {fingerprint} cannot encrypt (expired, revoked or "
            f"signing only); remove it from {where}, then run: {command('keys backup create')}",
        )
    return key


def sovereign_keys(gpg, settings: Settings) -> list[KeyInfo]:
    """The allowed sovereign keys, each in the keyring; else STOP_CONFIG
    naming the command that fixes it (an approval could never be verified)."""
    if not settings.sovereign_fingerprints:
        raise CutterStop(
            StopCode.STOP_CONFIG,
            "no sovereign key is allowed to sign approvals — run: "
            f"{command('keys sovereign import FILE --allow')}",
        )
    keys = []
    for fingerprint in settings.sovereign_fingerprints:
        key = find_key(gpg, fingerprint)
        if key is None:
            raise CutterStop(
                StopCode.STOP_CONFIG,
                f"allowed sovereign key {sanitize_echo(fingerprint, 60)} is not in the keyring — "
                f"run: {command('keys sovereign import FILE')}",
            )
        keys.append(key)
    return keys
