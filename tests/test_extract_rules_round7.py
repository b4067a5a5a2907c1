"""Issue 26's seventh round: general rules tuned on unseen8 (pages 645-728), each asserted on a real page.

Every text is a page of tests/data/extraction_devset (the number is the file) or a sentence quoted from
one; every asserted value is the page's label in facts.jsonl (null where the labeller left the field
out), and each value read is asserted with the rule (evidence) that chose it.
"""

import pytest

from sources.extract import extract_projects
from sources.extract.facts import find_facts
from tests.extraction_pages import page, values

pytestmark = pytest.mark.unit

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


# --- lists of several projects, each "name – amount" ---------------------------------------------------------------


def test_projects_listed_each_with_its_value_after_a_dash():
    # 657: "Разработени и внесени са проекти за водопроводите на кв. „Настан“ - 6 701 974,40 лв., с. Брезе -
    # 4 159 725,19 лв., …  Входирани са и проектите за пътните отсечки до с. Кестен - 745 925,63 лв. и до с. Селча
    # - 11 283 750,00 лв."
    records = extract_projects(page("657"))
    assert [r["amount_total"] for r in records] == [
        6701974.4,
        4159725.19,
        4264069.46,
        1475017.81,
        2163555.32,
        745925.63,
        11283750.0,
    ]
    assert {r["evidence"]["amount_total"]["rule"] for r in records} == {"listed_project_value"}


def test_sites_numbered_one_a_line_each_with_its_value():
    # 693: "Общо 5 са обектите, които са включени във финансирането, както следва:\n 1. Оновен ремонт и подмяна на
    # покрив на читалище в с. Бисерци - 70 000 лв. …"; the 710 000 лв. the Council of Ministers "отпуска" the
    # municipality is their sum, no project's total
    records = extract_projects(page("693"))
    assert [r["amount_total"] for r in records] == [70000.0, 380000.0, 30000.0, 200000.0, 30000.0]


def test_two_lists_of_quoted_projects_with_their_values():
    # 698: "Това са “Реконструкция и рехабилитация на улици в селата … – 700 000 лв. и „Изграждане на два броя
    # спортни площадки …– 220 000 лв." and "е 850 000 лв. за 2 проекта: „Изграждане на физкултурен салон в с.
    # Кочан” – 350 000 лв., и „Ремонт на улици в населени места в община Сатовча” – 500 000 лв."
    assert values(extract_projects(page("698")), "amount_total")[:4] == [
        700000.0,
        220000.0,
        350000.0,
        500000.0,
    ]


@pytest.mark.parametrize(
    ("number", "sentence"),
    [
        # one project's money by source, not a list of projects
        (
            "553",
            "Общата стойност на проекта е 1 815 800.00 лева, от които от Европейски фонд за регионално "
            "развитие – 1 543 430.00 лева и Национално финансиране – 272 370.00 лева.",
        ),
        (
            "057",
            "Сума на проекта: 22 023.04 лв.\nБезвъзмездна финансова помощ - 22 023.04 лв.\n"
            "Средства от ЕЗФРСР – 19820.74 лв. (90%)\nНационално съфинансиране- 2202.30 лв. (10%)",
        ),
        # a design's cost per village after the first one's, not projects listed
        (
            "044",
            "Финансирането на изготвянето на проекта за Гецово е 234 000 лв., за Осенец – 228 000 лв., за "
            "Мортагоново – 198 000 лв., за Стражец – 96 000 лв.",
        ),
    ],
)
def test_money_by_source_or_after_a_stated_amount_is_no_list_of_projects(number, sentence):
    assert sentence.replace("\n", " ") in page(number).replace("\n", " ")
    assert [f for f in find_facts(sentence) if f.rule == "listed_project_value"] == []


# --- durations ----------------------------------------------------------------------------------------------------


def test_a_duration_said_of_the_counted_projects_is_each_ones():
    # 675: "Oбщата стойност на инвестицията по двата проекта е 3 015 000 лв.Планирания период за реализацията им
    # е 18 месеца."
    records = extract_projects(page("675"))
    assert [r["duration_months"] for r in records] == [18, 18]
    assert "duration_stated_for_each_of:2" in records[0]["flags"]
    # 673: "Предстои да бъдат подписани и другите два проекта - … срокът за тяхното изпълнение е 36 месеца":
    # the other two follow a first project with no fact of its own
    records = extract_projects(page("673"))
    assert [r["duration_months"] for r in records] == [None, 36, 36]


