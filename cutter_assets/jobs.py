"""The stages as jobs: asset selections of the graph, run in process."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from cutter_assets.core.phases import PHASES, SURVEY

WRITE = ("change_set", "manifest_envelope", "verify_result", "lifecycle_authorization_request")
ENACT = ("lifecycle_enactment", "closeout")


def _job(name: str, keys, description: str):
    return define_asset_job(
        name,
        selection=AssetSelection.assets(*keys),
        executor_def=in_process_executor,
        description=description,
    )


survey_job = _job("survey", SURVEY, "Phases 1-5 and the SG_1 request: nothing is written.")
write_job = _job(
    "write", WRITE, "After SG_1: leg A, structural verify, leg B, verify, SG_2 request."
)
leg_b_job = _job(
    "complete_leg_b",
    WRITE[1:],
    "Resume after a stop between leg A and leg B: leg B onwards, never leg A again.",
)
enact_job = _job("enact", ENACT, "After SG_2: draft -> enacted, closeout.")
rehearsal_job = _job(
    "rehearsal",
    [p.key for p in PHASES if p.key != "structural_verify"],
    "All eleven phases in dryrun: nothing is committed.",
)

JOBS = [survey_job, write_job, leg_b_job, enact_job, rehearsal_job]
JOB_AFTER_GATE = {"SG_1_cut_authz": "write", "SG_2_lifecycle_authz": "enact"}
