"""Where cutter keeps things, resolved once from the environment.

Every path and name that differs between a laptop, CI and a shared server is
read here and nowhere else. No value here is a secret: a DSN given through
``CUTTER_DATABASE_URL`` is kept in the environment and only ever shown
redacted (see ``cutter_assets.db.server.redact_url``).

``<state dir>/config.yaml`` is also written here, and only through
``editing_config``: ``cutter keys`` names the backup recipient and the
sovereign allow-list there (fingerprints, never key material).
"""

from __future__ import annotations

import copy
import fcntl
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from cutter_assets.core.intake import sanitize_echo
from cutter_assets.core.stops import CutterStop, StopCode

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
DAGSTER_YAML_TEMPLATE = PROJECT_ROOT / "instance" / "dagster.yaml"
# The Dagster instance profiles (README "Where it runs"): CUTTER_INSTANCE_PROFILE
# names the one `db up` installs as DAGSTER_HOME/dagster.yaml.
SINGLE_MACHINE, PRODUCTION = "single-machine", "production"
INSTANCE_PROFILES = {
    SINGLE_MACHINE: PROJECT_ROOT / "instance" / "profiles" / "single-machine.yaml",
    PRODUCTION: PROJECT_ROOT / "instance" / "profiles" / "production.yaml",
}

TARGET_DB_NAME = "cutter"
DAGSTER_DB_SUFFIX = "_dagster"


CONFIG_FILE = "config.yaml"  # non-secret deployment settings under the state dir
# The settings ``cutter keys`` writes, each with the variable that overrides it.
BACKUP_RECIPIENT, SOVEREIGN_KEYS = "backup_recipient", "sovereign_keys"
OVERRIDES = {BACKUP_RECIPIENT: "CUTTER_BACKUP_RECIPIENT", SOVEREIGN_KEYS: "CUTTER_SOVEREIGN_KEYS"}


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    pg_dir: Path
    dagster_home: Path
    kb_root: Path
    external_url: str | None
    max_doc_bytes: int
    backup_dir: Path
    gnupg_home: Path
    backup_recipient: str  # a key fingerprint, never key material
    sovereign_fingerprints: tuple[str, ...]  # the keys allowed to sign approvals
    allow_stub_in_live: bool
    instance_profile: str  # a key of INSTANCE_PROFILES

    @property
    def embedded(self) -> bool:
        return self.external_url is None

    @property
    def instance_yaml(self) -> Path:
        """The profile's file, installed as DAGSTER_HOME/dagster.yaml."""
        return INSTANCE_PROFILES[self.instance_profile]

    @property
    def config_file(self) -> Path:
        return self.state_dir / CONFIG_FILE


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Environment first, then ``<state dir>/config.yaml``, then defaults."""
    env = os.environ if environ is None else environ
    state_dir = Path(env.get("CUTTER_STATE_DIR", ".cutter")).absolute()
    config = _read_config(state_dir / CONFIG_FILE)
    external_url = env.get("CUTTER_DATABASE_URL") or None

    def pick(name: str, key: str, default: str = "") -> str:
        return str(env.get(name) or config.get(key) or default)

    return Settings(
        state_dir=state_dir,
        pg_dir=Path(env.get("CUTTER_PG_DIR", state_dir / "pg")).absolute(),
        dagster_home=Path(env.get("DAGSTER_HOME", state_dir / "dagster")).absolute(),
        kb_root=Path(pick("CUTTER_KB_ROOT", "kb_root", "kb")).absolute(),
        external_url=external_url,
        max_doc_bytes=_positive_int("CUTTER_MAX_DOC_BYTES", env, 5 * 1024 * 1024),
        backup_dir=Path(pick("CUTTER_BACKUP_DIR", "backup_dir", str(state_dir / "backups"))),
        gnupg_home=Path(pick("CUTTER_GNUPGHOME", "gnupg_home", str(state_dir / "gnupg"))),
        backup_recipient=pick(OVERRIDES[BACKUP_RECIPIENT], BACKUP_RECIPIENT).upper(),
        sovereign_fingerprints=tuple(
            fpr.strip().upper()
            for fpr in pick(OVERRIDES[SOVEREIGN_KEYS], SOVEREIGN_KEYS).replace(",", " ").split()
        ),
        allow_stub_in_live=pick("CUTTER_ALLOW_STUB_LIVE", "allow_stub_in_live", "no") == "yes",
        instance_profile=_instance_profile(env, external_url),
    )


def _instance_profile(env, external_url: str | None) -> str:
    """The profile CUTTER_INSTANCE_PROFILE names (single-machine when unset), or
    STOP_CONFIG: for a name that is no profile, and for the production profile
    without the external PostgreSQL it keeps Dagster's storage in."""
    name = env.get("CUTTER_INSTANCE_PROFILE", "").strip() or SINGLE_MACHINE
    if name not in INSTANCE_PROFILES:
        raise CutterStop(
            StopCode.STOP_CONFIG,
            f"CUTTER_INSTANCE_PROFILE names no instance profile ({sanitize_echo(name)}); "
            f"use one of: {', '.join(INSTANCE_PROFILES)}",
        )
    if name == PRODUCTION and external_url is None:
        raise CutterStop(
            StopCode.STOP_CONFIG,
            "the production instance profile needs an external PostgreSQL: set "
            "CUTTER_DATABASE_URL to its cutter database (or unset CUTTER_INSTANCE_PROFILE "
            "for the single-machine profile)",
        )
    return name


def _positive_int(name: str, env, default: int) -> int:
    """A whole number of at least 1 from the environment, or STOP_CONFIG naming it."""
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise CutterStop(StopCode.STOP_CONFIG, f"{name} must be a whole number of bytes")
    return int(raw)


def _read_config(path: Path) -> dict:
    data = _config_document(path)
    if isinstance(data.get(SOVEREIGN_KEYS), list):
        data[SOVEREIGN_KEYS] = " ".join(str(fpr) for fpr in data[SOVEREIGN_KEYS])
    return data


def _config_document(path: Path) -> dict:
    """config.yaml as written (a mapping, the caller's own copy), {} when there is
    none; STOP_CONFIG naming the file when it holds anything but a mapping."""
    try:
        written = path.read_bytes()
    except FileNotFoundError:
        return {}
    data = _parsed_config(written)
    if data is None:
        raise CutterStop(StopCode.STOP_CONFIG, f"{path} is not a YAML mapping of settings")
    return copy.deepcopy(data)


@functools.lru_cache(maxsize=8)
def _parsed_config(written: bytes) -> dict | None:
    """The mapping a config.yaml's bytes hold ({} for none), None when they hold
    anything else. Settings are read at every step of a phase, and parsing the
    YAML each time was a sixth of a cut's CPU; the file itself is read each
    time, so a change is always seen."""
    try:
        data = yaml.safe_load(written.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


def overriding_variable(key: str, environ: dict[str, str] | None = None) -> str | None:
    """The environment variable that sets ``key`` over config.yaml, when it is set
    (a change written to config.yaml would then have no effect)."""
    env = os.environ if environ is None else environ
    name = OVERRIDES[key]
    return name if env.get(name) else None


@contextmanager
def editing_config(state_dir: Path) -> Iterator[dict]:
    """config.yaml as a mapping to change in the block; written back when the
    block ends normally, whole or not at all (a new file renamed over the old),
    and under a lock, so two writers never lose each other's change."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / CONFIG_FILE
    with open(state_dir / f".{CONFIG_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config = _config_document(path)
        yield config
        fresh = path.with_name(f".{CONFIG_FILE}.{os.getpid()}")
        fresh.write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
        os.replace(fresh, path)
