"""Service signatures (executor, verifier): real gpg clearsignatures by each
service's own key, checked for signer, payload and integrity; every identity
of a verified signer; signing only ever with exactly the key asked for."""

from __future__ import annotations

import pytest
import yaml

from cutter_assets.core.approvals import is_self_approval
from cutter_assets.signing.documents import (
    SERVICE_KEYS_FILE,
    SigningKeyRefused,
    gpg_sign,
    service_key,
    service_signature,
    service_signature_problem,
    signing_key,
    verify_document,
)
from cutter_assets.signing.gpg import make_key, open_gpg

PAYLOAD = "a" * 64


@pytest.fixture(scope="module")
def gpg(gpg_home):
    return open_gpg(gpg_home)


def test_each_service_has_one_key_made_once(gpg, gpg_home):
    executor = service_key("executor", gpg)
    assert service_key("executor", gpg) == executor
    verifier = service_key("verifier", gpg)
    assert verifier != executor
    registry = yaml.safe_load((gpg_home / SERVICE_KEYS_FILE).read_text())
    assert registry == {"executor": executor, "verifier": verifier}
    secret = {k["fingerprint"] for k in gpg.list_keys(secret=True)}
    assert {executor, verifier} <= secret
    with pytest.raises(ValueError):
        service_key("sovereign", gpg)


def test_a_service_signature_verifies_for_its_service_and_payload(gpg):
    provider, signature, digest = service_signature(PAYLOAD, "executor", gpg)
    assert provider == "gpg" and signature.startswith("-----BEGIN PGP SIGNED MESSAGE-----")
    assert len(digest) == 64
    assert service_signature_problem(signature, PAYLOAD, "executor", gpg) is None


@pytest.mark.parametrize(
    "forge,reason",
    [
        (lambda sig, gpg: sig, "verifier signature refused"),  # checked as the other service
        (lambda sig, gpg: sig.replace(PAYLOAD, "b" * 64), "refused"),  # body altered
        (
            lambda sig, gpg: service_signature("b" * 64, "executor", gpg)[1],
            "covers another payload",
        ),
        (
            lambda sig, gpg: gpg_sign(
                f"cutter executor signs payload_sha {PAYLOAD}", service_key("verifier", gpg), gpg
            ),
            "refused",
        ),  # the right words, another service's key
        (lambda sig, gpg: "stub:" + "0" * 64, "refused"),
    ],
    ids=["other-service", "altered", "other-payload", "other-key", "not-gpg"],
)
def test_a_forged_service_signature_is_refused(gpg, forge, reason):
    _, signature, _ = service_signature(PAYLOAD, "executor", gpg)
    principal = "verifier" if reason.startswith("verifier") else "executor"
    problem = service_signature_problem(forge(signature, gpg), PAYLOAD, principal, gpg)
    assert problem is not None and reason in problem


def test_checking_a_signature_never_makes_a_key(gpg, tmp_path):
    _, signature, _ = service_signature(PAYLOAD, "executor", gpg)
    empty_home = tmp_path / "gnupg"
    other = open_gpg(empty_home)
    problem = service_signature_problem(signature, PAYLOAD, "executor", other)
    assert problem == "executor signature refused: this keyring has no executor key"
    assert not (empty_home / SERVICE_KEYS_FILE).exists()
    assert other.list_keys(secret=True) == []


# ---- identities of a verified signer, and signing with exactly the key named ----
@pytest.fixture(scope="module")
def alice_ring(tmp_path_factory):
    """A keyring of its own: Alice's key (a uid with a comment, an encryption
    subkey), Bob's, and Carol's public key only."""
    home = tmp_path_factory.mktemp("alice-ring")
    home.chmod(0o700)
    ring = open_gpg(home)
    alice = make_key(ring, "Alice Example", "Alice@Example.org", comment="ops")
    bob = make_key(ring, "Bob Example", "bob@example.org", encrypt=False)
    elsewhere = open_gpg(tmp_path_factory.mktemp("carol-ring"))
    carol = make_key(elsewhere, "Carol", "carol@example.net", encrypt=False)
    ring.import_keys(elsewhere.export_keys(carol))
    return ring, alice, bob, carol


def test_a_verified_document_names_every_identity_of_its_signer(alice_ring):
    ring, alice, *_ = alice_ring
    document = verify_document(gpg_sign("hello\n", alice, ring), allowed=(alice,), gpg=ring)
    key = ring.list_keys(keys=[alice])[0]
    subkey_id, _, subkey_fingerprint, *_ = key["subkeys"][0]
    assert document.signer == alice
    assert {
        alice,
        key["keyid"],
        key["keyid"][-8:],
        "Alice Example (ops) <Alice@Example.org>",
        "Alice Example",
        "ops",
        "Alice@Example.org",
        subkey_id,
        subkey_id[-8:],
        subkey_fingerprint,
    } <= set(document.signer_ids)
    for actor in (
        "alice example",
        " ALICE@example.org ",
        "ops",
        "ALICE EXAMPLE (OPS) <alice@example.org>",
        key["keyid"][-8:].lower(),
        "0x" + key["keyid"],
        alice.lower(),
        subkey_fingerprint,
        subkey_id,
    ):
        assert is_self_approval(actor, "sovereign", document.signer_ids), actor
    assert not is_self_approval("bob@example.org", "sovereign", document.signer_ids)


@pytest.mark.parametrize(
    "which,refusal",
    [
        (lambda alice, bob, carol: "0" * 40, "is not in the keyring"),
        (lambda alice, bob, carol: "nobody@nowhere.example", "is not in the keyring"),
        (lambda alice, bob, carol: carol, "has no secret key"),
        (lambda alice, bob, carol: "example.org", "matches 2 secret keys"),
        (lambda alice, bob, carol: "", "does not name a signing key"),
        (lambda alice, bob, carol: "--homedir=/tmp", "does not name a signing key"),
    ],
    ids=["unknown-fingerprint", "unknown-uid", "public-only", "ambiguous", "empty", "option"],
)
def test_signing_never_falls_back_to_the_default_key(alice_ring, which, refusal):
    ring, alice, bob, carol = alice_ring
    with pytest.raises(SigningKeyRefused) as refused:
        gpg_sign("hello\n", which(alice, bob, carol), ring)
    assert refusal in str(refused.value)


def test_a_key_id_or_uid_naming_one_secret_key_signs_with_that_key(alice_ring):
    ring, alice, bob, _ = alice_ring
    for key in (bob, bob[-16:], "0x" + bob[-8:].lower(), "bob@example.org"):
        document = verify_document(gpg_sign("hi\n", key, ring), allowed=(bob,), gpg=ring)
        assert document.signer == bob


def test_a_signature_by_another_key_than_asked_is_refused(alice_ring, monkeypatch):
    ring, alice, bob, _ = alice_ring
    sign = ring.sign
    monkeypatch.setattr(ring, "sign", lambda content, **kw: sign(content, keyid=alice))
    with pytest.raises(ValueError) as refused:
        gpg_sign("hello\n", bob, ring)
    assert f"not with {bob}" in str(refused.value)


def test_signing_for_the_sovereign_needs_an_allow_listed_key(alice_ring):
    ring, alice, bob, _ = alice_ring
    assert signing_key(alice, ring, allowed=(alice.lower(),)) == alice
    with pytest.raises(SigningKeyRefused, match="not on the sovereign allow-list"):
        gpg_sign("hello\n", bob, ring, allowed=(alice,))
    with pytest.raises(SigningKeyRefused, match="no sovereign keys are configured"):
        signing_key(alice, ring, allowed=())
