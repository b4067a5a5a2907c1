"""One batch's rows as Arrow tables, screened and written as Parquet parts, without pandas.

What a batch worker does after parsing: the normaliser's row dicts
(`transforms.isun.build_isun_rows`) become one Arrow table per staged table (`arrow_table`:
each column typed the way a DataFrame would carry it, so DuckDB's CAST to the registry's
type sees the same input as before), the row-level rules run as one DuckDB query per table
over the Arrow table (`quality.rules_sql.quarantine_sql`), and each table is written with
one typed COPY. The set-asides keep their own functions and messages
(`transforms.isun_screening`, `quality.rules_sql.set_aside_children`,
`transforms.isun.parent_quarantined_row`): they run on the few rows that fail, never on
the whole batch, so the staged parts are the ones the DataFrame path
(`pipelines.isun_batches.screen_tables` and `warehouse.staging.write_part`) writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality.rules_sql import quarantine_sql, row_rules, rule_columns, set_aside_children
from registry.tables import ACTIVITIES, PROJECT_PAGES, QUARANTINE, Table
from shared.atomic import atomic_path
from transforms.isun import IsunTables, parent_quarantined_row
from transforms.isun_screening import fits_decimal, set_aside_oversized
from warehouse.staging import _as_text, sql_string, typed_select

# Page rows are screened under the name users see them under: a rejected one is a `projects` row.
PROJECTS_AS_READ = replace(PROJECT_PAGES, name="projects")
_DECIMAL_TYPE = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
# Python types a DataFrame column keeps as a typed column (anything else, or a mix, is an
# object column that `warehouse.staging.with_explicit_types` hands DuckDB as text).
_TYPED = {str, float, int, bool, date, datetime}


def _column(values: list, sql_type: str) -> pa.Array:
    """One column as a DataFrame would carry it to DuckDB: strings, floats (NaN missing),
    ints, bools, dates and times as such; a mix of kinds (or any other kind) as text."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {int, float}:
        kinds = {float}
    if len(kinds) == 1 and (kind := next(iter(kinds))) in _TYPED:
        if kind is not datetime or len({v.tzinfo for v in values if v is not None}) == 1:
            if kind is int and any(v is None for v in values):
                return pa.array(values, type=pa.float64())  # pandas: int with a gap is float
            try:
                return pa.array(values, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                pass
    if not kinds:
        return pa.nulls(len(values))
    return pa.array([_as_text(v, sql_type) for v in values], type=pa.string())


def arrow_table(table: Table, rows: list[dict]) -> pa.Table:
    """The table's columns of `rows` (missing keys are missing values)."""
    return pa.table({f.name: _column([r.get(f.name) for r in rows], f.type) for f in table.fields})


def _oversized(table: Table, data: pa.Table, rows: list[dict]) -> list[int]:
    """Indexes of rows with an amount too large for its column's DECIMAL type (`fits_decimal`)."""
    bad = None
    for f in table.fields:
        m = _DECIMAL_TYPE.match(f.type)
        if not m:
            continue
        column, digits = data.column(f.name), int(m.group(1)) - int(m.group(2))
        if pa.types.is_floating(column.type) and digits <= 22:
            # for a float v, |Decimal(str(v))| < 10**k exactly when |v| < 10.0**k (k <= 22)
            misfit = pc.fill_null(pc.greater_equal(pc.abs(column), 10.0**digits), False)
        elif pa.types.is_null(column.type):
            continue
        else:
            misfit = pa.array([not fits_decimal(r.get(f.name), f.type) for r in rows])
        bad = misfit if bad is None else pc.or_(bad, misfit)
    if bad is None or not pc.any(bad).as_py():
        return []
    return pc.indices_nonzero(bad).to_pylist()


def _without(data: pa.Table, rows: list[dict], drop: list[int]) -> tuple[pa.Table, list[dict]]:
    if not drop:
        return data, rows
    gone = set(drop)
    keep = [i for i in range(len(rows)) if i not in gone]
    return data.take(pa.array(keep, type=pa.int64())), [rows[i] for i in keep]


def _frame(table: Table, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=table.columns)


def _screen(
    con: duckdb.DuckDBPyConnection, table: Table, data: pa.Table
) -> tuple[list[int], list[dict]]:
    """The rows that break a row-level rule (`quality.rules_sql.screen_frame`, one query over
    the Arrow table): their indexes and their quarantine rows."""
    rules = row_rules(table)
    if not data.num_rows or not rules:
        return [], []
    columns = rule_columns(table)
    incoming = data.select(columns).append_column("_row", pa.array(range(data.num_rows)))
    con.register("_batch", incoming)
    try:
        typed = replace(table, fields=tuple(f for f in table.fields if f.name in columns))
        casts = typed_select(typed, "_batch").removeprefix("SELECT ")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _row, {casts}")
        result = con.execute(quarantine_sql(table, "_typed", rules))
        names = [d[0] for d in result.description]
        found = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        con.execute("DROP TABLE IF EXISTS _typed")
        con.unregister("_batch")
    return [r.pop("_row") for r in found], found


@dataclass
class BatchTables:
    """A screened batch: an Arrow table per staged table (the names of `IsunTables`)."""

    tables: dict[str, pa.Table]

    def __getattr__(self, name: str) -> pa.Table:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None


def screen_rows(
    rows: dict[str, list[dict]], con: duckdb.DuckDBPyConnection, tables: dict[str, Table]
) -> BatchTables:
    """`pipelines.isun_batches.screen_tables` over row dicts, to Arrow tables: amounts too large
    for their type, then the row rules of projects (a failing project's activities with it) and
    activities, then the child rows of projects that did not survive, to quarantine."""
    quarantine = list(rows["quarantine"])
    data = {name: arrow_table(tables[name], rows[name]) for name in tables if name != "quarantine"}
    kept = {name: rows[name] for name in data}
    for name, table, key in (
        ("projects", PROJECTS_AS_READ, lambda r: r["project_code"]),
        ("activities", ACTIVITIES, lambda r: f"{r['project_code']}#{r['activity_no']}"),
    ):
        drop = _oversized(table, data[name], kept[name])
        if drop:
            misfits = _frame(table, [kept[name][i] for i in drop])
            quarantine += set_aside_oversized(table, misfits, key)[1]
            data[name], kept[name] = _without(data[name], kept[name], drop)
    drop, rejected = _screen(con, PROJECTS_AS_READ, data["projects"])
    data["projects"], kept["projects"] = _without(data["projects"], kept["projects"], drop)
    quarantine += rejected
    codes = set(data["projects"].column("project_code").to_pylist())
    orphans = [i for i, r in enumerate(kept["activities"]) if r.get("project_code") not in codes]
    if orphans:
        _, moved = set_aside_children(
            PROJECTS_AS_READ,
            pd.DataFrame({"project_code": sorted(codes)}, dtype=object),
            ACTIVITIES,
            _frame(ACTIVITIES, [kept["activities"][i] for i in orphans]),
        )
        quarantine += moved.to_dict("records")
        data["activities"], kept["activities"] = _without(
            data["activities"], kept["activities"], orphans
        )
    drop, rejected = _screen(con, ACTIVITIES, data["activities"])
    data["activities"], kept["activities"] = _without(data["activities"], kept["activities"], drop)
    quarantine += rejected
    for name in IsunTables.CHILD_TABLES:
        gone = [i for i, r in enumerate(kept[name]) if r.get("project_code") not in codes]
        quarantine += [parent_quarantined_row(name, kept[name][i]) for i in gone]
        data[name], kept[name] = _without(data[name], kept[name], gone)
    data["quarantine"] = arrow_table(QUARANTINE, quarantine)
    return BatchTables(data)


def write_arrow_part(table: Table, directory: Path | str, part_no: int, data: pa.Table, con) -> int:
    """`warehouse.staging.write_part` for an Arrow table: typed by the metadata, one COPY."""
    if not data.num_rows:
        return 0
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    con.register("_incoming", data)
    try:
        with atomic_path(directory / f"part-{part_no:06d}.parquet") as tmp:
            con.execute(
                f"COPY ({typed_select(table, '_incoming')}) TO {sql_string(tmp)} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
    finally:
        con.unregister("_incoming")
    return data.num_rows
