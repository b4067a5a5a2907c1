"""Blocking asset checks: the Great Expectations suites gate everything downstream.

A failed check (severity ERROR) stops the warehouse and the published files from being
rebuilt, so the last good release stays in place.
"""


import dagster as dg
import pandas as pd

from pipelines.assets import core_isun__activities, core_isun__projects
from quality.suites import validate_table
from warehouse.metadata import ACTIVITIES, PROJECTS, Table


def _result(table: Table, df: pd.DataFrame) -> dg.AssetCheckResult:
    outcome = validate_table(table, df)
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "expectations_evaluated": outcome.evaluated,
            "expectations_failed": len(outcome.failures),
            "failures": dg.MetadataValue.json([str(f) for f in outcome.failures]),
        },
    )


@dg.asset_check(asset=core_isun__projects, blocking=True,
                description="Great Expectations suite bgfunds.projects (keys, codes, amounts, financing identities, dates).")
def great_expectations_projects(core_isun__projects: pd.DataFrame) -> dg.AssetCheckResult:
    return _result(PROJECTS, core_isun__projects)


@dg.asset_check(asset=core_isun__activities, blocking=True,
                description="Great Expectations suite bgfunds.activities (keys, codes, amounts >= 0, EUR = BGN / 1.95583).")
def great_expectations_activities(core_isun__activities: pd.DataFrame) -> dg.AssetCheckResult:
    return _result(ACTIVITIES, core_isun__activities)
