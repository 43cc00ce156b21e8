"""The survey stage (phases 1-5, the structure review and the SG_1 request):
nothing here touches an information unit. Each asset re-reads live state,
compares it with the pins before it, and states its internal gate as blocking
checks.

The text is cut as found until the structure review has run (source_pin pins
what the text is; structure_review puts its anomalies, if any, to the
sovereign as SG_0), then exactly as it was reviewed: mark passes SG_0 first
when the run awaits it, and from there on every cut accepts exactly the
anomalies the acknowledged request listed (``acceptance.py``), none otherwise."""

from collections import Counter

from dagster import MetadataValue

from cutter_assets.assets.factory import phase_asset
from cutter_assets.assets.write import approval_metadata, pass_gate
from cutter_assets.core.cutplan import duplicate_keys, plan_rows, two_pass_digests, vocab_violations
from cutter_assets.core.grants import matrix_delta, matrix_sha
from cutter_assets.core.legal import (
    Acknowledgment,
    extract_as_found,
    extract_units,
    manifest_digest,
    region_sha,
    units_frame,
)
from cutter_assets.core.legal.acceptance import (
    accepted_records,
    acknowledgment_of,
    anomaly_record,
)
from cutter_assets.core.phases import GATE_SG0, GATE_SG1, Mode, RunState
from cutter_assets.core.pins import sha256_of, sha256_text
from cutter_assets.core.reports import Artifact, Invariant, markdown_table, safe
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger, survey
from cutter_assets.db.drift import (
    disabled_triggers,
    guard_triggers,
    text_digest_holds,
    triggers_sha,
)
from cutter_assets.db.pins import expected_privileges, pinned_fingerprints
from cutter_assets.db.schema import fingerprint_differences, live_fingerprints
from cutter_assets.graph.partitions import MODE_TAG
from cutter_assets.resources.kb import KnowledgeBase
from cutter_assets.runs.phase import (
    Phase,
    PhaseContext,
    PhaseOutcome,
    StepInfo,
    request_outcome,
)
from cutter_assets.runs.start import start_cut_run

# The extractor sees every unit (intake bounds a text to a few MB); the
# per-document cap is mark's blocking check, so an overflow is a gate failure.
EXTRACT_CEILING = 10_000_000


def _extract(ctx: PhaseContext):
    """Re-read the run's source version and cut it: as found before the
    structure review, as reviewed after it (the module's docstring)."""
    version = survey.version_by_id(ctx.conn, ctx.run.source_version_id)
    document = survey.find_document(ctx.conn, ctx.doc_code)
    how = {"doc_code": ctx.doc_code, "language": document.language, "max_units": EXTRACT_CEILING}
    review = ctx.earlier.get("structure_review")
    if review is None:
        return version, extract_as_found(version.full_text, **how)
    return version, extract_units(version.full_text, accept=reviewed(review.pins), **how)


def reviewed(pins: dict) -> Acknowledgment | None:
    """What a cut after the structure review accepts as found: exactly the
    anomalies its SG_0 request listed (the gate passed under an acknowledgment
    of exactly that payload), or nothing when it asked for no review."""
    payload = pins.get("payload")
    if payload is None:
        return None
    return acknowledgment_of(payload["text_sha256"], payload["anomalies"])


# ---- 1. source_pin ---------------------------------------------------------
def _open_from_ui(conn, kb: KnowledgeBase, step: StepInfo) -> str:
    """A source_pin launched without a cut run (from the UI) opens one in the
    mode the launch chose. A rehearsal is all eleven phases in one Dagster run
    (nothing of it is kept), so a dryrun launch that holds fewer is refused."""
    mode = step.mode or step.tags.get(MODE_TAG)
    if mode not in Mode.ALL:
        raise CutterStop(
            StopCode.STOP_STATE,
            "choose the mode before launch: run config source_pin.config.mode dryrun or live",
        )
    if mode == Mode.DRYRUN and not step.every_phase:
        raise CutterStop(
            StopCode.STOP_STATE,
            "a rehearsal (dryrun) runs all eleven phases in one Dagster run: launch the "
            "rehearsal job, or materialize every phase; a live cut is the survey job",
        )
    return start_cut_run(conn, kb, step.partition_key, mode=mode, actor="dagster-ui").run_id


