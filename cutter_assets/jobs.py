"""The stages as jobs: asset selections of the graph, run in process."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from cutter_assets.core.phases import SURVEY

survey_job = define_asset_job(
    "survey",
    selection=AssetSelection.assets(*SURVEY),
    executor_def=in_process_executor,
    description="Phases 1-5 and the SG_1 request: nothing is written to the units.",
)

JOBS = [survey_job]
