"""The pinned expectations kept in sql/lifecycle/: function fingerprints
(fingerprints.yaml) and the privilege matrix (privileges.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from cutter_assets.platform.settings import SQL_DIR

FINGERPRINTS_FILE = "lifecycle/fingerprints.yaml"
PRIVILEGES_FILE = "lifecycle/privileges.yaml"


def expected_privileges(sql_dir: Path = SQL_DIR) -> list[str]:
    data = yaml.safe_load((sql_dir / PRIVILEGES_FILE).read_text(encoding="utf-8")) or {}
    return sorted(data.get("grants") or [])


def write_expected_privileges(lines: list[str], sql_dir: Path = SQL_DIR) -> Path:
    target = sql_dir / PRIVILEGES_FILE
    header = (
        "# The expected privilege matrix: '<grantee> <privilege> <object>' for every\n"
        "# privilege held by anyone but the object's owner. grant_probe stops with\n"
        "# STOP_GRANT_DELTA on any difference. Re-pin only after an intended grant\n"
        "# change, reviewed line by line: `./run db pins --write`.\n"
    )
    target.write_text(header + yaml.safe_dump({"grants": sorted(lines)}, width=200), "utf-8")
    return target


def pinned_fingerprints(sql_dir: Path = SQL_DIR) -> dict[str, str]:
    data = yaml.safe_load((sql_dir / FINGERPRINTS_FILE).read_text(encoding="utf-8")) or {}
    return dict(data.get("functions") or {})


def write_fingerprints(live: dict[str, str], sql_dir: Path = SQL_DIR) -> Path:
    """Re-pin the governed functions (a deliberate developer act, reviewed in git)."""
    target = sql_dir / FINGERPRINTS_FILE
    header = (
        "# sha256 of pg_get_functiondef() for every function in public and\n"
        "# cutter_governance. `./run db init` refuses when a live function differs.\n"
        "# Re-pin only after an intended schema change: `./run db pins --write`.\n"
    )
    body = yaml.safe_dump({"functions": dict(sorted(live.items()))}, sort_keys=False, width=200)
    target.write_text(header + body, encoding="utf-8")
    return target