def _source_pin_story(ctx: PhaseContext) -> PhaseOutcome:
    document = survey.find_document(ctx.conn, ctx.doc_code)
    latest = survey.latest_version(ctx.conn, document.id)
    if latest.id != ctx.run.source_version_id:
        raise CutterStop(
            StopCode.STOP_DRIFT,
            f"{ctx.doc_code} has a newer version "
            f"(v{latest.version_no}) than the one this run was opened for",
        )
    with ctx.conn.cursor() as cur:
        fingerprints = live_fingerprints(cur)
    triggers = guard_triggers(ctx.conn)
    existing = survey.units_under_prefix(ctx.conn, ctx.doc_code)
    live_units = sum(n for status, n in existing.items() if status != "voided")
    _, extraction = _extract(ctx)
    pins = {
        **_version_pins(document, latest, extraction),
        "fingerprints_sha": sha256_of(fingerprints),
        "vocab_sha": sha256_of(survey.vocab(ctx.conn)),
        "triggers_sha": triggers_sha(triggers),
    }
    return PhaseOutcome(
        pins=pins,
        checks=_source_pin_checks(ctx, fingerprints, live_units, latest, triggers),
        stop_code=StopCode.STOP_DRIFT,
        idempotency_key=sha256_text(f"{ctx.doc_code}|{latest.id}"),
        inputs={"document": ctx.doc_code, **_who(ctx.run)},
        work=[
            f"found {ctx.doc_code} ({document.language}), latest version "
            f"v{latest.version_no} ({latest.byte_size} bytes)",
            f"compared {len(fingerprints)} governed function definitions with their pins",
            f"counted units already under {ctx.doc_code}/: {existing or 'none'}",
            "pinned region_sha and manifest_digest of the version",
        ],
        snapshot_diff=[("units under prefix", live_units, live_units)],
        metadata={"units_under_prefix": live_units},
    )


def _version_pins(document, latest, extraction) -> dict:
    """The document, its version and what its text is, as source_pin pins them."""
    return {
        "source_document_id": document.id,
        "source_version_id": latest.id,
        "version_no": latest.version_no,
        "text_sha256": latest.text_sha256,
        "language": document.language,
        "max_units": document.max_units,
        "region_sha": region_sha(extraction),
        "manifest_digest": manifest_digest(extraction, latest.text_sha256),
    }


def _who(run) -> dict[str, str]:
    return {"mode": run.mode, "actor": run.actor, "scope": run.scope}


def _source_pin_checks(ctx, fingerprints, live_units, latest, triggers) -> dict:
    """source_pin's four checks: functions, units already there, text digest, triggers."""
    problems = fingerprint_differences(fingerprints, pinned_fingerprints())
    return {
        "fingerprints_equal_pins": [
            Invariant(
                "governed functions equal sql/lifecycle/fingerprints.yaml",
                "no differences",
                "; ".join(problems) or "no differences",
            )
        ],
        "no_units_under_prefix": [
            Invariant(f"live units under {ctx.doc_code}/ on a fresh run", 0, live_units)
        ],
        "text_hashes_to_its_digest": [
            Invariant(
                "sha256 of the stored text equals text_sha256",
                True,
                text_digest_holds(latest.full_text, latest.text_sha256),
            )
        ],
        "guard_triggers_enabled": [
            Invariant(
                "disabled guard triggers", "none", ", ".join(disabled_triggers(triggers)) or "none"
            )
        ],
    }


SOURCE_PIN = Phase(
    "source_pin",
    _source_pin_story,
    open_run=_open_from_ui,
)


# ---- SG_0 request: the structure review -------------------------------------------
def _structure_review_story(ctx: PhaseContext) -> PhaseOutcome:
    _, extraction = _extract(ctx)
    if extraction.anomalies:
        payload = sg0_payload(ctx, extraction)
        outcome = request_outcome(ctx, GATE_SG0, payload, details=review_table(payload))
        outcome.metadata["anomalies"] = len(extraction.anomalies)
        return outcome
    pin = ctx.pins_of("source_pin")
    return PhaseOutcome(
        pins={"anomalies": []},
        checks={},
        idempotency_key=sha256_text(f"{ctx.earlier['source_pin'].idempotency_key}|structure"),
        inputs={"source_version_id": pin["source_version_id"], "text_sha256": pin["text_sha256"]},
        work=[
            f"cut v{pin['version_no']} as found: no structural anomaly",
            "no structure review is needed: the survey goes on (SG_0 is not asked)",
        ],
        metadata={"anomalies": 0},
    )


