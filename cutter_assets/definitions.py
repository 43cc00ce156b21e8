"""Assembles the code location; nothing else happens here."""

from dagster import Definitions, in_process_executor

from cutter_assets.assets.enact import ENACT_ASSETS
from cutter_assets.assets.survey import SURVEY_ASSETS
from cutter_assets.assets.write import WRITE_ASSETS
from cutter_assets.graph.jobs import JOBS
from cutter_assets.resources import RESOURCES
from cutter_assets.sensors.approvals import approval_sensor
from cutter_assets.sensors.documents import document_sensor
from cutter_assets.sensors.stops import stop_sensor

defs = Definitions(
    assets=[*SURVEY_ASSETS, *WRITE_ASSETS, *ENACT_ASSETS],
    jobs=JOBS,
    sensors=[document_sensor, approval_sensor, stop_sensor],
    resources=RESOURCES,
    executor=in_process_executor,
)
