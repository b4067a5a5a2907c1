"""Each kind of registry rule, once: how it reads in DuckDB SQL and as a Great Expectations expectation.

A `registry.tables.Rule` says what is checked (`test`, `columns`, bounds); the kind of its
`test` says how, side by side for both engines, so the two can never translate a rule
differently: `fails_sql` is an SQL condition true where a row breaks the rule (null where an
input is missing: a missing amount never counts as a broken identity), `expectation` is the
expectation the checkpoint validates (on the column itself, or on the rule's derived column
for the rules that span columns or tables: `derived_column`). `quality.rules_sql` (row
screening, the blocking checks) and `quality.checkpoint` (the build's Great Expectations
suites) both read the rules through `KINDS` only.

Great Expectations is never imported here: `expectation` receives its `expectations`
module (`E`) from the checkpoint, which imports it in its own process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from registry.tables import Rule
from transforms.amounts import EUR_BGN_RATE
from warehouse.staging import quote, sql_string

RATE = float(EUR_BGN_RATE)


def double(column: str, alias: str = "") -> str:
    return f"CAST({alias}{quote(column)} AS DOUBLE)"


def gap_sql(rule: Rule, alias: str = "") -> str:
    """How far a sum or rate rule is off on a row (null where an input is missing)."""
    if rule.test == "sum":
        total, *parts = rule.columns
        added = " + ".join(double(p, alias) for p in parts)
        return f"round(abs({added} - {double(total, alias)}), 6)"
    if rule.test == "rate":
        eur, bgn = rule.columns
        return f"round(abs({double(bgn, alias)} / {RATE!r} - {double(eur, alias)}), 6)"
    raise ValueError(f"rule {rule.name}: {rule.test} has no gap")


def derived_column(rule: Rule) -> str | None:
    """The column a cross-column or cross-table rule is validated on (None: a plain column rule)."""
    if rule.test in ("sum", "rate", "parent"):
        return f"{rule.name}__{rule.field}"
    return None


@dataclass(frozen=True)
class Context:
    """What an expectation needs beyond the rule: whether the parent table is validated too,
    the last release's row count and the build's default row-drop share."""

    has_parent: bool = False
    previous_rows: int | None = None
    default_drop_share: float = 1.0


class Kind:
    """One kind of rule (a `test`): its SQL condition and its expectation."""

    level = "row"

    def fails_sql(self, rule: Rule) -> str:
        raise ValueError(f"rule {rule.name}: {rule.test} is not a row-level test")

    def expectation(self, rule: Rule, E, ctx: Context):
        raise NotImplementedError


class NotNull(Kind):
    def fails_sql(self, rule):
        return f"{quote(rule.field)} IS NULL"

    def expectation(self, rule, E, ctx):
        return E.ExpectColumnValuesToNotBeNull(column=rule.field)


class Range(Kind):
    def fails_sql(self, rule):
        c = quote(rule.field)
        bounds = []
        if rule.min_value is not None:
            bounds.append(f"{c} < {rule.min_value!r}")
        if rule.max_value is not None:
            bounds.append(f"{c} > {rule.max_value!r}")
        return " OR ".join(bounds) or "false"

    def expectation(self, rule, E, ctx):
        return E.ExpectColumnValuesToBeBetween(
            column=rule.field, min_value=rule.min_value, max_value=rule.max_value
        )


class InSet(Kind):
    def fails_sql(self, rule):
        return f"{quote(rule.field)} NOT IN ({', '.join(map(sql_string, rule.values))})"

    def expectation(self, rule, E, ctx):
        return E.ExpectColumnValuesToBeInSet(column=rule.field, value_set=list(rule.values))


class Pattern(Kind):
    """A Python regex (with look-aheads RE2 has not): `bgfunds_matches`, registered on the
    connection by `quality.rules_sql.rules_connection`, searches as the expectation does."""

    def fails_sql(self, rule):
        c = quote(rule.field)
        return f"NOT bgfunds_matches(CAST({c} AS VARCHAR), {sql_string(rule.pattern)})"

    def expectation(self, rule, E, ctx):
        return E.ExpectColumnValuesToMatchRegex(column=rule.field, regex=rule.pattern)


class Gap(Kind):
    """A sum or EUR = BGN / rate identity, within the rule's tolerance."""

    def fails_sql(self, rule):
        return f"{gap_sql(rule)} > {rule.tolerance!r}"

    def expectation(self, rule, E, ctx):
        return E.ExpectColumnValuesToBeBetween(
            column=derived_column(rule), max_value=rule.tolerance
        )


class Order(Kind):
    def fails_sql(self, rule):
        start, end = map(quote, rule.columns)
        return f"{start} > {end}"

    def expectation(self, rule, E, ctx):
        start, end = rule.columns
        return E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=end, column_B=start, or_equal=True, ignore_row_if="either_value_is_missing"
        )


class Unique(Kind):
    level = "table"

    def expectation(self, rule, E, ctx):
        if len(rule.columns) == 1:
            return E.ExpectColumnValuesToBeUnique(column=rule.field)
        return E.ExpectCompoundColumnsToBeUnique(column_list=list(rule.columns))


class Parent(Kind):
    """Each child row's parent row exists: null where it does, in the derived column."""

    level = "table"

    def expectation(self, rule, E, ctx):
        return E.ExpectColumnValuesToBeNull(column=derived_column(rule)) if ctx.has_parent else None


class RowDrop(Kind):
    level = "table"

    def allowed_share(self, rule: Rule, default_share: float) -> float:
        return rule.max_value if rule.max_value is not None else default_share

    def expectation(self, rule, E, ctx):
        if not ctx.previous_rows:
            return None
        share = self.allowed_share(rule, ctx.default_drop_share)
        least = math.ceil(ctx.previous_rows * (1 - share) - 1e-9)
        return E.ExpectTableRowCountToBeBetween(min_value=max(least, 0))


KINDS: dict[str, Kind] = {
    "not_null": NotNull(),
    "range": Range(),
    "in_set": InSet(),
    "pattern": Pattern(),
    "sum": Gap(),
    "rate": Gap(),
    "order": Order(),
    "unique": Unique(),
    "parent": Parent(),
    "row_drop": RowDrop(),
}


def fails_sql(rule: Rule) -> str:
    """A row-level rule as an SQL condition: true where the row breaks it."""
    return KINDS[rule.test].fails_sql(rule)


def expectation(rule: Rule, E, ctx: Context):
    """The rule's expectation, tagged with the rule (None: nothing to validate, e.g. no last release)."""
    e = KINDS[rule.test].expectation(rule, E, ctx)
    if e is not None:
        e.meta = {"rule": rule.name, "columns": list(rule.columns), "level": rule.level}
    return e
