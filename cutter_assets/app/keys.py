"""``cutter keys``: the operator's set-up of the project keyring and of the two
settings that name keys in it, the backup recipient and the sovereign
allow-list (written to ``<state dir>/config.yaml``, fingerprints only).

Nothing here prints or reads out secret material: a key file is looked at
before it is imported and a secret key in it is refused; a key made here
keeps its secret key in the project's GnuPG home. A setting the environment
overrides is never written as if it counted (STOP_CONFIG names the variable).
Every refusal is one STOP line; each that stands for missing set-up names
the command that fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click

from cutter_assets.core.commands import command
from cutter_assets.core.intake import read_input_file, sanitize_echo
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import (
    BACKUP_RECIPIENT,
    SOVEREIGN_KEYS,
    editing_config,
    load_settings,
    overriding_variable,
)
from cutter_assets.signing import keyring
from cutter_assets.signing.documents import registered_service_keys
from cutter_assets.signing.gpg import make_key, open_gpg

DEFAULT_BACKUP_NAME = "Cutter backup"
BACKUP_EMAIL = "backup@cutter.invalid"
# The name goes into gpg's key-generation parameters, one per line: a line
# break or a "(" "<" would write a parameter or a uid part of its own.
_KEY_NAME = re.compile(r"\w[\w .,'-]{0,63}")


# ---- the settings ------------------------------------------------------------------
def _require_managed(key: str) -> None:
    """STOP_CONFIG when the environment sets ``key``: config.yaml would not count."""
    variable = overriding_variable(key)
    if variable is not None:
        raise CutterStop(
            StopCode.STOP_CONFIG,
            f"{variable} is set in the environment and overrides "
            f"{load_settings().config_file}; unset it to manage {key} with {command('keys')}",
        )


def _allowed(config: dict) -> list[str]:
    """The allow-list as config.yaml holds it (a list, or one string of fingerprints)."""
    value = config.get(SOVEREIGN_KEYS) or []
    listed = value if isinstance(value, list) else str(value).replace(",", " ").split()
    return [str(fpr).upper() for fpr in listed]


def _edit_allowed(edit: Callable[[list[str]], None]) -> None:
    """Change the allow-list in config.yaml (read, changed and written under its lock)."""
    with editing_config(load_settings().state_dir) as config:
        allowed = _allowed(config)
        edit(allowed)
        config[SOVEREIGN_KEYS] = allowed


# ---- the backup key ----------------------------------------------------------------
def create_backup_key(name: str = DEFAULT_BACKUP_NAME) -> str:
    """Make the backup encryption key (ed25519 with a cv25519 subkey) in the
    project keyring and name it the backup recipient; its fingerprint."""
    if not _KEY_NAME.fullmatch(name or ""):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"--name {sanitize_echo(name or '')!r} must be 1-64 letters, digits, spaces or .,'-",
        )
    _require_managed(BACKUP_RECIPIENT)
    settings = load_settings()
    with editing_config(settings.state_dir) as config:
        _refuse_configured_recipient(config, settings.config_file)
        fingerprint = make_key(open_gpg(settings.gnupg_home), name, BACKUP_EMAIL)
        config[BACKUP_RECIPIENT] = fingerprint
    return fingerprint


def import_backup_key(path: Path) -> keyring.KeyInfo:
    """Import the backup recipient's public key (its secret key stays with
    whoever restores) and name it the backup recipient; or import the public
    key of the recipient already named, when the keyring lacks it."""
    settings = load_settings()
    gpg = open_gpg(settings.gnupg_home)
    data, key = _scanned(gpg, path)
    if not key.can(keyring.ENCRYPT):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"key {key.fingerprint} cannot encrypt (expired, revoked or signing only); "
            "a backup recipient needs an encryption key",
        )
    if settings.backup_recipient == key.fingerprint:
        keyring.import_public_key(gpg, data, key)
        return key
    _require_managed(BACKUP_RECIPIENT)
    with editing_config(settings.state_dir) as config:
        _refuse_configured_recipient(config, settings.config_file)
        keyring.import_public_key(gpg, data, key)
        config[BACKUP_RECIPIENT] = key.fingerprint
    return key


def _refuse_configured_recipient(config: dict, config_file: Path) -> None:
    """Backups verify only against the recipient they were made for: one is
    never replaced behind the operator's back."""
    if config.get(BACKUP_RECIPIENT):
        configured = sanitize_echo(str(config[BACKUP_RECIPIENT]), 60)
        raise CutterStop(
            StopCode.STOP_CONFIG,
            f"a backup recipient is configured already ({configured}); "
            f"to replace it, delete {BACKUP_RECIPIENT} from {config_file} first",
        )


