"""Every registered document becomes a partition of the asset graph."""

from dagster import DefaultSensorStatus, SensorEvaluationContext, SensorResult, SkipReason, sensor

from cutter_assets.core.intake import DOC_CODE_PATTERN
from cutter_assets.db import queries
from cutter_assets.graph.partitions import documents
from cutter_assets.resources.database import CutterDatabase


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def document_sensor(context: SensorEvaluationContext, database: CutterDatabase):
    """Add a `documents` partition for each new source_document row."""
    with database.transaction(commit=False) as conn, conn.cursor() as cur:
        cur.execute(queries.ALL_DOC_CODES)
        codes = [row[0] for row in cur.fetchall()]
    known = set(context.instance.get_dynamic_partitions(documents.name))
    # the strict pattern again: partition keys are untrusted even from the database
    new = [code for code in codes if code not in known and DOC_CODE_PATTERN.fullmatch(code)]
    if not new:
        return SkipReason(f"no new documents ({len(codes)} registered)")
    context.log.info(f"adding {len(new)} document partition(s): {', '.join(new)}")
    return SensorResult(dynamic_partitions_requests=[documents.build_add_request(new)])
