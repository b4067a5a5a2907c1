"""Excel workbooks for people: Bulgarian column titles, real numbers, one sheet per table.

The CSVs stay as they are for tools (comma-separated, point decimals, snake_case headers);
a Bulgarian Excel (list separator `;`, decimal comma) misreads those, so each table meant
for people also comes as `<table>.xlsx`: row 1 has the Bulgarian titles from the metadata,
row 2 the column names (what the CSV and Parquet call them), numbers are numbers (so
Excel formats them with the reader's own separators), dates are dates, the header frozen.
Text cells are always stored as text (inline strings): nothing starting with `=` is ever
written as a formula.

How: XlsxWriter writes the workbook with the two header rows (styles, column widths, the
frozen pane); the data rows' sheet XML is then made a column at a time from Arrow record
batches (text escaped, numbers as numbers, dates and times as Excel serials with a date
style) and spliced into that workbook's sheet. Per-cell Python (openpyxl, or XlsxWriter's
own row writer) took minutes for the projects table at the real register's size.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from registry.tables import Table
from shared.atomic import atomic_path

MAX_ROWS = 1_000_000  # Excel's sheet holds 1 048 576 rows
MAX_TEXT = 32_767  # characters Excel keeps in a cell
BATCH_ROWS = 10_000
SHEET = "xl/worksheets/sheet1.xml"
HEADER_ROWS = 2
CREATED = datetime(2000, 1, 1)  # the workbooks' fixed creation date
EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial (days since 1899-12-30)
# Characters XML 1.0 does not allow in text (tab, newline and carriage return it does).
_XML_INVALID = r"[\x00-\x08\x0b\x0c\x0e-\x1f" + "\ufffe\uffff]"


def _text_cells(column: pa.Array, ref: pa.Array) -> pa.Array:
    text = pc.cast(column, pa.string())
    text = pc.utf8_slice_codeunits(text, 0, MAX_TEXT)
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, escaped)
    text = pc.replace_substring_regex(text, _XML_INVALID, "\ufffd")
    cell = pc.binary_join_element_wise(
        '<c r="', ref, '" t="inlineStr"><is><t xml:space="preserve">', text, "</t></is></c>", ""
    )
    return pc.fill_null(cell, "")


def _value_cells(values: pa.Array, ref: pa.Array, attributes: str = "") -> pa.Array:
    cell = pc.binary_join_element_wise('<c r="', ref, f'"{attributes}><v>', values, "</v></c>", "")
    return pc.fill_null(cell, "")


def _cells(column: pa.Array, ref: pa.Array, styles: dict[str, int]) -> pa.Array:
    """One column's cells as sheet XML (an empty string where the value is null)."""
    t = column.type
    if pa.types.is_boolean(t):
        return _value_cells(pc.if_else(column, "1", "0"), ref, ' t="b"')
    if pa.types.is_decimal(t) or pa.types.is_integer(t):
        return _value_cells(pc.cast(column, pa.string()), ref)
    if pa.types.is_floating(t):
        finite = pc.if_else(pc.is_finite(column), column, None)
        return _value_cells(pc.cast(finite, pa.string()), ref)
    if pa.types.is_date(t):
        days = pc.add(pc.cast(pc.cast(column, pa.date32()), pa.int32()), EXCEL_EPOCH_DAYS)
        return _value_cells(pc.cast(days, pa.string()), ref, f' s="{styles["date"]}"')
    if pa.types.is_timestamp(t):
        micros = pc.cast(pc.cast(column, pa.timestamp("us", tz=t.tz)), pa.int64())
        serial = pc.add(pc.divide(pc.cast(micros, pa.float64()), 86_400e6), EXCEL_EPOCH_DAYS)
        return _value_cells(pc.cast(serial, pa.string()), ref, f' s="{styles["datetime"]}"')
    return _text_cells(column, ref)


def rows_xml(batch: pa.RecordBatch, first_row: int, styles: dict[str, int]) -> str:
    """The sheet XML of a batch of rows, the first of them at (1-based) sheet row `first_row`."""
    numbers = pc.cast(pa.array(range(first_row, first_row + batch.num_rows)), pa.string())
    cells = [
        _cells(batch.column(i), pc.binary_join_element_wise(xl_col_to_name(i), numbers, ""), styles)
        for i in range(batch.num_columns)
    ]
    rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
    return "".join(rows.to_pylist())


def _skeleton(table: Table) -> tuple[bytes, dict[str, int]]:
    """The workbook with only its two header rows, and the style ids of dates and date-times."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    # A fixed creation date (XlsxWriter dates the zip's entries with it too): the same rows
    # give the same bytes on every night (`warehouse.release_reuse`).
    wb.set_properties({"created": CREATED})
    ws = wb.add_worksheet(table.name[:31])
    bold = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    datetime = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for i, f in enumerate(table.fields):
        unit = f" ({f.unit})" if f.unit in ("BGN", "EUR") else ""
        kind = date if f.type == "DATE" else datetime if f.type.startswith("TIMESTAMP") else None
        ws.set_column(i, i, max(12, min(45, len(f.bg) + 4)), kind)
        ws.write_string(0, i, f"{f.bg}{unit}", bold)
        ws.write_string(1, i, f.name)
    ws.freeze_panes(HEADER_ROWS, 0)
    wb.close()
    return out.getvalue(), {"date": date.xf_index, "datetime": datetime.xf_index}


def write_xlsx(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> int:
    """Write `table` (a table or view in `con`) to `path`; return the rows written."""
    cols = ", ".join(f'"{c}"' for c in table.columns)
    order = ", ".join(f'"{c}"' for c in (table.primary_key or table.columns[:1]))
    total = min(con.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0], MAX_ROWS)
    relation = con.sql(f"SELECT {cols} FROM {table.name} ORDER BY {order} LIMIT {MAX_ROWS}")
    skeleton, styles = _skeleton(table)
    last = xl_col_to_name(len(table.columns) - 1) + str(HEADER_ROWS + total)
    rows = 0
    with (
        atomic_path(path) as tmp,
        zipfile.ZipFile(io.BytesIO(skeleton)) as src,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in src.infolist():
            if info.filename != SHEET:
                dst.writestr(info, src.read(info))
                continue
            head, tail = src.read(info).decode("utf-8").split("</sheetData>", 1)
            head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head)
            with dst.open(zipfile.ZipInfo(SHEET, info.date_time), "w", force_zip64=True) as sheet:
                sheet.write(head.encode("utf-8"))
                with relation.to_arrow_reader(batch_size=BATCH_ROWS) as reader:
                    for batch in reader:
                        if batch.num_rows:
                            sheet.write(rows_xml(batch, HEADER_ROWS + rows + 1, styles).encode())
                            rows += batch.num_rows
                sheet.write(("</sheetData>" + tail).encode("utf-8"))
    return rows
