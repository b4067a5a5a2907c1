"""Download what you see: a CSV and an XLSX of exactly the projects a site page lists.

Every municipality, district, programme, procedure and beneficiary page of the site links
`downloads/<kind>/<slug>.csv` and `.xlsx`, holding the page's projects (the same rows, in the
same order): the columns of `projects`, except the amounts in the stated currency (each
amount is there in EUR and BGN, the currency in the column name), plus the reported amounts
of the activities (`reported_eur`, `reported_bgn`, only where the contract's pages were read).

A project is a row in five downloads, so its CSV line and its sheet row are rendered by
DuckDB (`rendered_rows_sql`, one SQL expression each, not a Python call per cell) and each file
is the header and its rows' pieces joined; the rows stream from one query per kind, ordered by
the page's key, and each page's files are written when its key changes, so memory holds one
page's rows. The CSV is written as the release's other CSVs (UTF-8 with BOM, formulas
neutralised, timestamps in UTC). The XLSX is written without a spreadsheet library per file:
a workbook made once by openpyxl (the package's fixed parts: content types, relationships,
styles, the Bulgarian titles) gets each page's sheet XML. The Python writers (`_csv_text`,
`XlsxTemplate.sheet_xml`) are the reference the SQL is tested against, value by value.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry.tables import Field, Table
from warehouse.export import UTF8_BOM
from warehouse.release_reuse import WRITER_VERSION, link_files

THEME = "xl/theme/theme1.xml"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a CSV text starting so gets a leading '

EXTENSIONS = (".csv", ".xlsx")
REPORTED = (
    Field(
        "reported_eur",
        "DECIMAL(18,2)",
        "Reported by the activities (pages read only), EUR",
        "Отчетено по дейностите (само прочетени страници), евро",
        "EUR",
    ),
    Field(
        "reported_bgn",
        "DECIMAL(18,2)",
        "Reported by the activities (pages read only), BGN",
        "Отчетено по дейностите (само прочетени страници), лева",
        "BGN",
    ),
)


def download_fields(projects: Table) -> tuple[Field, ...]:
    """The columns of a page's download: `projects`' without the stated-currency amounts, then reported."""
    return (
        *(f for f in projects.fields if f.unit != "currency_original"),
        *REPORTED,
    )


class XlsxTemplate:
    """The fixed parts of a one-sheet workbook (made once by openpyxl), and a writer of its sheet."""

    def __init__(self, fields: tuple[Field, ...]):
        self.fields = fields
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title="projects")
        ws.append(["x"])  # a cell, so that openpyxl writes every part a sheet with data has
        buffer = io.BytesIO()
        wb.save(buffer)
        with zipfile.ZipFile(buffer) as z:
            self.parts = {
                n: z.read(n) for n in z.namelist() if n not in ("xl/worksheets/sheet1.xml", THEME)
            }
        # The theme (10 kB, colours and fonts Excel has by default anyway) is left out, and with it
        # its two references: the file stays a valid workbook, a sixth of the size.
        self.parts["[Content_Types].xml"] = re.sub(
            rb'<Override PartName="/xl/theme/theme1.xml"[^>]*/>',
            b"",
            self.parts["[Content_Types].xml"],
        )
        self.parts["xl/_rels/workbook.xml.rels"] = re.sub(
            rb'<Relationship [^>]*Target="[^"]*theme/theme1.xml"[^>]*/>',
            b"",
            self.parts["xl/_rels/workbook.xml.rels"],
        )
        # openpyxl dates the workbook when it is made: a fixed date instead, so that the same
        # rows give the same bytes on every night (`warehouse.release_reuse`).
        if "docProps/core.xml" in self.parts:
            self.parts["docProps/core.xml"] = re.sub(
                rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                rb"\g<1>1980-01-01T00:00:00Z\g<3>",
                self.parts["docProps/core.xml"],
            )
        self.bold = self._bold_style_id()
        self.header = self._header_rows()
        self.letters = [get_column_letter(i + 1) for i in range(len(fields))]
        self.xlsx_cells = [_xlsx_writer(f) for f in fields]
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{max(12, min(45, len(f.bg) + 4))}" customWidth="1"/>'
            for i, f in enumerate(fields)
        )
        self.sheet_head = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f"<cols>{cols}</cols><sheetData>{self.header}"
        )
        self.fixed = fixed_zip(self.parts)

    def _bold_style_id(self) -> int:
        """The cell style id of bold text in the template's styles (made with one bold cell)."""
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title="projects")
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value="x")
        cell.font = Font(bold=True)
        ws.append([cell])
        buffer = io.BytesIO()
        wb.save(buffer)
        with zipfile.ZipFile(buffer) as z:
            self.parts["xl/styles.xml"] = z.read("xl/styles.xml")
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        marker = ' s="'
        return int(sheet[sheet.index(marker) + len(marker) :].split('"', 1)[0])

    def _header_rows(self) -> str:
        titles, names = [], []
        for i, f in enumerate(self.fields):
            unit = f" ({f.unit})" if f.unit in ("BGN", "EUR") else ""
            ref = get_column_letter(i + 1)
            titles.append(_text_cell(f"{ref}1", f"{f.bg}{unit}", self.bold))
            names.append(_text_cell(f"{ref}2", f.name, self.bold))
        return f'<row r="1">{"".join(titles)}</row><row r="2">{"".join(names)}</row>'

    def sheet_xml(self, rows: list[tuple]) -> str:
        body = []
        columns = list(zip(self.letters, self.xlsx_cells, strict=True))
        for n, row in enumerate(rows, start=3):
            r = str(n)
            cells = "".join(
                [
                    write(letter + r, v)
                    for (letter, write), v in zip(columns, row, strict=True)
                    if v is not None
                ]
            )
            body.append(f'<row r="{r}">{cells}</row>')
        return f"{self.sheet_head}{''.join(body)}{SHEET_TAIL}"

    def write(self, path: Path, rows: list[tuple]) -> None:
        """The workbook in one call: the template's fixed parts and this sheet (`zip_bytes`)."""
        path.write_bytes(zip_bytes(self.fixed, self.sheet_xml(rows).encode("utf-8")))


