import pytest

from transforms.codes import CodeError, parse_code


def test_2014_2020_project_code_splits_into_its_parts():
    code = parse_code("BG05SFOP001-2.009-0010-C01")  # seed 001
    assert (code.programme_code, code.procedure_code, code.proposal_no, code.contract_no) == (
        "BG05SFOP001",
        "BG05SFOP001-2.009",
        "0010",
        "C01",
    )
    assert code.flags == ()


def test_2007_2013_code():
    code = parse_code("BG051PO001-2.3.03-1097-C0001")
    assert code.programme_code == "BG051PO001"
    assert code.procedure_code == "BG051PO001-2.3.03"
    assert (code.proposal_no, code.contract_no) == ("1097", "C0001")


@pytest.mark.parametrize(
    ("code", "programme"),
    [
        ("BG05M9OP001-2.010-0165-C01", "BG05M9OP001"),  # ОП РЧР: a digit among the letters
        ("BG16M1OP002-3.003-0001-C01", "BG16M1OP002"),
        ("BG05M2OP001-1.001-0003-C01", "BG05M2OP001"),
        ("BG14MFOP001-1.004-0012-C01", "BG14MFOP001"),
        ("BG161PO003-1.1.01-0001-C0001", "BG161PO003"),
    ],
)
def test_programme_codes_with_digits_among_letters(code, programme):
    parsed = parse_code(code)
    assert parsed.programme_code == programme and parsed.code == code


def test_2021_2027_procedure_code_is_not_a_project():
    code = parse_code("BG16FFPR003-1.001")
    assert code.procedure_code == "BG16FFPR003-1.001"
    assert not code.is_project


def test_cyrillic_lookalike_is_repaired_and_flagged():
    code = parse_code("BG05SFOP001-2.009-0010-С01")  # Cyrillic С
    assert code.code == "BG05SFOP001-2.009-0010-C01"
    assert "cyrillic_lookalike" in code.flags


def test_missing_dashes_and_dash_variants_are_repaired_and_flagged():
    code = parse_code("BG05SFOP001 2.009–0010C01")
    assert code.code == "BG05SFOP001-2.009-0010-C01"
    assert {"whitespace", "dash_variant", "missing_dash"} <= set(code.flags)


@pytest.mark.parametrize("text", ["", "BG05", "проект 12", "XX05SFOP001-2.009-0010-C01"])
def test_non_codes_raise(text):
    with pytest.raises(CodeError):
        parse_code(text)


def test_recovery_plan_codes():
    code = parse_code("BG-RRP-2.004-0005-C01")
    assert (code.programme_code, code.procedure_code, code.proposal_no, code.contract_no) == (
        "BG-RRP",
        "BG-RRP-2.004",
        "0005",
        "C01",
    )


def test_every_registered_programme_code_is_understood_by_the_grammar():
    from transforms.programmes import programme, programme_period, programmes_table

    for row in programmes_table().itertuples():
        parsed = parse_code(f"{row.programme_code}-1.001-0001-C01")
        assert parsed.programme_code == row.programme_code and parsed.flags == ()
        assert (
            programme(parsed.programme_code)["period"]
            == row.period
            == programme_period(row.programme_code)
        )
