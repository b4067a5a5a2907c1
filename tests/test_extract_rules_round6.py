"""Issue 26's sixth round: general rules tuned on unseen6 and unseen7 (pages 430-644), each asserted on a real page.

Every text is a page of tests/data/extraction_devset (the number is the file) or a sentence quoted from
one; every asserted value is the page's label in facts.jsonl (null where the labeller left the field
out), and each value read is asserted with the rule (evidence) that chose it.
"""

import pytest

from sources.extract import extract_projects
from sources.extract.facts import find_facts
from tests.extraction_pages import PAGES, page, values

pytestmark = pytest.mark.unit

# --- precision: what is not a project's total, code or date -------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "sentence"),
    [
        ("643", "Общата стойност на финансовата помощ при него е 1 691 831,68 лв."),
        ("644", "Финансовата помощ за изпълнение на проекта е в размер на 48 895 лв."),
        ("564", "Безвъзмездното финансиране в размер на 332 174,68 лв. се предоставя по Програма"),
        (
            "616",
            "подписа договор за предоставяне на изцяло безвъзмездно финансиране в размер на 1 673 349 лв.",
        ),
        (
            "577",
            "е необходимо Община Ботевград да осигури предвиденото съфинансиране в размер на 274 981 лв.",
        ),
    ],
)
def test_an_aid_a_grant_or_the_co_financing_is_not_the_total(number, sentence):
    assert sentence in " ".join(page(number).split())
    assert not [f for f in find_facts(sentence) if f.field == "amount_total"]
    assert values(extract_projects(page(number)), "amount_total") == []


def test_a_total_after_a_count_of_buildings_is_their_sum():
    # 551: "… саниране на още 18 многофамилни жилищни сгради … общият брой на обновените блокове за период
    # от една година достига 36. Общата стойност на инвестицията е 9 019 317,84 евро."
    assert values(extract_projects(page("551")), "amount_total") == []


def test_a_total_after_a_count_stays_a_projects_where_its_subject_is_named():
    # 510: "Подадени бяха общо 188 проектни предложения за 196 обекта … Довършването на строителството на
    # новия храм е на обща стойност 71 624 лв."
    records = extract_projects(page("510"))
    assert (71624.0, "BGN") in [(r["amount_total"], r["currency"]) for r in records]


def test_a_design_contracts_value_is_not_a_projects_total():
    # 596: "„Изготвяне на инвестиционен проект за модернизация на уличното осветление …". Срокът на
    # изпълнение на проектирането е 30 дни. Стойността на проекта е 137 000 лв. без ДДС."
    assert values(extract_projects(page("596")), "amount_total") == []


def test_a_procedure_for_selecting_projects_is_a_procedure_whatever_its_shape():
    # 571: "… административен договор за безвъзмездна финансова помощ по процедура за подбор на проекти
    # BG14MFOP001-4.002-0004 в МИРГ „Несебър-Месемврия“"
    records = extract_projects(page("571"))
    assert values(records, "project_code") == []
    assert values(records, "procedure_code") == ["BG14MFOP001-4.002-0004"]
    assert records[0]["evidence"]["procedure_code"]["rule"] == "procedure_after_word"


def test_a_code_the_page_cuts_off_is_not_read():
    # 625 ends on "финансиран по Процедура № BG06RDNP001-19.00"
    text = page("625")
    assert text.rstrip().endswith("BG06RDNP001-19.00")
    assert values(extract_projects(text), "procedure_code") == []
    # the same code inside a sentence is read
    facts = find_facts("финансиран по Процедура № BG06RDNP001-19.164 „Подкрепа за инвестиции“.")
    assert [f.value for f in facts if f.field == "procedure_code"] == ["BG06RDNP001-19.164"]


def test_a_seasons_service_period_is_not_the_projects_start_and_end():
    # 604: "да се подсигури топъл обяд през летния период 01.07.2016 г.-30.09.2016 г."
    records = extract_projects(page("604"))
    assert values(records, "start_date") == values(records, "end_date") == []
    assert values(records, "procedure_code") == ["BG05FMOP001-3.002"]


# --- recall: EU shares, labelled dates, durations, number forms ---------------------------------------------------


