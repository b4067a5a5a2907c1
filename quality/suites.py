"""Great Expectations suites for the published tables, generated from `warehouse.metadata`.

Generic rules come from the metadata (non-null fields, unique keys, amounts >= 0,
currencies); table rules are added here (code formats, financing identities, EUR/BGN
consistency, dates in order, activity -> project integrity). Identities that span
columns are checked on derived `_check_*` columns, which are null where an input is
missing, so missing amounts never count as errors.

Expectations are either row-level (a failing row can be set aside: `screen_table` moves
it to quarantine) or table-level (unique keys: only a blocking failure makes sense).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from transforms.amounts import EUR_BGN_RATE
from transforms.codes import PROCEDURE_CODE_REGEX, PROGRAMME_CODE_REGEX, PROJECT_CODE_REGEX
from warehouse.metadata import Table

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

logging.getLogger("great_expectations").setLevel(logging.WARNING)
TOLERANCE = 0.01
RATE = float(EUR_BGN_RATE)
CODE_REGEXES = {
    "project_code": PROJECT_CODE_REGEX,
    "procedure_code": PROCEDURE_CODE_REGEX,
    "programme_code": PROGRAMME_CODE_REGEX,
}
# Rule names used in quarantine for the derived checks.
RULE_NAMES = {
    "_check_grant_plus_own_minus_total": "grant_plus_own_equals_total",
    "_check_eu_plus_national_minus_grant": "eu_plus_national_equals_grant",
    "_check_days_start_to_end": "start_date_not_after_end_date",
}


@dataclass
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int
    examples: list = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.expectation}({self.column}): {self.unexpected_count} rows, e.g. {self.examples[:3]}"


@dataclass
class ValidationOutcome:
    table: str
    success: bool
    evaluated: int
    failures: list[Failure]
    rows: int = 0

    def as_dict(self) -> dict:
        return {
            "table": self.table,
            "success": self.success,
            "rows": self.rows,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": [
                f.__dict__ | {"examples": [str(e) for e in f.examples[:5]]} for f in self.failures
            ],
        }


@lru_cache(maxsize=1)
def _context():
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _derived_columns(table: Table, df: pd.DataFrame) -> pd.DataFrame:
    """Add `_check_*` columns for the rules that span several columns."""
    out = df.copy()
    cols = set(df.columns)

    def mismatch(total: str, parts: list[str]) -> pd.Series:
        frame = df[[total, *parts]].astype("float64")
        gap = (frame[parts].sum(axis=1, min_count=len(parts)) - frame[total]).abs().round(6)
        return gap.where(frame.notna().all(axis=1))

    if {"amount_total", "amount_grant", "amount_own"} <= cols:
        out["_check_grant_plus_own_minus_total"] = mismatch(
            "amount_total", ["amount_grant", "amount_own"]
        )
    if {"amount_grant", "amount_eu", "amount_national"} <= cols:
        out["_check_eu_plus_national_minus_grant"] = mismatch(
            "amount_grant", ["amount_eu", "amount_national"]
        )
    for f in table.fields:
        if f.name.endswith("_eur") and f"{f.name[:-4]}_bgn" in cols:
            bgn, eur = df[f"{f.name[:-4]}_bgn"].astype("float64"), df[f.name].astype("float64")
            out[f"_check_{f.name}_rate"] = (bgn / RATE - eur).abs().round(6)
    if {"start_date", "end_date"} <= cols:
        # ISO dates, or months ("2019-01") where a source gives only the month.
        start = pd.to_datetime(df["start_date"], format="mixed")
        end = pd.to_datetime(df["end_date"], format="mixed")
        out["_check_days_start_to_end"] = (end - start).dt.days.astype("float64")
    return out


def build_suite(
    table: Table,
    columns: list[str],
    *,
    row_level: bool = True,
    table_level: bool = True,
    value_sets: dict[str, list] | None = None,
) -> gx.ExpectationSuite:
    _context()  # suites need an active context
    E = gx.expectations
    suite = gx.ExpectationSuite(name=f"bgfunds.{table.name}")
    add = suite.add_expectation
    if row_level:
        for f in table.fields:
            if not f.nullable:
                add(E.ExpectColumnValuesToNotBeNull(column=f.name))
            if f.type.startswith("DECIMAL"):
                add(E.ExpectColumnValuesToBeBetween(column=f.name, min_value=0))
            if f.name == "currency_original":
                add(E.ExpectColumnValuesToBeInSet(column=f.name, value_set=["BGN", "EUR"]))
        for name, regex in CODE_REGEXES.items():
            if name in table.columns:
                add(E.ExpectColumnValuesToMatchRegex(column=name, regex=regex))
        for col in columns:
            if col.startswith("_check_days"):
                add(E.ExpectColumnValuesToBeBetween(column=col, min_value=0))
            elif col.startswith("_check_"):
                add(E.ExpectColumnValuesToBeBetween(column=col, max_value=TOLERANCE))
        for col, values in (value_sets or {}).items():
            add(E.ExpectColumnValuesToBeInSet(column=col, value_set=list(values)))
    if table_level:
        if len(table.primary_key) == 1:
            add(E.ExpectColumnValuesToBeUnique(column=table.primary_key[0]))
        elif table.primary_key:
            add(E.ExpectCompoundColumnsToBeUnique(column_list=list(table.primary_key)))
    return suite


def _run(table: Table, frame: pd.DataFrame, suite: gx.ExpectationSuite, result_format: str):
    context = _context()
    asset = context.data_sources.add_or_update_pandas("bgfunds").add_dataframe_asset(
        f"{table.name}_{id(frame)}"
    )
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    return batch.validate(suite, result_format=result_format)


def validate_table(
    table: Table,
    df: pd.DataFrame,
    value_sets: dict[str, list] | None = None,
    table_level: bool = True,
) -> ValidationOutcome:
    """Run the table's suite on a DataFrame; the outcome lists every failed expectation.

    `table_level=False` runs only the row-level rules (for one batch of a larger table;
    `quality.staged` checks keys over the whole table)."""
    frame = _derived_columns(table, df)
    suite = build_suite(table, list(frame.columns), value_sets=value_sets, table_level=table_level)
    result = _run(table, frame, suite, "SUMMARY")
    failures = [
        Failure(
            expectation=r.expectation_config.type,
            column=r.expectation_config.kwargs.get("column")
            or str(r.expectation_config.kwargs.get("column_list")),
            unexpected_count=int(r.result.get("unexpected_count") or 0),
            examples=list(r.result.get("partial_unexpected_list") or []),
        )
        for r in result.results
        if not r.success
    ]
    return ValidationOutcome(
        table.name, bool(result.success), len(result.results), failures, rows=len(df)
    )


def screen_table(
    table: Table, df: pd.DataFrame, value_sets: dict[str, list] | None = None
) -> tuple[pd.DataFrame, list[dict]]:
    """Split off the rows that fail a row-level expectation: (kept rows, quarantine rows)."""
    if df.empty:
        return df, []
    frame = _derived_columns(table, df).reset_index(drop=True)
    suite = build_suite(table, list(frame.columns), table_level=False, value_sets=value_sets)
    result = _run(table, frame, suite, "COMPLETE")
    rejected: dict[int, dict] = {}
    for r in result.results:
        if r.success:
            continue
        column = r.expectation_config.kwargs.get("column")
        rule = _rule_name(r.expectation_config.type, column, value_sets or {})
        for i in r.result.get("unexpected_index_list") or []:
            idx = int(i) if not isinstance(i, dict) else int(next(iter(i.values())))
            if idx in rejected:
                continue
            rejected[idx] = {
                "table_name": table.name,
                "record_key": "#".join(str(frame.at[idx, k]) for k in table.primary_key),
                "rule": rule,
                "field": column,
                "value": _plain(frame.at[idx, column]),
                "message": f"{frame.at[idx, 'source_url']}: {table.name} row fails {rule}: "
                f"field {column} has value {_plain(frame.at[idx, column])!r}",
                "source_url": frame.at[idx, "source_url"],
                "fetched_at": frame.at[idx, "fetched_at"],
                "content_sha256": frame.at[idx, "content_sha256"],
            }
    keep = df.reset_index(drop=True).drop(index=list(rejected)).reset_index(drop=True)
    return keep, list(rejected.values())


def _plain(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value.item() if hasattr(value, "item") else value)


def _rule_name(expectation: str, column: str, value_sets: dict) -> str:
    if column in RULE_NAMES:
        return RULE_NAMES[column]
    if column.startswith("_check_") and column.endswith("_rate"):
        return "eur_equals_bgn_at_fixed_rate"
    if expectation == "expect_column_values_to_be_in_set" and column in value_sets:
        return "parent_row_exists"
    return {
        "expect_column_values_to_not_be_null": "required_value_missing",
        "expect_column_values_to_be_between": "amount_not_negative",
        "expect_column_values_to_match_regex": "code_format",
        "expect_column_values_to_be_in_set": "value_in_allowed_set",
    }.get(expectation, expectation)


def row_count_drops(
    previous: dict[str, int], current: dict[str, int], max_drop_share: float
) -> list[str]:
    """Tables whose row count fell by more than `max_drop_share` since the last release."""
    problems = []
    for name, before in previous.items():
        after = current.get(name, 0)
        if before > 0 and (before - after) / before > max_drop_share:
            problems.append(
                f"{name}: {before} -> {after} rows (more than {max_drop_share:.0%} fewer)"
            )
    return problems


def screen_isun_tables(
    projects: pd.DataFrame,
    activities: pd.DataFrame,
    quarantine: pd.DataFrame,
    projects_table: Table,
    activities_table: Table,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Row-level screening before publishing: failing rows move to quarantine with their rule.

    A project that fails takes its activities with it (rule `parent_row_quarantined`), so
    every published activity has its project.
    """
    kept_projects, rejected = screen_table(projects_table, projects)
    codes = set(kept_projects["project_code"])
    orphaned = activities[~activities["project_code"].isin(codes)]
    for row in orphaned.itertuples(index=False):
        rejected.append(
            {
                "table_name": activities_table.name,
                "record_key": f"{row.project_code}#{row.activity_no}",
                "rule": "parent_row_quarantined",
                "field": "project_code",
                "value": row.project_code,
                "message": f"{row.source_url}: activity {row.activity_no} of {row.project_code} set aside "
                "because its project was quarantined",
                "source_url": row.source_url,
                "fetched_at": row.fetched_at,
                "content_sha256": row.content_sha256,
            }
        )
    kept_activities, rejected_activities = screen_table(
        activities_table, activities[activities["project_code"].isin(codes)]
    )
    rejected += rejected_activities
    if rejected:
        quarantine = pd.concat(
            [quarantine, pd.DataFrame(rejected, columns=quarantine.columns)], ignore_index=True
        )
    return kept_projects, kept_activities, quarantine
