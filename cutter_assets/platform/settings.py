"""Where cutter keeps things, resolved once from the environment.

Every path and name that differs between a laptop, CI and a shared server is
read here and nowhere else. No value here is a secret: a DSN given through
``CUTTER_DATABASE_URL`` is kept in the environment and only ever shown
redacted (see ``cutter_assets.db.server.redact_url``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from cutter_assets.core.stops import CutterStop, StopCode

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
DAGSTER_YAML_TEMPLATE = PROJECT_ROOT / "instance" / "dagster.yaml"

TARGET_DB_NAME = "cutter"
DAGSTER_DB_SUFFIX = "_dagster"


CONFIG_FILE = "config.yaml"  # non-secret deployment settings under the state dir


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

    @property
    def embedded(self) -> bool:
        return self.external_url is None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Environment first, then ``<state dir>/config.yaml``, then defaults."""
    env = os.environ if environ is None else environ
    state_dir = Path(env.get("CUTTER_STATE_DIR", ".cutter")).absolute()
    config = _read_config(state_dir / CONFIG_FILE)

    def pick(name: str, key: str, default: str = "") -> str:
        return str(env.get(name) or config.get(key) or default)

    return Settings(
        state_dir=state_dir,
        pg_dir=Path(env.get("CUTTER_PG_DIR", state_dir / "pg")).absolute(),
        dagster_home=Path(env.get("DAGSTER_HOME", state_dir / "dagster")).absolute(),
        kb_root=Path(pick("CUTTER_KB_ROOT", "kb_root", "kb")).absolute(),
        external_url=env.get("CUTTER_DATABASE_URL") or None,
        max_doc_bytes=_positive_int("CUTTER_MAX_DOC_BYTES", env, 5 * 1024 * 1024),
        backup_dir=Path(pick("CUTTER_BACKUP_DIR", "backup_dir", str(state_dir / "backups"))),
        gnupg_home=Path(pick("CUTTER_GNUPGHOME", "gnupg_home", str(state_dir / "gnupg"))),
        backup_recipient=pick("CUTTER_BACKUP_RECIPIENT", "backup_recipient").upper(),
        sovereign_fingerprints=tuple(
            fpr.strip().upper()
            for fpr in pick("CUTTER_SOVEREIGN_KEYS", "sovereign_keys").replace(",", " ").split()
        ),
        allow_stub_in_live=pick("CUTTER_ALLOW_STUB_LIVE", "allow_stub_in_live", "no") == "yes",
    )


def _positive_int(name: str, env, default: int) -> int:
    """A whole number of at least 1 from the environment, or STOP_CONFIG naming it."""
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise CutterStop(StopCode.STOP_CONFIG, f"{name} must be a whole number of bytes")
    return int(raw)


def _read_config(path: Path) -> dict:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(data.get("sovereign_keys"), list):
        data["sovereign_keys"] = " ".join(data["sovereign_keys"])
    return data
