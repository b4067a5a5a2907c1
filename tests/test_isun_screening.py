"""Set-asides over whole ИСУН tables: an amount too large for its column, a code under two contract ids."""

from decimal import Decimal as D

import duckdb
import pandas as pd

from pipelines.isun_staging import ISUN_TABLES, set_aside_duplicate_codes
from registry.tables import ACTIVITIES, QUARANTINE
from transforms.isun_screening import (
    duplicate_code_quarantine,
    fits_decimal,
    set_aside_oversized,
)
from warehouse.staging import new_version_dir, write_part

URL = "https://2020.eufunds.bg/bg/0/0/Project/PrintProject?contractId=1"


def test_decimal_fit_follows_precision_and_scale():
    assert fits_decimal(D("9999999999999999.99"), "DECIMAL(18,2)")
    assert not fits_decimal(D("12345678901234567.00"), "DECIMAL(18,2)")
    assert fits_decimal(None, "DECIMAL(18,2)") and fits_decimal(12, "VARCHAR")


def test_an_oversized_activity_amount_goes_to_quarantine_with_its_text():
    frame = pd.DataFrame(
        {
            "project_code": ["BG16FFPR003-1.001-6002-C01"] * 2,
            "activity_no": [1, 2],
            "amount_contracted": [D("38600.00"), D("12345678901234567.00")],
            "amount_contracted_text": ["38 600.00", "12 345 678 901 234 567.00"],
            "source_url": [URL, URL],
        }
    )
    kept, rows = set_aside_oversized(
        ACTIVITIES, frame, lambda r: f"{r['project_code']}#{r['activity_no']}"
    )
    assert list(kept["activity_no"]) == [1]
    assert [(r["record_key"], r["rule"], r["field"], r["value"]) for r in rows] == [
        (
            "BG16FFPR003-1.001-6002-C01#2",
            "amount_out_of_range",
            "amount_contracted",
            "12 345 678 901 234 567.00",
        )
    ]


def _project(code: str, contract_id: str) -> dict:
    return {
        "project_code": code,
        "isun_contract_id": contract_id,
        "source_url": f"{URL}{contract_id}",
        "fetched_at": pd.Timestamp("2026-03-02T03:10:00Z"),
        "content_sha256": "0" * 64,
    }


def test_a_code_under_two_contract_ids_is_set_aside_with_its_children(tmp_path):
    directories = {
        name: str(new_version_dir(tmp_path, table)) for name, table in ISUN_TABLES.items()
    }
    con = duckdb.connect()
    projects = [_project("BG-A", "1"), _project("BG-A", "2"), _project("BG-B", "3")]
    activities = [{**p, "activity_no": 1} for p in projects]
    for name, rows in (("projects", projects), ("activities", activities)):
        table = ISUN_TABLES[name]
        write_part(
            table, directories[name], 0, pd.DataFrame(rows).reindex(columns=table.columns), con
        )
    assert set_aside_duplicate_codes(directories, 1) == 2
    left = con.execute(
        f"SELECT project_code FROM read_parquet('{directories['projects']}/*.parquet')"
    ).fetchall()
    assert left == [("BG-B",)]
    q = con.execute(
        f"SELECT table_name, record_key, rule FROM read_parquet('{directories['quarantine']}/*.parquet') "
        "ORDER BY table_name, source_url"
    ).fetchall()
    assert q == [
        ("activities", "BG-A", "parent_row_quarantined"),
        ("activities", "BG-A", "parent_row_quarantined"),
        ("projects", "BG-A", "duplicate_project_code"),
        ("projects", "BG-A", "duplicate_project_code"),
    ]


def test_duplicate_code_rows_name_the_contract_ids():
    frame = duplicate_code_quarantine(
        [("BG-A", "1", URL, None, "0" * 64, 2, "1, 2")],
        [("activities", "BG-A", URL, None, "0" * 64)],
    )
    assert list(frame.columns) == QUARANTINE.columns
    assert "under 2 contract ids (1, 2)" in frame.loc[0, "message"]
    assert frame.loc[1, "rule"] == "parent_row_quarantined"
