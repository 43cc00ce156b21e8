"""The STOP protocol, in one place: which STOPs only refuse an action, how a
STOP becomes a STOPPED ledger row and a STOP doc, and how it travels through
Dagster (a step ``Failure`` whose metadata carries the code, the detail and
whether cutter already handled it) and back (read from that metadata, never
from the failure's text)."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import Failure
from dagster._core.errors import DagsterUserCodeProcessError
from dagster._utils.error import SerializableErrorInfo

from cutter_assets.core.commands import command
from cutter_assets.core.reports import render_stop_doc
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import ledger
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase, secrets_in_environment

# STOPs that refuse this one action (a wrong state, a phase already done, an
# unknown run) and leave the cut run as it was; every other STOP stops the run.
REFUSED_ACTIONS = frozenset(
    {
        StopCode.STOP_STATE,
        StopCode.STOP_RUN_UNKNOWN,
        StopCode.STOP_REPLAY_CONFLICT,
        StopCode.STOP_DOCUMENT_UNKNOWN,
        StopCode.STOP_BAD_DOC_CODE,
        StopCode.STOP_EXECUTION_DISABLED,
        StopCode.STOP_APPROVAL_INVALID,
        StopCode.STOP_CODE_DRIFT,
    }
)


STOP_CODE, STOP_DETAIL, STOP_HANDLED = "stop_code", "stop_detail", "stop_handled"


class StopFailure(DagsterUserCodeProcessError, Failure):
    """A step failure that is its STOP's one line and nothing else.

    Dagster turns the exception a step raised into the error the UI shows, with
    the stack of every frame it passed through; but an error that a user-code
    process already serialized (``DagsterUserCodeProcessError`` holding one
    ``SerializableErrorInfo``) is shown as that error itself
    (``dagster._utils.error.serializable_error_info_from_exc_info``). So a STOP
    is raised as both: caught as the ``Failure`` it is (its description and
    metadata are the step's failure data; a ``DagsterError`` is never retried
    by a policy), shown as its line with no stack. ``tests/sensors/
    test_hygiene.py`` reads a stopped step's stored error back, so a Dagster
    that stops honouring this shows up there."""

    def __init__(self, stop: CutterStop, metadata: dict):
        line = stop.line()
        shown = SerializableErrorInfo(message=line, stack=[], cls_name=stop.code.name)
        super().__init__(line, metadata, False, user_code_process_error_infos=[shown])


def failure_of(stop: CutterStop) -> Failure:
    """The Dagster step failure for a STOP. Handled: the ledger holds the STOP,
    or the action was refused and the run left as it was; anything else is the
    stop sensor's to record.

    What the UI shows of it: the STOP's one line as the error, then the
    metadata (code, detail, handled); no stack (``StopFailure``), unless an
    unexpected error caused the STOP: then its traceback is the evidence (the
    caller raises the failure from it). Never retried: a retry policy would
    run a stopped phase again."""
    metadata = {
        STOP_CODE: stop.code.name,
        STOP_DETAIL: stop.detail,
        STOP_HANDLED: stop.code in REFUSED_ACTIONS or stop.recorded,
    }
    if stop.__cause__ is None:
        return StopFailure(stop, metadata)
    return Failure(description=stop.line(), metadata=metadata, allow_retries=False)


def _value(metadata, key: str):
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def stop_of_failure(failure_data) -> CutterStop | None:
    """The STOP a failed step carried (its user failure data), if it was one."""
    metadata = getattr(failure_data, "metadata", None) or {}
    code = _value(metadata, STOP_CODE)
    if code is None:
        return None
    return CutterStop(StopCode[code], _value(metadata, STOP_DETAIL) or "")


def handled(failure_data) -> bool:
    """True when the failed step's STOP was handled by cutter itself."""
    metadata = getattr(failure_data, "metadata", None) or {}
    return _value(metadata, STOP_HANDLED) is True


def record_stop(
    database: CutterDatabase,
    kb: KnowledgeBase,
    run_id: str | None,
    phase_key: str,
    stop: CutterStop,
) -> bool:
    """The ledger says STOPPED with the code and the STOP doc is in the run's
    folder. A STOP doc that cannot be written does not leave the run as it was:
    the ledger still says STOPPED, and why the doc is missing. True when the
    ledger holds the STOP (or already held a final state)."""
    if run_id is None:
        return False
    missing = ""  # why the STOP doc could not be written, on the attempt without it
    for with_doc in (True, False):
        try:
            with database.transaction() as conn:
                held = ledger.between_legs(conn, run_id, stop)
                detail = f"{phase_key}: {held.detail}{missing}"
                if ledger.stop_run(conn, run_id, held.code.name, detail) and with_doc:
                    write_stop_doc(kb, ledger.get_run(conn, run_id), phase_key, held)
            return True
        except Exception as err:  # noqa: BLE001 - the next attempt records it without the doc
            error = redact(f"{type(err).__name__}: {err}", secrets_in_environment())[:300]
            missing = f" (no STOP doc: {error})"
    # The database is gone too: the stop sensor tries again when it sees the failed run.
    return False


def write_stop_doc(kb: KnowledgeBase, run: ledger.Run, phase_key: str, stop: CutterStop) -> None:
    if not run.kb_folder:
        return
    now = datetime.now(UTC)
    kb.write_once(
        f"{run.kb_folder}/STOP-{stop.code.name}-{now:%Y%m%d-%H%M%S}.md",
        render_stop_doc(
            run_id=run.run_id,
            doc_code=run.doc_code,
            mode=run.mode,
            code=stop.code.name,
            detail=stop.detail or stop.code.meaning,
            phase=phase_key,
            written_utc=now,
            next_steps=[
                f"inspect: {command(f'orchestrate inspect --run-id {run.run_id}')}",
                "after fixing the cause, void this run: "
                + command(f"orchestrate void --run-id {run.run_id} --reason-kb-id <path>")
                + " (the path of your reason doc in the KB)",
                f"then cut again: {command(f'orchestrate cut --document-id {run.doc_code}')}",
            ],
        ),
    )
