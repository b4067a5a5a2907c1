"""Excel workbooks for people: Bulgarian column titles, real numbers, one sheet per table.

The CSVs stay as they are for tools (comma-separated, point decimals, snake_case headers);
a Bulgarian Excel (list separator `;`, decimal comma) misreads those, so each table meant
for people also comes as `<table>.xlsx`: row 1 has the Bulgarian titles from the metadata,
row 2 the column names (what the CSV and Parquet call them), numbers are numbers (so
Excel formats them with the reader's own separators), dates are dates, the header frozen.
Text cells that a spreadsheet would run as formulas are stored as text (openpyxl writes
strings as strings; nothing starting with `=` is ever written as a formula).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry.tables import Table
from shared.atomic import atomic_path

MAX_ROWS = 1_000_000  # Excel's sheet holds 1 048 576 rows


def _value(ws, v):
    if isinstance(v, str) and v.startswith("="):
        cell = WriteOnlyCell(ws, value=v)
        cell.data_type = "s"  # text, never a formula
        return cell
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)  # Excel has no time zones: UTC, as the column title says
    return v


def write_xlsx(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> int:
    """Write `table` (a table or view in `con`) to `path`; return the rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.name[:31])
    ws.freeze_panes = "A3"
    bold = Font(bold=True)
    titles, names = [], []
    for f in table.fields:
        unit = f" ({f.unit})" if f.unit in ("BGN", "EUR") else ""
        cell = WriteOnlyCell(ws, value=f"{f.bg}{unit}")
        cell.font = bold
        titles.append(cell)
        names.append(f.name)
    for i, f in enumerate(table.fields):
        ws.column_dimensions[get_column_letter(i + 1)].width = max(12, min(45, len(f.bg) + 4))
    ws.append(titles)
    ws.append(names)
    cols = ", ".join(f'"{c}"' for c in table.columns)
    order = ", ".join(f'"{c}"' for c in (table.primary_key or table.columns[:1]))
    cur = con.execute(f"SELECT {cols} FROM {table.name} ORDER BY {order} LIMIT {MAX_ROWS}")
    rows = 0
    while batch := cur.fetchmany(5000):
        for r in batch:
            ws.append([_value(ws, v) for v in r])
        rows += len(batch)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return rows
