"""Blocking asset checks: the Great Expectations suites gate everything downstream.

Besides each table's suite: activity -> project integrity, and row counts that must not
fall by more than `Settings.max_row_drop_share` since the last release. A failed check
(severity ERROR) stops the warehouse and the release from being rebuilt, so `latest`
keeps pointing at the last good release.
"""


import json

import dagster as dg
import pandas as pd

from pipelines.assets import OTHER_TABLE_ASSETS, core_isun__activities, core_isun__projects
from pipelines.resources import Settings
from quality.suites import row_count_drops, validate_table
from warehouse.metadata import ACTIVITIES, PROJECTS, Table



def _previous_row_counts(settings: Settings, table: str) -> dict[str, int]:
    report = settings.publish_dir / "latest" / "quality_report.json"
    if not report.exists():
        return {}
    counts = json.loads(report.read_text(encoding="utf-8")).get("row_counts", {})
    return {table: counts[table]} if table in counts else {}


def _result(table: Table, df: pd.DataFrame, settings: Settings, value_sets=None) -> dg.AssetCheckResult:
    outcome = validate_table(table, df, value_sets)
    drops = row_count_drops(_previous_row_counts(settings, table.name), {table.name: len(df)},
                            settings.max_row_drop_share)
    return dg.AssetCheckResult(
        passed=outcome.success and not drops,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows": len(df),
            "expectations_evaluated": outcome.evaluated,
            "expectations_failed": len(outcome.failures),
            "failures": dg.MetadataValue.json([str(f) for f in outcome.failures] + drops),
        },
    )


@dg.asset_check(asset=core_isun__projects, blocking=True,
                description="Great Expectations suite bgfunds.projects (keys, codes, amounts, financing identities, "
                            "dates) and row count against the last release.")
def great_expectations_projects(core_isun__projects: pd.DataFrame, settings: Settings) -> dg.AssetCheckResult:
    return _result(PROJECTS, core_isun__projects, settings)


@dg.asset_check(asset=core_isun__activities, blocking=True,
                additional_ins={"core_isun__projects": dg.AssetIn("core_isun__projects")},
                description="Great Expectations suite bgfunds.activities (keys, codes, amounts >= 0, EUR = BGN / "
                            "1.95583, every activity's project published) and row count against the last release.")
def great_expectations_activities(core_isun__activities: pd.DataFrame, core_isun__projects: pd.DataFrame,
                                  settings: Settings) -> dg.AssetCheckResult:
    return _result(ACTIVITIES, core_isun__activities, settings,
                   {"project_code": core_isun__projects["project_code"].tolist()})



def _table_check(asset_name: str, table: Table) -> dg.AssetChecksDefinition:
    """A blocking check of one published table against its suite generated from the metadata."""
    spec = dg.AssetCheckSpec(
        f"great_expectations_{table.name}", asset=asset_name, blocking=True,
        description=f"Great Expectations suite bgfunds.{table.name} (keys unique and non-null, codes well-formed, "
                    "amounts >= 0, EUR = BGN / 1.95583, dates in order) and row count against the last release.")

    @dg.multi_asset_check(name=f"check_{table.name}", specs=[spec], ins={"df": dg.AssetIn(asset_name)})
    def _check(df: pd.DataFrame, settings: Settings) -> dg.AssetCheckResult:
        return _result(table, df, settings)

    return _check


TABLE_CHECKS = [_table_check(asset_name, table) for asset_name, table in OTHER_TABLE_ASSETS.items()]
ALL_CHECKS = [great_expectations_projects, great_expectations_activities, *TABLE_CHECKS]
