"""Blocking asset checks: each table's quality suite gates everything downstream.

Per table: its Great Expectations suite (row-level rules a batch at a time) with unique
keys and parent rows checked over the whole table in DuckDB (`quality.staged`), and a
row count that must not fall by more than `Settings.max_row_drop_share` since the last
release. A failed check (severity ERROR) stops the warehouse and the release from being
rebuilt, so `latest` keeps pointing at the last good release.
"""

import json

import dagster as dg

from pipelines.assets import OTHER_TABLE_ASSETS, PARENTS
from pipelines.resources import Settings
from quality.staged import validate_staged
from quality.suites import row_count_drops
from warehouse.metadata import ACTIVITIES, PROJECTS, Table, parent_assets, registry, tables_by_asset
from warehouse.staging import StagedTable


def _previous_row_counts(settings: Settings, table: str) -> dict[str, int]:
    report = settings.publish_dir / "latest" / "quality_report.json"
    if not report.exists():
        return {}
    counts = json.loads(report.read_text(encoding="utf-8")).get("row_counts", {})
    return {table: counts[table]} if table in counts else {}


def _result(
    table: Table,
    staged: StagedTable,
    settings: Settings,
    parents: dict[str, StagedTable] | None = None,
    log=None,
) -> dg.AssetCheckResult:
    outcome = validate_staged(table, staged, parents)
    drops = row_count_drops(
        _previous_row_counts(settings, table.name),
        {table.name: staged.rows},
        settings.max_row_drop_share,
    )
    if log is not None:
        if outcome.success and not drops:
            log.info(f"{table.name}: {staged.rows} rows, {outcome.evaluated} rules passed")
        else:
            for failure in [*map(str, outcome.failures), *drops]:
                log.error(f"{table.name}: check FAILED: {failure}")
    return dg.AssetCheckResult(
        passed=outcome.success and not drops,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows": staged.rows,
            "expectations_evaluated": outcome.evaluated,
            "expectations_failed": len(outcome.failures),
            "failures": dg.MetadataValue.json([str(f) for f in outcome.failures] + drops),
        },
    )


def _table_check(
    asset_name: str,
    table: Table,
    name: str | None = None,
    description: str | None = None,
    parents: dict[str, str] | None = None,
) -> dg.AssetChecksDefinition:
    """A blocking check of one published table against its suite generated from the metadata."""
    parents = PARENTS.get(asset_name, {}) if parents is None else parents
    spec = dg.AssetCheckSpec(
        name or f"great_expectations_{table.name}",
        asset=asset_name,
        blocking=True,
        additional_deps=sorted(set(parents.values())),
        description=description
        or f"Great Expectations suite bgfunds.{table.name} (keys unique and non-null, codes "
        "well-formed, amounts >= 0, EUR = BGN / 1.95583, dates in order) and row count against the last release.",
    )
    ins = {
        "staged": dg.AssetIn(asset_name),
        **{f"parent_{column}": dg.AssetIn(parent) for column, parent in parents.items()},
    }

    @dg.multi_asset_check(name=f"check_{table.name}", specs=[spec], ins=ins)
    def _check(
        context: dg.AssetCheckExecutionContext,
        settings: Settings,
        staged: StagedTable,
        **parent_tables: StagedTable,
    ) -> dg.AssetCheckResult:
        return _result(
            table,
            staged,
            settings,
            {column: parent_tables[f"parent_{column}"] for column in parents},
            log=context.log,
        )

    return _check


great_expectations_projects = _table_check(
    "core_isun__projects",
    PROJECTS,
    "great_expectations_projects",
    "Great Expectations suite bgfunds.projects (keys, codes, amounts, financing identities, dates) and row count "
    "against the last release.",
)
great_expectations_activities = _table_check(
    "core_isun__activities",
    ACTIVITIES,
    "great_expectations_activities",
    "Great Expectations suite bgfunds.activities (keys, codes, amounts >= 0, EUR = BGN / 1.95583, every "
    "activity's project published) and row count against the last release.",
)
TABLE_CHECKS = [_table_check(asset_name, table) for asset_name, table in OTHER_TABLE_ASSETS.items()]
ALL_CHECKS = [great_expectations_projects, great_expectations_activities, *TABLE_CHECKS]


def table_checks(assets: dict[str, Table]) -> list[dg.AssetChecksDefinition]:
    """One blocking check per table, for every table in `assets` (asset name -> table); a
    table's checked foreign keys point at tables of the registry or of `assets`."""
    if assets == tables_by_asset():
        return ALL_CHECKS
    tables = {**registry(), **{t.name: t for t in assets.values()}}
    named = {
        "core_isun__projects": great_expectations_projects,
        "core_isun__activities": great_expectations_activities,
    }
    return [
        named.get(asset) or _table_check(asset, table, parents=parent_assets(table, tables))
        for asset, table in assets.items()
        if asset != "core_isun__quarantine"
    ]
