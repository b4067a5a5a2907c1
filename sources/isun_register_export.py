"""ИСУН's project register export (`/bg/0/0/Project/ExportToExcel`, XLSX) read by its header names.

The sheet opens with a filter-summary block of varying height, then the header row, then one
row per contract until the first empty row or the "Забележки" notes. In 2026 the header has
15 columns (amounts in EUR; the proposal code without `-Cnn`). Columns are found by their
names, never by position, and a header without one of the expected names is a loud
`ExportHeaderError` naming the file and what is missing: never rows of shifted values.

What belongs here: finding the header, reading rows as dicts keyed by our field names, a
streaming read. Typing and reconciliation are `transforms.isun_bulk`.

The rows are openpyxl's (read-only, values only): openpyxl reads the workbook's parts (shared
strings, date styles, epoch, which sheet is first) and `_sheet_rows` reads the sheet's cells
the way its read-only worksheet does, with lxml's `iterparse` instead of openpyxl's
per-cell objects (about 8x less CPU a row; `tests/test_isun_bulk_rows.py` compares the two
row for row). Opening the sheet through openpyxl's worksheet would also scan it whole once
for its size when the file states none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

EXPORT_PATH = "/bg/0/0/Project/ExportToExcel"

# The export's header names (2026) -> our field names.
EXPORT_COLUMNS: dict[str, str] = {
    "Програма": "programme",
    "Бенефициент": "beneficiary",
    "Тип на организацията": "organisation_type",
    "Вид на организацията": "organisation_kind",
    "Форма на организацията": "organisation_form",
    "Седалище": "seat",
    "Местонахождение": "location",
    "Номер на проектно предложение": "proposal_code",
    "Наименование на проекта": "project_name",
    "Обща стойност": "amount_total",
    "БФП": "amount_grant",
    "Собствено съфинансиране от бенефициента": "amount_own",
    "Реално изплатени суми": "amount_paid",
    "Продължителност (месеци)": "duration_months",
    "Статус на изпълнение на договора/заповедта за БФП": "status",
}
# Without these the rows cannot be reconciled at all.
REQUIRED = ("Програма", "Номер на проектно предложение", "Наименование на проекта", "Обща стойност")
_HEADER_SCAN_ROWS = 60


class ExportHeaderError(ValueError):
    """The export's header is not the one we read: its columns changed."""


def is_export_url(url: str) -> bool:
    return url.split("?", 1)[0].rstrip("/").lower().endswith(EXPORT_PATH.lower())


def _norm(cell) -> str:
    return re.sub(r"\s+", " ", str(cell or "")).strip()


def find_header(rows: list[tuple], source: str) -> tuple[int, dict[str, int]]:
    """(row index, {our field: column index}) of the header among the first rows.

    The header row is the first one with the required names. Every expected name must be
    there; an unknown extra column is tolerated but named in the error if a name is missing.
    """
    for i, row in enumerate(rows):
        cells = [_norm(c) for c in row]
        if not all(name in cells for name in REQUIRED):
            continue
        missing = [name for name in EXPORT_COLUMNS if name not in cells]
        if missing:
            unknown = [c for c in cells if c and c not in EXPORT_COLUMNS]
            raise ExportHeaderError(
                f"{source}: header row {i + 1} lacks {missing}; it has unknown columns {unknown}: "
                "the register export's columns changed, not reading it"
            )
        return i, {EXPORT_COLUMNS[name]: cells.index(name) for name in EXPORT_COLUMNS}
    raise ExportHeaderError(
        f"{source}: no header row with {list(REQUIRED)} in the first {_HEADER_SCAN_ROWS} rows: "
        "the register export's columns changed (or this is not the export), not reading it"
    )


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT = (_MAIN + t for t in ("row", "c", "v", "is", "t"))
_DIMENSION = _MAIN + "dimension"