SHEET_TAIL = "</sheetData></worksheet>"
_SHEET = "xl/worksheets/sheet1.xml"
_EXTERNAL_ATTR = 0o600 << 16


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _EXTERNAL_ATTR
    return info


def fixed_zip(parts: dict[str, bytes]) -> bytes:
    """A zip (Python's `zipfile`) of the workbook's fixed `parts`, compressed once for every
    workbook: `zip_bytes` appends a sheet to it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(_zip_info(name), data)
    return buffer.getvalue()


def zip_bytes(fixed: bytes, sheet: bytes) -> bytes:
    """The workbook: `fixed` (`fixed_zip`) with the sheet appended (the same bytes as zipping
    every part at once, without compressing the fixed parts again for each of ~50 000 files).
    Every entry deflated and dated 1980-01-01, never the time of writing, so the same rows give
    the same bytes night after night (`warehouse.release_reuse`). The sheet at level 1: a third
    of the default level's time, a file ~5 % larger."""
    buffer = io.BytesIO(fixed)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(_zip_info(_SHEET), sheet, compresslevel=1)
    return buffer.getvalue()


def _text_cell(ref: str, text: str, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _number_cell(ref: str, value) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def _bool_cell(ref: str, value) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def _cell(ref: str, value) -> str:
    """One cell: numbers as numbers, everything else as text (never a formula)."""
    if isinstance(value, bool):
        return _bool_cell(ref, value)
    if isinstance(value, int | float | Decimal):
        return _number_cell(ref, value)
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%SZ")
    elif isinstance(value, date):
        value = value.isoformat()
    return _text_cell(ref, str(value))


def _xlsx_writer(field: Field):
    """The cell writer of a column (by its declared type; any other value by `_cell`)."""
    kind = field.type.split("(")[0]
    if kind == "VARCHAR":
        return lambda ref, v: _text_cell(ref, v) if type(v) is str else _cell(ref, v)
    if kind in ("DECIMAL", "INTEGER", "BIGINT", "DOUBLE"):
        return lambda ref, v: (
            _number_cell(ref, v) if type(v) in (Decimal, int, float) else _cell(ref, v)
        )
    return _cell


def _csv_writer(field: Field):
    """A column's CSV value (by its declared type; any other value by `_csv_value`)."""
    kind = field.type.split("(")[0]
    if kind in ("DECIMAL", "INTEGER", "BIGINT", "DOUBLE", "DATE"):
        return lambda v: "" if v is None else v
    if kind == "VARCHAR":
        return lambda v: (
            ("'" + v if v[:1] in FORMULA_STARTS else v) if type(v) is str else _csv_value(v)
        )
    return _csv_value


def _csv_text(fields: tuple[Field, ...], rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields])
    values = [_csv_writer(f) for f in fields]
    writer.writerows([[value(v) for value, v in zip(values, row, strict=True)] for row in rows])
    return UTF8_BOM + out.getvalue().encode("utf-8")


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


