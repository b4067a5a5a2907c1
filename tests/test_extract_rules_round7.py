"""Issue 26's seventh round: general rules tuned on unseen8 (pages 645-728), each asserted on a real page.

Every text is a page of tests/data/extraction_devset (the number is the file) or a sentence quoted from
one; every asserted value is the page's label in facts.jsonl (null where the labeller left the field
out), and each value read is asserted with the rule (evidence) that chose it.
"""

from pathlib import Path

import pytest

from sources.extract import extract_projects
from sources.extract.facts import find_facts

pytestmark = pytest.mark.unit

PAGES = Path(__file__).parent / "data" / "extraction_devset" / "pages"


def page(number: str) -> str:
    return (PAGES / f"{number}.txt").read_text(encoding="utf-8")


def values(records: list[dict], field: str) -> list:
    return [r[field] for r in records if r.get(field) is not None]


# --- 2007–13 codes ----------------------------------------------------------------------------------------------


def test_a_2007_13_code_ending_in_its_year_is_a_scheme_never_a_project():
    # 681: "кандидатстването с проект по ОП „Регионално развитие”, мярка BG161 PO001/3.2-02/2011 – …"
    sentence = (
        "във връзка с кандидатстването с проект по ОП „Регионално развитие”, мярка BG161 PO001/3.2-02/2011 – "
        "„Подкрепа за развитие на регионалния туристически продукт и маркетинг на дестинациите”."
    )
    found = [(f.field, f.value) for f in find_facts(sentence) if f.field.endswith("_code")]
    assert found == [("procedure_code", "BG161PO001/3.2-02/2011")]
    records = extract_projects(page("681"))
    assert values(records, "project_code") == []
    assert values(records, "procedure_code") == ["BG161PO001/3.2-02/2011"]


def test_a_stated_2007_13_scheme_beats_the_procedure_read_off_the_contract_code():
    # 717: contract "BG161PO001-5.3.03-0009", then "схема за предоставяне на безвъзмездна финансова помощ
    # BG161PО001/5-03/2013 „Подкрепа за интегрирани планове …“" (a Cyrillic О in the scheme's number)
    records = extract_projects(page("717"))
    assert records[0]["project_code"] == "BG161PO001-5.3.03-0009"
    assert records[0]["procedure_code"] == "BG161PO001/5-03/2013"
    assert records[0]["evidence"]["procedure_code"]["rule"] == "procedure_code_2007_13_form"
    assert "procedure_code_stated_over_derived" in records[0]["flags"]
    derived = [c["value"] for c in records[0]["candidates"]["procedure_code"]]
    assert derived == ["BG161PO001-5.3.03"]


# --- precision: what is not a project's total ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "sentence"),
    [
        ("655", "Индикативната стойност на проекта е 22 800 лв., бе"),
        ("650", "Проектът е на стойност 6,3 милиона лева в 3 оперативни програми."),
    ],
)
def test_an_indicative_value_or_money_over_several_programmes_is_no_total(number, sentence):
    assert sentence in page(number).replace("\n", " ")
    assert [f.value for f in find_facts(sentence) if f.field == "amount_total"] == []
    assert values(extract_projects(page(number)), "amount_total") == []


def test_a_project_stated_at_its_value_is_still_read():
    # the same wording without the estimate's word or the programmes after it stays a total (unseen pages'
    # "Проектът е на стойност …")
    found = find_facts("Проектът е на стойност 6,3 милиона лева.")
    assert [(f.field, f.value) for f in found] == [("amount_total", 6300000.0)]
