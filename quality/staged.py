"""Validate a staged table without loading it whole.

Row-level rules (required values, amounts >= 0, code formats, financing identities,
EUR = BGN / 1.95583, dates in order) are the table's Great Expectations suite, run on
one batch at a time and only on the columns the rules read. Rules that need the whole
table at once (unique keys, every child row's parent exists) run as DuckDB SQL over
the Parquet parts, which spills to disk rather than holding the table in memory. Both
report in the same `ValidationOutcome`, so checks and the quality report read alike.

A staged table never changes once written (a new build writes a new version directory),
so the outcome is kept next to its parts (`_validation-<digest>.json`, of the parents and
the rules): the release's quality report reads what the blocking check computed instead
of validating again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import duckdb

from quality.suites import CODE_REGEXES, Failure, ValidationOutcome, validate_table
from warehouse.duckdb_store import connect
from warehouse.metadata import Table
from warehouse.staging import BATCH_ROWS, StagedTable, quote

EXAMPLES = 5
# Inputs of the cross-column rules in `quality.suites._derived_columns`.
DERIVED_INPUTS = {
    "amount_total",
    "amount_grant",
    "amount_own",
    "amount_eu",
    "amount_national",
    "start_date",
    "end_date",
}


def row_rule_columns(table: Table) -> list[str]:
    """The columns the row-level suite reads (so a batch never carries long free text it does not test)."""
    wanted = []
    for f in table.fields:
        if (
            not f.nullable
            or f.type.startswith("DECIMAL")
            or f.name == "currency_original"
            or f.name in CODE_REGEXES
            or f.name in DERIVED_INPUTS
            or f.name in table.primary_key
        ):
            wanted.append(f.name)
    return wanted


def _merge(outcomes: list[ValidationOutcome]) -> tuple[int, list[Failure]]:
    evaluated = max((o.evaluated for o in outcomes), default=0)
    merged: dict[tuple[str, str | None], Failure] = {}
    for outcome in outcomes:
        for f in outcome.failures:
            key = (f.expectation, f.column)
            if key in merged:
                merged[key].unexpected_count += f.unexpected_count
                merged[key].examples = (merged[key].examples + f.examples)[:EXAMPLES]
            else:
                merged[key] = Failure(
                    f.expectation, f.column, f.unexpected_count, list(f.examples[:EXAMPLES])
                )
    return evaluated, list(merged.values())


def key_duplicates(
    con: duckdb.DuckDBPyConnection, table: Table, staged: StagedTable
) -> Failure | None:
    if not table.primary_key:
        return None
    key = ", ".join(quote(c) for c in table.primary_key)
    rows = con.execute(
        f"SELECT {key}, count(*) AS n FROM {staged.scan_sql()} GROUP BY ALL HAVING count(*) > 1"
        f" ORDER BY n DESC, {key}"
    ).fetchall()
    if not rows:
        return None
    return Failure(
        "unique_key (DuckDB)",
        ", ".join(table.primary_key),
        sum(r[-1] for r in rows),
        ["#".join(str(v) for v in r[:-1]) for r in rows[:EXAMPLES]],
    )


def missing_parents(
    con: duckdb.DuckDBPyConnection, column: str, child: StagedTable, parent: StagedTable
) -> Failure | None:
    c = quote(column)
    rows = con.execute(
        f"SELECT c.{c}, count(*) FROM {child.scan_sql()} c WHERE c.{c} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {parent.scan_sql()} p WHERE p.{c} = c.{c}) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    if not rows:
        return None
    return Failure(
        "parent_row_exists (DuckDB)",
        column,
        sum(r[1] for r in rows),
        [r[0] for r in rows[:EXAMPLES]],
    )


@functools.cache
def _rules_code() -> bytes:
    """The code of the rules (this module and the suites), read once per process."""
    return b"".join(p.read_bytes() for p in (Path(__file__), Path(__file__).with_name("suites.py")))


def _rules_version(table: Table) -> str:
    """The table's metadata and the code of its rules: a change to either validates again."""
    return hashlib.sha1(repr(table).encode() + _rules_code()).hexdigest()


def _outcome_path(table: Table, staged: StagedTable, parents: dict[str, StagedTable]):
    basis = json.dumps(
        [
            _rules_version(table),
            sorted((column, str(parent.path)) for column, parent in parents.items()),
        ]
    )
    return Path(staged.path) / f"_validation-{hashlib.sha1(basis.encode()).hexdigest()[:12]}.json"


def _outcome_from_dict(d: dict) -> ValidationOutcome:
    failures = [
        Failure(f["expectation"], f["column"], f["unexpected_count"], f["examples"])
        for f in d["expectations_failed"]
    ]
    return ValidationOutcome(
        d["table"], d["success"], d["expectations_evaluated"], failures, rows=d["rows"]
    )


def validate_staged(
    table: Table,
    staged: StagedTable,
    parents: dict[str, StagedTable] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ValidationOutcome:
    """The table's whole suite on a staged table: GE per batch, keys and parents in DuckDB.

    `parents` maps a column to the staged table whose rows it must point at (activities'
    `project_code` -> projects). The outcome is computed once per staged version.
    """
    saved = _outcome_path(table, staged, parents or {})
    if saved.exists():
        return _outcome_from_dict(json.loads(saved.read_text(encoding="utf-8")))
    outcome = _validate(table, staged, parents or {}, batch_rows)
    tmp = saved.with_name(f".{saved.name}.tmp")
    tmp.write_text(json.dumps(outcome.as_dict(), ensure_ascii=False), encoding="utf-8")
    tmp.replace(saved)
    return outcome


def _validate(
    table: Table, staged: StagedTable, parents: dict[str, StagedTable], batch_rows: int
) -> ValidationOutcome:
    columns = row_rule_columns(table)
    outcomes = [
        validate_table(table, batch, table_level=False)
        for batch in staged.batches(columns=columns, rows=batch_rows)
    ]
    if not outcomes:  # an empty table: still report how many rules there are
        outcomes = [validate_table(table, staged.to_pandas(columns=columns), table_level=False)]
    evaluated, failures = _merge(outcomes)
    con = connect()
    try:
        table_rules = [key_duplicates(con, table, staged)] if table.primary_key else []
        table_rules += [
            missing_parents(con, column, staged, parent) for column, parent in parents.items()
        ]
    finally:
        con.close()
    evaluated += len(table_rules)
    failures += [f for f in table_rules if f is not None]
    return ValidationOutcome(table.name, not failures, evaluated, failures, rows=staged.rows)
