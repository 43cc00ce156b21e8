"""The stages as jobs: asset groups of the graph (one per stage of the
catalogue), run in process. The two jobs that open a cut run say its mode in
their name and their config: ``rehearsal`` is dryrun (all eleven phases,
nothing kept), ``survey`` is live (up to the SG_1 pause). Past the structure
review (SG_0, mid-survey) a live run goes on with the rest of the survey and a
rehearsal with the rest of the rehearsal."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from cutter_assets.core.phases import (
    GATE_SG0,
    PHASES,
    REQUEST_PHASE,
    STAGES,
    Mode,
    job_after,
    phases_after,
)

__all__ = ["JOBS", "job_after", "launch_config"]


def launch_config(mode: str) -> dict:
    """The run config of a launch that opens a cut run in ``mode``."""
    return {"ops": {PHASES[0].key: {"config": {"mode": mode}}}}


def _job(name: str, selection: AssetSelection, description: str, mode: str | None = None):
    return define_asset_job(
        name,
        selection=selection,
        executor_def=in_process_executor,
        description=description,
        config=launch_config(mode) if mode else None,
        tags={"cutter/mode": mode} if mode else None,
    )


survey_job = _job(
    "survey",
    AssetSelection.groups("survey"),
    "LIVE cut: phases 1-5 and the SG_1 request, then the run waits for the signed SG_1 "
    "(nothing is written yet).",
    Mode.LIVE,
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
    "DRYRUN rehearsal: all eleven phases in one transaction that is rolled back; nothing "
    "is committed.",
    Mode.DRYRUN,
)

survey_after_review_job = _job(
    job_after(GATE_SG0, Mode.LIVE),
    AssetSelection.assets(*phases_after(REQUEST_PHASE[GATE_SG0], ("survey",))),
    "LIVE cut past the signed structure review (SG_0): mark to the SG_1 request, then the "
    "run waits for the signed SG_1.",
)
rehearsal_after_review_job = _job(
    job_after(GATE_SG0, Mode.DRYRUN),
    AssetSelection.assets(*phases_after(REQUEST_PHASE[GATE_SG0], STAGES)),
    "DRYRUN rehearsal past its acknowledged structure review (SG_0): mark to closeout in one "
    "transaction that is rolled back; nothing is committed.",
)

JOBS = [
    survey_job,
    write_job,
    leg_b_job,
    enact_job,
    rehearsal_job,
    survey_after_review_job,
    rehearsal_after_review_job,
]
