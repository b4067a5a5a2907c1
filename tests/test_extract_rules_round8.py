"""Issue 26's eighth round: a list of projects read as rows, tuned on unseen9 (pages 729-797).

Every text is a page of tests/data/extraction_devset (the number is the file) or a sentence quoted from
one; every asserted value is the page's label in facts.jsonl, and each value read is asserted with the rule
(evidence) that chose it.
"""

import pytest

from sources.extract import extract_projects
from sources.extract.facts import find_facts
from sources.extract.project_rows import project_rows
from tests.extraction_pages import page, values

pytestmark = pytest.mark.unit


def amounts(text: str) -> list[float]:
    return [float(m.value[0]) for m in project_rows(text)]


# --- rows: bullet lines under an announcing line -----------------------------------------------------------------


def test_bullet_lines_under_an_announcing_line_are_one_project_each():
    # 782: "Одобрените проекти на Община Рудозем:\n  • Вътрешна Водопроводната Мрежа в село Чепинци: Община Рудозем
    # инвестира 2.54 милиона лева\n  • Благоустрояване на Лесопарка в Рудозем: Проект на стойност 2.33 милиона лева …"
    records = extract_projects(page("782"))
    assert [r["amount_total"] for r in records] == [
        2540000.0,
        2330000.0,
        1800000.0,
        1470000.0,
        975000.0,
    ]
    assert {r["evidence"]["amount_total"]["rule"] for r in records} == {"listed_project_row"}


def test_a_stated_sum_broken_down_by_source_is_no_list_of_projects():
    # 059: "Общата стойност на проекта е 774 224,43 лв. от които:\n- 569 878,59 лв. по ОП РЧР;\n- 204 345,84 лв. по
    # ОП НОИР." — one project's money by programme
    text = (
        "Общата стойност на проекта е 774 224,43 лв. от които:\n"
        "- 569 878,59 лв. по ОП РЧР;\n- 204 345,84 лв. по ОП НОИР.\n"
    )
    assert amounts(text) == []
    records = extract_projects(page("059"))
    assert [r["amount_total"] for r in records] == [774224.43]


def test_bullet_lines_naming_funds_are_no_list_of_projects():
    # 782's announcing line, items replaced by money by source as 059 states it: a breakdown, not projects
    text = (
        "Одобрените проекти на Община Рудозем:\n"
        "  • Безвъзмездна финансова помощ: 2.54 милиона лева\n"
        "  • Съфинансиране от общината: 1.80 милиона лева.\n"
    )
    assert amounts(text) == []


# --- rows: "за <work> … <amount>" items of one sentence ----------------------------------------------------------


def test_items_for_works_in_one_sentence_each_with_its_amount():
    # 750: "Отпуснатите средства по бюджета на община Каспичан са за реконструкция на централна градска зона –
    # 365 204 лв., за изготвяне на технически проект … – 180 000 лв., за основен ремонт на ул. „Дунав“ … – 284 796
    # лв. и за изграждане на Православен параклис … – 70 000 лв.;"
    records = extract_projects(page("750"))
    assert [r["amount_total"] for r in records] == [365204.0, 180000.0, 284796.0, 70000.0]


def test_an_end_stated_once_for_all_the_listed_projects_is_each_ones():
    # 787: "За подмяна на водопроводната мрежа в село Лозево сумата е 9 500 000 лева, за Градище 9 184 900 лева, за
    # Черенча 9 300 000 лева … Крайният срок за завършване и на трите проекта е 30 юни 2027 г."; the agreements'
    # sum 27 984 900 лева is no project's total
    records = extract_projects(page("787"))
    assert [(r["amount_total"], r["end_date"]) for r in records] == [
        (9500000.0, "2027-06-30"),
        (9184900.0, "2027-06-30"),
        (9300000.0, "2027-06-30"),
    ]
    assert records[0]["evidence"]["end_date"]["rule"] == "end_stated_for_all_listed"


@pytest.mark.parametrize(
    "sentence",
    [
        # allotments to municipalities: "за общините" is no work
        "Средствата са разпределени за община Шумен 9 500 000 лева, за община Каспичан 900 000 лева.",
        # a budget per year
        "Бюджетът е за 2024 г. 365 204 лв., за 2025 г. 180 000 лв.",
        # approximate amounts (789: "С малко над 3,1 млн. лв. ще се реконструират …")
        "За ремонт на улици са над 3,1 млн. лв., за центъра около 1,9 млн. лв.",
    ],
)
def test_allotments_years_or_approximate_amounts_are_no_rows(sentence):
    assert amounts(sentence) == []


def test_items_stating_the_amount_before_the_work():
    # 752: "От тях 170 хил.лв. ще бъдат инвестиране за санирането на местната Детска градина, 200 000 лв. за
    # канализацията на ул. "Хан Аспарух" до края на август и 650 хил. лв. за ремонт и реконструкция на уличната
    # мрежа …" (the 700 хил. лв. of the next sentences is a work the text tells apart, not read here)
    records = extract_projects(page("752"))
    assert [r["amount_total"] for r in records] == [170000.0, 200000.0, 650000.0]


