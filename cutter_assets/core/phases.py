"""The catalogue: every phase, check, gate, state and job of a cut run,
declared once. The asset graph, the prerequisites each phase checks, the job
selections, the state -> next-job map used by resume, the sensor and inspect,
and the transition table PostgreSQL enforces (sql/deploy/014, tested against
this module) all derive from here.

Adding a phase is one row in PHASES plus its story (a function from
``PhaseContext`` to ``PhaseOutcome``) registered with ``assets.factory``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


class RunState:
    SURVEYING = "SURVEYING"
    AWAITING_CUT_AUTHORIZATION = "AWAITING_CUT_AUTHORIZATION"
    WRITING = "WRITING"
    AWAITING_LIFECYCLE_AUTHORIZATION = "AWAITING_LIFECYCLE_AUTHORIZATION"
    ENACTING = "ENACTING"
    COMPLETED = "COMPLETED"
    STOPPED = "STOPPED"
    VOIDED = "VOIDED"


class Mode:
    DRYRUN = "dryrun"  # a rehearsal: the same code, nothing committed
    LIVE = "live"
    ALL = (DRYRUN, LIVE)


class Role:
    EXEC = "cutter_exec"
    ENACT = "cutter_enact"
    VERIFY = "cutter_verify"
    PROBE = "cutter_probe"
    GATEKEEPER = "cutter_gatekeeper"
    LANES = (EXEC, ENACT, VERIFY, PROBE, GATEKEEPER)


# The role whose session records a phase in the ledger: the verifier works in
# its own session and role, and its phase is recorded by the executor's.
LEDGER_ROLE = {Role.EXEC: Role.EXEC, Role.ENACT: Role.ENACT, Role.VERIFY: Role.EXEC}


@dataclass(frozen=True)
class Check:
    """An asset check. ``blocking`` checks are internal gates that can fail;
    the others are evidence of what the phase found (its story stops before
    such an invariant could be false, so they are not gates)."""

    name: str
    description: str
    blocking: bool = True


@dataclass(frozen=True)
class Phase:
    key: str  # the asset (or, for structural_verify, the check) name
    number: int | None  # 1..11 for phases, None for sovereign requests
    title: str
    kb_stem: str  # KB file name before "-<YYYYMMDD>.md"
    stage: str  # survey | write | enact: the asset group and the job
    state: str  # the run state the phase is recorded in
    role: str = Role.EXEC  # the role the phase works as
    checks: tuple[Check, ...] = field(default_factory=tuple)
    asset: bool = True  # False: recorded within the phase before it
    description: str = ""  # the asset's, as the UI shows it

    @property
    def ledger_role(self) -> str:
        return LEDGER_ROLE[self.role]


@dataclass(frozen=True)
class Gate:
    name: str
    short: str  # SG_1 | SG_2, as people say it
    request_phase: str  # the phase that asks for it
    awaited_state: str
    file_stem: str  # the approval doc's name before "-<YYYYMMDD>.md"
    ttl: timedelta
    next_job: str  # the job that continues a run once it is approved


GATE_SG1 = "SG_1_cut_authz"
GATE_SG2 = "SG_2_lifecycle_authz"

S, W, E = RunState.SURVEYING, RunState.WRITING, RunState.ENACTING
PHASES: tuple[Phase, ...] = (
    Phase(
        "source_pin", 1, "Source pin", "01-source-pin", "survey", S,
        checks=(
            Check("fingerprints_equal_pins", "Every governed function's definition equals its "
                  "pin in sql/lifecycle/fingerprints.yaml."),
            Check("no_units_under_prefix", "A fresh run finds no live unit under the "
                  "document's address prefix."),
            Check("text_hashes_to_its_digest", "The stored source text hashes to the "
                  "version's text_sha256."),
            Check("guard_triggers_enabled", "Every guard trigger on the governed tables is "
                  "enabled."),
        ),
        description="Pin the document, its latest version, the governed functions and the vocab.",
    ),
    Phase(
        "mark", 2, "Mark", "02-mark", "survey", S,
        checks=(
            Check("unit_count_within_cap", "0 < units <= the document's cap."),
            Check("region_sha_unchanged", "The marked region equals source_pin's region_sha."),
        ),
        description="Cut the pinned version into candidate units (the DataFrame is previewed).",
    ),
    Phase(
        "cutplan", 3, "Cut plan", "03-cutplan", "survey", S,
        checks=(
            Check("writer_digest_is_deterministic", "The plan built from the reversed unit "
                  "list has the same writer digest."),
            Check("plan_vocabulary_is_known", "Every unit_kind and section_type is in the "
                  "live vocabulary."),
            Check("idempotency_keys_are_unique", "No two plan rows share an idempotency key."),
        ),
        description="Build the write rowset twice (forward, reversed), persist it in PostgreSQL.",
    ),
    Phase(
        "backup", 4, "Pre-write backup", "04-pre-write-backup", "survey", S,
        checks=(
            Check("backup_is_verifiable", "The encrypted backup re-reads with its sha256, "
                  "envelope and recipient."),
        ),
        description="Encrypt the rows this cut could touch to the configured recipient.",
    ),
    Phase(
        "grant_probe", 5, "Grant probe", "05-grant-probe", "survey", S,
        checks=(
            Check("privilege_matrix_is_expected", "The privilege matrix equals "
                  "sql/lifecycle/privileges.yaml."),
        ),
        description="Read the privilege matrix through the probe and compare it with the pin.",
    ),
    Phase(
        "cut_authorization_request", None, "SG_1 cut authorization request",
        "SG1-cut-authz-request", "survey", S,
        description="Ask the sovereign for SG_1 with a payload that pins every survey result.",
    ),
    Phase(
        "change_set", 6, "Cut leg A", "06-cut-leg-a", "write", W,
        checks=(
            Check("structural_verify", "Evidence of phase 7: the written units, re-read in "
                  "the writing transaction (all draft, section types, no foreign rows, "
                  "anchored, body hashes, count); leg A rolls back before any is false.",
                  blocking=False),
        ),
        description="Leg A: write the approved rowset as draft units, all or nothing (G-CUT-ONCE).",
    ),
    Phase(
        "structural_verify", 7, "Structural verify", "07-structural-verify", "write", W,
        asset=False,
    ),
    Phase(
        "manifest_envelope", 8, "Leg B record", "08-leg-b-record", "write", W,
        checks=(
            Check("envelope_recorded_once", "Evidence of G-LEG-B-ONCE: one envelope for the "
                  "change set (a second is refused by its UNIQUE key).", blocking=False),
        ),
        description="Leg B: the executor's signed envelope over the change set (G-LEG-B-ONCE).",
    ),
    Phase(
        "verify_result", 9, "Write verify", "09-write-verify", "write", W, Role.VERIFY,
        checks=(
            Check("verified_once", "Evidence of G-VERIFY-ONCE: one verdict, written as "
                  "cutter_verify.", blocking=False),
        ),
        description="The verifier re-reads and signs in its own session and role (G-VERIFY-ONCE).",
    ),
    Phase(
        "lifecycle_authorization_request", None, "SG_2 lifecycle authorization request",
        "SG2-lifecycle-authz-request", "write", W,
        description="Ask the sovereign for SG_2 (draft -> enacted) over the verified change set.",
    ),
    Phase(
        "lifecycle_enactment", 10, "Lifecycle enact", "10-lifecycle-enact", "enact", E,
        Role.ENACT,
        checks=(
            Check("all_units_enacted_and_logged", "Evidence: every unit enacted and logged, "
                  "immutability triggers enabled (enactment rolls back otherwise).",
                  blocking=False),
        ),
        description="Enact every draft of the change set under SG_2, in one transaction.",
    ),
    Phase(
        "closeout", 11, "Final orchestrator report", "11-final-orchestrator-report", "enact", E,
        checks=(
            Check("every_prior_phase_passed", "Evidence: the ledger holds every earlier phase "
                  "as passed (the database records no phase before them).", blocking=False),
        ),
        description="The final report and the runs-index line; the run is COMPLETED.",
    ),
)  # fmt: skip
BY_KEY = {phase.key: phase for phase in PHASES}
SURVEY = tuple(p.key for p in PHASES if p.stage == "survey")
STAGES = ("survey", "write", "enact")

GATES: tuple[Gate, ...] = (
    Gate(GATE_SG1, "SG_1", "cut_authorization_request", RunState.AWAITING_CUT_AUTHORIZATION,
         "SG1-cut-authz-approval", timedelta(hours=24), "write"),
    Gate(GATE_SG2, "SG_2", "lifecycle_authorization_request",
         RunState.AWAITING_LIFECYCLE_AUTHORIZATION, "SG2-lifecycle-authz-approval",
         timedelta(hours=12), "enact"),
)  # fmt: skip
GATE = {gate.name: gate for gate in GATES}
GATE_BY_SHORT = {gate.short: gate for gate in GATES}
AWAITED = {gate.name: gate.awaited_state for gate in GATES}
REQUEST_PHASE = {gate.name: gate.request_phase for gate in GATES}
JOB_AFTER_GATE = {gate.name: gate.next_job for gate in GATES}
TTL = {gate.name: gate.ttl for gate in GATES}


def phase(key: str) -> Phase:
    return BY_KEY[key]


def kb_file_name(key: str, day: str) -> str:
    """The phase's KB doc name, e.g. ``01-source-pin-20261121.md``."""
    return f"{BY_KEY[key].kb_stem}-{day}.md"


