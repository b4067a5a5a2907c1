"""The Great Expectations suites catch what they claim to catch."""

import pandas as pd
import pytest

from quality.suites import validate_table
from tests.conftest import SAMPLE_IDS
from warehouse.metadata import ACTIVITIES, PROJECTS


@pytest.fixture(scope="module")
def tables(sample_build):
    import duckdb

    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    return {name: con.execute(f"SELECT * FROM {name}").df() for name in ("projects", "activities")}


def test_published_tables_pass(tables):
    assert validate_table(PROJECTS, tables["projects"]).success
    assert validate_table(ACTIVITIES, tables["activities"]).success


def _failed(outcome):
    return {(f.expectation, f.column) for f in outcome.failures}


def test_negative_amount_bad_code_and_duplicate_key_fail(tables):
    df = tables["activities"].copy()
    df.loc[0, "amount_reported"] = -1.0
    df.loc[1, "project_code"] = "BG05SFOP001-2.009"  # a procedure, not a project
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    outcome = validate_table(ACTIVITIES, df)
    assert not outcome.success
    assert {
        ("expect_column_values_to_be_between", "amount_reported"),
        ("expect_column_values_to_match_regex", "project_code"),
        ("expect_compound_columns_to_be_unique", "['project_code', 'activity_no']"),
    } <= _failed(outcome)


def test_financing_identity_within_a_cent(tables):
    df = tables["projects"].copy()
    row = df.index[df.isun_contract_id == SAMPLE_IDS["seed000"]][0]
    df.loc[row, "amount_eu"] = float(df.loc[row, "amount_eu"]) + 0.009  # within tolerance
    assert validate_table(PROJECTS, df).success
    df.loc[row, "amount_eu"] = float(df.loc[row, "amount_eu"]) + 0.05
    assert ("expect_column_values_to_be_between", "_check_eu_plus_national_minus_grant") in _failed(
        validate_table(PROJECTS, df)
    )


def test_end_before_start_and_wrong_eur_fail(tables):
    df = tables["projects"].copy()
    df.loc[0, "end_date"] = pd.Timestamp("2000-01-01")
    df.loc[1, "amount_paid_eur"] = float(df.loc[1, "amount_paid_eur"]) + 1
    failed = _failed(validate_table(PROJECTS, df))
    assert ("expect_column_values_to_be_between", "_check_days_start_to_end") in failed
    assert ("expect_column_values_to_be_between", "_check_amount_paid_eur_rate") in failed
