"""The table registry's rules as DuckDB SQL: row screening and the whole-table checks.

Every rule comes from `registry.tables.table_rules`, and how each kind of rule reads in SQL
from `quality.rule_kinds` (`fails_sql`: true where a row breaks it, null where an input is
missing, so a missing amount never counts as a broken identity), beside its Great
Expectations expectation. Two uses:

- `screen_frame` / `screen_isun_tables`: one batch of parsed rows (a DataFrame, typed
  by the metadata's casts, as staging types it) in, kept rows and quarantine rows out.
  The quarantine rows come straight out of one query: each failing row once, under the
  first rule it breaks, with the rule's name, the field, the value and a one-line
  message naming the source page, the field and the value.
- `check_table`: every rule over a whole staged table (its Parquet parts): row rules
  counted in one scan, then the unique key, the parent rows and the row-count drop.
  The blocking checks (`pipelines.checks`) report its outcome.

Code formats are Python regexes (`transforms.codes`, with look-aheads DuckDB's RE2 has
not), so they run as a Python function registered on the connection.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd
import pyarrow as pa

from quality.rule_kinds import KINDS, fails_sql
from registry.tables import PROVENANCE, QUARANTINE, Rule, Table, table_rules
from warehouse.duckdb_store import connect
from warehouse.staging import quote, sql_string, typed_select, with_explicit_types

EXAMPLES = 5
PROVENANCE_COLUMNS = [f.name for f in PROVENANCE]
QUARANTINE_COLUMNS = QUARANTINE.columns


@functools.cache
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _matches(values: pa.Array, patterns: pa.Array) -> pa.Array:
    """`re.search` of each value (None stays None), as the regex expectation reads it."""
    return pa.array(
        [
            None if v is None else _regex(p).search(v) is not None
            for v, p in zip(values.to_pylist(), patterns.to_pylist(), strict=True)
        ],
        type=pa.bool_(),
    )


def rules_connection() -> duckdb.DuckDBPyConnection:
    """A bounded in-memory DuckDB connection with `bgfunds_matches(value, pattern)`."""
    con = connect()
    con.create_function(
        "bgfunds_matches",
        _matches,
        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("BOOLEAN"),
        type="arrow",
    )
    return con


def row_rules(table: Table) -> list[Rule]:
    return [r for r in table_rules(table) if r.level == "row"]


def rule_columns(table: Table) -> list[str]:
    """The columns the row rules read, the key and the provenance: all screening needs."""
    wanted = {c for r in row_rules(table) for c in r.columns}
    wanted |= set(table.primary_key) | set(PROVENANCE_COLUMNS)
    return [c for c in table.columns if c in wanted]


# ---- row screening -------------------------------------------------------------------


def quarantine_sql(table: Table, source: str, rules: list[Rule]) -> str:
    """Quarantine rows (plus `_row`) for the rows of `source` that break a rule: the first one."""
    branches = " UNION ALL ".join(
        f"SELECT _row, {i} AS rule_no, {sql_string(r.name)} AS rule, {sql_string(r.field)} AS field, "
        f"CAST({quote(r.field)} AS VARCHAR) AS value FROM {source} WHERE {fails_sql(r)}"
        for i, r in enumerate(rules)
    )
    key = " || '#' || ".join(
        f"coalesce(CAST(t.{quote(k)} AS VARCHAR), 'None')" for k in table.primary_key
    )
    value = "coalesce('''' || f.value || '''', 'None')"
    return f"""
        WITH f AS (
            SELECT * FROM ({branches})
            QUALIFY row_number() OVER (PARTITION BY _row ORDER BY rule_no) = 1
        )
        SELECT f._row,
               {sql_string(table.name)} AS table_name,
               {key or "NULL"} AS record_key,
               f.rule, f.field, f.value,
               t.source_url || ': ' || {sql_string(table.name)} || ' row fails ' || f.rule || ': field '
                 || f.field || ' has value ' || {value} AS message,
               t.source_url, t.fetched_at, t.content_sha256
        FROM f JOIN {source} t USING (_row)
        ORDER BY f._row"""


def screen_frame(
    table: Table, frame: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off the rows that break a row-level rule: (kept rows, quarantine rows).

    `con`: a `rules_connection()` to screen on (a caller screening batch after batch opens
    one, ~20 ms, instead of one a batch); without it one is opened and closed here."""
    frame = frame.reset_index(drop=True)
    rules = row_rules(table)
    if frame.empty or not rules:
        return frame, pd.DataFrame(columns=QUARANTINE_COLUMNS)
    columns = rule_columns(table)
    own = con is None
    con = rules_connection() if own else con
    try:
        incoming = with_explicit_types(table, frame[columns]).assign(_row=range(len(frame)))
        con.register("_batch", incoming)
        casts = typed_select(_typed_columns(table, columns), "_batch").removeprefix("SELECT ")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _row, {casts}")
        rejected = con.execute(quarantine_sql(table, "_typed", rules)).df()
    finally:
        if own:
            con.close()
        else:
            con.execute("DROP TABLE IF EXISTS _typed")
            con.unregister("_batch")
    keep = frame.drop(index=rejected["_row"].tolist()).reset_index(drop=True)
    rejected = rejected.drop(columns="_row").astype(object)
    return keep, rejected.where(rejected.notna(), None)  # a missing value is None, as elsewhere


