"""The `documents` partitions are exactly the registered documents.

``cutter doc add`` adds its document's partition at once; this sensor keeps
the two in step behind it: it adds the partition of a registered document
that has none, and deletes every key that names no registered document (an
"Add partition" in the UI's launch dialog, a typo): a launch of such a key
could only be refused (STOP_DOCUMENT_UNKNOWN). Keys are untrusted even from
the database: one that fails the strict pattern is never a partition.
"""

from dagster import DefaultSensorStatus, SensorEvaluationContext, SensorResult, SkipReason, sensor

from cutter_assets.core.intake import DOC_CODE_PATTERN
from cutter_assets.db.documents import doc_codes
from cutter_assets.graph.partitions import documents
from cutter_assets.resources.database import CutterDatabase

DESCRIPTION = (
    "Keeps the documents partitions equal to the registered documents: adds a missing one "
    "(registering a document adds its own at once), deletes a key that names no registered "
    "document."
)


@sensor(
    minimum_interval_seconds=1,  # one query a tick; the daemon's loop sets the real pace
    default_status=DefaultSensorStatus.RUNNING,
    description=DESCRIPTION,
)
def document_sensor(context: SensorEvaluationContext, database: CutterDatabase):
    # The partitions first: a document registered after they are read is then
    # seen as registered, never as a stray key whose partition ``doc add`` just made.
    known = set(context.instance.get_dynamic_partitions(documents.name))
    with database.transaction(commit=False) as conn:
        registered = {code for code in doc_codes(conn) if DOC_CODE_PATTERN.fullmatch(code)}
    missing, strays = sorted(registered - known), sorted(known - registered)
    if not missing and not strays:
        return SkipReason(f"the partitions are the {len(registered)} registered documents")
    requests = []
    if missing:
        context.log.info(f"adding {len(missing)} document partition(s): {', '.join(missing)}")
        requests.append(documents.build_add_request(missing))
    if strays:
        context.log.warning(
            f"deleting {len(strays)} partition key(s) that name no registered document: "
            + ", ".join(map(repr, strays))  # untrusted: shown as they are
        )
        requests.append(documents.build_delete_request(strays))
    return SensorResult(dynamic_partitions_requests=requests)