def test_an_eu_fund_named_without_its_article_gives_the_eu_share_and_the_start_label_takes_za():
    # 553: "Общата стойност на проекта е 1 815 800.00 лева, от които от Европейски фонд за регионално развитие
    # – 1 543 430.00 лева и Национално финансиране – 272 370.00 лева. Начална дата за изпълнение на проекта е
    # 09.07.2019 г., като се очаква да приключи до 09.07.2021 г."
    (record,) = extract_projects(page("553"))
    assert (record["amount_total"], record["amount_eu"]) == (1815800.0, 1543430.0)
    assert record["evidence"]["amount_eu"]["rule"] == "eu_share_phrase"
    assert (record["start_date"], record["end_date"]) == ("2019-07-09", "2021-07-09")
    assert record["evidence"]["start_date"]["rule"] == "start_label"


@pytest.mark.parametrize(
    ("number", "sentence", "months", "rule"),
    [
        (
            "533",
            "Проекта се изпълнява в рамките на 24 месеца по Оперативна програма",
            24,
            "duration_phrase",
        ),
        (
            "574",
            "Проектът ще се реализира в рамките на 24 месеца след подписване на договора",
            24,
            "duration_phrase",
        ),
        ("644", "Срокът за изпълнение на проекта е до 6 месеца.", 6, "project_term_up_to"),
    ],
)
def test_a_projects_term_in_its_common_wordings(number, sentence, months, rule):
    assert sentence in " ".join(page(number).split())
    (fact,) = [f for f in find_facts(sentence) if f.field == "duration_months"]
    assert (fact.value, fact.rule) == (months, rule)
    assert months in values(extract_projects(page(number)), "duration_months")


def test_a_works_term_up_to_n_months_stays_no_duration():
    # the upper bound is read only where the words name the project's own term
    facts = find_facts("Срокът за изпълнение на строителството е до 6 месеца.")
    assert not [f for f in facts if f.field == "duration_months"]


def test_a_term_stated_for_the_contracts_goes_to_each_counted_project():
    # 563: "бяха подписани два договора по проектни предложения …, подадени по проведена процедура за подбор
    # на проекти BG06RDNP001-19.164 … Срокът за изпълнение на дейностите по договорите е 36 месеца"
    records = extract_projects(page("563"))
    assert [(r["procedure_code"], r["duration_months"]) for r in records] == [
        ("BG06RDNP001-19.164", 36),
        ("BG06RDNP001-19.164", 36),
    ]


@pytest.mark.parametrize(
    ("number", "printed", "value"),
    [
        ("637", "1 946 828. 63 лв.", 1946828.63),  # a space after the decimal point
        ("638", "1 102934.50 лв.", 1102934.50),  # irregular grouping, decimal point
    ],
)
def test_amounts_printed_with_a_stray_space_or_irregular_grouping(number, printed, value):
    from transforms.text_values import find_money

    assert printed in page(number)
    (found,) = find_money(printed)
    assert float(found.value[0]) == value


# --- one record per project: a list the text announces ------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "intro", "amounts"),
    [
        ("626", "Споразуменията касаят следните проекти:", [1620000.0, 702000.0, 4023900.0]),
        ("632", "за финансиране на следните проекти:", [5853706.45, 1165349.83]),
        ("637", "Двата работни проекта са:", [1946828.63, 1952781.7]),
    ],
)
def test_each_item_of_an_announced_list_of_projects_is_a_project_with_its_value(
    number, intro, amounts
):
    assert intro in page(number)
    records = extract_projects(page(number))
    assert [r["amount_total"] for r in records] == amounts
    assert {r["evidence"]["amount_total"]["rule"] for r in records} == {"listed_project_value"}


def test_a_list_of_projects_ends_at_the_first_paragraph_that_is_no_item():
    text = (
        "Споразуменията касаят следните проекти: – „Ремонт на улица“ на обща стойност 1 620 000 лв.\n\n"
        "В края на месец май бяха подписани други 7 споразумения на обща стойност 9 000 000 лв."
    )
    assert [f.value for f in find_facts(text) if f.rule == "listed_project_value"] == [1620000.0]


# --- recall: totals in other wordings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "sentence", "amount", "rule"),
    [
        (
            "597",
            "Общата стойност на одобрените за финансиране разходи по проекта и одобрената безвъзмездна "
            "финансова помощ е в размер 388 123,01 лв.",
            388123.01,
            "approved_costs_total",
        ),
        (
            "613",
            "Община Попово започна изпълнението на проект „Подобряване на енергийната ефективност на "
            'обществените сгради", в който ще бъдат вложени общо 2 781 594, 47 лева.',
            2781594.47,
            "total_label",
        ),
        (
            "608",
            "Община Дряново и Министерство на регионалното развитие и благоустройството подписаха "
            "споразумение, с което на Община Дряново бяха отпуснати 600 000 лв. за ремонт на водопровода "
            "в село Царева ливада.",
            600000.0,
            "national_allotment",
        ),
        (
            "529",
            "Със споразумение в размер на 2 млн. лева МРРБ финансира обект „Реконструкция и рехабилитация "
            "на улици",
            2000000.0,
            "national_allotment",
        ),
    ],
)
def test_totals_in_other_wordings(number, sentence, amount, rule):
    assert sentence in " ".join(page(number).split())
    (fact,) = [f for f in find_facts(sentence) if f.field == "amount_total"]
    assert (fact.value, fact.rule) == (amount, rule)
    assert amount in values(extract_projects(page(number)), "amount_total")


