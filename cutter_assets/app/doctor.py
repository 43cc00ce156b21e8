"""``cutter doctor``: is this deployment set up to cut? One line per check,
OK or FAIL, and on FAIL the exact command that fixes it.

Required: the server answers, the schema is applied with the pinned function
fingerprints, a backup recipient is in the keyring, at least one allowed
sovereign key is, and the selected instance profile's run launcher can be
loaded here. Told but not required: which instance profile is in use
(CUTTER_INSTANCE_PROFILE), the kill switch (off at rest is right) and the
Dagster daemon (without it an approval waits for
``orchestrate resume`` instead of the approval sensor). The doctor changes
nothing of the set-up: it never starts the server, and the schema is
checked in a transaction that is rolled back. No URL is shown with its
password.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
import yaml
from dagster._serdes import ConfigurableClassData

from cutter_assets.core.commands import command
from cutter_assets.core.stops import CutterStop
from cutter_assets.db.connection import connection
from cutter_assets.db.schema import apply_schema
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import Settings, load_settings
from cutter_assets.signing import keyring
from cutter_assets.signing.gpg import open_gpg

OK, FAIL, INFO, WARN = "OK", "FAIL", "INFO", "WARN"
# A daemon writes a heartbeat every 30 s; three missed ones mean it is not running
# (so a daemon stopped less than two minutes ago still counts as running).
HEARTBEAT_SECONDS = 120


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK | FAIL (required) | WARN | INFO (told, not required)
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.name:<10} {self.detail}"


def examine(settings: Settings | None = None) -> list[Check]:
    """Every check, in the order a fresh set-up fixes them."""
    settings = settings or load_settings()
    status = DatabaseServer(settings).status()
    if status.running:
        schema = _guarded("schema", lambda: _schema(status.url))
    else:
        schema = Check("schema", FAIL, f"not checked: no server — run: {command('db up')}")
    gpg = open_gpg(settings.gnupg_home)
    profile = _profile(settings)  # before the daemon check writes DAGSTER_HOME
    checks = [
        _server(status),
        profile,
        schema,
        _guarded("backup", lambda: _backup(gpg, settings)),
        _guarded("sovereign", lambda: _sovereign(gpg, settings)),
    ]
    if schema.status != OK:  # both read what the schema makes
        return checks + [
            Check("killswitch", INFO, "not checked: the schema is not ready"),
            Check("daemon", WARN, "not checked: the schema is not ready"),
        ]
    if profile.status == FAIL:  # the daemon check loads the instance
        daemon = Check("daemon", WARN, "not checked: the instance profile cannot load here")
    else:
        daemon = _guarded("daemon", _daemon)
    return checks + [_guarded("killswitch", _killswitch), daemon]


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    """The check, or FAIL with the STOP line it raised (which names its fix)."""
    try:
        return check()
    except CutterStop as stop:
        return Check(name, FAIL, stop.line())


def _server(status) -> Check:
    if status.running:
        return Check("server", OK, status.describe())
    if status.kind == "external":
        fix = f"start that server or correct CUTTER_DATABASE_URL, then run: {command('db up')}"
    else:
        fix = f"run: {command('db up')}"
    return Check("server", FAIL, f"{status.describe()} — {fix}")


def _profile(settings: Settings) -> Check:
    """The instance profile in use, whether DAGSTER_HOME holds it yet, and
    whether its run launcher's module is installed here (dagster-k8s is not a
    dependency of cutter)."""
    profile = settings.instance_yaml
    shown = f"{settings.instance_profile} (instance/profiles/{profile.name})"
    launcher = yaml.safe_load(profile.read_text(encoding="utf-8"))["run_launcher"]
    try:  # the module as Dagster imports it ("dagster.core" is its "dagster._core")
        importlib.import_module(ConfigurableClassData(launcher["module"], "", "").module_name)
    except ImportError:
        return Check(
            "profile",
            FAIL,
            f"{shown}: its run launcher {launcher['module']}.{launcher['class']} is not "
            f"installed here — install {launcher['module'].replace('_', '-')} (or unset "
            "CUTTER_INSTANCE_PROFILE for the single-machine profile)",
        )
    home = settings.dagster_home / "dagster.yaml"
    if not home.exists() or home.read_bytes() != profile.read_bytes():
        return Check("profile", WARN, f"{shown}, not yet in {home} — run: {command('db up')}")
    return Check("profile", INFO, f"{shown}, installed in {home}")


def _schema(url: str) -> Check:
    """Applied and pinned: the schema applied in a transaction that is rolled
    back leaves no file pending and every governed function as pinned."""
    with connection(url) as conn:
        report = apply_schema(conn, commit=False)
    if report.applied:
        total = len(report.applied) + len(report.unchanged)
        return Check(
            "schema",
            FAIL,
            f"{len(report.applied)} of {total} schema files not applied — "
            f"run: {command('db init')}",
        )
    return Check(
        "schema",
        OK,
        f"{len(report.unchanged)} files applied; {len(report.fingerprints)} governed "
        "functions match their fingerprints",
    )


def _backup(gpg, settings: Settings) -> Check:
    key = keyring.backup_key(gpg, settings)
    secret = "secret key here" if key.secret else "no secret key here (restores need it)"
    return Check("backup", OK, f"recipient {key.fingerprint} {key.uid} ({secret})")


def _sovereign(gpg, settings: Settings) -> Check:
    keys = keyring.sovereign_keys(gpg, settings)
    shown = ", ".join(f"{k.fingerprint} {k.uid}" for k in keys)
    return Check("sovereign", OK, f"{len(keys)} allowed: {shown}")


def _killswitch() -> Check:
    from cutter_assets.app.sovereign import switch_status

    return Check("killswitch", INFO, switch_status())


def _daemon() -> Check:
    """The daemons this instance needs have each written a heartbeat lately."""
    from cutter_assets.app.orchestration import project_instance

    instance = project_instance()
    try:
        beats = instance.get_daemon_heartbeats()
        required = instance.get_required_daemon_types()
    finally:
        instance.dispose()
    now = time.time()
    silent = [d for d in required if d not in beats or now - beats[d].timestamp > HEARTBEAT_SECONDS]
    if silent:
        state = (
            "not running"
            if len(silent) == len(required)
            else f"partly running (silent: {', '.join(sorted(silent))})"
        )
        return Check(
            "daemon",
            WARN,
            f"{state}; without it a run goes on after an approval only with "
            f"{command('orchestrate resume --run-id R')} — start it: {command('ui')}",
        )
    return Check("daemon", OK, f"running ({len(required)} daemons with a recent heartbeat)")


@click.command("doctor")
def doctor() -> None:
    """Check the set-up: server, profile, schema, keys, allow-list, kill switch, daemon."""
    checks = examine()
    for check in checks:
        click.echo(check.line())
    if any(check.status == FAIL for check in checks):
        sys.exit(1)