def sg0_payload(ctx: PhaseContext, extraction) -> dict:
    """What SG_0 acknowledges: this text (its sha256) has exactly these
    anomalies, each pinned to its line's sha256, and is to be cut as found."""
    pin = ctx.pins_of("source_pin")
    return {
        "gate": GATE_SG0,
        "run_id": ctx.run.run_id,
        "doc_code": ctx.doc_code,
        "mode": ctx.run.mode,
        "source_version_id": pin["source_version_id"],
        "text_sha256": pin["text_sha256"],
        "anomaly_count": len(extraction.anomalies),
        "anomalies": [anomaly_record(anomaly) for anomaly in extraction.anomalies],
    }


def review_table(payload: dict) -> list[str]:
    """The anomalies of an SG_0 request, one table row each, as its doc shows them."""
    header = "| line | kind | expected | found | line sha256 | the line | accepted as found |"
    rows = [
        f"| {a['line']} | {a['kind']} | {safe(a['expected'], 40)} | {safe(a['found'], 40)} "
        f"| {a['sha256']} | {safe(a['text'], 80)} | {safe(a['accept_as_found'], 100)} |"
        for a in payload["anomalies"]
    ]
    return ["## The anomalies, as found", "", header, "|---|---|---|---|---|---|---|", *rows]


STRUCTURE_REVIEW = Phase("structure_review", _structure_review_story)
NO_REVIEW = "none (no structure review)"


# ---- 2. mark -----------------------------------------------------------------
def _mark_story(ctx: PhaseContext) -> PhaseOutcome:
    decision = pass_gate(ctx, GATE_SG0) if ctx.run.state != RunState.SURVEYING else None
    pinned = ctx.pins_of("source_pin")
    cap = pinned["max_units"]
    _, extraction = _extract(ctx)
    count, region = len(extraction.units), region_sha(extraction)
    warnings = [f"line {w.line}: {w.kind}: {w.message}" for w in extraction.warnings]
    by_kind = Counter(w.kind for w in extraction.warnings)
    accepted = _acceptance_pins(accepted_records(extraction), decision)
    return PhaseOutcome(
        pins={
            "region_sha": region,
            "unit_count": count,
            "counts": extraction.counts,
            "tolerances": dict(by_kind),
            **accepted,
        },
        checks={
            "unit_count_within_cap": [
                Invariant("0 < units <= cap", f"1..{cap}", count, holds=0 < count <= cap)
            ],
            "region_sha_unchanged": [
                Invariant("region_sha equals the source pin", pinned["region_sha"], region)
            ],
        },
        stop_code=StopCode.STOP_STRUCTURE if count > cap else StopCode.STOP_DRIFT,
        idempotency_key=sha256_text(f"{ctx.earlier['source_pin'].idempotency_key}|{region}"),
        inputs={"source_version_id": pinned["source_version_id"], "cap": cap},
        work=[
            f"extracted {count} units: "
            + ", ".join(f"{k} {n}" for k, n in extraction.counts.items() if n),
            f"{len(warnings)} tolerance(s) applied: "
            + (", ".join(f"{k} x{n}" for k, n in sorted(by_kind.items())) or "none"),
            *warnings[:12],
            *_accepted_lines(accepted),
        ],
        metadata={"unit_count": count, "preview": _preview(extraction)}
        | _accepted_metadata(ctx, accepted),
    )


def _acceptance_pins(accepted: list[dict], decision: str | None) -> dict:
    """The anomalies mark cut as found (with the units each affects), their sha256
    over their canonical JSON, and the SG_0 decision that acknowledged them."""
    return {
        "accepted_anomalies": accepted,
        "accepted_anomalies_sha": sha256_of(accepted),
        "sg0_decision": decision or NO_REVIEW,
    }


def _accepted_lines(marked: dict) -> list[str]:
    """A phase doc's lines for the anomalies mark accepted as found (none: none)."""
    accepted, decision = marked["accepted_anomalies"], marked["sg0_decision"]
    if not accepted:
        return []
    lines = [f"cut as found {len(accepted)} anomaly(ies) acknowledged by SG_0 decision {decision}"]
    lines += [
        f"accepted {a['kind']} at line {a['line']} (expected {a['expected'] or '-'}, "
        f"found {a['found'] or '-'}): {', '.join(a['units']) or 'no unit'}"
        for a in accepted[:25]
    ]
    return lines + ([f"... {len(accepted) - 25} more in the pins"] if len(accepted) > 25 else [])


