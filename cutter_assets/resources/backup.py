"""The pre-write backup: the rows a cut of one document could touch, plus
whole-table row counts, as JSON encrypted with GnuPG to the configured
recipient; sha256-pinned, verifiable without the private key, restorable
into a scratch schema with it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from dagster import ConfigurableResource
from psycopg2 import errors, sql

from cutter_assets.core.pins import canonical_json
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries
from cutter_assets.platform.settings import load_settings
from cutter_assets.signing.gpg import open_gpg
from cutter_assets.signing.keyring import backup_key

FORMAT = "cutter-backup/1"
DEFAULT_TABLES = ("public.information_unit", "public.unit_version", "public.iu_lifecycle_log")
ENVELOPE_FIELDS = (
    "format",
    "run_id",
    "doc_code",
    "file",
    "sha256",
    "size",
    "recipient",
    "recipient_keyids",
    "tables",
    "table_counts",
    "scoped_rows",
    "row_checksums",
    "created_utc",
)


@dataclass(frozen=True)
class BackupRecord:
    format: str
    run_id: str
    doc_code: str
    file: str
    sha256: str
    size: int
    recipient: str
    recipient_keyids: list[str]
    tables: list[str]
    table_counts: dict[str, int]
    scoped_rows: dict[str, int]
    row_checksums: dict[str, str]
    created_utc: str


def rows_checksum(rows: list[str]) -> str:
    """Order-free checksum of a table's rows (each row as canonical JSON)."""
    canonical = sorted(canonical_json(json.loads(row)) for row in rows)
    return hashlib.sha256("\n".join(canonical).encode("utf-8")).hexdigest()


