"""The pre-write backup round trip with a real GnuPG key, its verification,
and the refusals: no recipient key, a changed file, a foreign recipient; a
backup taken before migration 018 still restores and verifies as written,
and a backup whose rows cannot be restored is a clear STOP."""

from __future__ import annotations

import json
import uuid

import gnupg
import psycopg2
import pytest

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries
from cutter_assets.resources.backup import BackupVault, rows_checksum
from cutter_assets.signing.gpg import make_key
from tests.db.builders import add_document, create_unit, open_change_set, open_run


@pytest.fixture(scope="module")
def written_units(db_url, cutter_env):
    """Three units (with versions) of one document, and one of another."""
    conn = psycopg2.connect(db_url)
    doc_id, version_id = add_document(conn, "BK-DOC")
    cs = open_change_set(conn, open_run(conn, doc_id, version_id, "BK-DOC"))
    create_unit(conn, cs, "BK-DOC/art_1", "Điều một", sort=1)
    create_unit(conn, cs, "BK-DOC/art_1/para_1", "Khoản một", parent="BK-DOC/art_1", sort=2)
    create_unit(conn, cs, "BK-DOC/art_2", "Điều hai", sort=3)
    other_doc, other_version = add_document(conn, "BK-OTHER")
    other_cs = open_change_set(conn, open_run(conn, other_doc, other_version, "BK-OTHER"))
    create_unit(conn, other_cs, "BK-OTHER/art_1", "Khác", sort=1)
    conn.commit()
    conn.close()


def test_round_trip_restores_the_same_rows(db_url, cutter_env, written_units):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")
    assert record.scoped_rows == {
        "public.information_unit": 3,
        "public.unit_version": 3,
        "public.iu_lifecycle_log": 0,
    }
    assert record.table_counts["public.information_unit"] == 4  # whole table, both documents
    assert vault.verify(run_id).sha256 == record.sha256
    plaintext = "Khoản một".encode()
    assert plaintext not in (vault.directory() / record.file).read_bytes()  # encrypted
    conn = psycopg2.connect(db_url)
    try:
        results = vault.restore(conn, run_id, "scratch_bk")
        with conn.cursor() as cur:
            cur.execute("SELECT canonical_address FROM scratch_bk.information_unit ORDER BY 1")
            assert [r[0] for r in cur.fetchall()] == [
                "BK-DOC/art_1",
                "BK-DOC/art_1/para_1",
                "BK-DOC/art_2",
            ]
            cur.execute("SELECT count(*) FROM scratch_bk.unit_version")
            assert cur.fetchone()[0] == 3
    finally:
        conn.rollback()
        conn.close()
    assert all(want == got for want, got in results.values())


def test_a_changed_backup_file_is_refused(db_url, cutter_env, written_units):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")
    path = vault.directory() / record.file
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CutterStop) as stop:
        vault.verify(run_id)
    assert stop.value.code is StopCode.STOP_BACKUP and "sha256 differs" in stop.value.detail


def test_a_missing_recipient_key_is_refused_before_anything_is_written(
    db_url, cutter_env, written_units, monkeypatch
):
    monkeypatch.setenv("CUTTER_BACKUP_RECIPIENT", "0" * 40)
    vault = BackupVault()
    before = set(vault.directory().glob("*")) if vault.directory().exists() else set()
    with psycopg2.connect(db_url) as conn, pytest.raises(CutterStop) as stop:
        vault.create(conn, run_id=str(uuid.uuid4()), doc_code="BK-DOC")
    assert stop.value.code is StopCode.STOP_BACKUP and "not in the keyring" in stop.value.detail
    after = set(vault.directory().glob("*")) if vault.directory().exists() else set()
    assert after == before


def test_no_recipient_configured_is_refused(db_url, cutter_env, monkeypatch):
    monkeypatch.delenv("CUTTER_BACKUP_RECIPIENT")
    with pytest.raises(CutterStop) as stop:
        BackupVault().require_recipient()
    assert stop.value.code is StopCode.STOP_BACKUP


def test_a_backup_for_another_recipient_is_refused(
    db_url, cutter_env, written_units, tmp_path, monkeypatch
):
    other_home = tmp_path / "g"
    other_home.mkdir(mode=0o700)
    gpg = gnupg.GPG(gnupghome=str(other_home))
    other_fingerprint = make_key(gpg, "other", "o@test.cutter")
    run_id = str(uuid.uuid4())
    monkeypatch.setenv("CUTTER_BACKUP_DIR", str(tmp_path / "b"))
    with monkeypatch.context() as elsewhere:  # another deployment's keyring and recipient
        elsewhere.setenv("CUTTER_GNUPGHOME", str(other_home))
        elsewhere.setenv("CUTTER_BACKUP_RECIPIENT", other_fingerprint)
        with psycopg2.connect(db_url) as conn:
            BackupVault().create(conn, run_id=run_id, doc_code="BK-DOC")
    with pytest.raises(CutterStop) as stop:
        BackupVault().verify(run_id)
    assert stop.value.code is StopCode.STOP_BACKUP
    assert "configured recipient" in stop.value.detail


