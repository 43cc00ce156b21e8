"""Signing providers behind one interface (DESIGN §4).

``gpg``: clearsigned documents verified with python-gnupg; a signature counts
only from an allow-listed fingerprint (``valid`` alone does not mean trusted).
A verified document names every identity of its signing key, so separation
of duties can compare the run's actor with all of them. Signing names its key
exactly: the key asked for must resolve to one secret key and the signature
made must be that key's, never gpg's default key.
``stub``: sha256 over the content and the principal, for tests and demos; a
live run refuses it unless the deployment explicitly allows it.
Service signatures (the executor's on a manifest envelope, the verifier's
on a verify result) are gpg clearsignatures over the record's payload sha by
the service's own key in the project keyring, made on first use and named in
``<gnupg home>/service-keys.yaml``; verify_result checks the executor's and
lifecycle_enactment both before anything is enacted.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from dataclasses import dataclass

import yaml

from cutter_assets.core.approvals import ApprovalRefused, Refusal, uid_parts
from cutter_assets.core.commands import command
from cutter_assets.core.intake import sanitize_echo
from cutter_assets.platform.settings import load_settings
from cutter_assets.signing.gpg import make_key, open_gpg

_CLEARSIGNED = re.compile(
    r"\A-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash: [^\n]*\n)+\n(?P<body>.*?)\n"
    r"(?P<sig>-----BEGIN PGP SIGNATURE-----\n.*?-----END PGP SIGNATURE-----)\n?\Z",
    re.S,
)
_STUB = re.compile(
    r"\A(?P<body>.*?)\n-----BEGIN CUTTER STUB SIGNATURE-----\nprincipal: (?P<principal>[^\n]+)\n"
    r"sha256: (?P<digest>[0-9a-f]{64})\n-----END CUTTER STUB SIGNATURE-----\n?\Z",
    re.S,
)


@dataclass(frozen=True)
class VerifiedDocument:
    content: str  # exactly the signed text
    provider: str  # gpg | stub
    signer: str  # fingerprint (gpg) or principal (stub)
    # every identity of the signer: for gpg the fingerprint, the long and short key
    # ids, each uid whole and its name, comment and e-mail, each subkey's key ids
    # and fingerprint (see key_identities); for the stub the principal and its parts
    signer_ids: tuple[str, ...]
    signature_sha256: str  # sha256 of the signature bytes (one use only)


def stub_digest(content: str, principal: str) -> str:
    return hashlib.sha256(f"{content}\n{principal}".encode()).hexdigest()


def stub_sign(content: str, principal: str) -> str:
    return (
        f"{content.rstrip(chr(10))}\n-----BEGIN CUTTER STUB SIGNATURE-----\n"
        f"principal: {principal}\nsha256: {stub_digest(content.rstrip(chr(10)), principal)}\n"
        "-----END CUTTER STUB SIGNATURE-----\n"
    )


_FINGERPRINT = re.compile(r"^[0-9A-F]{40}$")
_HEX_SPEC = re.compile(r"^(0[xX])?[0-9A-Fa-f ]+$")


class SigningKeyRefused(ValueError):
    """The key asked for cannot sign: not in the keyring, no secret key, more
    than one key matches, or not on the allow-list it must be on."""


def signing_key(key: str, gpg=None, *, allowed: tuple[str, ...] | None = None) -> str:
    """The full fingerprint of the one secret key ``key`` names (a fingerprint,
    a key id or a user id matching exactly one secret key), on ``allowed``
    when that is given; SigningKeyRefused otherwise."""
    spec = _key_spec(key)
    shown = sanitize_echo(key, 60)
    gpg = gpg or open_gpg()
    secret = gpg.list_keys(secret=True, keys=[spec])
    if not secret:
        where = (
            "has no secret key here (its holder signs with their own gpg: gpg --clearsign "
            "FILE, and puts the signed doc in the run's KB folder)"
            if gpg.list_keys(keys=[spec])
            else "is not in the keyring"
        )
        raise SigningKeyRefused(f"signing key {shown} {where}")
    if len(secret) > 1:
        raise SigningKeyRefused(
            f"signing key {shown} matches {len(secret)} secret keys; give its full fingerprint"
        )
    fingerprint = secret[0]["fingerprint"].upper()
    if allowed is not None and fingerprint not in {a.upper() for a in allowed}:
        none = "" if allowed else " (no sovereign keys are configured)"
        raise SigningKeyRefused(
            f"signing key {fingerprint} is not on the sovereign allow-list{none} — allow it: "
            f"{command(f'keys sovereign allow {fingerprint}')}"
        )
    return fingerprint


def _key_spec(key: str) -> str:
    """A key as gpg should look it up: a hex id without spaces or 0x, upper-case;
    never empty, never an option, never a control character."""
    spec = (key or "").strip()
    if _HEX_SPEC.match(spec):
        spec = spec.replace(" ", "").upper().removeprefix("0X")
    if not spec or spec.startswith("-") or not spec.isprintable():
        raise SigningKeyRefused(f"{sanitize_echo(key or '', 60)!r} does not name a signing key")
    return spec


def gpg_sign(content: str, key: str, gpg=None, *, allowed: tuple[str, ...] | None = None) -> str:
    """``content`` clearsigned by exactly the secret key ``key`` names (see
    signing_key); ValueError if gpg signed with any other key (python-gnupg
    passes ``--default-key``, which gpg ignores for a key it cannot use and
    signs with its default key instead)."""
    gpg = gpg or open_gpg()
    fingerprint = signing_key(key, gpg, allowed=allowed)
    own = {fingerprint, *(sub[2].upper() for sub in _subkeys(gpg, fingerprint))}
    signed = gpg.sign(content, clearsign=True, extra_args=["--local-user", fingerprint])
    if not signed.data:
        raise ValueError(f"gpg could not sign with {fingerprint}: {signed.status}")
    if (signed.fingerprint or "").upper() not in own:
        raise ValueError(f"gpg signed with {signed.fingerprint}, not with {fingerprint}")
    return str(signed)


def key_identities(fingerprint: str, gpg=None) -> tuple[str, ...]:
    """Every identity of the key with this primary fingerprint: the fingerprint,
    the long and short key id, each uid whole and its name, comment and e-mail,
    and each subkey's long and short key id and fingerprint."""
    gpg = gpg or open_gpg()
    fingerprint = fingerprint.upper()
    ids = [fingerprint]
    for key in gpg.list_keys(keys=[fingerprint]):
        if key["fingerprint"].upper() != fingerprint:
            continue
        ids += [key["keyid"], key["keyid"][-8:]]
        for uid in key.get("uids", []):
            ids += uid_parts(uid)
        for keyid, _capability, sub_fingerprint, *_ in _subkeys(gpg, fingerprint, [key]):
            ids += [keyid, keyid[-8:], sub_fingerprint]
    return tuple(dict.fromkeys(i for i in ids if i))


