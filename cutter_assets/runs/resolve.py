"""Which cut run a phase works for: the one its Dagster run is tagged with;
or, for the first phase, a new one; or the one this Dagster run already
worked for; or the document's only open run."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cutter_assets.core.commands import command
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.graph.partitions import RUN_ID_TAG


def resolve_run(
    tags: Mapping[str, str],
    dagster_run_id: str,
    conn,
    doc_code: str,
    open_run: Callable[[], str] | None,
) -> str:
    tagged = tags.get(RUN_ID_TAG)
    if tagged:
        return tagged
    if open_run is not None:  # the first phase may start a cut run of its own
        return open_run()
    same_dagster_run = ledger.run_of_dagster_run(conn, dagster_run_id)
    if same_dagster_run:
        return same_dagster_run
    candidates = ledger.open_runs(conn, doc_code)
    if len(candidates) != 1:
        raise CutterStop(
            StopCode.STOP_STATE,
            f"{doc_code} has {len(candidates)} open cut runs; tag the Dagster run with "
            f"{RUN_ID_TAG} or start with `{command(f'orchestrate cut --document-id {doc_code}')}`",
        )
    return candidates[0]
