"""One factory makes every phase asset from its catalogue row and its story:
name, group, the asset before it, its checks with their descriptions, and
the resources it needs; the body is always the phase runner.

Each asset may end without a materialization: a refused launch (the action
refused, the cut run left as it was) is not a failed materialization, so it
leaves every asset's status as it was (``runner.run_phase``). The phase that
may open a cut run takes the run's mode as run config with no default, so a
launch from the UI names it before it starts.
"""

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    Enum,
    EnumValue,
    Field,
    multi_asset,
)

from cutter_assets.assets.runner import run_phase
from cutter_assets.core import phases as catalogue
from cutter_assets.core.phases import Mode
from cutter_assets.graph.partitions import documents
from cutter_assets.runs.phase import Phase

MODE_CONFIG = {
    "mode": Field(
        Enum("CutMode", [EnumValue(mode) for mode in Mode.ALL]),
        description="dryrun: a rehearsal of all eleven phases, nothing kept; "
        "live: the survey up to the SG_1 pause.",
    )
}


def _previous_asset(key: str) -> str | None:
    before = [k for k in catalogue.earlier(key) if catalogue.phase(k).asset]
    return before[-1] if before else None


def phase_asset(phase: Phase) -> AssetsDefinition:
    entry = catalogue.phase(phase.key)
    previous = _previous_asset(phase.key)
    resources = {"database", "kb"} | ({"vault"} if phase.needs_vault else set())

    @multi_asset(
        name=entry.key,
        specs=[
            AssetSpec(
                entry.key,
                group_name=entry.stage,
                deps=[previous] if previous else [],
                description=entry.description,
                skippable=True,
            )
        ],
        partitions_def=documents,
        check_specs=[
            AssetCheckSpec(
                check.name, asset=entry.key, blocking=check.blocking, description=check.description
            )
            for check in entry.checks
        ],
        config_schema=MODE_CONFIG if phase.open_run else None,
        can_subset=True,  # its check outputs are optional too: a refusal yields none
        required_resource_keys=resources,
    )
    def _phase_asset(context: AssetExecutionContext):
        vault = context.resources.vault if phase.needs_vault else None
        yield from run_phase(
            context, context.resources.database, context.resources.kb, phase, vault=vault
        )

    return _phase_asset
