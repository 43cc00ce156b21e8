"""Sovereign approval documents (DESIGN §4): the format, drafting, parsing
and the validation rules, as pure functions.

An approval is markdown with a YAML header::

    ---
    gate: SG_1_cut_authz
    run_id: <run id>
    payload_sha: <sha256 of the request payload>
    signed_utc: 2026-11-21T10:00:00Z
    allowance: explicit
    approver: sovereign@example
    ---
    free text

and is then signed (clearsigned with GnuPG, or with the test-only stub).
Only the signed content is ever parsed. Every refusal has its own reason.

The structure acknowledgment (SG_0) says in its text what it accepts: the
text's sha256 on a line ``text_sha256: <hex>`` and each anomaly on a line
``accept: <kind> line <n> sha256 <the line's hex> ...`` (the rest of the line
says what it is, for the reader). Those lines must be exactly the anomalies
the request listed (``check_acknowledgment``), whatever the header says: what
the sovereign reads is what is accepted.
Each header field is one line of printable text, given once: a value never
carries a line break (it could smuggle a second header line past a reader)
and a repeated key is refused (YAML would silently keep the last one).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import yaml

from cutter_assets.core.legal.acceptance import Acknowledgment, AnomalyKey, acknowledgment_of
from cutter_assets.core.phases import GATE_SG0, GATE_SG1, GATES, TTL

# TTL: SG_1 24 h, SG_2 12 h, declared with the gates in the catalogue
CLOCK_SKEW = timedelta(minutes=2)
HEADER_FIELDS = ("gate", "run_id", "payload_sha", "signed_utc", "allowance", "approver")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_DOC_BYTES = 1024 * 1024  # an approval is a page of text; anything larger is refused unread
# Unicode categories that break or hide a line: controls (\n \r \v \f \x1c-\x1e
# \x85 among them), the line and paragraph separators U+2028 and U+2029.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})


class Refusal(enum.Enum):
    """Why an approval document is refused (recorded in approval_attempt)."""

    OUTSIDE_KB = "the path is a symlink or lies outside the KB"
    UNREADABLE = "the document cannot be read as UTF-8 text"
    UNSIGNED = "the document carries no signature"
    BAD_SIGNATURE = "the signature does not verify (forged or altered)"
    UNKNOWN_KEY = "the signing key is not on the sovereign allow-list"
    STUB_IN_LIVE = "a stub signature is not accepted for a live run"
    TEXT_OUTSIDE_SIGNATURE = "the document has text outside its signature"
    MALFORMED = "the header is malformed or incomplete"
    NOT_EXPLICIT = "the allowance is not explicit"
    WRONG_GATE = "the approval is for another gate"
    UNKNOWN_RUN = "no such cut run"
    WRONG_RUN = "the approval names another run"
    NOT_AWAITED = "the run is not awaiting this gate"
    WRONG_PAYLOAD = "payload_sha differs from the request"
    STALE = "the approval is older than the gate's TTL"
    FUTURE_DATED = "the approval is dated in the future"
    SELF_APPROVAL = "the signer started the run (separation of duties)"
    REPLAYED = "the approval or its signature was already used"
    WRONG_TEXT = "the structure acknowledgment is for another text"
    ANOMALIES_DIFFER = "the acknowledged anomalies are not exactly the ones the request lists"


class ApprovalRefused(Exception):
    def __init__(self, reason: Refusal, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.name}: {reason.value}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class ApprovalHeader:
    gate: str
    run_id: str
    payload_sha: str
    signed_utc: datetime
    allowance: str
    approver: str


def draft(
    *,
    gate: str,
    run_id: str,
    payload_sha: str,
    approver: str,
    signed_utc: datetime,
    doc_code: str,
    payload: dict | None = None,
) -> str:
    """The document the sovereign signs; MALFORMED rather than a document
    whose header would read back differently (one line per field). An SG_0
    acknowledgment lists the request ``payload``'s text and anomalies."""
    header = {
        "gate": gate,
        "run_id": run_id,
        "payload_sha": payload_sha,
        "signed_utc": signed_utc.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "allowance": "explicit",
        "approver": approver,
    }
    for name in HEADER_FIELDS:
        check_header_value(name, header[name])
    check_header_value("doc_code", doc_code)
    lines = ["---", *(f"{k}: {header[k]}" for k in HEADER_FIELDS), "---", ""]
    if gate == GATE_SG0:
        lines += _acknowledgment_lines(run_id, doc_code, payload_sha, payload)
    else:
        what = "cut (write draft units)" if gate == GATE_SG1 else "enact (draft -> enacted)"
        lines += [
            f"I authorize cut run {run_id} of {doc_code} to {what},",
            f"for exactly the payload {payload_sha}.",
            "",
        ]
    text = "\n".join(lines)
    if parse(text).approver != approver:
        raise ApprovalRefused(
            Refusal.MALFORMED, "the approver does not read back as written (YAML syntax in it)"
        )
    return text


