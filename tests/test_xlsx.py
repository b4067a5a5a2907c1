"""The XLSX of a table: titles, names, then every value with its own cell type, text never a formula."""

from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
from openpyxl import load_workbook

from registry.tables import Field, Table
from warehouse.xlsx import MAX_TEXT, write_xlsx

TABLE = Table(
    "things",
    "Things",
    "Неща",
    ("thing_id",),
    (
        Field("thing_id", "INTEGER", "Id", "Номер"),
        Field("name", "VARCHAR", "Name", "Име"),
        Field("amount_eur", "DECIMAL(18,2)", "Amount", "Сума", unit="EUR"),
        Field("rate", "DOUBLE", "Rate", "Дял"),
        Field("is_open", "BOOLEAN", "Open", "Отворен"),
        Field("start_date", "DATE", "Start", "Начало"),
        Field("fetched_at", "TIMESTAMPTZ", "Fetched", "Изтеглен"),
    ),
)
ROWS = [
    (1, '=HYPERLINK("http://x")', Decimal("1234567.89"), 0.25, True, date(2026, 1, 1),
     datetime(2026, 5, 24, 2, 0, 0, tzinfo=UTC)),
    (2, "  А & Б <нещо> \x01 ", Decimal("-1.50"), None, False, None, None),
    (3, None, None, float("nan"), None, date(1999, 12, 31), datetime(2020, 2, 29, 23, 59, 59, tzinfo=UTC)),
    (4, "я" * (MAX_TEXT + 10), Decimal("0.00"), 1e20, True, date(2026, 12, 7), None),
]  # fmt: skip


def test_values_keep_their_types_and_text_stays_text(tmp_path):
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE things (thing_id INTEGER, name VARCHAR, amount_eur DECIMAL(18,2), rate DOUBLE, "
        "is_open BOOLEAN, start_date DATE, fetched_at TIMESTAMP WITH TIME ZONE)"
    )
    con.execute("SET TimeZone = 'UTC'")
    con.executemany("INSERT INTO things VALUES (?, ?, ?, ?, ?, ?, ?)", list(reversed(ROWS)))
    assert write_xlsx(con, TABLE, tmp_path / "things.xlsx") == 4
    sheet = load_workbook(tmp_path / "things.xlsx").active
    assert [c.value for c in sheet[1]][
        2
    ] == f"{TABLE.fields[2].bg} (EUR)" and sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]] == [f.name for f in TABLE.fields]
    rows = list(sheet.iter_rows(min_row=3))
    assert [r[0].value for r in rows] == [1, 2, 3, 4]  # ordered by the primary key
    one, two, three, four = rows
    assert one[1].value == '=HYPERLINK("http://x")' and one[1].data_type == "s"
    assert one[2].value == 1234567.89 and one[2].data_type == "n" and one[3].value == 0.25
    assert one[4].value is True and two[4].value is False
    assert one[5].value == datetime(2026, 1, 1) and one[5].number_format == "yyyy-mm-dd"
    assert one[6].value == datetime(2026, 5, 24, 2, 0, 0) and three[6].value == datetime(
        2020, 2, 29, 23, 59, 59
    )
    assert two[1].value == "  А & Б <нещо> \ufffd "  # spaces kept, a control character replaced
    assert two[3].value is None and three[1].value is None and three[3].value is None  # NaN: empty
    assert len(four[1].value) == MAX_TEXT and four[3].value == 1e20
