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

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
DAGSTER_YAML_TEMPLATE = PROJECT_ROOT / "instance" / "dagster.yaml"

TARGET_DB_NAME = "cutter"
DAGSTER_DB_SUFFIX = "_dagster"


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    pg_dir: Path
    dagster_home: Path
    kb_root: Path
    external_url: str | None
    max_doc_bytes: int

    @property
    def embedded(self) -> bool:
        return self.external_url is None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    state_dir = Path(env.get("CUTTER_STATE_DIR", ".cutter")).absolute()
    return Settings(
        state_dir=state_dir,
        pg_dir=Path(env.get("CUTTER_PG_DIR", state_dir / "pg")).absolute(),
        dagster_home=Path(env.get("DAGSTER_HOME", state_dir / "dagster")).absolute(),
        kb_root=Path(env.get("CUTTER_KB_ROOT", "kb")).absolute(),
        external_url=env.get("CUTTER_DATABASE_URL") or None,
        max_doc_bytes=int(env.get("CUTTER_MAX_DOC_BYTES", 5 * 1024 * 1024)),
    )