@pytest.mark.parametrize(
    "sentence",
    [
        "По думите му, срокът за тяхното изпълнение е 36 месеца и не е задължително дейностите да започнат.",
        "Планирания период за реализацията им е 18 месеца.",
    ],
)
def test_durations_of_them_in_new_wordings(sentence):
    assert [(f.field, f.value) for f in find_facts(sentence)] == [
        ("duration_months", int(sentence.split(" месеца")[0].split()[-1]))
    ]


# --- ДФЗ 2007–13 ЛИДЕР contracts ----------------------------------------------------------------------------------


def test_a_leader_contract_number_and_its_value():
    # 718: "Община Берковица е Бенефициент по договор за БФП № 48/3/3130652/04.08.2014г. на стойност 63977,17 лв.,
    # сключен между Държавен фонд „Земеделие”, …"
    records = extract_projects(page("718"))
    assert records[0]["project_code"] == "48/3/3130652"
    assert records[0]["code_scheme"] == "dfz"
    assert records[0]["evidence"]["project_code"]["rule"] == "dfz_project_code"
    assert records[0]["amount_total"] == 63977.17
    assert records[0]["evidence"]["amount_total"]["rule"] == "grant_contract_value"


@pytest.mark.parametrize(
    "sentence",
    [
        # the same shape outside a contract: no code
        "Решение № 48/3/3130652 на общинския съвет.",
        "Тиражът е 12/3/1234567 броя.",
    ],
)
def test_the_leader_form_is_a_code_only_after_a_contract(sentence):
    assert [f for f in find_facts(sentence) if f.field == "project_code"] == []


# --- totals and EU shares in new wordings -------------------------------------------------------------------------


def test_a_project_carried_out_under_a_programme_and_worth_n():
    # 665: "Община Панагюрище изпълнява проект за подготовка на бъдещи инвестиции с европейско финансиране. Той се
    # реализира по Програма „Развитие на регионите“ 2021–2027 и е на стойност 62 466 лева, осигурени безвъзмездно …"
    records = extract_projects(page("665"))
    assert values(records, "amount_total") == [62466.0]
    assert records[0]["evidence"]["amount_total"]["rule"] == "project_under_programme_value"


def test_the_total_size_of_the_approved_costs_after_a_colon():
    # 694: "Общият размер на одобрените разходи по проекта е: 63179,50 лева без ДДС и е с 100 % безвъзмездна …"
    sentence = "Общият размер на одобрените разходи по проекта е: 63179,50 лева без ДДС"
    assert sentence in page("694")
    assert [(f.field, f.value, f.rule) for f in find_facts(sentence)] == [
        ("amount_total", 63179.5, "approved_costs_total")
    ]
    records = extract_projects(page("694"))
    assert (
        records[0]["amount_total"],
        records[0]["procedure_code"],
        records[0]["duration_months"],
    ) == (
        63179.5,
        "BG06RDNP001-19.060",
        24,
    )


@pytest.mark.parametrize(
    ("number", "sentence", "eu"),
    [
        (
            "688",
            "е на стойност 4 890 354 лв. От тях 4 156 801 лв. е съфинансиране от Европейския фонд за Регионална "
            "развитие",
            4156801.0,
        ),
        (
            "724",
            "От Европейския съюз чрез Националния план за възстановяване и устойчивост ще бъдат осигурени 1 851 211 "
            "лева",
            1851211.0,
        ),
    ],
)
def test_eu_shares_in_new_wordings(number, sentence, eu):
    assert sentence in " ".join(page(number).split())  # (the page's spaces may be non-breaking)
    assert [f.value for f in find_facts(sentence) if f.field == "amount_eu"] == [eu]
    assert values(extract_projects(page(number)), "amount_eu") == [eu]


def test_a_deadline_counted_from_the_contracts_signing_and_its_latest_end():
    # 724: "Ремонтът, обзавеждането и отчитането на проекта трябва да приключат до 20 месеца от подписването на
    # договора за финансиране, но не по-късно от края на 2025 г."
    sentence = (
        "Ремонтът, обзавеждането и отчитането на проекта трябва да приключат до 20 месеца от подписването на "
        "договора за финансиране, но не по-късно от края на 2025 г."
    )
    assert sentence in page("724")
    found = {(f.field, f.value, f.rule) for f in find_facts(sentence)}
    assert found == {
        ("duration_months", 20, "deadline_from_signing"),
        ("end_date", "2025-12-31", "until_end_of_year"),
    }
    records = extract_projects(page("724"))
    assert (records[0]["duration_months"], records[0]["end_date"]) == (20, "2025-12-31")


def test_a_works_deadline_up_to_months_is_still_no_duration():
    # the "до N месеца" bound stays excluded where no project's deadline from its contract's signing is said
    assert [
        f for f in find_facts("Ремонтът ще продължи до 6 месеца.") if f.field == "duration_months"
    ] == []