_TEXT_LINE = re.compile(r"^text_sha256: ([0-9a-f]{64})$")
_ACCEPT_LINE = re.compile(
    r"^accept: ([a-z_]+) line ([1-9][0-9]{0,8}) sha256 ([0-9a-f]{64})(?: .*)?$"
)


def _acknowledgment_lines(run_id: str, doc_code: str, payload_sha: str, payload) -> list[str]:
    """The body of an SG_0 acknowledgment: the text and each anomaly it accepts."""
    if not payload or "anomalies" not in payload:
        raise ApprovalRefused(Refusal.MALFORMED, "an SG_0 acknowledgment needs its request")
    anomalies = payload["anomalies"]
    lines = [
        f"I acknowledge the structure of cut run {run_id} of {doc_code} as found: the text",
        f"has exactly these {len(anomalies)} anomalies, and I accept each one as found,",
        f"for exactly the payload {payload_sha}.",
        "",
        f"text_sha256: {payload['text_sha256']}",
    ]
    for a in anomalies:
        what = f"expected {a['expected'] or '-'}, found {a['found'] or '-'}: {a['accept_as_found']}"
        line = f"accept: {a['kind']} line {a['line']} sha256 {a['sha256']} ({what})"
        lines.append(" ".join(check_header_value("an anomaly", line).split()))
    return [*lines, ""]


def acknowledged(content: str) -> Acknowledgment:
    """What an SG_0 acknowledgment's signed content accepts (MALFORMED when it
    does not say it exactly: no text, two texts, an ``accept:`` line not read)."""
    body = content.replace("\r\n", "\n").split("\n---\n", 1)[-1]
    texts, keys = [], []
    for line in body.split("\n"):
        if line.startswith("text_sha256:"):
            found = _TEXT_LINE.match(line)
            if found is None:
                raise ApprovalRefused(Refusal.MALFORMED, "the text_sha256 line cannot be read")
            texts.append(found.group(1))
        elif line.startswith("accept:"):
            found = _ACCEPT_LINE.match(line)
            if found is None:
                raise ApprovalRefused(Refusal.MALFORMED, f"cannot read: {line[:60]}")
            keys.append(AnomalyKey(found.group(1), int(found.group(2)), found.group(3)))
    if len(texts) != 1:
        raise ApprovalRefused(Refusal.MALFORMED, "an SG_0 acknowledgment names its text once")
    return Acknowledgment(texts[0], tuple(keys))


def check_acknowledgment(content: str, payload: dict) -> None:
    """The acknowledgment accepts exactly what its request listed: the same text,
    every anomaly, nothing more (WRONG_TEXT or ANOMALIES_DIFFER, naming them)."""
    signed = acknowledged(content)
    requested = acknowledgment_of(payload["text_sha256"], payload["anomalies"])
    if signed.text_sha256 != requested.text_sha256:
        raise ApprovalRefused(Refusal.WRONG_TEXT, signed.text_sha256[:12])
    missing = [k.shown() for k in requested.anomalies if k not in signed.anomalies]
    extra = [k.shown() for k in signed.anomalies if k not in requested.anomalies]
    if len(set(signed.anomalies)) != len(signed.anomalies):
        extra.append("an anomaly listed twice")
    if missing or extra:
        detail = "; ".join(
            part
            for part in (
                f"not acknowledged: {', '.join(missing)}" if missing else "",
                f"not in the request: {', '.join(extra)}" if extra else "",
            )
            if part
        )
        raise ApprovalRefused(Refusal.ANOMALIES_DIFFER, detail)


def check_header_value(name: str, value: str) -> str:
    """``value`` if it is one line of text without control characters;
    MALFORMED otherwise (a line break would make a second header line)."""
    if not isinstance(value, str):
        raise ApprovalRefused(Refusal.MALFORMED, f"{name} is not a plain text value")
    if any(unicodedata.category(ch) in _BREAKING for ch in value):
        raise ApprovalRefused(
            Refusal.MALFORMED, f"{name} contains a line break or a control character"
        )
    return value