# ---------- each project's row rendered once, by DuckDB ----------
#
# A project is a row in five downloads (its municipality's, district's, programme's,
# procedure's and beneficiary's), each a CSV and an XLSX. Its CSV line and its sheet row are
# rendered by SQL, in DuckDB (vectorised, not a Python call per cell), with the bytes of the
# Python writers above (`_csv_text`, `XlsxTemplate.sheet_xml`: the reference,
# `tests/test_site_writes.py` compares the two on awkward values); a file is then its header
# and its rows' pieces joined. A sheet row's number (in `<row r=..>` and in each cell's
# reference) is `ROW_MARK` until its place in its file is known: escaped text never holds a
# `<`, so the mark is never part of a value.

ROW_MARK = "<#>"


_FORMULA_RE = "^[-=+@\\t\\r]"  # FORMULA_STARTS, as a regular expression
_QUOTED_RE = '[,"\\n]'  # what makes Python's csv writer (QUOTE_MINIMAL, lineterminator \n) quote
assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def _values_sql(fields: tuple[Field, ...]) -> str:
    """The values the rows are rendered from, over `projects p LEFT JOIN activity_totals t`:
    `_v<i>` the i-th field's (a time as its UTC text, `2026-11-20 02:00:00Z`, as the release's
    other CSVs write it) and, for a text, `_n<i>` as the CSV holds it (a formula neutralised
    with a leading ')."""
    out = []
    for i, f in enumerate(fields):
        column = f"t.{f.name}" if f in REPORTED else f"p.{f.name}"
        if f.type.startswith("TIMESTAMP"):
            column = f"strftime(timezone('UTC', {column}), '%Y-%m-%d %H:%M:%SZ')"
        out.append(f"{column} AS _v{i}")
        if f.type.startswith("VARCHAR"):
            out.append(
                f"CASE WHEN regexp_matches({column}, '{_FORMULA_RE}') "
                f"THEN '''' || {column} ELSE {column} END AS _n{i}"
            )
    return ", ".join(out)


def _csv_piece_sql(field: Field, i: int) -> str:
    """One CSV cell (as `_csv_writer` and Python's csv writer write it), NULL for none: a text
    with a comma, a quote or a line feed quoted, its quotes doubled."""
    kind, value = field.type.split("(")[0], f"p._v{i}"
    if kind == "BOOLEAN":
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    if kind in ("DECIMAL", "INTEGER", "BIGINT", "DATE"):
        return f"{value}::VARCHAR"
    text = f"p._n{i}" if kind == "VARCHAR" else value
    return (
        f"CASE WHEN regexp_matches({value}, '{_QUOTED_RE}') "
        f"""THEN '"' || replace({text}, '"', '""') || '"' ELSE {text} END"""
    )


def _xlsx_cell_sql(field: Field, i: int) -> str:
    """One sheet cell (as `_xlsx_writer` writes it), NULL for none: numbers as numbers,
    booleans as booleans, everything else (dates and times too) as inline text, escaped."""
    kind, value = field.type.split("(")[0], f"p._v{i}"
    ref = f'<c r="{get_column_letter(i + 1)}{ROW_MARK}"'
    if kind in ("DECIMAL", "INTEGER", "BIGINT"):
        return f"'{ref}><v>' || {value}::VARCHAR || '</v></c>'"
    if kind == "BOOLEAN":
        return f"""'{ref} t="b"><v>' || {value}::INTEGER::VARCHAR || '</v></c>'"""
    escaped = f"replace(replace(replace({value}::VARCHAR, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    return f"""'{ref} t="inlineStr"><is><t xml:space="preserve">' || {escaped} || '</t></is></c>'"""


def rendered_rows_sql(fields: tuple[Field, ...]) -> tuple[str, str, str]:
    """(relation, CSV line, sheet row): the relation is `projects` with the values the rows are
    rendered from (`_values_sql`), to be aliased `p`; a project's CSV line (ending in a line
    feed) and its sheet row (`ROW_MARK` for its number) are SQL over it. NULL pieces are
    skipped by `concat`, the separators kept."""
    relation = (
        f"(SELECT p.*, {_values_sql(fields)} "
        "FROM projects p LEFT JOIN activity_totals t USING (project_code))"
    )
    pieces = []
    for i, f in enumerate(fields):
        pieces += [_csv_piece_sql(f, i), "','"]
    line = f"concat({', '.join(pieces[:-1])}, chr(10))"
    cells = ", ".join(_xlsx_cell_sql(f, i) for i, f in enumerate(fields))
    return relation, line, f"""concat('<row r="{ROW_MARK}">', {cells}, '</row>')"""


def _csv_header(fields: tuple[Field, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([f.name for f in fields])
    return out.getvalue()


def _files(cur: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, list[str], list[str]]]:
    """(key, CSV lines, sheet rows) of a cursor of (key, line, row) ordered by key."""
    key, lines, rows = None, [], []
    while batch := cur.fetchmany(2000):
        for k, line, row in batch:
            if k != key and lines:
                yield key, lines, rows
                lines, rows = [], []
            key = k
            lines.append(line)
            rows.append(row)
    if lines:
        yield key, lines, rows


def key_ranges(
    con: duckdb.DuckDBPyConnection, key_sql: str, join_sql: str, rows: int
) -> list[list[str]]:
    """A kind's page keys in order, cut into runs of about `rows` rows (a key's rows are never
    cut): each run's downloads are one query, one task of a worker."""
    runs, run, size = [], [], 0
    for key, count in con.execute(
        f"""SELECT {key_sql} AS _key, count(*) FROM projects p {join_sql}
            WHERE {key_sql} IS NOT NULL GROUP BY _key ORDER BY _key"""
    ).fetchall():
        if run and size + count > rows:
            runs.append(run)
            run, size = [], 0
        run.append(key)
        size += count
    return [*runs, run] if run else runs


