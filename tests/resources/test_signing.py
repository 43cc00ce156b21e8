"""Service signatures (executor, verifier): real gpg clearsignatures by each
service's own key, checked for signer, payload and integrity."""

from __future__ import annotations

import pytest
import yaml

from cutter_assets.resources.gpg import open_gpg
from cutter_assets.resources.signing import (
    SERVICE_KEYS_FILE,
    gpg_sign,
    service_key,
    service_signature,
    service_signature_problem,
)

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