class BackupVault(ConfigurableResource):
    """Where backups go and to whom they are encrypted.

    Everything comes from the settings ($CUTTER_BACKUP_DIR, $CUTTER_GNUPGHOME,
    $CUTTER_BACKUP_RECIPIENT or the state dir's config.yaml, which
    ``cutter keys backup create`` writes), read at use; the
    resource has no Dagster config, so no run config can move the backups,
    swap the keyring or the recipient, or narrow the tables backed up. The
    recipient is a key fingerprint, never key material.
    """

    # ---- configuration -----------------------------------------------------
    @property
    def tables(self) -> list[str]:
        return list(DEFAULT_TABLES)

    def directory(self) -> Path:
        return load_settings().backup_dir

    def gpg(self):
        return open_gpg()

    def recipient_fingerprint(self) -> str:
        return load_settings().backup_recipient.upper()

    def require_recipient(self) -> tuple[str, list[str]]:
        """The recipient's fingerprint and encryption key ids, or STOP_BACKUP
        naming the command that sets the recipient up."""
        key = backup_key(self.gpg(), load_settings())
        return key.fingerprint, sorted(key.keyids)

    def unknown_tables(self) -> list[str]:
        return [t for t in self.tables if t not in queries.BACKUP_SCOPES]

    # ---- make, verify, restore ----------------------------------------------
    def create(self, conn, *, run_id: str, doc_code: str) -> BackupRecord:
        """Read the rows a cut of ``doc_code`` could touch and seal them (a
        missing recipient stops there, before anything is written)."""
        if self.unknown_tables():
            raise CutterStop(
                StopCode.STOP_BACKUP, f"no backup scope for {', '.join(self.unknown_tables())}"
            )
        payload, counts = {}, {}
        with conn.cursor() as cur:
            for table in self.tables:
                cur.execute(queries.BACKUP_SCOPES[table], {"doc_code": doc_code})
                payload[table] = [row[0] for row in cur.fetchall()]
                schema, name = table.split(".")
                cur.execute(
                    sql.SQL(queries.TABLE_ROW_COUNT).format(table=sql.Identifier(schema, name))
                )
                counts[table] = cur.fetchone()[0]
        return self.seal(run_id=run_id, doc_code=doc_code, rows=payload, table_counts=counts)

    def seal(
        self,
        *,
        run_id: str,
        doc_code: str,
        rows: dict[str, list[str]],
        table_counts: dict[str, int],
    ) -> BackupRecord:
        """Encrypt ``rows`` ({table: [row as JSON text]}) to the recipient, write
        the file and its manifest (never over an existing one) with each table's
        row count and :func:`rows_checksum`, which a restore recomputes."""
        fingerprint, keyids = self.require_recipient()
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = {
            "format": FORMAT,
            "run_id": run_id,
            "doc_code": doc_code,
            "created_utc": created,
            "table_counts": table_counts,
            "rows": rows,
        }
        encrypted = self.gpg().encrypt(
            canonical_json(document).encode("utf-8"), [fingerprint], armor=False, always_trust=True
        )
        if not encrypted.ok:
            raise CutterStop(StopCode.STOP_BACKUP, f"encryption failed: {encrypted.status}")
        directory = self.directory()
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{run_id}.backup.json.gpg"
        with open(target, "xb") as handle:
            handle.write(encrypted.data)
        record = BackupRecord(
            FORMAT,
            run_id,
            doc_code,
            target.name,
            hashlib.sha256(encrypted.data).hexdigest(),
            len(encrypted.data),
            fingerprint,
            keyids,
            list(rows),
            table_counts,
            {table: len(table_rows) for table, table_rows in rows.items()},
            {table: rows_checksum(table_rows) for table, table_rows in rows.items()},
            created,
        )
        with open(directory / f"{run_id}.manifest.json", "x", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(record), indent=2, sort_keys=True))
        return record

    def verify(self, run_id: str) -> BackupRecord:
        """File present, sha256 as recorded, envelope complete, encrypted to the
        configured recipient. Needs no private key."""
        manifest_path = self.directory() / f"{run_id}.manifest.json"
        if not manifest_path.exists():
            raise CutterStop(StopCode.STOP_BACKUP, f"no backup manifest for run {run_id}")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        missing = [f for f in ENVELOPE_FIELDS if f not in manifest]
        if missing or manifest["format"] != FORMAT or manifest["run_id"] != run_id:
            raise CutterStop(
                StopCode.STOP_BACKUP,
                f"backup envelope incomplete: {', '.join(missing) or 'format/run'}",
            )
        record = BackupRecord(**{f: manifest[f] for f in ENVELOPE_FIELDS})
        file = self.directory() / record.file
        if not file.exists():
            raise CutterStop(StopCode.STOP_BACKUP, f"backup file {record.file} is missing")
        data = file.read_bytes()
        if hashlib.sha256(data).hexdigest() != record.sha256 or len(data) != record.size:
            raise CutterStop(
                StopCode.STOP_BACKUP,
                f"backup file {record.file} changed after it was written (sha256 differs)",
            )
        fingerprint, keyids = self.require_recipient()
        if record.recipient != fingerprint:
            raise CutterStop(
                StopCode.STOP_BACKUP,
                f"backup is for {record.recipient}, configured recipient is {fingerprint}",
            )
        packet_keyids = {k.upper() for k in self.gpg().get_recipients(data)}
        if not packet_keyids or not packet_keyids <= set(keyids):
            raise CutterStop(
                StopCode.STOP_BACKUP, "backup is not encrypted to the configured recipient"
            )
        return record

    def restore(self, conn, run_id: str, schema: str) -> dict[str, tuple[str, str]]:
        """Decrypt (private key needed), load every table into ``schema`` and
        compare each table's row checksum; returns {table: (recorded, restored)}.

        Backups are forward-only evidence: one taken before a migration added
        a column restores with that column's default, and its checksum is
        recomputed over the columns the backup holds, as it was written."""
        record = self.verify(run_id)
        decrypted = self.gpg().decrypt((self.directory() / record.file).read_bytes())
        if not decrypted.ok:
            raise CutterStop(
                StopCode.STOP_BACKUP,
                f"cannot decrypt the backup (is the private key here?): {decrypted.status}",
            )
        tables = backup_rows(record, decrypted.data)
        results = {}
        with conn.cursor() as cur:
            try:
                cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            except errors.DuplicateSchema:  # made since the CLI looked: never mix rows into it
                raise CutterStop(
                    StopCode.STOP_REFUSED_INPUT, f"schema {schema} already exists"
                ) from None
            for table, rows in tables.items():
                restored = _restore_table(cur, table, rows, schema)
                results[table] = (record.row_checksums[table], restored)
        bad = [t for t, (want, got) in results.items() if want != got]
        if bad:
            raise CutterStop(
                StopCode.STOP_BACKUP, f"restored rows differ from the backup in {', '.join(bad)}"
            )
        return results