def _scanned(gpg, path: Path) -> tuple[bytes, keyring.KeyInfo]:
    """The bytes of the key file at ``path`` (a regular file, bounded, read
    without blocking) and the one public key they hold."""
    data = read_input_file(path, keyring.KEY_FILE_MAX_BYTES)
    if not data.strip():
        raise CutterStop(StopCode.STOP_EMPTY_INPUT, f"{sanitize_echo(path.name)} is empty")
    return data, keyring.scan_key_file(gpg, data, path.name)


# ---- the sovereign keys ------------------------------------------------------------
def import_sovereign_key(path: Path, *, allow: bool) -> keyring.KeyInfo:
    """Import a sovereign's public key (able to sign), and allow it when asked."""
    if allow:
        _require_managed(SOVEREIGN_KEYS)
    gpg = open_gpg(load_settings().gnupg_home)
    data, key = _scanned(gpg, path)
    _refuse_unable_to_sign(key)
    keyring.import_public_key(gpg, data, key)
    if allow and key.fingerprint not in load_settings().sovereign_fingerprints:
        allow_sovereign_key(key.fingerprint)
    return key


def allow_sovereign_key(fingerprint: str) -> keyring.KeyInfo:
    """Put a key of the keyring that can sign on the sovereign allow-list. The
    backup recipient and the services' keys are never sovereigns: a service
    that could approve would break separation of duties."""
    fingerprint = keyring.fingerprint_of(fingerprint)
    _require_managed(SOVEREIGN_KEYS)
    gpg = open_gpg(load_settings().gnupg_home)
    key = keyring.find_key(gpg, fingerprint)
    if key is None:
        raise _unknown(fingerprint)
    role = _roles(gpg).get(fingerprint)
    if role:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"key {fingerprint} is {role}; it never signs approvals"
        )
    _refuse_unable_to_sign(key)

    def add(allowed: list[str]) -> None:
        if fingerprint in allowed:
            raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"key {fingerprint} is allowed already")
        allowed.append(fingerprint)

    _edit_allowed(add)
    return key


def remove_sovereign_key(fingerprint: str) -> str:
    """Take a sovereign key off the allow-list and out of the keyring; what was done."""
    fingerprint = keyring.fingerprint_of(fingerprint)
    settings = load_settings()
    gpg = open_gpg(settings.gnupg_home)
    key = keyring.find_key(gpg, fingerprint)
    allowed = fingerprint in settings.sovereign_fingerprints
    if key is None and not allowed:
        raise _unknown(fingerprint)
    if allowed:
        _require_managed(SOVEREIGN_KEYS)
    role = _roles(gpg).get(fingerprint)
    if role:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"key {fingerprint} is {role}, not a sovereign key"
        )
    if key is not None:
        keyring.delete_public_key(gpg, key)
    _edit_allowed(lambda listed: listed.remove(fingerprint) if fingerprint in listed else None)
    done = ["taken off the allow-list"] if allowed else []
    done += ["deleted from the keyring"] if key is not None else []
    return f"sovereign key {fingerprint}: {' and '.join(done)}"


def _unknown(fingerprint: str) -> CutterStop:
    return CutterStop(
        StopCode.STOP_REFUSED_INPUT,
        f"no key {fingerprint} in the keyring; see: {command('keys sovereign list')}",
    )


def _refuse_unable_to_sign(key: keyring.KeyInfo) -> None:
    if not key.can(keyring.SIGN):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"key {key.fingerprint} cannot sign (expired, revoked or encryption only)",
        )


def _roles(gpg) -> dict[str, str]:
    """{fingerprint: role} of the keys that are something else than a sovereign's."""
    roles = {
        fpr.upper(): f"the {principal} service key"
        for principal, fpr in registered_service_keys(gpg.gnupghome).items()
    }
    recipient = load_settings().backup_recipient
    if recipient:
        roles[recipient] = "the backup recipient"
    return roles


