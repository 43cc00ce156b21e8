"""The stages as jobs: asset groups of the graph (one per stage of the
catalogue), run in process."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from cutter_assets.core.phases import JOB_AFTER_GATE, STAGES

__all__ = ["JOBS", "JOB_AFTER_GATE"]


def _job(name: str, selection: AssetSelection, description: str):
    return define_asset_job(
        name, selection=selection, executor_def=in_process_executor, description=description
    )


survey_job = _job(
    "survey",
    AssetSelection.groups("survey"),
    "Phases 1-5 and the SG_1 request: nothing is written.",
)
write_job = _job(
    "write",
    AssetSelection.groups("write"),
    "After SG_1: leg A, structural verify, leg B, verify, SG_2 request.",
)
leg_b_job = _job(
    "complete_leg_b",
    AssetSelection.groups("write") - AssetSelection.assets("change_set"),
    "Resume after a stop between leg A and leg B: leg B onwards, never leg A again.",
)
enact_job = _job("enact", AssetSelection.groups("enact"), "After SG_2: draft -> enacted, closeout.")
rehearsal_job = _job(
    "rehearsal",
    AssetSelection.groups(*STAGES),
    "All eleven phases in dryrun: nothing is committed.",
)

JOBS = [survey_job, write_job, leg_b_job, enact_job, rehearsal_job]
