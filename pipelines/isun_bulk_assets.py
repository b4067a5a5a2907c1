"""Assets for ИСУН's bulk sources: the archived open-data API answers and register export -> tables.

The staging itself (newest answers, streamed rows, Parquet parts, quarantine) is
`warehouse.isun_bulk_staging.stage_bulk_tables`; here it becomes one asset and one asset
per table. An export whose header changed fails the asset loudly (`ExportHeaderError`).
"""

import dagster as dg

from pipelines.resources import Settings
from warehouse.isun_bulk_staging import StagedBulk, append_quarantine, stage_bulk_tables
from warehouse.metadata_isun_bulk import (
    ISUN_API_CONTRACTS,
    ISUN_API_PLACES,
    ISUN_API_PROGRAMMES,
    ISUN_API_PROJECTS,
    ISUN_ENTITIES,
    ISUN_EXPORT_PROJECTS,
)
from warehouse.staging import StagedTable

__all__ = ["StagedBulk", "append_quarantine", "stage_bulk_tables"]


@dg.asset(
    group_name="core",
    description="ИСУН's open-data API answers and register export, streamed from the raw archive into "
    "staged tables (intermediate).",
)
def _core_isun__bulk(
    context: dg.AssetExecutionContext, settings: Settings, _core_bgfunds__inputs: str
) -> StagedBulk:
    bulk = stage_bulk_tables(settings.raw_archive, settings.staging_dir, context.log)
    context.add_output_metadata(
        {
            **bulk.counts,
            "projects": bulk.projects.rows,
            "contracts": bulk.contracts.rows,
            "entities": bulk.entities.rows,
            "export_rows": bulk.export.rows,
        }
    )
    return bulk


def _table_asset(name: str, attribute: str, description: str):
    @dg.asset(name=name, group_name="core", description=description)
    def _asset(_core_isun__bulk: StagedBulk) -> dg.Output[StagedTable]:
        staged = getattr(_core_isun__bulk, attribute)
        return dg.Output(staged, metadata={"rows": staged.rows})

    return _asset


core_isun__api_projects = _table_asset("core_isun__api_projects", "projects", ISUN_API_PROJECTS.en)
core_isun__api_places = _table_asset("core_isun__api_places", "places", ISUN_API_PLACES.en)
core_isun__api_contracts = _table_asset(
    "core_isun__api_contracts", "contracts", ISUN_API_CONTRACTS.en
)
core_isun__entities = _table_asset("core_isun__entities", "entities", ISUN_ENTITIES.en)
core_isun__api_programmes = _table_asset(
    "core_isun__api_programmes", "programmes", ISUN_API_PROGRAMMES.en
)
core_isun__export_projects = _table_asset(
    "core_isun__export_projects", "export", ISUN_EXPORT_PROJECTS.en
)
