"""Sqitch-style schema changes: versioned files applied once, in order, with
their checksums recorded; a changed applied file is drift, never re-applied.

``sql/deploy/NNN_name.sql`` is applied, then ``sql/verify/NNN_name.sql`` (when
present) must run without error, all in one transaction per ``apply``. The
governed functions are then compared with ``sql/lifecycle/fingerprints.yaml``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.pins import pinned_fingerprints
from cutter_assets.platform.settings import SQL_DIR

# One lock id for "the schema is being changed", so two `cutter db init` wait.
SCHEMA_LOCK_ID = 0x637574746572  # "cutter"

_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS cutter_meta;
REVOKE ALL ON SCHEMA cutter_meta FROM PUBLIC;
CREATE TABLE IF NOT EXISTS cutter_meta.schema_change (
    name       text PRIMARY KEY,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by name NOT NULL DEFAULT current_user
);
"""

GOVERNED_FUNCTIONS_SQL = """
SELECT p.pronamespace::regnamespace::text || '.' || p.proname
       || '(' || oidvectortypes(p.proargtypes) || ')' AS signature,
       pg_get_functiondef(p.oid) AS definition
  FROM pg_proc p
 WHERE p.pronamespace IN ('public'::regnamespace, 'cutter_governance'::regnamespace)
   AND p.prokind = 'f'
 ORDER BY 1
"""


@dataclass(frozen=True)
class SchemaFile:
    name: str
    deploy: Path
    verify: Path | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.deploy.read_bytes()).hexdigest()


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)


def schema_files(sql_dir: Path = SQL_DIR) -> list[SchemaFile]:
    files = []
    for deploy in sorted((sql_dir / "deploy").glob("*.sql")):
        verify = sql_dir / "verify" / deploy.name
        files.append(SchemaFile(deploy.name, deploy, verify if verify.exists() else None))
    return files


def apply_schema(
    conn, sql_dir: Path = SQL_DIR, *, check_fingerprints: bool = True, commit: bool = True
) -> ApplyReport:
    """Apply every pending file in one transaction; refuse on any drift.

    Raises STOP_SCHEMA_DRIFT naming the file when an applied file changed or
    disappeared, and STOP_FINGERPRINT_DRIFT when a governed function differs
    from its pin. On any refusal nothing of this call is committed. With
    ``commit=False`` the whole transaction is rolled back after reading the
    live fingerprints (used to re-pin them without touching the database).
    """
    report = ApplyReport()
    files = schema_files(sql_dir)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_ID,))
            cur.execute(_BOOTSTRAP)
            cur.execute("SELECT name, sha256 FROM cutter_meta.schema_change")
            recorded = dict(cur.fetchall())
            _refuse_changed_files(files, recorded)
            for schema_file in files:
                if schema_file.name in recorded:
                    report.unchanged.append(schema_file.name)
                    continue
                _run_file(cur, schema_file.deploy)
                cur.execute("RESET ROLE")
                if schema_file.verify is not None:
                    _run_file(cur, schema_file.verify)
                cur.execute(
                    "INSERT INTO cutter_meta.schema_change (name, sha256) VALUES (%s, %s)",
                    (schema_file.name, schema_file.sha256),
                )
                report.applied.append(schema_file.name)
            report.fingerprints = live_fingerprints(cur)
            if check_fingerprints:
                _refuse_fingerprint_drift(report.fingerprints, sql_dir)
        if commit:
            conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return report


def _run_file(cur, path: Path) -> None:
    try:
        cur.execute(path.read_text(encoding="utf-8"))
    except psycopg2.Error as err:
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CutterStop(
            StopCode.STOP_SCHEMA_FAILED, f"{path.parent.name}/{path.name}: {first_line}"
        ) from None


def _refuse_changed_files(files: list[SchemaFile], recorded: dict[str, str]) -> None:
    on_disk = {f.name: f for f in files}
    for name, sha in sorted(recorded.items()):
        if name not in on_disk:
            raise CutterStop(
                StopCode.STOP_SCHEMA_DRIFT, f"applied schema file {name} is missing from sql/deploy"
            )
        if on_disk[name].sha256 != sha:
            raise CutterStop(
                StopCode.STOP_SCHEMA_DRIFT,
                f"applied schema file {name} was edited (recorded sha256 {sha[:12]}, "
                f"now {on_disk[name].sha256[:12]}); add a new file instead",
            )


def live_fingerprints(cur) -> dict[str, str]:
    """sha256 of ``pg_get_functiondef`` per function: body, SECURITY DEFINER,
    search_path, volatility and owner-visible options all count."""
    cur.execute(GOVERNED_FUNCTIONS_SQL)
    return {
        signature: hashlib.sha256(definition.encode("utf-8")).hexdigest()
        for signature, definition in cur.fetchall()
    }


def fingerprint_differences(live: dict[str, str], pinned: dict[str, str]) -> list[str]:
    """Human-readable differences between live and pinned fingerprints."""
    problems = []
    for signature in sorted(set(live) | set(pinned)):
        if signature not in pinned:
            problems.append(f"{signature} is not pinned")
        elif signature not in live:
            problems.append(f"{signature} is missing")
        elif live[signature] != pinned[signature]:
            problems.append(f"{signature} was redefined")
    return problems


def verify_fingerprints(cur, sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """The live fingerprints, or STOP_FINGERPRINT_DRIFT listing every difference."""
    live = live_fingerprints(cur)
    _refuse_fingerprint_drift(live, sql_dir)
    return live


def _refuse_fingerprint_drift(live: dict[str, str], sql_dir: Path) -> None:
    problems = fingerprint_differences(live, pinned_fingerprints(sql_dir))
    if problems:
        raise CutterStop(StopCode.STOP_FINGERPRINT_DRIFT, "; ".join(problems))
