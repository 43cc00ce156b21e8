"""The resources every environment uses, in one dict (configured from the
environment at run time, never with secrets in Dagster config)."""

from cutter_assets.resources.backup import BackupVault
from cutter_assets.resources.database import CutterDatabase
from cutter_assets.resources.kb import KnowledgeBase

RESOURCES = {
    "database": CutterDatabase(),
    "kb": KnowledgeBase(),
    "vault": BackupVault(),
}
