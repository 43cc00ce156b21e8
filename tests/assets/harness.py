"""Driving the asset graph the way the system does, for tests."""

from __future__ import annotations

from pathlib import Path

import psycopg2
from dagster import AssetKey, DagsterInstance, materialize

from cutter_assets.assets.runner import refusal_in
from cutter_assets.assets.survey import SURVEY_ASSETS
from cutter_assets.core.intake import decode_document
from cutter_assets.core.phases import PHASES, Mode
from cutter_assets.db import documents, ledger
from cutter_assets.graph.jobs import launch_config
from cutter_assets.graph.partitions import RUN_ID_TAG
from cutter_assets.graph.partitions import documents as documents_partitions
from cutter_assets.resources import RESOURCES
from cutter_assets.runs.start import start_cut_run


def register(
    db_url: str, code: str, text: str | Path, *, max_units: int | None = None, language: str = "vi"
) -> None:
    data = text.read_bytes() if isinstance(text, Path) else text.encode("utf-8")
    conn = psycopg2.connect(db_url)
    try:
        documents.register_version(
            conn,
            doc_code=code,
            title=code,
            language=language,
            text=decode_document(data),
            max_units=max_units,
        )
    finally:
        conn.close()


def start(code: str, *, mode: str = "dryrun", actor: str = "tester") -> str:
    with RESOURCES["database"].transaction() as conn:
        return start_cut_run(conn, RESOURCES["kb"], code, mode=mode, actor=actor).run_id


def instance_with(code: str) -> DagsterInstance:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(documents_partitions.name, [code])
    return instance


def survey(code: str, run_id: str | None, *, assets=None, instance=None, mode=None):
    """Materialize (part of) the survey for a document, tagged with the cut run;
    a launch that holds source_pin names its mode as the UI's launchpad does
    (the run's own, or ``mode``; untagged, live unless told)."""
    assets = assets or SURVEY_ASSETS
    config = None
    if any(AssetKey(PHASES[0].key) in a.keys for a in assets):
        config = launch_config(mode or (run_row(run_id).mode if run_id else Mode.LIVE))
    return materialize(
        assets,
        partition_key=code,
        instance=instance or instance_with(code),
        resources=RESOURCES,
        tags={RUN_ID_TAG: run_id} if run_id else {},
        run_config=config,
        raise_on_error=False,
    )


def materialized(result) -> list[str]:
    return [e.asset_key.path[-1] for e in result.get_asset_materialization_events()]


def refused(result):
    """The refusal a launch ended with (nothing done, no asset failed), if any."""
    return refusal_in(result.all_events)


def failed_checks(result) -> list[str]:
    return [
        e.event_specific_data.check_name
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.passed
    ]


def run_row(run_id: str) -> ledger.Run:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return ledger.get_run(conn, run_id)


def phase_records(run_id: str) -> dict[str, ledger.PhaseRecord]:
    with RESOURCES["database"].transaction(commit=False) as conn:
        return ledger.phases(conn, run_id)


def kb_files(kb_root: str | Path, run: ledger.Run) -> dict[str, str]:
    folder = Path(kb_root) / run.kb_folder
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def consumed_decision(db_url: str, run_id: str, gate: str) -> tuple[str, str]:
    """(id, approval doc path) of the decision the run consumed at ``gate``."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id::text, approval_doc_path FROM cutter_governance.review_decision "
            "WHERE run_id = %s AND gate = %s AND consumed_at IS NOT NULL",
            (run_id, gate),
        )
        return cur.fetchone()
