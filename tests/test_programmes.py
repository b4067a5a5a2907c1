import csv
import re

import pytest

from transforms.codes import PROGRAMME_CODE_REGEX, parse_code
from transforms.programmes import (
    COLUMNS,
    DATA_FILE,
    PERIODS,
    programme,
    programme_period,
    programmes_table,
)


def test_real_rows():
    dg = programme("BG05SFOP001")
    assert "„Добро управление“" in dg["name_bg"]
    assert (dg["short_bg"], dg["period"], dg["funds"]) == ("ОПДУ", "2014-2020", "ESF")
    assert dg["verified"] is True

    hrd = programme("BG051PO001")
    assert "Развитие на човешките ресурси" in hrd["name_bg"]
    assert hrd["period"] == "2007-2013"

    regions = programme("BG16FFPR003")
    assert "„Развитие на регионите“" in regions["name_bg"]
    assert (regions["short_bg"], regions["period"]) == ("ПРР", "2021-2027")
    assert "JTF" in regions["funds"].split(";")


def test_2021_esf_plus_codes_are_not_swapped():
    # From memory these two were the other way round; real procedures: SFPR001 is Education.
    assert "Образование" in programme("BG05SFPR001")["name_bg"]
    assert "Развитие на човешките ресурси" in programme("BG05SFPR002")["name_bg"]


def test_lookup_is_exact():
    assert programme("bg05sfop001") is None
    assert programme("BG05SFOP001-2.009") is None
    assert programme("2014BG05SFOP001") is None
    assert programme("BG16JTPR001") is None  # guessed Just Transition code: no such programme
    assert programme("BG16FFPR004") is None  # guessed TA code: the real one is BG16RFTA001


def test_returned_row_is_a_copy():
    programme("BG05SFOP001")["short_bg"] = "X"
    assert programme("BG05SFOP001")["short_bg"] == "ОПДУ"


def test_csv_columns_and_unique_codes():
    with open(DATA_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0].keys()) == COLUMNS
    codes = [r["programme_code"] for r in rows]
    assert len(codes) == len(set(codes))
    assert all(r["period"] in PERIODS for r in rows)
    assert all(r["verified"] in ("true", "false") for r in rows)
    assert all(r["name_bg"] and r["name_en"] and r["short_bg"] and r["funds"] for r in rows)


def test_verified_rows_name_their_source():
    table = programmes_table()
    assert table["verified"].dtype == bool
    assert (table.loc[table["verified"], "source"].str.len() > 0).all()
    # Seen only in the code's shape, not in a public source, so far.
    assert set(table.loc[~table["verified"], "programme_code"]) == {"BG161PO002", "BG161PO004"}


def test_codes_fit_the_project_code_grammar():
    # Every programme code except the RRF one is what transforms.codes extracts from project codes.
    for code in programmes_table()["programme_code"]:
        if code == "BG-RRP":
            continue
        assert re.match(PROGRAMME_CODE_REGEX, code), code
        assert parse_code(f"{code}-1.001-0001-C01").programme_code == code


MAIN = {
    "2007-2013": {
        "BG051PO001",
        "BG051PO002",
        "BG161PO001",
        "BG161PO002",
        "BG161PO003",
        "BG161PO004",
        "BG161PO005",
    },
    "2014-2020": {
        "BG05M9OP001",
        "BG05M2OP001",
        "BG05SFOP001",
        "BG16RFOP001",
        "BG16RFOP002",
        "BG16M1OP001",
        "BG16M1OP002",
        "BG05FMOP001",
        "BG14MFOP001",
        "BG06RDNP001",
    },
    "2021-2027": {
        "BG16FFPR001",
        "BG16FFPR002",
        "BG16FFPR003",
        "BG16RFPR001",
        "BG16RFPR002",
        "BG05SFPR001",
        "BG05SFPR002",
        "BG05SFPR003",
        "BG16RFTA001",
        "BG14MFPR001",
        "BG-RRP",
    },
}


@pytest.mark.parametrize("period", PERIODS)
def test_every_period_has_its_main_programmes(period):
    table = programmes_table()
    listed = set(table.loc[table["period"] == period, "programme_code"])
    assert MAIN[period] <= listed


def test_period_of_known_codes_comes_from_the_registry():
    assert programme_period("BG05SFOP001") == "2014-2020"
    assert programme_period("BG051PO001") == "2007-2013"
    assert programme_period("BG16FFPR003") == "2021-2027"
    assert programme_period("BG-RRP") == "2021-2027"


@pytest.mark.parametrize(
    ("code", "period"),
    [
        ("BG051PO009", "2007-2013"),  # unknown, 2007–13 shape
        ("BG161PO009", "2007-2013"),
        ("BG05M9OP009", "2014-2020"),  # unknown, two-digit fund code + OP
        ("BG06RDNP002", "2014-2020"),
        ("BG16RFSM002", "2014-2020"),
        ("BG16FFPR009", "2021-2027"),  # unknown, ...PR00x
        ("BG16RFTA002", "2021-2027"),
        ("2014BG05SFOP001", "2014-2020"),  # CCI number of a known programme
        ("2015BG16RFSM001", "2014-2020"),  # CCI year 2015, still the 2014–20 period
        ("2021BG-RRP", "2021-2027"),
        ("2022BGXX", "2021-2027"),  # CCI of an unknown shape: judged by its year
        ("BG05SFOP001-2.009", None),  # a procedure code, not a programme code
        ("CB007", None),
        ("", None),
    ],
)
def test_period_inference(code, period):
    assert programme_period(code) == period