def test_an_allotment_is_a_total_only_for_one_named_work_and_only_on_a_page_without_eu_money():
    # 615: "За община Антоново отпусната сума е 700 000 лева, за частично финансиране на ремонт …" (a part),
    # "В община Омуртаг са отпуснати 873 300 лева за реализация на два проекта …" (a sum), "За община Опака
    # са отпуснати 1 200 000 лева за ремонт на асфалтова настилка" (the total)
    assert values(extract_projects(page("615")), "amount_total") == [1200000.0]
    # the same words beside an EU fund: the money is a grant or a share, not read
    facts = find_facts(
        "На общината бяха отпуснати 600 000 лв. за ремонт на водопровода по проект, съфинансиран от ЕФРР."
    )
    assert not [f for f in facts if f.field == "amount_total"]


def test_a_proposal_submitted_under_a_procedure_is_a_project():
    # 580: "… подадоха в установения срок проектно предложение по процедура „BG16FFPR003-2.001 – КОНЦЕПЦИИ …"
    assert values(extract_projects(page("580")), "procedure_code") == ["BG16FFPR003-2.001"]


def test_a_social_services_period_is_not_the_projects():
    # 603: "От 40 (четиридесет) потребителите на социалната услуга стават 60 (шестдесет) за периода от
    # 18.12.2017 г. до 31.12.2019 г."
    facts = find_facts(page("603"))
    assert not [f for f in facts if f.field in ("start_date", "end_date")]


def test_every_project_code_read_on_unseen6_and_unseen7_has_a_code_scheme():
    import json

    facts_file = PAGES.parent / "facts.jsonl"
    read = []
    for line in facts_file.read_text(encoding="utf-8").splitlines():
        labelled = json.loads(line)
        if labelled["split"] in ("unseen6", "unseen7"):
            read += [r for r in extract_projects(page(labelled["page"])) if r.get("project_code")]
    assert len(read) >= 15
    assert [r["project_code"] for r in read if r["code_scheme"] is None] == []
    assert {r["code_scheme"] for r in read} >= {"isun", "rrp", "eea", "dfz", "swiss"}


def test_the_financing_one_source_provides_and_is_worth_n_is_the_total():
    # 527: "Финансирането се осигурява от Програмата за развитие на селските райони и е на стойност 50 хил. лв."
    sentence = "Финансирането се осигурява от Програмата за развитие на селските райони и е на стойност 50 хил. лв."
    assert sentence in " ".join(page("527").split())
    (fact,) = [f for f in find_facts(sentence) if f.field == "amount_total"]
    assert (fact.value, fact.rule) == (50000.0, "financing_value")
    assert values(extract_projects(page("527")), "amount_total") == [50000.0]


def test_a_nationally_funded_works_financing_makes_its_page_a_projects():
    # 433 (no EU fund on the page): "Осигуреното финансиране за дейностите е в размер на 1 101 185,98 лв., без ДДС."
    (record,) = extract_projects(page("433"))
    assert (record["amount_total"], record["evidence"]["amount_total"]["rule"]) == (
        1101185.98,
        "national_financing_total",
    )


def test_they_after_counted_contracts_are_a_sum():
    # 495: "Най-много – 48 са сключените договори по програма „Развитие на човешките ресурси“. Те са на стойност
    # 14 649 000 лева."
    text = page("495")
    assert "48 са сключените договори" in text
    assert 14649000.0 not in [f.value for f in find_facts(text) if f.field == "amount_total"]


def test_a_design_or_repair_contracts_value_is_not_a_total():
    facts = find_facts(
        "Стойността на договора за проектиране възлиза на 120 000 лв. без ДДС, а срокът е 60 дни."
    )
    assert not [f for f in facts if f.field == "amount_total"]
    # the grant contract's value stays the project's (603)
    facts = find_facts(
        "Стойността на договора след допълнителното споразумение възлиза на 118 107 лв."
    )
    assert [(f.value, f.rule) for f in facts if f.field == "amount_total"] == [
        (118107.0, "total_label")
    ]
