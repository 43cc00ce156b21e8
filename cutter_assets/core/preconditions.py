"""What must hold before a phase runs, as pure checks over what the ledger
says: the run is the partition's and in the state the phase starts from, and
every earlier phase passed (the database enforces the same order)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cutter_assets.core.stops import CutterStop, StopCode


def check_run(
    run_id: str, run_doc_code: str, run_state: str, doc_code: str, expected: tuple[str, ...]
) -> None:
    """STOP_STATE unless the run cuts ``doc_code`` and is in one of ``expected``."""
    if run_doc_code != doc_code:
        raise CutterStop(
            StopCode.STOP_STATE, f"run {run_id} cuts {run_doc_code}, not partition {doc_code}"
        )
    if run_state not in expected:
        raise CutterStop(
            StopCode.STOP_STATE,
            f"run {run_id} is {run_state}; this phase needs {' or '.join(expected)}",
        )


def check_prerequisites(outcomes: Mapping[str, str], requires: Iterable[str]) -> None:
    """STOP_STATE unless every phase in ``requires`` has the outcome 'passed'."""
    for key in requires:
        outcome = outcomes.get(key)
        if outcome != "passed":
            state = "has not run" if outcome is None else "failed"
            raise CutterStop(StopCode.STOP_STATE, f"phase {key} {state} for this cut run")
