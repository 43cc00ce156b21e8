"""The eleven phases and two sovereign requests: names, numbers, KB file stems
and the ledger states they lead to. One table; everything else looks here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    key: str  # the asset (or check) name
    number: int | None  # 1..11 for phases, None for sovereign requests
    title: str
    kb_stem: str  # KB file name before "-<YYYYMMDD>.md"
    stage: str  # survey | write | enact


PHASES: tuple[Phase, ...] = (
    Phase("source_pin", 1, "Source pin", "01-source-pin", "survey"),
    Phase("mark", 2, "Mark", "02-mark", "survey"),
    Phase("cutplan", 3, "Cut plan", "03-cutplan", "survey"),
    Phase("backup", 4, "Pre-write backup", "04-pre-write-backup", "survey"),
    Phase("grant_probe", 5, "Grant probe", "05-grant-probe", "survey"),
    Phase(
        "cut_authorization_request",
        None,
        "SG_1 cut authorization request",
        "SG1-cut-authz-request",
        "survey",
    ),
    Phase("change_set", 6, "Cut leg A", "06-cut-leg-a", "write"),
    Phase("structural_verify", 7, "Structural verify", "07-structural-verify", "write"),
    Phase("manifest_envelope", 8, "Leg B record", "08-leg-b-record", "write"),
    Phase("verify_result", 9, "Write verify", "09-write-verify", "write"),
    Phase(
        "lifecycle_authorization_request",
        None,
        "SG_2 lifecycle authorization request",
        "SG2-lifecycle-authz-request",
        "write",
    ),
    Phase("lifecycle_enactment", 10, "Lifecycle enact", "10-lifecycle-enact", "enact"),
    Phase("closeout", 11, "Final orchestrator report", "11-final-orchestrator-report", "enact"),
)
BY_KEY = {phase.key: phase for phase in PHASES}
SURVEY = tuple(p.key for p in PHASES if p.stage == "survey")

GATE_SG1 = "SG_1_cut_authz"
GATE_SG2 = "SG_2_lifecycle_authz"


class RunState:
    SURVEYING = "SURVEYING"
    AWAITING_CUT_AUTHORIZATION = "AWAITING_CUT_AUTHORIZATION"
    WRITING = "WRITING"
    AWAITING_LIFECYCLE_AUTHORIZATION = "AWAITING_LIFECYCLE_AUTHORIZATION"
    ENACTING = "ENACTING"
    COMPLETED = "COMPLETED"
    STOPPED = "STOPPED"
    VOIDED = "VOIDED"


def phase(key: str) -> Phase:
    return BY_KEY[key]


def kb_file_name(key: str, day: str) -> str:
    """The phase's KB doc name, e.g. ``01-source-pin-20261121.md``."""
    return f"{BY_KEY[key].kb_stem}-{day}.md"