def _subkeys(gpg, fingerprint: str, keys=None) -> list:
    """python-gnupg's subkey rows (key id, capability, fingerprint, keygrip)."""
    keys = gpg.list_keys(keys=[fingerprint]) if keys is None else keys
    return [
        sub
        for key in keys
        if key["fingerprint"].upper() == fingerprint
        for sub in key.get("subkeys", [])
        if len(sub) >= 3
    ]


def verify_document(
    text: str, *, allowed: tuple[str, ...] | None = None, gpg=None, stub_allowed: bool = True
) -> VerifiedDocument:
    """The signed content and who signed it, or ApprovalRefused with the reason."""
    text = text.replace("\r\n", "\n")
    if text.lstrip().startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        return _verify_gpg(text, allowed, gpg)
    if "-----BEGIN CUTTER STUB SIGNATURE-----" in text:
        if not stub_allowed:
            raise ApprovalRefused(Refusal.STUB_IN_LIVE)
        return _verify_stub(text)
    if "-----BEGIN PGP" in text:
        raise ApprovalRefused(Refusal.TEXT_OUTSIDE_SIGNATURE)
    raise ApprovalRefused(Refusal.UNSIGNED)


def _verify_gpg(text: str, allowed, gpg) -> VerifiedDocument:
    match = _CLEARSIGNED.match(text)
    if match is None:
        raise ApprovalRefused(Refusal.TEXT_OUTSIDE_SIGNATURE)
    gpg = gpg or open_gpg()
    verified = gpg.verify(text)
    if not verified.valid:
        if verified.status == "no public key" or getattr(verified, "key_status", None):
            raise ApprovalRefused(Refusal.UNKNOWN_KEY, verified.status or "")
        raise ApprovalRefused(Refusal.BAD_SIGNATURE, verified.status or "")
    fingerprint = (verified.pubkey_fingerprint or verified.fingerprint or "").upper()
    allowed = load_settings().sovereign_fingerprints if allowed is None else allowed
    if fingerprint not in {a.upper() for a in allowed}:
        raise ApprovalRefused(Refusal.UNKNOWN_KEY, fingerprint)
    content = "\n".join(
        line[2:] if line.startswith("- ") else line for line in match.group("body").split("\n")
    )
    return VerifiedDocument(
        content,
        "gpg",
        fingerprint,
        key_identities(fingerprint, gpg),
        hashlib.sha256(match.group("sig").encode()).hexdigest(),
    )