def test_amounts_for_works_that_are_no_items_of_one_sentence_are_no_rows():
    # 789: "С малко над 3,1 млн. лв. ще се реконструират и ремонтират улици … Съгласно втория договор ще се довърши
    # Центърът за настаняване от семеен тип в Ружинци на обща стойност 1,9 млн. лв." — two sentences, not a list
    assert amounts(page("789")) == []


def test_a_remark_on_a_sources_share_in_brackets_leaves_the_item_a_project():
    # 747: "Ремонт на НЧ „Мита Стойчева – 1900”, с. Обединение (50% финансиране от проект „Красива България” – 95 948
    # лв. „Водоотвеждане и ремонт на пешеходен подлез, …” – 49 856 лв. … Основен ремонт на НЧ „Отец Паисий“ – гр.
    # Полски Тръмбеш (85% средства от НДЕФ) – 289 364 лв."
    records = extract_projects(page("747"))
    assert [r["amount_total"] for r in records] == [95948.0, 49856.0, 86116.0, 289364.0]
    assert [r["start_date"] for r in records] == [None] * 4


# --- precision: a works contract's money and term, a builder's term, a first-sod day ----------------------------


def test_the_value_and_term_of_the_contract_last_introduced_for_works_are_the_contractors():
    # 778: "подписан договор № Д-120/04.08.2020 г. за изпълнение на строително-монтажни работи по проект „Закриване и
    # рекултивация на съществуващо депо …“ … Стойността на договора е 282 187.81 лв. с вкл. ДДС … Срокът за
    # изпълнение на договора е 9 месеца."; the project's contract code stays
    records = extract_projects(page("778"))
    assert [r["project_code"] for r in records] == ["BG16M1OP002-2.010-0026-C01"]
    assert [(r["amount_total"], r["duration_months"]) for r in records] == [(None, None)]


def test_the_value_of_the_project_contract_is_still_its_total():
    # the same words after a grant contract introduced by its number stay the project's (a control on 778's rule)
    text = (
        "Община Ковачевци подписа договор № BG16M1OP002-2.010-0026-C01 за безвъзмездна финансова помощ по проект "
        "„Закриване и рекултивация на съществуващо депо“. Стойността на договора е 282 187.81 лв."
    )
    assert values(find_facts(text), "amount_total") == [282187.81]


def test_a_contract_signed_with_a_consortium_is_a_contractors():
    # 743: "Кмета на Община Берковица г-жа Димитранка Каменова и представител на Обединение „Геостройтехмин“
    # подписаха договор на стойност 5 530 963, 03 лв."
    records = extract_projects(page("743"))
    assert values(records, "amount_total") == []


def test_the_term_for_the_works_on_sites_is_no_projects_duration():
    # 783: "Очакваният срок за изпълнение на двата обекта е 2 месеца."; the project's code stays
    records = extract_projects(page("783"))
    assert values(records, "project_code") == ["BG06RDNP001-7.001-0105"]
    assert values(records, "duration_months") == []
    sentence = "Очакваният срок за изпълнение на двата обекта е 2 месеца."
    assert values(find_facts(sentence), "duration_months") == []


def test_a_start_on_the_day_of_a_first_sod_is_the_works():
    # 758: "Поляха с борованско червено вино първата копка по проект в община Борован\n\n    Днес 14.04.2011г.
    # започна изпълнението  на   ПРОЕКТ : …"; the project's value stays
    records = extract_projects(page("758"))
    assert values(records, "start_date") == []
    assert values(records, "amount_total") == [627052.0]


def test_dash_lines_under_a_line_counting_the_projects():
    # 785: "… Община Провадия получи финансиране за два важни проекта на обща стойност 13 658 800 лв.\n\n- Размерът на
    # полученото финансиране е близо седем пъти по-голям от ежегодната субсидия от 2 030 000 лв. …\n\n- Основен ремонт
    # на път VAR 1211 – … на стойност 7 965 000 лв.\n\n- Основен ремонт на път VAR 2217 – … на стойност 5 693 800 лв."
    assert amounts(page("785")) == [7965000.0, 5693800.0]


def test_dash_lines_fewer_or_more_than_the_projects_counted_are_no_rows():
    # 785's lines under a count of three: the count and the items disagree, the list is not read
    text = (
        "Общината получи финансиране за три важни проекта на обща стойност 13 658 800 лв.\n\n"
        "- Основен ремонт на път VAR 1211 на стойност 7 965 000 лв.\n\n"
        "- Основен ремонт на път VAR 2217 на стойност 5 693 800 лв.\n"
    )
    assert amounts(text) == []
