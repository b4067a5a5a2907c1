"""Great Expectations suites for the published tables, generated from `warehouse.metadata`.

Generic rules come from the metadata (non-null fields, unique keys, amounts >= 0,
currencies); table rules are added here (code formats, financing identities, EUR/BGN
consistency). Identities that span columns are checked on derived `_check_*` columns,
which are null where an input is missing, so missing amounts never count as errors.
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
        out["_check_grant_plus_own_minus_total"] = mismatch("amount_total", ["amount_grant", "amount_own"])
    if {"amount_grant", "amount_eu", "amount_national"} <= cols:
        out["_check_eu_plus_national_minus_grant"] = mismatch("amount_grant", ["amount_eu", "amount_national"])
    for f in table.fields:
        if f.name.endswith("_eur") and f"{f.name[:-4]}_bgn" in cols:
            bgn, eur = df[f"{f.name[:-4]}_bgn"].astype("float64"), df[f.name].astype("float64")
            out[f"_check_{f.name}_rate"] = (bgn / RATE - eur).abs().round(6)
    if {"start_date", "end_date"} <= cols:
        start, end = pd.to_datetime(df["start_date"]), pd.to_datetime(df["end_date"])
        out["_check_days_start_to_end"] = (end - start).dt.days.astype("float64")
    return out


def build_suite(table: Table, columns: list[str]) -> gx.ExpectationSuite:
    E = gx.expectations
    suite = gx.ExpectationSuite(name=f"bgfunds.{table.name}")
    for f in table.fields:
        if not f.nullable:
            suite.add_expectation(E.ExpectColumnValuesToNotBeNull(column=f.name))
        if f.type.startswith("DECIMAL"):
            suite.add_expectation(E.ExpectColumnValuesToBeBetween(column=f.name, min_value=0))
        if f.name == "currency_original":
            suite.add_expectation(E.ExpectColumnValuesToBeInSet(column=f.name, value_set=["BGN", "EUR"]))
    if len(table.primary_key) == 1:
        suite.add_expectation(E.ExpectColumnValuesToBeUnique(column=table.primary_key[0]))
    elif table.primary_key:
        suite.add_expectation(E.ExpectCompoundColumnsToBeUnique(column_list=list(table.primary_key)))
    regexes = {"project_code": PROJECT_CODE_REGEX, "procedure_code": PROCEDURE_CODE_REGEX,
               "programme_code": PROGRAMME_CODE_REGEX}
    for name, regex in regexes.items():
        if name in table.columns:
            suite.add_expectation(E.ExpectColumnValuesToMatchRegex(column=name, regex=regex))
    for col in columns:
        if col.startswith("_check_days"):
            suite.add_expectation(E.ExpectColumnValuesToBeBetween(column=col, min_value=0))
        elif col.startswith("_check_"):
            suite.add_expectation(E.ExpectColumnValuesToBeBetween(column=col, max_value=TOLERANCE))
    return suite


def validate_table(table: Table, df: pd.DataFrame) -> ValidationOutcome:
    """Run the table's suite on a DataFrame; the outcome lists every failed expectation."""
    frame = _derived_columns(table, df)
    context = _context()
    name = f"{table.name}_{id(frame)}"
    asset = context.data_sources.add_or_update_pandas("bgfunds").add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(build_suite(table, list(frame.columns)), result_format="SUMMARY")
    failures = [
        Failure(
            expectation=r.expectation_config.type,
            column=r.expectation_config.kwargs.get("column") or str(r.expectation_config.kwargs.get("column_list")),
            unexpected_count=int(r.result.get("unexpected_count") or 0),
            examples=list(r.result.get("partial_unexpected_list") or []),
        )
        for r in result.results
        if not r.success
    ]
    return ValidationOutcome(table.name, bool(result.success), len(result.results), failures)
