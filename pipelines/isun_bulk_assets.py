"""Assets for ИСУН's bulk sources: the archived open-data API answers and register export -> tables.

The staging itself (newest answers, streamed rows, Parquet parts, quarantine) is
`pipelines.isun_bulk_staging.stage_bulk_tables`; here it becomes one asset and one asset
per table. An export whose header changed fails the asset loudly (`ExportHeaderError`).
"""

import dagster as dg

from pipelines.code_versions import code_version
from pipelines.io_managers import table_out
from pipelines.isun_bulk_staging import StagedBulk, append_quarantine, stage_bulk_tables
from pipelines.resources import Settings
from registry import tables_by_asset
from registry.isun_bulk import BULK_TABLES

__all__ = ["StagedBulk", "append_quarantine", "stage_bulk_tables"]


BULK_ASSETS = tables_by_asset(BULK_TABLES)
BULK_QUARANTINE = "_core_isun__bulk_quarantine"
BULK_VERSION = code_version("pipelines.isun_bulk_assets")


@dg.multi_asset(
    name="_core_isun__bulk",
    outs={
        **{asset: table_out(table, BULK_VERSION) for asset, table in BULK_ASSETS.items()},
        BULK_QUARANTINE: dg.AssetOut(
            group_name="core",
            code_version=BULK_VERSION,
            description="Rows of the bulk sources that could not be read (intermediate).",
        ),
    },
    description="ИСУН's open-data API answers and register export, streamed from the raw archive into "
    "staged tables.",
)
def _core_isun__bulk(context: dg.AssetExecutionContext, settings: Settings):
    bulk = stage_bulk_tables(settings.raw_archive, settings.staging_dir, context.log)
    staged = bulk.tables()
    for asset, table in BULK_ASSETS.items():
        yield dg.Output(staged[table.name], output_name=asset)
    yield dg.Output(bulk.quarantine, output_name=BULK_QUARANTINE, metadata=bulk.counts)