def files_digest(csv_text: str, sheet: str) -> str:
    """A download's digest: its CSV and its sheet as rendered, and the code that renders and
    zips them (`warehouse.release_reuse.WRITER_VERSION`)."""
    digest = hashlib.sha256(f"{WRITER_VERSION}\n".encode())
    digest.update(csv_text.encode("utf-8"))
    digest.update(sheet.encode("utf-8"))
    return digest.hexdigest()


def write_page_downloads(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    kind: str,
    key_sql: str,
    join_sql: str,
    order_sql: str,
    fields: tuple[Field, ...],
    file_of,
    template: XlsxTemplate,
    previous: Path | None = None,
    digests: dict | None = None,
    keys: tuple[str, str] | None = None,
) -> dict[str, int]:
    """`downloads/<kind>/<file>.csv|.xlsx` for each key; returns rows per key.

    `key_sql` selects the page key from `p` (projects) and what `join_sql` joins; rows are
    ordered by key, then `order_sql` (the order the page lists them in). Each row's CSV line
    and sheet row come rendered from DuckDB (`rendered_rows_sql`), numbered in its file there.
    With `digests` (`{"before": {file: digest}, "now": {}}`), a file whose digest
    (`files_digest`) is the one the previous release's site (`previous`) recorded is linked
    from it instead of written; `now` gets every file's digest and `reused` the number linked.
    With `keys` (first, last), only the keys from first to last (a range of `key_ranges`: the
    rows DuckDB sorts and renders at once are a range's, not a kind's)."""
    relation, line_sql, row_sql = rendered_rows_sql(fields)
    in_range = f"AND {key_sql} BETWEEN ? AND ?" if keys else ""
    number = f"(2 + row_number() OVER (PARTITION BY {key_sql} ORDER BY {order_sql}))::VARCHAR"
    cur = con.execute(
        f"""SELECT {key_sql} AS _key, {line_sql} AS _csv,
                   replace({row_sql}, '{ROW_MARK}', {number}) AS _xlsx
            FROM {relation} p {join_sql}
            WHERE {key_sql} IS NOT NULL {in_range}
            ORDER BY _key, {order_sql}""",
        list(keys or ()),
    )
    directory = out / "downloads" / kind
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    header = _csv_header(fields)
    before = (digests or {}).get("before") or {}
    old_dir = previous / "downloads" / kind if previous else None
    for key, lines, rows in _files(cur):
        name = file_of(key)
        counts[key] = len(lines)
        csv_text = header + "".join(lines)
        sheet = f"{template.sheet_head}{''.join(rows)}{SHEET_TAIL}"
        if digests is not None:
            digest = digests["now"][name] = files_digest(csv_text, sheet)
            if (
                old_dir is not None
                and before.get(name) == digest
                and link_files(
                    [(old_dir / f"{name}{ext}", directory / f"{name}{ext}") for ext in EXTENSIONS]
                )
            ):
                digests["reused"] = digests.get("reused", 0) + 1
                continue
        (directory / f"{name}.csv").write_bytes(UTF8_BOM + csv_text.encode("utf-8"))
        (directory / f"{name}.xlsx").write_bytes(zip_bytes(template.fixed, sheet.encode("utf-8")))
    return counts
