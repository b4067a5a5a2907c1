"""The record-card reader (`sources.extract.record_card`): a project printed as rows of "label: value".

Its labels are tied to what is printed: each is a label ИСУН itself uses (tests/fixtures/isun/isun_labels_bg_en.json,
the site's Texts.resx, Bulgarian or English) or one a page of the extraction sets prints as a row label; the values
asserted are the pages' labels in facts.jsonl.
"""

import json
import re
from pathlib import Path

import pytest

from sources.extract import extract_projects
from sources.extract.record_card import CARD_LABELS, card_facts

pytestmark = pytest.mark.unit

HERE = Path(__file__).parent
PAGES = HERE / "data" / "extraction_devset" / "pages"
ISUN_LABELS = json.loads((HERE / "fixtures" / "isun" / "isun_labels_bg_en.json").read_text("utf-8"))


def page(number: str) -> str:
    return (PAGES / f"{number}.txt").read_text(encoding="utf-8")


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def test_every_label_the_reader_relies_on_is_printed_by_isun_or_by_a_page():
    isun = {_norm(v[lang]) for v in ISUN_LABELS.values() for lang in ("bg", "en") if v.get(lang)}
    row_labels = set()
    for path in PAGES.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\s*\|?\s*([^:|\n]{3,80}?)\s*[:|]", line)
            if m:
                row_labels.add(_norm(m.group(1)))
    unknown = [label for label in CARD_LABELS if _norm(label) not in isun | row_labels]
    assert unknown == []
    # and ИСУН's own labels for the project's facts are among them
    for key in (
        "Project_Details_ProjectTotalAmount",
        "Project_Details_StartDate",
        "Project_Details_EndDate",
        "Project_Details_EUMISNumber",
        "Company_Index_Duration",
        "Global_FinancingEU",
        "ProjectProposals_Index_ProcedureNumber",
    ):
        assert ISUN_LABELS[key]["bg"] in CARD_LABELS and ISUN_LABELS[key]["en"] in CARD_LABELS


def test_a_project_card_is_read_row_by_row_and_its_signing_date_and_grant_are_not_facts():
    # 638: "ИД № на проекта: BG06RDNP001-7.001-0056-C01 / Дата на сключване на договора за безвъзмездна помощ:
    # 14.05.2019г / Период на изпълнение: 36 месеца / Стойност на проекта: 1 102934.50 лв. / Одобрени разходи: …
    # / Субсидия: 1 102 934,50 лв. / Европейско съфинансиране: 937 494.34 лв. / Национално съфинансиране: …"
    (record,) = extract_projects(page("638"))
    assert record["project_code"] == "BG06RDNP001-7.001-0056-C01"
    assert record["procedure_code"] == "BG06RDNP001-7.001"
    assert (record["duration_months"], record["amount_total"], record["amount_eu"]) == (
        36,
        1102934.50,
        937494.34,
    )
    assert (
        record["start_date"] is None
    )  # "Дата на сключване на договора …: 14.05.2019г" is the signing
    for name in ("project_code", "duration_months", "amount_total", "amount_eu"):
        assert record["evidence"][name]["rule"] == "record_card"
    assert record["evidence"]["amount_total"]["text"] == "1 102934.50 лв."


def test_an_english_card_in_a_table():
    # 240: "Start date | 31 Mar, 2016 |" / "End date | 30 Apr, 2023 |" / "Contract date | 31 Mar, 2016 |"
    facts, _ = card_facts(page("240"))
    assert [(f[0], f[1]) for f in facts] == [
        ("start_date", "2016-03-31"),
        ("end_date", "2023-04-30"),
    ]


def test_a_cells_value_is_read_from_its_start_and_the_rest_stays_the_sentence_rules():
    # 198: "Обща стойност на проекта: 46 258 евро / Процент на  собствено участие: 11% / Продължителност: 12
    # месеца /от ноември 2003 до ноември 2004/"
    (record,) = extract_projects(page("198"))
    assert (record["amount_total"], record["currency"], record["duration_months"]) == (
        46258.0,
        "EUR",
        12,
    )
    assert (record["start_date"], record["end_date"]) == ("2003-11", "2004-11")


def test_a_label_alone_on_its_line_takes_the_next_line_as_its_value():
    # ИСУН's own layout: the label (Texts.resx) on one line, its value on the next
    text = (
        "Номер от ИСУН\nBG16RFOP001-1.001-0001-C01\n"
        "Дата на стартиране\n09.07.2019\nДата на приключване\n09.07.2021\n"
    )
    facts, _ = card_facts(text)
    assert [(f[0], f[1]) for f in facts] == [
        ("project_code", "BG16RFOP001-1.001-0001-C01"),
        ("procedure_code", "BG16RFOP001-1.001"),
        ("start_date", "2019-07-09"),
        ("end_date", "2021-07-09"),
    ]


def test_one_labelled_line_is_no_card_and_a_value_without_its_currency_is_not_read():
    assert card_facts("Обща стойност на проекта: 46 258 евро\n\nНовини")[0] == []
    facts, _ = card_facts("Обща стойност: 92 864,22\nДата на стартиране: 09.07.2019\n")
    assert [f[0] for f in facts] == ["start_date"]


def test_a_contract_number_that_is_no_project_code_is_not_read():
    # 644: "АДМИНИСТРАТИВЕН ДОГОВОР 50-70/22.02.2023" is a ministry's number; on a card it stays unread
    facts, _ = card_facts("Номер на договора: 50-70/22.02.2023\nПродължителност: 6 месеца\n")
    assert [(f[0], f[1]) for f in facts] == [("duration_months", 6)]


def test_a_bare_total_on_a_procedures_card_is_not_a_projects():
    # ИСУН's procedure list prints "Номер на процедура" and "Обща стойност" (PriorityLines_Index_TotalAmount):
    # the procedure's budget
    text = "Номер на процедура: BG16RFOP001-1.001\nОбща стойност: 1 000 000 лв.\n"
    facts, _ = card_facts(text)
    assert [(f[0], f[1]) for f in facts] == [("procedure_code", "BG16RFOP001-1.001")]
    # the same row on a project's card is its total
    facts, _ = card_facts("Номер от ИСУН: BG16RFOP001-1.001-0001\nОбща стойност: 1 000 000 лв.\n")
    assert ("amount_total", 1000000.0) in [(f[0], f[1]) for f in facts]