class _UniqueKeyLoader(yaml.BaseLoader):
    """YAML with every scalar a string (a digest must never turn into a number
    or a date) and a repeated key refused instead of silently overwritten."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise ApprovalRefused(Refusal.MALFORMED, "a header key is not plain text")
            if key in seen:
                raise ApprovalRefused(Refusal.MALFORMED, f"{key[:40]} is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse(signed_content: str) -> ApprovalHeader:
    """The header of the signed content, or MALFORMED / NOT_EXPLICIT."""
    text = signed_content.replace("\r\n", "\n")
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if match is None:
        raise ApprovalRefused(Refusal.MALFORMED, "no YAML header between --- lines")
    if any(ch != "\n" and unicodedata.category(ch) in _BREAKING for ch in match.group(1)):
        # YAML breaks lines at \r, U+0085, U+2028 and U+2029 too: only \n may end a line
        raise ApprovalRefused(
            Refusal.MALFORMED, "the header contains a line break other than \\n or a control"
        )
    try:
        data = yaml.load(match.group(1), Loader=_UniqueKeyLoader)
    except yaml.YAMLError:
        raise ApprovalRefused(Refusal.MALFORMED, "the header is not YAML") from None
    if not isinstance(data, dict) or any(f not in data for f in HEADER_FIELDS):
        missing = [f for f in HEADER_FIELDS if not isinstance(data, dict) or f not in data]
        raise ApprovalRefused(Refusal.MALFORMED, f"missing {', '.join(missing)}")
    extra = sorted(set(data) - set(HEADER_FIELDS))
    if extra:
        raise ApprovalRefused(Refusal.MALFORMED, f"unknown fields {', '.join(extra)}")
    for name in HEADER_FIELDS:
        check_header_value(name, data[name])
    signed = data["signed_utc"]
    if isinstance(signed, str):
        try:
            signed = datetime.strptime(signed, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise ApprovalRefused(
                Refusal.MALFORMED, "signed_utc is not YYYY-MM-DDTHH:MM:SSZ"
            ) from None
    if not isinstance(signed, datetime):
        raise ApprovalRefused(Refusal.MALFORMED, "signed_utc is not a UTC timestamp")
    signed = signed.replace(tzinfo=UTC) if signed.tzinfo is None else signed.astimezone(UTC)
    header = ApprovalHeader(
        str(data["gate"]),
        str(data["run_id"]),
        str(data["payload_sha"]),
        signed,
        str(data["allowance"]),
        str(data["approver"]),
    )
    if header.gate not in TTL:
        raise ApprovalRefused(Refusal.MALFORMED, f"gate is not one of {', '.join(TTL)}")
    if not _SHA.match(header.payload_sha) or not _RUN_ID.match(header.run_id):
        raise ApprovalRefused(Refusal.MALFORMED, "run_id or payload_sha has the wrong form")
    if header.allowance != "explicit":
        raise ApprovalRefused(Refusal.NOT_EXPLICIT)
    return header


def check(
    header: ApprovalHeader, *, gate: str, run_id: str, payload_sha: str, now: datetime
) -> None:
    """The approval fits this gate of this run's request, now."""
    if header.gate != gate:
        raise ApprovalRefused(Refusal.WRONG_GATE, f"{header.gate}, expected {gate}")
    if header.run_id != run_id:
        raise ApprovalRefused(Refusal.WRONG_RUN)
    if header.payload_sha != payload_sha:
        raise ApprovalRefused(
            Refusal.WRONG_PAYLOAD, f"{header.payload_sha[:12]} vs {payload_sha[:12]}"
        )
    if header.signed_utc > now + CLOCK_SKEW:
        raise ApprovalRefused(Refusal.FUTURE_DATED, header.signed_utc.isoformat())
    if now - header.signed_utc > TTL[gate]:
        raise ApprovalRefused(
            Refusal.STALE,
            f"signed {header.signed_utc:%Y-%m-%dT%H:%MZ}, TTL "
            f"{int(TTL[gate].total_seconds() // 3600)} h",
        )


def uid_parts(uid: str) -> tuple[str, ...]:
    """An OpenPGP user id ``Name (Comment) <e-mail>`` and each of its parts:
    the whole uid, the name, every comment and every e-mail (empty ones left out)."""
    emails = re.findall(r"<([^<>]*)>", uid)
    comments = re.findall(r"\(([^()]*)\)", uid)
    name = " ".join(re.sub(r"<[^<>]*>|\([^()]*\)", " ", uid).split())
    return tuple(p.strip() for p in (uid, name, *comments, *emails) if p.strip())


def identity_key(value: str) -> str:
    """How two identities are compared: Unicode-normalized (NFKC), case-folded,
    with every whitespace removed and a ``0x`` before a hex key id dropped, so
    ``" ALICE@example.org "`` and ``alice@example.org`` are one identity."""
    key = "".join(unicodedata.normalize("NFKC", value).casefold().split())
    return key[2:] if re.fullmatch(r"0x[0-9a-f]+", key) else key


def is_self_approval(actor: str, approver: str, identities: Iterable[str]) -> bool:
    """True when the actor who started the run is the approver named in the
    header or any identity of the signing key (every uid whole and its name,
    comment and e-mail; key ids, fingerprints, subkeys'): separation of
    duties (DESIGN §4), compared with ``identity_key``. The actor's and the
    approver's own name and e-mail count too, when written as a user id."""
    actor_forms = {identity_key(a) for a in _person_forms(actor)} - {""}
    signer_forms = {identity_key(i) for i in identities}
    signer_forms |= {identity_key(a) for a in _person_forms(approver)}
    return bool(actor_forms & signer_forms)


def _person_forms(person: str) -> tuple[str, ...]:
    """A person as written and, for ``Name (Comment) <e-mail>``, the name and
    e-mail (a comment alone, like ``ops``, names a role, not a person)."""
    emails = re.findall(r"<([^<>]*)>", person)
    name = re.sub(r"<[^<>]*>|\([^()]*\)", " ", person) if emails else ""
    return tuple(p for p in (person, name, *emails) if p.strip())


def gate_of_file_name(name: str) -> str | None:
    return next((g.name for g in GATES if name.startswith(f"{g.file_stem}-")), None)
