"""One factory makes every phase asset from its catalogue row and its story:
name, group, the asset before it, its checks with their descriptions, and
the resources it needs; the body is always the phase runner."""

from dagster import AssetCheckSpec, AssetExecutionContext, AssetsDefinition, asset

from cutter_assets.assets.runner import run_phase
from cutter_assets.core import phases as catalogue
from cutter_assets.graph.partitions import documents
from cutter_assets.runs.phase import Phase


def _previous_asset(key: str) -> str | None:
    before = [k for k in catalogue.earlier(key) if catalogue.phase(k).asset]
    return before[-1] if before else None


def phase_asset(phase: Phase) -> AssetsDefinition:
    entry = catalogue.phase(phase.key)
    previous = _previous_asset(phase.key)
    resources = {"database", "kb"} | ({"vault"} if phase.needs_vault else set())

    @asset(
        name=entry.key,
        partitions_def=documents,
        group_name=entry.stage,
        deps=[previous] if previous else [],
        description=entry.description,
        check_specs=[
            AssetCheckSpec(
                check.name, asset=entry.key, blocking=check.blocking, description=check.description
            )
            for check in entry.checks
        ],
        required_resource_keys=resources,
    )
    def _phase_asset(context: AssetExecutionContext):
        vault = context.resources.vault if phase.needs_vault else None
        return run_phase(
            context, context.resources.database, context.resources.kb, phase, vault=vault
        )

    return _phase_asset
