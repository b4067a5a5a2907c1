"""Issue 26's sixth round: general rules tuned on unseen6 and unseen7 (pages 430-644), each asserted on a real page.

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