def _accepted_metadata(ctx: PhaseContext, marked: dict) -> dict:
    """The anomalies mark accepted as found and the acknowledgment, as asset metadata."""
    if not marked["accepted_anomalies"]:
        return {}
    rows = [{**a, "units": ", ".join(a["units"])} for a in marked["accepted_anomalies"]]
    table = markdown_table(rows, ["line", "kind", "expected", "found", "units"])
    return {
        "accepted_anomalies": MetadataValue.md(table),
        **approval_metadata(ctx, marked["sg0_decision"]),
    }


def _preview(extraction) -> MetadataValue:
    """The first ten candidate rows of the mark frame, for the UI."""
    rows = units_frame(extraction).head(10).to_dict("records")
    columns = ["canonical_address", "unit_kind", "number", "title", "content_hash"]
    return MetadataValue.md(markdown_table(rows, columns))


MARK = Phase("mark", _mark_story)


# ---- 3. cutplan --------------------------------------------------------------
def _cutplan_story(ctx: PhaseContext) -> PhaseOutcome:
    marked = ctx.pins_of("mark")
    _, extraction = _extract(ctx)
    if region_sha(extraction) != marked["region_sha"]:
        raise CutterStop(StopCode.STOP_DRIFT, "the marked region changed since mark")
    rows = plan_rows(extraction.units, ctx.doc_code, marked["accepted_anomalies"])
    forward, backward = two_pass_digests(
        extraction.units, ctx.doc_code, marked["accepted_anomalies"]
    )
    unknown = vocab_violations(rows, survey.vocab(ctx.conn))
    duplicates = duplicate_keys(rows)
    passed = forward == backward and not unknown and duplicates == 0
    if passed:
        ledger.save_cutplan(ctx.ledger, ctx.run.run_id, rows)
    return PhaseOutcome(
        pins={"writer_digest": forward, "row_count": len(rows), **_accepted_sha(marked)},
        checks={
            "writer_digest_is_deterministic": [
                Invariant("writer_digest (reversed input)", forward, backward)
            ],
            "plan_vocabulary_is_known": [
                Invariant(
                    "unit_kind/section_type missing from vocab",
                    "none",
                    ", ".join(unknown) or "none",
                )
            ],
            "idempotency_keys_are_unique": [Invariant("duplicate keys", 0, duplicates)],
        },
        idempotency_key=forward,
        inputs={"region_sha": marked["region_sha"], "unit_count": marked["unit_count"]},
        work=_plan_work(len(rows), unknown, passed, marked),
        snapshot_diff=[("cutplan rows for this run", 0, len(rows) if passed else 0)],
        metadata={"row_count": len(rows), "writer_digest": forward, "preview": _plan_preview(rows)}
        | _accepted_metadata(ctx, marked),
    )


def _plan_work(count: int, unknown: list[str], passed: bool, marked: dict) -> list[str]:
    carrying = len({a for record in marked["accepted_anomalies"] for a in record["units"]})
    cut_as_found = (
        f", {carrying} with the anomalies they were cut as found with" if carrying else ""
    )
    return [
        f"built {count} plan rows with idempotency keys{cut_as_found}",
        "rebuilt the plan from the reversed unit list and compared digests",
        f"checked every kind against the live vocab ({'ok' if not unknown else unknown})",
        "persisted the rowset in cutter_governance.cutplan_row"
        if passed
        else "did not persist the rowset (gate failed)",
        *_accepted_lines(marked),
    ]


def _accepted_sha(marked: dict) -> dict:
    """The sha256 of the anomalies the plan's units were cut as found with."""
    return {"accepted_anomalies_sha": marked["accepted_anomalies_sha"]}


def _plan_preview(rows: list[dict]) -> MetadataValue:
    return MetadataValue.md(
        markdown_table(rows, ["sort_order", "canonical_address", "idempotency_key"])
    )


CUTPLAN = Phase("cutplan", _cutplan_story)