def _verify_stub(text: str) -> VerifiedDocument:
    match = _STUB.match(text)
    if match is None:
        raise ApprovalRefused(Refusal.TEXT_OUTSIDE_SIGNATURE)
    body, principal = match.group("body"), match.group("principal").strip()
    if stub_digest(body, principal) != match.group("digest"):
        raise ApprovalRefused(Refusal.BAD_SIGNATURE)
    digest = hashlib.sha256(match.group("digest").encode()).hexdigest()
    return VerifiedDocument(body + "\n", "stub", principal, uid_parts(principal), digest)


SERVICE_PRINCIPALS = ("executor", "verifier")
SERVICE_KEYS_FILE = "service-keys.yaml"


def service_key(principal: str, gpg=None) -> str:
    """The fingerprint of ``principal``'s signing key, made once per keyring
    (a lock keeps two processes from making two)."""
    if principal not in SERVICE_PRINCIPALS:
        raise ValueError(f"no service key for {principal!r}")
    gpg = gpg or open_gpg()
    home = gpg.gnupghome
    with open(f"{home}/.service-keys.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        keys = registered_service_keys(home)
        if principal not in keys:
            keys[principal] = make_key(
                gpg, f"cutter {principal}", f"{principal}@service.cutter", encrypt=False
            )
            with open(f"{home}/{SERVICE_KEYS_FILE}", "w", encoding="utf-8") as f:
                yaml.safe_dump(keys, f, sort_keys=True)
        return keys[principal]


def registered_service_keys(home: str) -> dict[str, str]:
    """{principal: fingerprint} of the service keys made in the keyring at ``home``."""
    try:
        with open(f"{home}/{SERVICE_KEYS_FILE}", encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    except FileNotFoundError:
        return {}


def _service_statement(payload_sha: str, principal: str) -> str:
    return f"cutter {principal} signs payload_sha {payload_sha}"


def service_signature(payload_sha: str, principal: str, gpg=None) -> tuple[str, str, str]:
    """(provider, signature, sha256 of the signature) binding a ledger record's
    payload to the service that wrote it."""
    gpg = gpg or open_gpg()
    signature = gpg_sign(
        _service_statement(payload_sha, principal), service_key(principal, gpg), gpg
    )
    return "gpg", signature, hashlib.sha256(signature.encode()).hexdigest()


def service_signature_problem(
    signature: str, payload_sha: str, principal: str, gpg=None
) -> str | None:
    """None when ``signature`` is ``principal``'s service key signing exactly
    this payload sha; otherwise why not. Checking never makes a key."""
    gpg = gpg or open_gpg()
    fingerprint = registered_service_keys(gpg.gnupghome).get(principal)
    if fingerprint is None:
        return f"{principal} signature refused: this keyring has no {principal} key"
    try:
        verified = verify_document(signature, allowed=(fingerprint,), gpg=gpg, stub_allowed=False)
    except ApprovalRefused as refused:
        return f"{principal} signature refused: {refused.reason.value}"
    if verified.content.rstrip("\n") != _service_statement(payload_sha, principal):
        return f"{principal} signature covers another payload"
    return None
