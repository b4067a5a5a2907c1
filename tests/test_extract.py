"""Extractors on the real seeds (exact values) and on forty real-shaped pages of our own."""

import json
from pathlib import Path

import pytest

from sources.extract import detect_kind, extract, extract_projects
from tests.conftest import SEEDS

PAGES = Path(__file__).parent / "fixtures" / "pages"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_seed_001_municipal_news():
    text = seed("001")
    r = extract(text)
    assert r["kind"] == "municipal-news"
    assert (
        r["project_code"] == "BG05SFOP001-2.009-0010-C01" and r["programme_code"] == "BG05SFOP001"
    )
    assert r["title"] == (
        "Гражданите в партньорство с местната администрация за създаване на една по-добра "
        "социална среда на местно ниво"
    )
    assert r["beneficiary"] == "Сдружение „Съюз за възстановяване и развитие” – гр. Хасково"
    assert r["partners"] == ["Община Стамболово"]
    assert (r["amount_total"], r["amount_eu"], r["amount_national"], r["currency"]) == (
        88840.80,
        75514.68,
        13326.12,
        "BGN",
    )
    assert (r["amount_total_bgn"], r["amount_total_eur"]) == (88840.80, 45423.58)
    assert (r["start_date"], r["duration_months"]) == ("2019-01-18", 18)
    assert len(r["activities"]) == 10 and r["activities"][6].startswith(
        "Междинна оценка на Общинската стратегия"
    )
    assert r["programme"] == "Оперативна програма „Добро управление”"
    span = r["spans"]["amount_total"]
    assert (
        text[span["start"] : span["end"]] == span["text"] == "88\u00a0840,80 лв."
    )  # the page has an NBSP


def test_seed_002_ngo_project():
    r = extract(seed("002"))
    assert r["kind"] == "ngo-project"
    assert (
        r["project_code"] == "BG05SFOP001-2.009-0004" and r["procedure_code"] == "BG05SFOP001-2.009"
    )
    assert r["title"] == "Граждански мониторинг за по-качествени социални услуги"
    assert (r["beneficiary"], r["partners"]) == ("сдружение РАЙС", ["Свободен младежки център"])
    assert (r["amount_total"], r["amount_eu"], r["amount_national"], r["currency"]) == (
        67243.93,
        57157.34,
        10086.59,
        "BGN",
    )
    assert (r["duration_months"], r["start_date"], r["end_date"]) == (12, "2019-01", "2020-01")
    assert r["district"] == "Видин" and len(r["municipalities"]) == 11
    assert {"Видин", "Белоградчик", "Брегово", "Кула", "Ново село"} <= set(r["municipalities"])
    assert len(r["publications"]) == 6 and r["publications"][0] == "Плакат на проекта"
    assert r["target_groups"].startswith("Децентрализираните държавните органи")
    assert r["objectives"].startswith("Обща цел на проекта")


def test_seed_003_ngo_event():
    r = extract(seed("003"))
    assert r["kind"] == "ngo-event"
    assert r["procedure_code"] == "BG05SFOP001-2.025" and r["project_code"] is None
    assert r["title"] == "ПРЕСТИЖ"
    assert r["beneficiary"] == "Сдружение „Алианс за регионално сътрудничество и развитие“"
    assert r["partners"] == ["Община Хасково"]
    assert (r["event_date"], r["event_time"]) == ("2023-11-22", "16:00")
    assert r["address"] == "град Хасково, ул. Добруджа 44" and r["email"] == "arcd.ngo@gmail.com"


def test_seed_004_strategy():
    r = extract(seed("004"))
    assert r["kind"] == "strategy"
    assert (r["municipality"], r["period"]) == ("Община Гулянци", "2016–2020")
    assert r["decision"] == {
        "number": "84",
        "date": "2016-03-25",
        "text": "Решение №84/25.03.2016",
        "protocol": "8",
        "protocol_date": "2016-03-25",
        "council": "Общински Съвет Гулянци",
    }
    assert [(s["name"], s["period_start"], s["period_end"]) for s in r["stages"]] == [
        ("Подготвителен етап", "2016", "2016"),
        ("Първи етап", "2016", "2018"),
        ("Оценка и препланиране", "2018", "2018"),
        ("Втори етап", "2019", "2020"),
        ("Финална оценка", "2020", "2020"),
    ]
    assert len(r["partnership_mechanisms"]) == 7 and r["partnership_mechanisms"][1].startswith(
        "Партньорства"
    )
    assert "финансиране чрез местни приходи" in r["financing_sources"]
    assert "7.2 Механизми на партньорството" in r["sections"] and "8.2 Финансиране" in r["sections"]
    assert (
        r["amount_total"] is None and r["project_code"] is None
    )  # not in the text: null, never guessed


CASES = sorted(PAGES.glob("*/*.txt"))


def test_there_are_ten_pages_per_kind():
    assert {k.name: len(list(k.glob("*.txt"))) for k in PAGES.iterdir()} == {
        "municipal-news": 10,
        "ngo-project": 10,
        "ngo-event": 10,
        "strategy": 10,
    }


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_variant_pages(path):
    kind = path.parent.name
    text = path.read_text(encoding="utf-8")
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert detect_kind(text) == kind
    r = extract(text, "auto")
    decision = r.get("decision") or {}
    derived = {
        "n_activities": len(r.get("activities") or []),
        "n_municipalities": len(r.get("municipalities") or []),
        "n_stages": len(r.get("stages") or []),
        "n_financing": len(r.get("financing_sources") or []),
        "n_mechanisms": len(r.get("partnership_mechanisms") or []),
        "decision_number": decision.get("number"),
        "decision_date": decision.get("date"),
        "protocol": decision.get("protocol"),
        "protocol_date": decision.get("protocol_date"),
        "council": decision.get("council"),
        "stage_periods": [[s["period_start"], s["period_end"]] for s in r.get("stages") or []],
    }
    for field, want in expected.items():
        if field == "flags_include":
            assert set(want) <= set(r["flags"]), (field, r["flags"])
            continue
        got = derived[field] if field in derived else r.get(field)
        assert got == want, (field, got, want)


@pytest.mark.unit
@pytest.mark.parametrize("tab", ["PrintProject", "Activities", "Indicators"])
def test_an_isun_page_is_read_by_the_isun_parser_never_as_its_footers_code(tab):
    """A contract page rendered from the site's views, header and footer included: `extract` knows it
    by its structure and gives the contract's code, never `BG161PO002-2.1.01-0007-C0001` (the ИСУН
    system's own project, named in every footer)."""
    from bench.isun_render import render_print, render_tab
    from tests.test_crawl_plan import _synthetic_register

    contract = _synthetic_register(1)[0]
    html = render_print(contract) if tab == "PrintProject" else render_tab(contract, tab)
    if tab != "PrintProject":  # the print view has no site frame
        assert "BG161PO002-2.1.01-0007-C0001" in html or "BG05SFOP001-4.002-0003" in html
    records = [extract(html, is_html=True), *extract_projects(html, is_html=True)]
    for record in records:
        assert record["kind"] == "isun"
    # The print view states the code; a tab such as Activities does not (BasicData does): no code then.
    expected = contract.reg_number if tab == "PrintProject" else None
    assert [r["project_code"] for r in records] == [expected, expected]
