"""`warehouse.project_universe`: one row per proposal of a bulk source, the first row's values."""

import duckdb

from warehouse.project_universe import _first_rows


def test_first_rows_takes_each_columns_first_value_and_keeps_a_single_rows_nulls():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        # a proposal listed twice: the second row's position comes first in the file
        "('P-1', 2, 'second', 9000.00, false), ('P-1', 1, NULL, 1000.00, true), "
        # a proposal listed once, with a null name: it stays null
        "('P-2', 1, NULL, 50.00, false)) "
        "v(proposal_code, position, project_name, amount_total, beneficiary_without_eik)"
    )
    rows = con.execute(
        "SELECT proposal_code, bulk_source, project_name, amount_total, beneficiary_without_eik "
        f"FROM {_first_rows('t', 'isun-api', ('project_name', 'amount_total'))} ORDER BY 1"
    ).fetchall()
    # P-1: the amount of position 1, the first name that is not null (position 2's), and
    # without ЕИК because one of its rows says so; P-2 as it is.
    assert [(c, s, n, float(a), w) for c, s, n, a, w in rows] == [
        ("P-1", "isun-api", "second", 1000.0, True),
        ("P-2", "isun-api", None, 50.0, False),
    ]
