"""ИСУН's project register export (`/bg/0/0/Project/ExportToExcel`, XLSX) read by its header names.

The sheet opens with a filter-summary block of varying height, then the header row, then one
row per contract until the first empty row or the "Забележки" notes. In 2026 the header has
15 columns (amounts in EUR; the proposal code without `-Cnn`). Columns are found by their
names, never by position, and a header without one of the expected names is a loud
`ExportHeaderError` naming the file and what is missing: never rows of shifted values.

What belongs here: finding the header, reading rows as dicts keyed by our field names, a
read with python-calamine (a maintained Rust reader). Typing and reconciliation are `transforms.isun_bulk`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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


def _cell(value):
    """A cell as openpyxl gave it, which the typing was written against: an empty cell is None
    and a whole number an int (calamine reads every number as a float and an empty cell as "")."""
    if value == "":
        return None
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def read_export(path: Path | str, source: str | None = None) -> Iterator[dict]:
    """Each contract row as {field: cell value}, plus `row_no` (the sheet's row number).

    Read with python-calamine (Rust): the sheet's cells are read into native memory once
    (~15 columns a contract), not a Python object per cell as openpyxl's reader made, which
    also scanned the whole sheet for its size first. Nothing is read before the first row is
    asked for, so a file that is not an XLSX fails there (a `CalamineError`, a `ValueError`)."""
    from python_calamine import CalamineWorkbook  # only the export needs it

    source = source or str(path)
    with open(path, "rb") as fh:  # a file object: the archive's paths have no .xlsx suffix
        workbook = CalamineWorkbook.from_filelike(fh)
    try:
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        head: list[list] = []
        for row in rows:
            head.append(row)
            if len(head) >= _HEADER_SCAN_ROWS:
                break
        header_at, columns = find_header(head, source)
        pending = head[header_at + 1 :]

        def remaining():
            yield from pending
            yield from rows

        fields = list(columns.items())
        for offset, row in enumerate(remaining()):
            first = _norm(row[0] if row else "")
            if first.startswith("Забележки"):
                break
            if not any(_norm(c) for c in row):
                break
            record = {name: (_cell(row[i]) if i < len(row) else None) for name, i in fields}
            record["row_no"] = header_at + 2 + offset  # iter_rows starts at the sheet's row 1
            yield record
    finally:
        workbook.close()