def test_the_backup_commands(db_url, cutter_env, written_units, cli):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")

    cutter = cli
    code, out, _ = cutter("backup", "verify", "--run-id", run_id)
    assert code == 0 and record.sha256[:16] in out
    code, out, _ = cutter("backup", "restore", "--run-id", run_id, "--into", "scratch_cli")
    assert code == 0 and out.count("equals the backup's") == 3
    code, _, err = cutter("backup", "restore", "--run-id", run_id, "--into", "Bad-Schema;")
    assert code == StopCode.STOP_REFUSED_INPUT.exit_code
    code, _, err = cutter("backup", "verify", "--run-id", str(uuid.uuid4()))
    assert code == StopCode.STOP_BACKUP.exit_code and err.startswith("STOP_BACKUP:")


# ---- a backup taken before migration 018 -------------------------------------
# 018 added information_unit.accepted_anomalies (NOT NULL, default []) and
# structure_decision_id (NULL); a backup from before has rows without them.
ADDED_BY_018 = ["accepted_anomalies", "structure_decision_id"]


def scoped_rows(conn, doc_code, *, without=()):
    """Each backed-up table's rows as the backup reads them, the unit rows
    without the columns ``without`` (as PostgreSQL wrote them before they existed)."""
    rows = {}
    with conn.cursor() as cur:
        for table in BackupVault().tables:
            cur.execute(queries.BACKUP_SCOPES[table], {"doc_code": doc_code})
            rows[table] = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT (row::jsonb - %s::text[])::text FROM unnest(%s::text[]) AS row",
            (list(without), rows["public.information_unit"]),
        )
        rows["public.information_unit"] = [r[0] for r in cur.fetchall()]
    return rows


def table_counts(conn, tables):
    with conn.cursor() as cur:
        counts = {}
        for table in tables:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    return counts


def seal_old_backup(db_url, run_id, *, change=None):
    """A backup as the code before 018 wrote it: the same seal, over unit rows
    without the 018 columns; ``change`` edits the rows before they are sealed."""
    with psycopg2.connect(db_url) as conn:
        rows = scoped_rows(conn, "BK-DOC", without=ADDED_BY_018)
        counts = table_counts(conn, rows)
    if change:
        change(rows)
    return BackupVault().seal(run_id=run_id, doc_code="BK-DOC", rows=rows, table_counts=counts)