def _first_sheet(fh):
    """(the zip archive, the first worksheet's part name, shared strings, date style ids,
    timedelta style ids, epoch), read by openpyxl as `load_workbook(read_only=True,
    data_only=True)` reads them, without opening the worksheet."""
    from openpyxl.reader.excel import ExcelReader  # only the export needs it
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(fh, read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            wb = reader.wb
            return (
                reader.archive,
                rel.target,
                reader.shared_strings,
                wb._date_formats,
                wb._timedelta_formats,
                wb.epoch,
            )
    raise IndexError("list index out of range")  # what `workbook.worksheets[0]` raises


def _inline_text(cell) -> str | None:
    """An inline string's text, as openpyxl's `Text.from_tree(...).content` gives it."""
    inline = cell.find(_INLINE)
    if inline is None:
        return None
    if len(inline) == 1 and inline[0].tag == _TEXT and not len(inline[0]):
        return inline[0].text or ""
    from openpyxl.cell.text import Text

    return Text.from_tree(inline).content


def _cell_value(cell, shared, date_styles, timedelta_styles, epoch):
    """One cell's value as openpyxl's `WorkSheetParser.parse_cell` gives it (data only)."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return _inline_text(cell)
    value = cell.findtext(_VALUE, None) or None
    if value is None:
        return None
    if kind == "n":
        from openpyxl.worksheet._reader import _cast_number

        value = _cast_number(value)
        style = cell.get("s", 0)
        if style and int(style) in date_styles:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(value, epoch, timedelta=int(style) in timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return value
    if kind == "s":
        return shared[int(value)]
    if kind == "b":
        return bool(int(value))
    if kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        return from_ISO8601(value)
    return value


def _row_number(row, previous: int) -> int:
    r = row.get("r")
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        number = float(r)
        if not number.is_integer():
            raise ValueError(f"{r} is not a valid row number") from None
        return int(number)


def _sheet_rows(fh) -> Iterator[tuple]:
    """The first worksheet's rows as openpyxl's read-only `iter_rows(values_only=True)` yields
    them: missing rows as empty ones, each row as wide as the sheet's stated dimension (else
    up to its last cell), cells placed by their column; one row in memory at a time."""
    from openpyxl.utils.cell import range_boundaries

    archive, part, shared, date_styles, timedelta_styles, epoch = _first_sheet(fh)
    max_col = max_row = None
    counter, number = 1, 1
    seen_row = False
    with archive.open(part) as src:
        for _, element in etree.iterparse(
            src, events=("end",), tag=(_DIMENSION, _ROW), remove_comments=True, remove_pis=True
        ):
            if element.tag == _DIMENSION:
                if not seen_row and element.get("ref"):
                    _, _, max_col, max_row = range_boundaries(element.get("ref"))
                continue
            number = _row_number(element, number if seen_row else 0)
            seen_row = True
            if max_row is not None and number > max_row:
                break
            empty = (None,) * max_col if max_col is not None else []
            while counter < number:
                counter += 1
                yield empty
            if counter <= number:
                counter += 1
                yield _row_values(element, shared, date_styles, timedelta_styles, epoch, max_col)
            element.clear()
            while element.getprevious() is not None:  # rows already read leave the tree
                del element.getparent()[0]
    if max_row is not None and max_row < number:
        for _ in range(counter, max_row + 1):
            yield (None,) * max_col if max_col is not None else []


def _column(coordinate: str) -> int:
    """`openpyxl.utils.cell.coordinate_to_tuple(coordinate)[1]`, the letters' index cached."""
    letters = coordinate.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None or not coordinate[len(letters) :].isdigit():
        from openpyxl.utils.cell import coordinate_to_tuple

        return coordinate_to_tuple(coordinate)[1]
    return column


_COLUMNS = {
    name: i
    for i, name in enumerate(
        [chr(65 + a) for a in range(26)]
        + [chr(65 + a) + chr(65 + b) for a in range(26) for b in range(26)],
        start=1,
    )
}


def _row_values(row, shared, date_styles, timedelta_styles, epoch, max_col) -> tuple:
    cells, column = [], 0
    for cell in row:
        coordinate = cell.get("r")
        column = _column(coordinate) if coordinate else column + 1
        if cell.get("t") == "inlineStr" and len(cell) == 1:  # the common case, read directly
            inline = cell[0]
            if inline.tag == _INLINE and len(inline) == 1:
                text = inline[0]
                if text.tag == _TEXT and not len(text):
                    cells.append((column, text.text or ""))
                    continue
        cells.append((column, _cell_value(cell, shared, date_styles, timedelta_styles, epoch)))
    if not cells and not max_col:
        return ()
    width = max_col or cells[-1][0]
    values = [None] * width
    for column, value in cells:
        if 1 <= column <= width:
            values[column - 1] = value
    return tuple(values)


def read_export(path: Path | str, source: str | None = None) -> Iterator[dict]:
    """Each contract row as {field: cell value}, plus `row_no` (the sheet's row number)."""
    source = source or str(path)
    fh = open(path, "rb")  # a file object: openpyxl refuses archive paths that lack an .xlsx suffix
    try:
        rows = _sheet_rows(fh)
        head: list[tuple] = []
        for row in rows:
            head.append(row)
            if len(head) >= _HEADER_SCAN_ROWS:
                break
        header_at, columns = find_header(head, source)
        pending = head[header_at + 1 :]

        def remaining():
            yield from pending
            yield from rows

        for offset, row in enumerate(remaining()):
            first = _norm(row[0] if row else "")
            if first.startswith("Забележки"):
                break
            if not any(_norm(c) for c in row):
                break
            record = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
            record["row_no"] = header_at + 2 + offset
            yield record
    finally:
        rows.close()
        fh.close()