def earlier(key: str) -> tuple[str, ...]:
    """Every phase before ``key``: each must have passed before it runs."""
    keys = [p.key for p in PHASES]
    return tuple(keys[: keys.index(key)])


def runs_in(key: str) -> str:
    """The run state a phase starts from: its own, or for the first phase past
    a gate, the state that awaits the gate (the phase passes it)."""
    index = [p.key for p in PHASES].index(key)
    previous = PHASES[index - 1] if index else None
    gate = next((g for g in GATES if previous and g.request_phase == previous.key), None)
    return gate.awaited_state if gate else BY_KEY[key].state


def stage_phases(stage: str) -> tuple[str, ...]:
    """The assets of a stage, in order."""
    return tuple(p.key for p in PHASES if p.stage == stage and p.asset)


# ---- the rules the database enforces, as the catalogue implies them ----------------
PhaseRule = tuple[int, str, str, str]  # (seq, phase, state recorded in, recording role)
GateRule = tuple[str, str, str, str, int]  # (gate, awaited, request phase, next state, ttl s)


def phase_rules() -> list[PhaseRule]:
    """``cutter_governance.phase_rule``: every phase in order, the state it is
    recorded in and the role whose ledger session records it."""
    return [(seq, p.key, p.state, p.ledger_role) for seq, p in enumerate(PHASES, start=1)]


def gate_rules() -> list[GateRule]:
    """``cutter_governance.gate_rule``, by gate name: the state a gate is passed
    into is the state of the first phase after its request."""
    keys = [p.key for p in PHASES]
    return [
        (
            g.name,
            g.awaited_state,
            g.request_phase,
            PHASES[keys.index(g.request_phase) + 1].state,
            int(g.ttl.total_seconds()),
        )
        for g in sorted(GATES, key=lambda g: g.name)
    ]


def forward_moves() -> set[tuple[str, str, str]]:
    """(from, to, role) of every forward move of a run: a stage's state is left
    by the role recording its last phase, into the gate it requests (or
    COMPLETED); a gate's awaited state is left by the role of the first phase
    past it, into that phase's state."""
    moves = set()
    for index, current in enumerate(PHASES):
        after = PHASES[index + 1] if index + 1 < len(PHASES) else None
        if after is not None and after.state == current.state:
            continue
        gate = next((g for g in GATES if g.request_phase == current.key), None)
        to = gate.awaited_state if gate else (after.state if after else RunState.COMPLETED)
        moves.add((current.state, to, current.ledger_role))
        if gate is not None:
            moves.add((gate.awaited_state, after.state, after.ledger_role))
    return moves