# ---- what is configured ------------------------------------------------------------
def sovereign_lines(gpg) -> list[str]:
    """One line per sovereign key: every key of the keyring that is neither the
    backup recipient nor a service key, and every allowed key not in it."""
    settings = load_settings()
    allowed = settings.sovereign_fingerprints
    roles = _roles(gpg)
    keys = [k for k in keyring.all_keys(gpg) if k.fingerprint not in roles]
    lines = [
        f"{k.fingerprint}  allowed {'yes' if k.fingerprint in allowed else 'no '}  {k.uid}"
        for k in keys
    ]
    present = {k.fingerprint for k in keys}
    lines += [
        f"{sanitize_echo(fpr, 60)}  allowed yes  (not in the keyring — run: "
        f"{command('keys sovereign import FILE')})"
        for fpr in allowed
        if fpr not in present
    ]
    if not any(fpr in present for fpr in allowed):
        lines.append(
            f"no allowed sovereign key — run: {command('keys sovereign import FILE --allow')}"
        )
    return lines


def describe_keys() -> list[str]:
    """What is configured: where, the backup recipient, the sovereign keys and
    the services' keys; fingerprints and printable uids only."""
    settings = load_settings()
    gpg = open_gpg(settings.gnupg_home)
    lines = [f"settings   {settings.config_file}", f"keyring    {settings.gnupg_home}"]
    try:
        key = keyring.backup_key(gpg, settings)
        source = overriding_variable(BACKUP_RECIPIENT) or settings.config_file.name
        secret = "yes" if key.secret else "no (restores need it)"
        lines.append(
            f"backup     {key.fingerprint}  {key.uid}  ({source}; secret key here: {secret})"
        )
    except CutterStop as missing:
        lines.append(f"backup     {missing.detail}")
    source = overriding_variable(SOVEREIGN_KEYS) or settings.config_file.name
    lines += [f"sovereign  {line}" for line in sovereign_lines(gpg)]
    lines.append(f"           (the allow-list is read from {source})")
    services = registered_service_keys(gpg.gnupghome)
    lines += [f"service    {principal:<9} {fpr}" for principal, fpr in sorted(services.items())]
    return lines


# ---- the commands ------------------------------------------------------------------
@click.group()
def keys() -> None:
    """Set up the keyring: the backup key and the sovereign keys."""


@keys.command("show")
def keys_show() -> None:
    """What is configured: backup recipient, sovereign keys (allowed or not), service keys."""
    for line in describe_keys():
        click.echo(line)


@keys.group()
def backup() -> None:
    """The key every pre-write backup is encrypted to."""


@backup.command("create")
@click.option("--name", default=DEFAULT_BACKUP_NAME, show_default=True, help="The key's name.")
def backup_create(name: str) -> None:
    """Make the backup key here and configure it as the backup recipient."""
    fingerprint = create_backup_key(name)
    home = load_settings().gnupg_home
    click.echo(f"backup recipient {fingerprint} made in {home} and configured")
    click.echo(
        "its secret key decrypts every backup; keep a copy offline: gpg --homedir "
        f"{home} --export-secret-keys --armor {fingerprint} > backup-secret.asc"
    )


@backup.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def backup_import(file: Path) -> None:
    """Import the backup recipient's public key from FILE and configure it."""
    key = import_backup_key(file)
    click.echo(f"backup recipient {key.fingerprint} imported and configured: {key.uid}")


@keys.group()
def sovereign() -> None:
    """The keys whose signatures approve a cut (SG_1, SG_2)."""


@sovereign.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--allow", is_flag=True, help="Also put it on the sovereign allow-list.")
def sovereign_import(file: Path, allow: bool) -> None:
    """Import a sovereign's public key from FILE."""
    key = import_sovereign_key(file, allow=allow)
    state = "imported and allowed" if allow else "imported (not allowed yet)"
    click.echo(f"sovereign key {key.fingerprint} {state}: {key.uid}")


@sovereign.command("list")
def sovereign_list() -> None:
    """The sovereign keys and whether each is allowed to sign approvals."""
    for line in sovereign_lines(open_gpg(load_settings().gnupg_home)):
        click.echo(line)


@sovereign.command("allow")
@click.argument("fingerprint")
def sovereign_allow(fingerprint: str) -> None:
    """Allow the key FINGERPRINT (in the keyring) to sign approvals."""
    key = allow_sovereign_key(fingerprint)
    click.echo(f"sovereign key {key.fingerprint} allowed: {key.uid}")


@sovereign.command("remove")
@click.argument("fingerprint")
def sovereign_remove(fingerprint: str) -> None:
    """Take the key FINGERPRINT off the allow-list and out of the keyring."""
    click.echo(remove_sovereign_key(fingerprint))
