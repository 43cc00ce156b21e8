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
        fingerprint, keyids = self.require_recipient()
        if self.unknown_tables():
            raise CutterStop(
                StopCode.STOP_BACKUP, f"no backup scope for {', '.join(self.unknown_tables())}"
            )
        payload, counts, scoped, checksums = {}, {}, {}, {}
        with conn.cursor() as cur:
            for table in self.tables:
                cur.execute(queries.BACKUP_SCOPES[table], {"doc_code": doc_code})
                rows = [row[0] for row in cur.fetchall()]
                payload[table] = rows
                scoped[table] = len(rows)
                checksums[table] = rows_checksum(rows)
                schema, name = table.split(".")
                cur.execute(
                    sql.SQL(queries.TABLE_ROW_COUNT).format(table=sql.Identifier(schema, name))
                )
                counts[table] = cur.fetchone()[0]
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = {
            "format": FORMAT,
            "run_id": run_id,
            "doc_code": doc_code,
            "created_utc": created,
            "table_counts": counts,
            "rows": payload,
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
            list(self.tables),
            counts,
            scoped,
            checksums,
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
        compare each table's row checksum; returns {table: (recorded, restored)}."""
        record = self.verify(run_id)
        decrypted = self.gpg().decrypt((self.directory() / record.file).read_bytes())
        if not decrypted.ok:
            raise CutterStop(
                StopCode.STOP_BACKUP,
                f"cannot decrypt the backup (is the private key here?): {decrypted.status}",
            )
        document = json.loads(decrypted.data.decode("utf-8"))
        results = {}
        with conn.cursor() as cur:
            try:
                cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            except errors.DuplicateSchema:  # made since the CLI looked: never mix rows into it
                raise CutterStop(
                    StopCode.STOP_REFUSED_INPUT, f"schema {schema} already exists"
                ) from None
            for table, rows in document["rows"].items():
                source_schema, name = table.split(".")
                target = sql.Identifier(schema, name)
                cur.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {})").format(
                        target, sql.Identifier(source_schema, name)
                    )
                )
                for row in rows:
                    cur.execute(
                        sql.SQL(
                            "INSERT INTO {t} SELECT * FROM jsonb_populate_record(NULL::{t}, %s)"
                        ).format(t=target),
                        (row,),
                    )
                cur.execute(sql.SQL("SELECT to_jsonb(t)::text FROM {} t").format(target))
                restored = rows_checksum([r[0] for r in cur.fetchall()])
                results[table] = (record.row_checksums[table], restored)
        bad = [t for t, (want, got) in results.items() if want != got]
        if bad:
            raise CutterStop(
                StopCode.STOP_BACKUP, f"restored rows differ from the backup in {', '.join(bad)}"
            )
        return results