def backup_rows(record: BackupRecord, plaintext: bytes) -> dict[str, list[str]]:
    """The decrypted document's rows ({table: [row as JSON text]}), or
    STOP_BACKUP when it is not the backup its manifest describes: another
    format, run or document, other tables than the manifest's, or a row that
    is not a JSON object."""
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CutterStop(StopCode.STOP_BACKUP, f"the decrypted backup is not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("rows"), dict):
        raise CutterStop(StopCode.STOP_BACKUP, "the decrypted backup holds no rows")
    mismatched = [
        field
        for field, want in (
            ("format", record.format),
            ("run_id", record.run_id),
            ("doc_code", record.doc_code),
        )
        if document.get(field) != want
    ]
    if mismatched:
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"the decrypted backup's {', '.join(mismatched)} differ from its manifest",
        )
    tables = document["rows"]
    if sorted(tables) != sorted(record.tables) or set(tables) - set(record.row_checksums):
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"the decrypted backup holds tables {', '.join(sorted(tables)) or 'none'}, "
            f"its manifest {', '.join(sorted(record.tables)) or 'none'}",
        )
    unknown = sorted(set(tables) - set(queries.BACKUP_SCOPES))
    if unknown:
        raise CutterStop(
            StopCode.STOP_BACKUP, f"the backup holds rows of unknown table(s) {', '.join(unknown)}"
        )
    for table, rows in tables.items():
        if not isinstance(rows, list) or not all(_is_json_object(row) for row in rows):
            raise CutterStop(
                StopCode.STOP_BACKUP, f"the backup's rows of {table} are not JSON objects"
            )
    return tables


def _is_json_object(row) -> bool:
    if not isinstance(row, str):
        return False
    try:
        return isinstance(json.loads(row), dict)
    except json.JSONDecodeError:
        return False


def restore_columns(table: str, rows: list[str], columns: dict[str, bool]) -> tuple[list, list]:
    """(the columns the backup's rows of ``table`` hold, the table's columns
    they lack), given the table's columns as {name: restorable without a
    value (nullable or with a default)}; STOP_BACKUP when the rows disagree
    on their columns, hold a column the table no longer has, or lack one
    that cannot be filled."""
    key_sets = {frozenset(json.loads(row)) for row in rows}
    if len(key_sets) > 1:
        raise CutterStop(
            StopCode.STOP_BACKUP, f"the backup's rows of {table} do not hold the same columns"
        )
    held = sorted(key_sets.pop()) if key_sets else []
    unknown = [c for c in held if c not in columns]
    if unknown:
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"the backup's rows of {table} hold column(s) {', '.join(unknown)} "
            f"that {table} does not have",
        )
    lacking = [c for c in columns if c not in held] if rows else []
    unfillable = [c for c in lacking if not columns[c]]
    if unfillable:
        raise CutterStop(
            StopCode.STOP_BACKUP,
            f"the backup's rows of {table} lack column(s) {', '.join(unfillable)}, "
            "which are NOT NULL without a default",
        )
    return held, lacking


def _restore_table(cur, table: str, rows: list[str], schema: str) -> str:
    """Load ``rows`` into ``schema``'s copy of ``table``; the checksum of the
    restored rows over the columns the backup holds. A database error is
    STOP_BACKUP naming the table."""
    source_schema, name = table.split(".")
    target = sql.Identifier(schema, name)
    try:
        cur.execute(
            sql.SQL(queries.SCRATCH_TABLE).format(
                target=target, source=sql.Identifier(source_schema, name)
            )
        )
        cur.execute(queries.SCRATCH_COLUMNS, {"schema": schema, "name": name})
        held, lacking = restore_columns(table, rows, dict(cur.fetchall()))
        if rows:
            cur.execute(
                sql.SQL(queries.RESTORE_ROWS).format(
                    target=target, columns=sql.SQL(", ").join(map(sql.Identifier, held))
                ),
                {"rows": "[" + ",".join(rows) + "]"},
            )
        cur.execute(sql.SQL(queries.RESTORED_ROWS).format(target=target), {"lacking": lacking})
        return rows_checksum([r[0] for r in cur.fetchall()])
    except psycopg2.Error as exc:
        detail = exc.diag.message_primary or str(exc).strip()
        raise CutterStop(
            StopCode.STOP_BACKUP, f"cannot restore {table} from the backup: {detail}"
        ) from None