def restored_and_live(db_url, schema, table, *, without=()):
    """(rows restored into ``schema``, the live rows of BK-DOC), as JSON values
    without the columns ``without``."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT to_jsonb(t) - %s::text[] FROM {schema}.{table.split('.')[1]} t",
            (list(without),),
        )
        restored = cur.fetchall()
        live = [(json.loads(row),) for row in scoped_rows(conn, "BK-DOC", without=without)[table]]
    key = lambda row: json.dumps(row[0], sort_keys=True)  # noqa: E731
    return sorted(restored, key=key), sorted(live, key=key)


def test_a_backup_from_before_018_restores_and_verifies_as_written(
    db_url, cutter_env, written_units
):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    record = seal_old_backup(db_url, run_id)
    with psycopg2.connect(db_url) as conn:
        current = scoped_rows(conn, "BK-DOC")
    stored = json.loads(vault.gpg().decrypt((vault.directory() / record.file).read_bytes()).data)
    assert all(
        not set(ADDED_BY_018) & set(json.loads(row))
        for row in stored["rows"]["public.information_unit"]
    )
    assert record.scoped_rows["public.information_unit"] == 3
    assert record.row_checksums["public.information_unit"] != rows_checksum(
        current["public.information_unit"]
    )  # the old rows are not today's rows: the checksum is over what the backup holds
    assert vault.verify(run_id).sha256 == record.sha256

    conn = psycopg2.connect(db_url)
    try:
        results = vault.restore(conn, run_id, "scratch_old")
        conn.commit()
    finally:
        conn.close()
    assert results == {
        table: (record.row_checksums[table], record.row_checksums[table]) for table in record.tables
    }
    # The restored rows are the live ones: the 018 columns hold their defaults,
    # which is what these units (cut with no anomaly) hold too.
    for table in record.tables:
        restored, live = restored_and_live(db_url, "scratch_old", table)
        assert restored == live and len(restored) == record.scoped_rows[table]
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT accepted_anomalies, structure_decision_id "
            "FROM scratch_old.information_unit"
        )
        assert cur.fetchall() == [([], None)]


def test_cutter_backup_restore_of_a_backup_from_before_018(db_url, cutter_env, written_units, cli):
    run_id = str(uuid.uuid4())
    record = seal_old_backup(db_url, run_id)
    code, out, err = cli("backup", "restore", "--run-id", run_id, "--into", "scratch_old_cli")
    assert code == 0, err
    for table in record.tables:
        checksum = record.row_checksums[table][:16]
        assert f"{table}: checksum {checksum} equals the backup's {checksum}" in out


def test_a_current_backup_restores_every_column(db_url, cutter_env, written_units):
    vault = BackupVault()
    run_id = str(uuid.uuid4())
    with psycopg2.connect(db_url) as conn:
        record = vault.create(conn, run_id=run_id, doc_code="BK-DOC")
    conn = psycopg2.connect(db_url)
    try:
        vault.restore(conn, run_id, "scratch_now")
        conn.commit()
    finally:
        conn.close()
    for table in record.tables:
        restored, live = restored_and_live(db_url, "scratch_now", table)
        assert restored == live
    restored, _ = restored_and_live(db_url, "scratch_now", "public.information_unit")
    assert all(set(ADDED_BY_018) <= set(row) for (row,) in restored)


def restore_refusal(db_url, run_id, schema):
    conn = psycopg2.connect(db_url)
    try:
        with pytest.raises(CutterStop) as stop:
            BackupVault().restore(conn, run_id, schema)
    finally:
        conn.rollback()
        conn.close()
    assert stop.value.code is StopCode.STOP_BACKUP
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(queries.SCHEMA_EXISTS, {"schema": schema})
        assert cur.fetchone() is None  # nothing of the refused restore stays
    return stop.value.detail


def test_a_tampered_backup_from_before_018_is_refused(
    db_url, cutter_env, written_units, tmp_path, monkeypatch
):
    """Re-encrypted to the recipient (a public key) and re-pinned in the
    manifest, but with the row checksums it was written with: the restore sees it."""
    run_id = str(uuid.uuid4())
    seal_old_backup(db_url, run_id)
    vault = BackupVault()
    manifest_path = vault.directory() / f"{run_id}.manifest.json"
    with monkeypatch.context() as elsewhere:
        elsewhere.setenv("CUTTER_BACKUP_DIR", str(tmp_path))

        def retitle(rows):
            unit = json.loads(rows["public.information_unit"][0])
            rows["public.information_unit"][0] = json.dumps({**unit, "title": "Đã sửa"})

        forged = seal_old_backup(db_url, run_id, change=retitle)
    (vault.directory() / forged.file).write_bytes((tmp_path / forged.file).read_bytes())
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "sha256": forged.sha256, "size": forged.size}))
    assert vault.verify(run_id).sha256 == forged.sha256  # the envelope alone cannot tell

    detail = restore_refusal(db_url, run_id, "scratch_forged")
    assert detail == "restored rows differ from the backup in public.information_unit"


def test_a_changed_file_of_a_backup_from_before_018_is_refused(db_url, cutter_env, written_units):
    run_id = str(uuid.uuid4())
    record = seal_old_backup(db_url, run_id)
    path = BackupVault().directory() / record.file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert "sha256 differs" in restore_refusal(db_url, run_id, "scratch_flipped")


def _strip_one_row(rows):
    unit = json.loads(rows["public.information_unit"][0])
    del unit["title"]
    rows["public.information_unit"][0] = json.dumps(unit)


def _strip_every_row(column):
    def strip(rows):
        rows["public.information_unit"] = [
            json.dumps({k: v for k, v in json.loads(row).items() if k != column})
            for row in rows["public.information_unit"]
        ]

    return strip


def _add_column(rows):
    rows["public.unit_version"] = [
        json.dumps({**json.loads(row), "reviewer": "x"}) for row in rows["public.unit_version"]
    ]


def _bad_value(rows):
    unit = json.loads(rows["public.information_unit"][0])
    rows["public.information_unit"][0] = json.dumps({**unit, "sort_order": "first"})


def _null_in_a_not_null_column(rows):
    rows["public.unit_version"] = [
        json.dumps({**json.loads(row), "body": None}) for row in rows["public.unit_version"]
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_strip_one_row, "rows of public.information_unit do not hold the same columns"),
        (
            _strip_every_row("canonical_address"),
            "rows of public.information_unit lack column(s) canonical_address, "
            "which are NOT NULL without a default",
        ),
        (
            _add_column,
            "rows of public.unit_version hold column(s) reviewer "
            "that public.unit_version does not have",
        ),
        (_bad_value, "cannot restore public.information_unit from the backup: invalid input"),
        (_null_in_a_not_null_column, "cannot restore public.unit_version from the backup: null"),
    ],
    ids=["columns differ", "lacks a required column", "unknown column", "bad value", "null"],
)
def test_a_backup_whose_rows_cannot_be_restored_is_a_clear_stop(
    db_url, cutter_env, written_units, change, expected
):
    """Each a STOP_BACKUP naming the table and what is wrong, never a raw
    database error (the manifest was written with these rows: only the
    restore can tell)."""
    run_id = str(uuid.uuid4())
    seal_old_backup(db_url, run_id, change=change)
    assert expected in restore_refusal(db_url, run_id, "scratch_bad")