# ---- 4. backup ---------------------------------------------------------------
def _backup_story(ctx: PhaseContext) -> PhaseOutcome:
    vault = ctx.vault
    vault.require_recipient()  # before anything is written
    record = vault.create(ctx.conn, run_id=ctx.run.run_id, doc_code=ctx.doc_code)
    verified = vault.verify(ctx.run.run_id)
    return PhaseOutcome(
        pins={
            "backup_sha256": record.sha256,
            "backup_size": record.size,
            "backup_recipient": record.recipient,
            "scoped_rows": record.scoped_rows,
            "table_counts": record.table_counts,
        },
        checks={
            "backup_is_verifiable": [
                Invariant("backup sha256 re-read", record.sha256, verified.sha256),
                Invariant("recipient", vault.recipient_fingerprint(), verified.recipient),
                Invariant("tables in envelope", sorted(vault.tables), sorted(verified.tables)),
            ]
        },
        stop_code=StopCode.STOP_BACKUP,
        idempotency_key=sha256_text(f"{ctx.earlier['cutplan'].idempotency_key}|{record.sha256}"),
        inputs={"tables": ", ".join(vault.tables), "recipient": record.recipient},
        work=[
            f"read {sum(record.scoped_rows.values())} scoped rows under {ctx.doc_code}/",
            "encrypted them with GnuPG to the recipient; wrote file and manifest once",
            "re-read the file: sha256, envelope and packet recipients verified",
        ],
        snapshot_diff=[(f"rows in {t}", n, n) for t, n in record.table_counts.items()],
        artifacts=[Artifact(str(vault.directory() / record.file), record.sha256, record.size)],
    )


BACKUP = Phase("backup", _backup_story, needs_vault=True)


# ---- 5. grant_probe ----------------------------------------------------------
def _grant_probe_story(ctx: PhaseContext) -> PhaseOutcome:
    live = survey.privilege_matrix(ctx.conn)
    delta = matrix_delta(expected_privileges(), live)
    return PhaseOutcome(
        pins={"grant_matrix_sha": matrix_sha(live), "grant_lines": len(live)},
        checks={
            "privilege_matrix_is_expected": [
                Invariant(
                    line.split(": ", 1)[1],
                    "absent" if line.startswith("unexpected") else "granted",
                    "granted" if line.startswith("unexpected") else "absent",
                )
                for line in delta
            ]
            or [Invariant("privilege matrix delta", "none", "none")]
        },
        stop_code=StopCode.STOP_GRANT_DELTA,
        idempotency_key=sha256_text(f"{ctx.earlier['backup'].idempotency_key}|{matrix_sha(live)}"),
        inputs={"expected_lines": len(expected_privileges())},
        work=[
            f"read {len(live)} privileges through fn_privilege_matrix (cutter_probe)",
            f"compared with sql/lifecycle/privileges.yaml: {len(delta)} difference(s)",
        ],
        metadata={"grant_delta": MetadataValue.md("\n".join(f"- {d}" for d in delta) or "none")},
    )


GRANT_PROBE = Phase("grant_probe", _grant_probe_story)


# ---- SG_1 request ------------------------------------------------------------
def _cut_authorization_request_story(ctx: PhaseContext) -> PhaseOutcome:
    return request_outcome(ctx, GATE_SG1, sg1_payload(ctx))


CUT_AUTHORIZATION_REQUEST = Phase("cut_authorization_request", _cut_authorization_request_story)


def sg1_payload(ctx: PhaseContext) -> dict:
    """Everything SG_1 authorizes, each value taken from its phase's pins."""
    pin, mark_pins, plan = (ctx.pins_of(k) for k in ("source_pin", "mark", "cutplan"))
    backup_pins, grants = ctx.pins_of("backup"), ctx.pins_of("grant_probe")
    return {
        "gate": GATE_SG1,
        "run_id": ctx.run.run_id,
        "doc_code": ctx.doc_code,
        "mode": ctx.run.mode,
        "source_version_id": pin["source_version_id"],
        "text_sha256": pin["text_sha256"],
        "manifest_digest": pin["manifest_digest"],
        "region_sha": mark_pins["region_sha"],
        "writer_digest": plan["writer_digest"],
        "row_count": plan["row_count"],
        "accepted_anomalies_sha": mark_pins["accepted_anomalies_sha"],
        "backup_sha256": backup_pins["backup_sha256"],
        "grant_matrix_sha": grants["grant_matrix_sha"],
        "fingerprints_sha": pin["fingerprints_sha"],
        "vocab_sha": pin["vocab_sha"],
        "triggers_sha": pin.get("triggers_sha"),
    }


SURVEY_PHASES = [
    SOURCE_PIN,
    STRUCTURE_REVIEW,
    MARK,
    CUTPLAN,
    BACKUP,
    GRANT_PROBE,
    CUT_AUTHORIZATION_REQUEST,
]
SURVEY_ASSETS = [phase_asset(phase) for phase in SURVEY_PHASES]
(
    source_pin,
    structure_review,
    mark,
    cutplan,
    backup,
    grant_probe,
    cut_authorization_request,
) = SURVEY_ASSETS
