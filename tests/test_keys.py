"""`cutter keys`: the backup key and the sovereign keys set up on a fresh
deployment with real GnuPG, each refusal one STOP line with its exit code
and nothing half done, no secret material shown, no uid reaching the
settings."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cutter_assets.app.demo import demo_keys
from cutter_assets.core.approvals import draft
from cutter_assets.core.phases import GATE_SG1
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.settings import editing_config, load_settings
from cutter_assets.resources.backup import BackupVault
from cutter_assets.signing.documents import service_key
from cutter_assets.signing.gpg import make_key, open_gpg
from cutter_assets.signing.keyring import sovereign_keys
from tests.guards import wait_until, within
from tests.keyrings import exported_key, fresh_deployment, quick_key, short_dir


@pytest.fixture
def deployment(monkeypatch):
    with short_dir("cutkeys-") as root:
        fresh_deployment(monkeypatch, root)
        yield root


def _config(root) -> dict | None:
    path = root / "state" / "config.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else None


def _ring(root):
    return open_gpg(root / "state" / "gnupg")


def _fingerprints(root, *, secret: bool = False) -> set[str]:
    return {k["fingerprint"] for k in _ring(root).list_keys(secret=secret)}


def _refused(result, code: StopCode, *words: str) -> str:
    exit_code, out, err = result
    assert exit_code == code.exit_code, (out, err)
    assert err.startswith(f"{code.name}: ") and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err
    return err


# ---- the backup key -------------------------------------------------------------------
def test_backup_create_makes_the_key_here_and_names_it_the_recipient(cli, deployment):
    code, out, err = cli("keys", "backup", "create")
    assert code == 0, err
    fingerprint = _config(deployment)["backup_recipient"]
    assert fingerprint in out and "PRIVATE KEY" not in out
    assert _fingerprints(deployment, secret=True) == {fingerprint}
    assert load_settings().backup_recipient == fingerprint
    assert BackupVault().require_recipient()[0] == fingerprint
    again = _refused(cli("keys", "backup", "create"), StopCode.STOP_CONFIG, fingerprint)
    assert "configured already" in again
    assert _fingerprints(deployment, secret=True) == {fingerprint}


@pytest.mark.parametrize(
    "name", ["x\nPassphrase: y", "Eve (admin)", "<eve@x.org>", "", " lead", "a" * 65]
)
def test_backup_create_refuses_a_name_that_could_write_key_parameters(cli, deployment, name):
    _refused(cli("keys", "backup", "create", "--name", name), StopCode.STOP_REFUSED_INPUT)
    assert _config(deployment) is None
    assert not (deployment / "state" / "gnupg").exists() or _fingerprints(deployment) == set()


def test_backup_import_configures_a_public_key_without_its_secret(cli, deployment):
    fingerprint, public = exported_key(deployment, "Vault", "vault@x.org", encrypt=True)
    code, out, err = cli("keys", "backup", "import", str(public))
    assert code == 0, err
    assert _config(deployment) == {"backup_recipient": fingerprint}
    assert _fingerprints(deployment) == {fingerprint}
    assert _fingerprints(deployment, secret=True) == set()
    code, shown, _ = cli("keys", "show")
    assert f"backup     {fingerprint}" in shown and "secret key here: no" in shown
    other, path = exported_key(deployment, "Other", "other@x.org", encrypt=True)
    _refused(cli("keys", "backup", "import", str(path)), StopCode.STOP_CONFIG, fingerprint)
    assert other not in _fingerprints(deployment)


@pytest.mark.parametrize("named_in", ["config.yaml", "CUTTER_BACKUP_RECIPIENT"])
def test_the_named_recipient_missing_from_the_keyring_is_imported_as_its_stop_says(
    cli, deployment, monkeypatch, named_in
):
    fingerprint, public = exported_key(deployment, "Vault", "vault@x.org", encrypt=True)
    if named_in == "config.yaml":
        (deployment / "state").mkdir()
        (deployment / "state" / "config.yaml").write_text(f"backup_recipient: {fingerprint}\n")
    else:
        monkeypatch.setenv("CUTTER_BACKUP_RECIPIENT", fingerprint)
    with pytest.raises(CutterStop) as stop:
        BackupVault().require_recipient()
    assert stop.value.code is StopCode.STOP_BACKUP
    assert stop.value.detail.endswith("import its public key: ./run keys backup import FILE")
    code, _, err = cli("keys", "backup", "import", str(public))
    assert code == 0, err
    assert BackupVault().require_recipient()[0] == fingerprint
    expected = {"backup_recipient": fingerprint} if named_in == "config.yaml" else None
    assert _config(deployment) == expected


def test_backup_import_refuses_a_key_that_cannot_encrypt(cli, deployment):
    _, public = exported_key(deployment, "Signer", "signer@x.org", encrypt=False)
    _refused(
        cli("keys", "backup", "import", str(public)), StopCode.STOP_REFUSED_INPUT, "cannot encrypt"
    )
    assert _config(deployment) is None and _fingerprints(deployment) == set()


def test_a_setting_the_environment_overrides_is_never_written(cli, deployment, monkeypatch):
    monkeypatch.setenv("CUTTER_BACKUP_RECIPIENT", "F" * 40)
    _refused(cli("keys", "backup", "create"), StopCode.STOP_CONFIG, "CUTTER_BACKUP_RECIPIENT")
    monkeypatch.setenv("CUTTER_SOVEREIGN_KEYS", "E" * 40)
    _, public = exported_key(deployment, "Sovereign", "sov@x.org")
    _refused(
        cli("keys", "sovereign", "import", str(public), "--allow"),
        StopCode.STOP_CONFIG,
        "CUTTER_SOVEREIGN_KEYS",
    )
    assert _config(deployment) is None
    assert not (deployment / "state" / "gnupg").exists() or _fingerprints(deployment) == set()


# ---- what a key file may hold -------------------------------------------------------
def _two_keys(root):
    _, first = exported_key(root, "One", "one@x.org")
    _, second = exported_key(root, "Two", "two@x.org")
    both = root / "both.asc"
    both.write_text(first.read_text() + second.read_text())
    return both


def _junk(root):
    (root / "junk.asc").write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n")
    return root / "junk.asc"


def _empty(root):
    (root / "empty.asc").write_bytes(b"")
    return root / "empty.asc"


KEY_FILES = [
    (
        lambda root: exported_key(root, "S", "s@x.org", secret=True)[1],
        "STOP_REFUSED_INPUT",
        "secret",
    ),
    (_junk, "STOP_REFUSED_INPUT", "holds no OpenPGP key"),
    (_empty, "STOP_EMPTY_INPUT", "empty"),
    (_two_keys, "STOP_REFUSED_INPUT", "holds 2 keys"),
    (
        lambda root: quick_key(root, "C <c@x.org>", "ed25519", "cert")[1],
        "STOP_REFUSED_INPUT",
        "cannot sign",
    ),
]


@pytest.mark.parametrize(
    "make,code,words", KEY_FILES, ids=["secret", "junk", "empty", "two-keys", "cert-only"]
)
def test_a_key_file_that_is_not_one_usable_public_key_is_refused(
    cli, deployment, make, code, words
):
    path = make(deployment)
    err = _refused(cli("keys", "sovereign", "import", str(path), "--allow"), StopCode[code], words)
    assert "PRIVATE KEY" not in err
    assert _config(deployment) is None
    assert _fingerprints(deployment) == set() and _fingerprints(deployment, secret=True) == set()


def test_a_path_that_is_not_a_regular_file_is_refused_without_blocking(cli, deployment):
    fifo = deployment / "key.asc"
    os.mkfifo(fifo)
    with within(10):
        _refused(cli("keys", "sovereign", "import", str(fifo)), StopCode.STOP_REFUSED_INPUT, "FIFO")
    link = deployment / "passwd.asc"
    link.symlink_to("/etc/passwd")
    _refused(cli("keys", "backup", "import", str(link)), StopCode.STOP_REFUSED_INPUT, "link")
    _refused(cli("keys", "backup", "import", str(deployment)), StopCode.STOP_REFUSED_INPUT)
    huge = deployment / "huge.asc"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024 * 1024)
    _refused(cli("keys", "sovereign", "import", str(huge)), StopCode.STOP_TOO_LARGE)
    _refused(
        cli("keys", "sovereign", "import", str(deployment / "missing.asc")),
        StopCode.STOP_REFUSED_INPUT,
    )
    assert _config(deployment) is None


HOSTILE = [
    "",
    "\x00",
    "two\nlines",
    "\x1b[31m",
    "-",
    "--homedir=/tmp",
    "x" * 5000,
    "0" * 40,
    "0x" + "A" * 40,
    "ABCDEF0123456789",
    "../../../../etc/passwd",
    "postgresql://u:secret@h/db",
]
ARMORED_JUNK = (
    b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"
)
_files = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_key_input_is_one_stop_line_and_nothing_written(cli, deployment, data):
    command = data.draw(
        st.sampled_from(
            ["sovereign import", "backup import", "sovereign allow", "sovereign remove"]
        )
    )
    if command.endswith("import"):
        content = data.draw(st.one_of(st.binary(max_size=400), st.just(ARMORED_JUNK)))
        path = deployment / f"fuzz-{next(_files)}.asc"
        path.write_bytes(content)
        argument = str(path)
    else:
        argument = data.draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60)))
    code, out, err = cli("keys", *command.split(), "--", argument)
    assert "Traceback" not in out + err and "secret@" not in err
    assert code != 0 and len(err.splitlines()) == 1 and err.startswith("STOP_"), err
    assert _config(deployment) is None
    assert not (deployment / "state" / "gnupg").exists() or _fingerprints(deployment) == set()


# ---- the sovereign keys -------------------------------------------------------------
def test_sovereign_keys_are_imported_allowed_listed_and_removed(cli, deployment):
    alice, alice_file = exported_key(deployment, "Alice", "alice@x.org")
    bob, bob_file = exported_key(deployment, "Bob", "bob@x.org")
    assert cli("keys", "sovereign", "import", str(alice_file), "--allow")[0] == 0
    assert cli("keys", "sovereign", "import", str(bob_file))[0] == 0
    _, listed, _ = cli("keys", "sovereign", "list")
    assert f"{alice}  allowed yes  Alice <alice@x.org>" in listed
    assert f"{bob}  allowed no   Bob <bob@x.org>" in listed
    assert _config(deployment) == {"sovereign_keys": [alice]}
    _refused(
        cli("keys", "sovereign", "import", str(alice_file)),
        StopCode.STOP_REFUSED_INPUT,
        "in the keyring already",
    )
    _refused(
        cli("keys", "sovereign", "allow", alice), StopCode.STOP_REFUSED_INPUT, "allowed already"
    )
    assert cli("keys", "sovereign", "allow", bob.lower())[0] == 0
    assert load_settings().sovereign_fingerprints == (alice, bob)
    code, out, _ = cli("keys", "sovereign", "remove", alice)
    assert code == 0 and "taken off the allow-list and deleted from the keyring" in out
    assert _config(deployment) == {"sovereign_keys": [bob]}
    assert alice not in _fingerprints(deployment)
    _refused(cli("keys", "sovereign", "remove", alice), StopCode.STOP_REFUSED_INPUT, "no key")


def test_an_allowed_key_missing_from_the_keyring_names_its_import(cli, deployment):
    fingerprint, path = exported_key(deployment, "Absent", "absent@x.org")
    (deployment / "state").mkdir()
    (deployment / "state" / "config.yaml").write_text(f"sovereign_keys: [{fingerprint}]\n")
    _, listed, _ = cli("keys", "sovereign", "list")
    assert (
        f"{fingerprint}  allowed yes  (not in the keyring — run: ./run keys sovereign import FILE)"
        in listed
    )
    with pytest.raises(CutterStop) as stop:
        sovereign_keys(_ring(deployment), load_settings())
    assert stop.value.code is StopCode.STOP_CONFIG
    assert stop.value.detail.endswith("run: ./run keys sovereign import FILE")
    code, out, err = cli("keys", "sovereign", "import", str(path), "--allow")
    assert code == 0, err
    assert [k.fingerprint for k in sovereign_keys(_ring(deployment), load_settings())] == [
        fingerprint
    ]
    assert _config(deployment) == {"sovereign_keys": [fingerprint]}


@pytest.mark.parametrize(
    "fingerprint,words",
    [("0" * 40, "no key"), ("not-a-key", "40 hex"), ("DEADBEEF", "40 hex"), ("-" * 40, "40 hex")],
)
def test_allowing_a_key_that_is_not_in_the_keyring_is_refused(cli, deployment, fingerprint, words):
    allow = ("keys", "sovereign", "allow", "--", fingerprint)  # "--": an option-like one too
    _refused(cli(*allow), StopCode.STOP_REFUSED_INPUT, words)
    assert _config(deployment) is None


def test_the_backup_key_and_the_services_never_become_sovereigns(cli, deployment):
    cli("keys", "backup", "create")
    backup = _config(deployment)["backup_recipient"]
    executor = service_key("executor", _ring(deployment))
    for fingerprint, role in ((backup, "the backup recipient"), (executor, "executor service")):
        _refused(cli("keys", "sovereign", "allow", fingerprint), StopCode.STOP_REFUSED_INPUT, role)
        _refused(cli("keys", "sovereign", "remove", fingerprint), StopCode.STOP_REFUSED_INPUT, role)
    assert {backup, executor} <= _fingerprints(deployment, secret=True)
    _, listed, _ = cli("keys", "sovereign", "list")
    assert backup not in listed and executor not in listed
    assert "no allowed sovereign key — run: ./run keys sovereign import FILE --allow" in listed


def test_a_sovereign_key_without_its_secret_here_is_told_how_to_sign(cli, deployment):
    sovereign, path = exported_key(deployment, "Sovereign", "sov@x.org")
    cli("keys", "sovereign", "import", str(path), "--allow")
    doc = deployment / "approval.md"
    doc.write_text(
        draft(
            gate=GATE_SG1,
            run_id=str(uuid.uuid4()),
            payload_sha="a" * 64,
            approver="sovereign",
            signed_utc=datetime.now(UTC),
            doc_code="ONB-DOC",
        )
    )
    err = _refused(
        cli("approve", "sign", str(doc), "--key", sovereign),
        StopCode.STOP_REFUSED_INPUT,
        "has no secret key here",
    )
    assert "gpg --clearsign FILE" in err


def test_removing_never_deletes_a_secret_key(cli, deployment):
    here = make_key(_ring(deployment), "Local", "local@x.org", encrypt=False)
    assert cli("keys", "sovereign", "allow", here)[0] == 0
    err = _refused(cli("keys", "sovereign", "remove", here), StopCode.STOP_REFUSED_INPUT)
    assert f"--delete-secret-and-public-key {here}" in err
    assert here in _fingerprints(deployment, secret=True)
    assert _config(deployment) == {"sovereign_keys": [here]}


def test_an_odd_user_id_is_shown_printable_and_never_reaches_the_settings(cli, deployment):
    uid = "Eve\nsovereign_keys: [X]\x1b[31m | <eve@x.org>"
    fingerprint, path = quick_key(deployment, uid, "ed25519", "sign")
    code, out, err = cli("keys", "sovereign", "import", str(path), "--allow")
    assert code == 0, err
    _, listed, _ = cli("keys", "sovereign", "list")
    _, shown, _ = cli("keys", "show")
    for text in (out, listed, shown):
        assert "\x1b" not in text
        assert all(line.isprintable() for line in text.splitlines())
    assert [line for line in listed.splitlines() if fingerprint in line] == [
        f"{fingerprint}  allowed yes  Eve?sovereign_keys: [X]?[31m | <eve@x.org>"
    ]
    raw = (deployment / "state" / "config.yaml").read_text()
    assert "Eve" not in raw and yaml.safe_load(raw) == {"sovereign_keys": [fingerprint]}


def test_keys_show_names_what_is_configured_and_how_to_set_up_the_rest(cli, deployment):
    _, bare, _ = cli("keys", "show")
    assert "no backup recipient configured — run: ./run keys backup create" in bare
    assert "no allowed sovereign key — run: ./run keys sovereign import FILE --allow" in bare
    cli("keys", "backup", "create")
    sovereign, path = exported_key(deployment, "Sovereign", "sov@x.org")
    cli("keys", "sovereign", "import", str(path), "--allow")
    executor = service_key("executor", _ring(deployment))
    _, shown, _ = cli("keys", "show")
    backup = _config(deployment)["backup_recipient"]
    assert f"backup     {backup}  Cutter backup <backup@cutter.invalid>" in shown
    assert "secret key here: yes" in shown
    assert f"sovereign  {sovereign}  allowed yes  Sovereign <sov@x.org>" in shown
    assert f"service    executor  {executor}" in shown
    assert "PRIVATE KEY" not in shown and "no allowed sovereign key" not in shown


def test_allow_list_changes_made_at_once_are_all_kept(cli, deployment):
    """config.yaml is read, changed and written under one lock: three `allow`
    processes started while another writer holds it wait for it (the kernel
    lists them as blocked), and no change of the four is lost."""
    keys = [exported_key(deployment, f"K{i}", f"k{i}@x.org")[0] for i in range(4)]
    for i in range(4):
        assert cli("keys", "sovereign", "import", str(deployment / f"k{i}.asc"))[0] == 0
    state = deployment / "state"
    with editing_config(state) as config:
        config["sovereign_keys"] = [keys[0]]
        allowing = [
            subprocess.Popen(
                [sys.executable, "-m", "cutter_assets.app.cli", "keys", "sovereign", "allow", fpr],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for fpr in keys[1:]
        ]
        inode = os.stat(state / ".config.yaml.lock").st_ino
        wait_until(lambda: _blocked_on(inode) == 3, 120)
    assert [p.wait(timeout=120) for p in allowing] == [0, 0, 0]
    assert sorted(_config(deployment)["sovereign_keys"]) == sorted(keys)


def _blocked_on(inode: int) -> int:
    """How many lock requests wait for the file with this inode (/proc/locks)."""
    locks = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in locks if "->" in line and f":{inode} " in line)


def test_a_config_file_that_is_not_a_mapping_is_a_config_stop(cli, deployment):
    (deployment / "state").mkdir()
    (deployment / "state" / "config.yaml").write_text("- backup_recipient\n- x\n")
    _refused(cli("keys", "show"), StopCode.STOP_CONFIG, "config.yaml is not a YAML mapping")
    _refused(cli("keys", "backup", "create"), StopCode.STOP_CONFIG, "config.yaml")
    assert not (deployment / "state" / "gnupg").exists() or _fingerprints(deployment) == set()


# ---- the demo sets its keys up the same way -------------------------------------------
def test_the_demo_makes_its_keys_once_through_cutter_keys(deployment):
    backup, sovereign = demo_keys()
    assert _config(deployment) == {"backup_recipient": backup, "sovereign_keys": [sovereign]}
    assert {backup, sovereign} == _fingerprints(deployment, secret=True)
    assert demo_keys() == (backup, sovereign)
    assert _fingerprints(deployment) == {backup, sovereign}


def test_the_demo_never_allows_a_key_of_its_own_beside_real_sovereigns(cli, deployment):
    real, path = exported_key(deployment, "Real", "real@x.org")
    cli("keys", "sovereign", "import", str(path), "--allow")
    with pytest.raises(CutterStop) as stop:
        demo_keys()
    assert stop.value.code is StopCode.STOP_CONFIG and "./run demo" in stop.value.detail
    assert _config(deployment)["sovereign_keys"] == [real]
