"""Issue 26's fifth round: general rules tuned on unseen6 (pages 430-520), each asserted on a real page.

Every text is a page of tests/data/extraction_devset (the number is the file); every asserted value is the
page's label in facts.jsonl, and each value is asserted with the rule (evidence) that chose it.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from sources.extract import extract_projects
from sources.extract.facts import find_facts
from transforms.text_values import find_money

pytestmark = pytest.mark.unit

PAGES = Path(__file__).parent / "data" / "extraction_devset" / "pages"


def page(number: str) -> str:
    return (PAGES / f"{number}.txt").read_text(encoding="utf-8")


def totals(records: list[dict]) -> list[tuple[float, str]]:
    return [
        (r["amount_total"], r["currency"]) for r in records if r.get("amount_total") is not None
    ]


def test_a_partners_financing_is_not_the_total_and_the_financial_frame_is():
    # 508: "общата финансова рамка е от 7 970 005 евро. Финансирането за община Велико Търново е в размер
    # на 3 960 847 евро."
    records = extract_projects(page("508"))
    assert totals(records) == [(7970005.0, "EUR")]
    assert records[0]["evidence"]["amount_total"]["text"] == "7 970 005 евро"
    assert records[0]["evidence"]["amount_total"]["rule"] == "total_label"


def test_the_sum_of_the_counted_projects_is_not_a_total():
    # 438: "Общата стойност на трите проекта е\n3 013 519 лв."
    assert totals(extract_projects(page("438"))) == []


def test_own_financial_contribution_is_not_the_total():
    # 519: "Собственият финансов принос на общината за този проект възлиза на 51 619 лв. … Общата стойност
    # на проекта е 99 268 лв."
    records = extract_projects(page("519"))
    assert totals(records) == [(99268.0, "BGN")]


def test_a_works_contracts_term_is_not_the_projects_duration():
    # 516: "подписаха договора за проектиране и строителство … Стойността на подписания договор е 5 210 596 лв.
    # без ДДС със срок за изпълнение 7 месеца."
    assert [r.get("duration_months") for r in extract_projects(page("516"))] in ([], [None])


def test_a_comma_before_a_bulgarian_scale_word_is_the_decimal_one():
    # 463: "Бюджетът на проектното предложение е 1,164 милиона лева."
    found = find_money("Бюджетът на проектното предложение е 1,164 милиона лева.")
    assert [(f.value, f.flags) for f in found] == [
        ((Decimal("1164000"), "BGN"), ["decimal_comma_before_scale", "scaled"])
    ]
    records = extract_projects(page("463"))
    assert totals(records) == [(1164000.0, "BGN")]
    assert records[0]["evidence"]["amount_total"]["text"] == "1,164 милиона лева"


def test_bulgarian_leva_in_english_and_the_value_of_that_project():
    # 455: "The value of that project comes to 533 040 Bulgarian leva"
    records = extract_projects(page("455"))
    assert (533040.0, "BGN") in totals(records)


def test_the_total_of_a_contract_named_by_its_code():
    # 459: "Обща стойност на Договор BG161PO001/5-02/2012/014 е 535 837, 39 лв., които са 100% безвъзмездна
    # финансова помощ."
    records = extract_projects(page("459"))
    assert totals(records) == [(535837.39, "BGN")]
    assert records[0]["evidence"]["amount_total"]["rule"] == "total_label"


def test_a_grant_contracts_value_with_its_number_after_the_grant_words():
    # 446: "договор за предоставяне на безвъзмездна финансова помощ 58111-с077-268 на стойност 117 447 251,19
    # лева, от които 94 милиона лева от Кохезионния фонд на ЕС"
    records = extract_projects(page("446"))
    assert totals(records)[0] == (117447251.19, "BGN")
    assert records[0]["evidence"]["amount_total"]["rule"] == "grant_contract_value"


def test_millions_and_thousands_said_apart():
    # 483: "Проектът е на стойност 1 милион 476 хиляди лева."
    found = find_money("Проектът е на стойност 1 милион 476 хиляди лева.")
    assert [(f.value, f.text) for f in found] == [
        ((Decimal("1476000"), "BGN"), "1 милион 476 хиляди лева")
    ]
    assert totals(extract_projects(page("483"))) == [(1476000.0, "BGN")]


def test_an_english_grant_scheme_names_a_procedure():
    # 455: 'Grant Scheme: BG161PO001/5-02/2012 "Support for the Subsequent Programming Period".'
    records = extract_projects(page("455"))
    assert records[0]["procedure_code"] == "BG161PO001/5-02/2012"
    assert records[0]["evidence"]["procedure_code"]["rule"] == "procedure_code_2007_13_form"


def dates(record: dict) -> tuple:
    return record.get("start_date"), record.get("end_date")


def test_a_day_written_as_an_ordinal():
    # 472: "Той се изпълнява от 1-ви май 2017 до 31-ви декември 2019 година."
    (record,) = extract_projects(page("472"))
    assert dates(record) == ("2017-05-01", "2019-12-31")
    assert record["evidence"]["start_date"]["text"].startswith("1-ви май 2017")


def test_a_final_deadline_for_implementation_with_a_slip_in_its_word():
    # 515: "Общата стойност на проекта е 992 484, 44 лева с краен срока за изпълнение 20.05.2015"
    (record,) = extract_projects(page("515"))
    assert dates(record) == (None, "2015-05-20")


def test_activities_that_must_be_carried_out_by_a_years_end():
    # 451: "Дейностите са с общ бюджет от 179 335.45 лв. и трябва да бъдат реализирани до края на 2023 г."
    (record,) = extract_projects(page("451"))
    assert dates(record) == (None, "2023-12-31")
    assert record["evidence"]["end_date"]["rule"] == "until_end_of_year"


def test_a_procedure_stated_with_its_kind_and_number_sign_wins_over_the_codes():
    # 440: "договор за безвъзмездна финансова помощ №BG16FFPR003-2.006-0091-C01 … е част от процедура чрез
    # директно предоставяне на безвъзмездна финансова помощ №BG16FFPR003-2.002 „Подкрепа за интегрирано …“"
    (record,) = extract_projects(page("440"))
    assert (record["project_code"], record["procedure_code"]) == (
        "BG16FFPR003-2.006-0091-C01",
        "BG16FFPR003-2.002",
    )
    assert record["evidence"]["procedure_code"]["rule"] == "procedure_after_word"


def test_the_years_of_its_implementation():
    # 448: "През трите години на неговото изпълнение се осъществиха различни дейности"
    (record,) = extract_projects(page("448"))
    assert record["duration_months"] == 36
    assert record["evidence"]["duration_months"]["rule"] == "years_of_its_implementation"


def test_within_months_of_the_project():
    # 459: "В рамките на 18 месеца по проекта ще бъдат изготвени технически паспорти"
    (record,) = extract_projects(page("459"))
    assert record["duration_months"] == 18
    assert record["evidence"]["duration_months"]["text"] == "18 месеца"


def test_a_named_funds_financing_on_a_value_is_the_eu_share():
    # 468: "Безвъзмездната финансова помощ е в размер на 857810.32лв., като финансирането от Европейския
    # социален фонд е на стойност 729138.78лв. и Национално финансиране на стойност 128671.54лв."
    (record,) = extract_projects(page("468"))
    assert (record["amount_eu"], record["currency_eu"]) == (729138.78, "BGN")
    assert record.get("amount_total") is None
    assert record["evidence"]["amount_eu"]["rule"] == "eu_share_phrase"


@pytest.mark.parametrize(
    "number, total, text",
    [
        # "подписа споразумение с Министерство на регионалното развитие и благоустройство за финансиране на
        # инфраструктурен проект в размер на 2 007 523 лв."
        ("436", 2007523.0, "2 007 523 лв."),
        # "Одобреното финансиране за Община Пирдоп е в размер на 2 983 973 лева без ДДС, за реализация на
        # проект „Реконструкция на част от водопроводната и канализационната мрежа на гр. Пирдоп""
        ("488", 2983973.0, "2 983 973 лева"),
    ],
)
def test_the_financing_of_a_nationally_funded_project_is_its_total(number, total, text):
    (record,) = extract_projects(page(number))
    assert (record["amount_total"], record["currency"]) == (total, "BGN")
    assert record["evidence"]["amount_total"]["text"] == text
    assert record["evidence"]["amount_total"]["rule"] == "national_financing_total"


def test_financing_on_a_page_that_names_an_eu_programme_stays_a_grant():
    # 488's wording with an EU programme named: the financing is a grant there, not the total
    text = page("488").replace(
        "Споразумение за целево финансиране",
        "Споразумение по Оперативна програма „Околна среда“ за целево финансиране",
    )
    assert totals(extract_projects(text)) == []


def test_through_a_project_for_an_amount():
    # 465: "По друг проект, на стойност 670 хиляди лева, общината ще изгради водна сцена в река Осъм. … В три
    # училища и една детска градина ще се подобри енергийната ефективност чрез проект за 4 230 000 лева."
    records = extract_projects(page("465"))
    assert totals(records) == [(670000.0, "BGN"), (4230000.0, "BGN")]
    assert records[1]["evidence"]["amount_total"]["rule"] == "total_label"


def test_a_project_which_is_for_an_amount():
    # 441: "следващият проект, който е изготвен и внесен в Социално-инвестиционния фонд, е за основен ремонт
    # в ОДЗ „Синчец” и е за 450 000 лв."
    assert (450000.0, "BGN") in totals(extract_projects(page("441")))


def test_an_invitation_to_the_applicant_to_sign_is_not_a_call():
    # 486: "На 16 август 2012 година е отправена покана до кандидата – община Панагюрище, заподписване на
    # договорза предоставяне на безвъзмездна финансова помощ …" on a page about one approved project:
    # "… община Панагюрище”, на стойност 55 милиона лева" and "по процедура BG161PO005/10/1.11/02/16"
    (record,) = extract_projects(page("486"))
    assert (record["amount_total"], record["currency"]) == (55000000.0, "BGN")
    assert record["procedure_code"] == "BG161PO005/10/1.11/02/16"


def test_a_list_of_projects_one_a_line_each_with_its_value():
    # 450: "… за 3 одобрени проектни предложения за техническа помощ в сектор води.\n\nПроектите, на обща
    # стойност 785 548 лева, са за:\n\n  • Техническа помощ за подготовка на инвестиционно предложение … за
    # последващо финансиране по приоритетна ос 1 на ОП „Околна среда 2007-2013” на стойност 250 344 лв.;"
    records = extract_projects(page("450"))
    assert totals(records) == [(250344.0, "BGN"), (319680.0, "BGN"), (215524.0, "BGN")]
    assert {r["evidence"]["amount_total"]["rule"] for r in records} == {"listed_project_value"}


def test_the_listed_projects_sum_is_not_a_total():
    # 450's introduction alone: "Проектите, на обща стойност 785 548 лева, са за:" is the sum of three
    text = page("450").split("\n\n  •")[0]
    assert "785 548 лева" in text
    assert [f for f in find_facts(text) if f.field == "amount_total"] == []