def _typed_columns(table: Table, columns: list[str]) -> Table:
    """`table` with only `columns` (for a typed SELECT of part of its fields)."""
    return replace(table, fields=tuple(f for f in table.fields if f.name in columns))


def set_aside_children(
    parent: Table, kept_parent: pd.DataFrame, child: Table, rows: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`rows` of `child` whose parent row (by the child's foreign key to `parent`) was set
    aside: (kept rows, quarantine rows under rule `parent_row_quarantined`). The cascade
    comes from the registry's foreign keys, so every published child row has its parent."""
    (fk,) = [fk for fk in child.foreign_keys if fk.parent == parent.name]
    orphaned = ~rows[fk.column].isin(set(kept_parent[fk.parent_column]))
    if not orphaned.any():
        return rows, pd.DataFrame(columns=QUARANTINE_COLUMNS)
    gone = rows[orphaned]
    key = gone[list(child.primary_key)].astype(str).agg("#".join, axis=1)
    quarantined = pd.DataFrame(
        {
            "table_name": child.name,
            "record_key": key,
            "rule": "parent_row_quarantined",
            "field": fk.column,
            "value": gone[fk.column],
            "message": gone["source_url"]
            + f": {child.name} row "
            + key
            + f" set aside because its {parent.name} row {fk.column} = "
            + gone[fk.column].astype(str)
            + " was quarantined",
            "source_url": gone["source_url"],
            "fetched_at": gone["fetched_at"],
            "content_sha256": gone["content_sha256"],
        },
        columns=QUARANTINE_COLUMNS,
    )
    return rows[~orphaned], quarantined


def screen_isun_tables(
    projects: pd.DataFrame,
    activities: pd.DataFrame,
    quarantine: pd.DataFrame,
    projects_table: Table,
    activities_table: Table,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Row screening of one batch before staging: failing rows move to quarantine with their rule.

    A project that fails takes its activities with it (`set_aside_children`, by the
    activities' foreign key to projects), so every published activity has its project.
    """
    con = rules_connection()  # one for both screenings
    try:
        kept_projects, rejected = screen_frame(projects_table, projects, con)
        activities, orphans = set_aside_children(
            projects_table, kept_projects, activities_table, activities
        )
        kept_activities, rejected_activities = screen_frame(activities_table, activities, con)
    finally:
        con.close()
    parts = [p for p in (rejected, orphans, rejected_activities) if not p.empty]
    if parts:
        quarantine = pd.concat(
            [quarantine, *(p[quarantine.columns] for p in parts)], ignore_index=True
        )
    return kept_projects, kept_activities, quarantine


# ---- whole-table checks --------------------------------------------------------------


@dataclass
class RuleOutcome:
    """How one rule fared on a whole table: rows (or keys) that broke it, a few examples."""

    rule: Rule
    failed: int
    examples: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.rule.name}({', '.join(self.rule.columns)})"

    def __str__(self) -> str:
        return f"{self.label}: {self.failed} rows, e.g. {self.examples[:3]}"


@dataclass
class TableOutcome:
    table: str
    rows: int
    outcomes: list[RuleOutcome]

    @property
    def failures(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def success(self) -> bool:
        return not self.failures


def _row_rule_outcomes(
    con: duckdb.DuckDBPyConnection, source: str, rules: list[Rule]
) -> tuple[int, list[RuleOutcome]]:
    counts = ", ".join(f"count(*) FILTER (WHERE {fails_sql(r)})" for r in rules)
    rows, *failed = con.execute(
        f"SELECT count(*){', ' + counts if counts else ''} FROM {source}"
    ).fetchone()
    outcomes = []
    for rule, n in zip(rules, failed, strict=True):
        examples = []
        if n:
            examples = [
                row[0]
                for row in con.execute(
                    f"SELECT DISTINCT CAST({quote(rule.field)} AS VARCHAR) AS v FROM {source} "
                    f"WHERE {fails_sql(rule)} ORDER BY v NULLS FIRST LIMIT {EXAMPLES}"
                ).fetchall()
            ]
        outcomes.append(RuleOutcome(rule, n, examples))
    return rows, outcomes


def _duplicates(con: duckdb.DuckDBPyConnection, source: str, rule: Rule) -> RuleOutcome:
    key = ", ".join(map(quote, rule.columns))
    rows = con.execute(
        f"SELECT {key}, count(*) AS n FROM {source} GROUP BY ALL HAVING count(*) > 1 ORDER BY n DESC, {key}"
    ).fetchall()
    return RuleOutcome(
        rule,
        sum(r[-1] for r in rows),
        ["#".join(str(v) for v in r[:-1]) for r in rows[:EXAMPLES]],
    )


def _orphans(con: duckdb.DuckDBPyConnection, source: str, rule: Rule, parent: str) -> RuleOutcome:
    c, p = quote(rule.field), quote(rule.parent_column)
    rows = con.execute(
        f"SELECT c.{c}, count(*) FROM {source} c WHERE c.{c} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {parent} p WHERE p.{p} = c.{c}) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return RuleOutcome(rule, sum(r[1] for r in rows), [r[0] for r in rows[:EXAMPLES]])


def row_drop(rule: Rule, previous: int | None, rows: int, default_share: float) -> RuleOutcome:
    """The row-count rule: fails if more than the allowed share vanished since the last release."""
    share = KINDS["row_drop"].allowed_share(rule, default_share)
    if previous and (previous - rows) / previous > share:
        return RuleOutcome(rule, 1, [f"{previous} -> {rows} rows (more than {share:.0%} fewer)"])
    return RuleOutcome(rule, 0)


def check_table(
    table: Table,
    source: str,
    parents: dict[str, str] | None = None,
    previous_rows: int | None = None,
    default_drop_share: float = 1.0,
) -> TableOutcome:
    """Every rule of `table` over `source` (a DuckDB table expression, e.g. a staged table's scan).

    `parents` maps a parent table's name to its table expression; `previous_rows` is the
    row count in the last release (None: no release yet, the drop rule passes)."""
    parents = parents or {}
    rules = table_rules(table)
    con = rules_connection()
    try:
        rows, outcomes = _row_rule_outcomes(con, source, [r for r in rules if r.level == "row"])
        for rule in rules:
            if rule.test == "unique":
                outcomes.append(_duplicates(con, source, rule))
            elif rule.test == "parent" and rule.parent in parents:
                outcomes.append(_orphans(con, source, rule, parents[rule.parent]))
            elif rule.test == "row_drop":
                outcomes.append(row_drop(rule, previous_rows, rows, default_drop_share))
    finally:
        con.close()
    return TableOutcome(table.name, rows, outcomes)
