"""The ИСУН parser on pages shaped as the site's own templates render them.

Every label the parser keys on must be one of the site's (`Texts.resx`, in
tests/fixtures/isun/isun_labels_bg_en.json); pages come from `bench.isun_render`, our
renderer of the public module's Razor views, and from the seed's text rendering.
"""

import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from bench.isun_render import (
    TAB_BODIES,
    Contract,
    Correction,
    Offer,
    Participant,
    contract_url,
    encrypted_id,
    render_print,
    render_tab,
)
from bench.isun_sample import seed_000_contract, stambolovo_contract
from sources.isun import (
    LABELS,
    PageStructureError,
    contract_id_and_tab,
    contract_tab_url,
    note_currencies,
    parse_isun_html,
    parse_isun_text,
)
from tests.conftest import SEED_000

SITE_LABELS = json.loads(
    (Path(__file__).parent / "fixtures" / "isun" / "isun_labels_bg_en.json").read_text("utf-8")
)
BASE = "https://2020.eufunds.bg"
SEED_000_AMOUNTS = [
    ("10 889.76", "10 766.01"),
    ("10 889.76", "7 202.24"),
    ("8 000.00", "11 309.87"),
    ("7 500.00", "7 499.60"),
]


def test_every_label_the_parser_reads_is_the_sites_own():
    wrong = {
        key: text for key, text in LABELS.items() if SITE_LABELS.get(key, {}).get("bg") != text
    }
    assert wrong == {}, f"labels not in isun_labels_bg_en.json (key -> our text): {wrong}"
    assert len(LABELS) >= 50


def test_the_label_the_old_parser_keyed_on_is_not_a_contract_page_label():
    texts = {v["bg"] for v in SITE_LABELS.values() if v.get("bg")}
    assert "Номер на договора/заповедта" not in texts
    assert LABELS["Project_Details_EUMISNumber"] == "Номер от ИСУН"


def _full_contract(**overrides) -> Contract:
    values = dict(
        contract_id=encrypted_id("test:full"),
        reg_number="BG05SFOP001-2.009-0010-C01",
        name="Проект „Тест“, със запетая: и двоеточие",
        procedure_code="BG05SFOP001-2.009",
        procedure_name="Подобряване на гражданското участие",
        beneficiary_uin="126574932",
        beneficiary_name="Сдружение „Съюз за възстановяване и развитие“",
        programme_name="Оперативна програма „Добро управление“",
        funds=["ЕСФ", "ЕФРР"],
        contract_date=date(2018, 12, 20),
        start_date=date(2019, 1, 18),
        end_date=date(2020, 7, 18),
        status="Приключен (към датата на приключване)",
        places=[
            "България, Южна България (BG4), Южен централен (BG42), Хасково (BG422), Стамболово"
        ],
        description="Ред едно\nред две",
        activities=[
            ("Дейност 1: организация, управление", D("10889.76"), D("10766.01")),
            ("Дейност 2", D("8000"), D("11309.87")),
        ],
        partners=[
            Participant("ОБЩИНА СТАМБОЛОВО", "000903049", D("8000"), D("7850")),
            Participant("Мария", None, D("1200"), D("1100")),
        ],
        contractors=[Participant("ФИРМА ООД", "201234563", D("20000.50"), None)],
        subcontractors=[Participant("ПОДИЗПЪЛНИТЕЛ ЕООД", "175074752", D("3000"))],
        members=[Participant("ЧЛЕН АД", "121000000", D("1500"))],
        eu_amount=D("75514.68"),
        bg_amount=D("13326.12"),
        self_amount=D("0"),
        paid_eu=D("73978.21"),
        paid_bg=D("13054.98"),
        eu_percent=D("85.00"),
        corrections=[
            Correction("чл. 70, ал. 1, т. 9", D("5"), D("100"), D("0"), D("100"), "Договор 1/2019")
        ],
        indicators=[("Брой проведени обучения", "брой", D("0"), D("10"), D("12"))],
        offers=[
            Offer(
                "Доставка на оборудване",
                D("50000"),
                [("Лот 1", "ФИРМА ООД", D("20000.50")), ("Лот 2", "", None)],
            ),
            Offer("Одит", None, []),
        ],
    )
    values.update(overrides)
    return Contract(**values)


def _parse_tab(contract: Contract, tab: str):
    return parse_isun_html(render_tab(contract, tab), contract_url(contract, tab, BASE))


def test_basic_data_tab_gives_code_procedure_beneficiary_financing_dates_places():
    c = _full_contract()
    page = _parse_tab(c, "BasicData")
    assert (
        page.contract_id == c.contract_id and page.tab == "BasicData" and page.is_historic is False
    )
    assert page.fields["contract_code"] == "BG05SFOP001-2.009-0010-C01"
    assert page.fields["procedure"] == "BG05SFOP001-2.009 Подобряване на гражданското участие"
    assert page.fields["beneficiary"] == "126574932 Сдружение „Съюз за възстановяване и развитие“"
    assert page.fields["beneficiary_url"].startswith("/bg/0/0/Company?uin=")
    assert page.fields["financing_source"] == "ЕСФ, ЕФРР ==> Оперативна програма „Добро управление“"
    assert (page.fields["contract_date"], page.fields["start_date"], page.fields["end_date"]) == (
        "20.12.2018",
        "18.01.2019",
        "18.07.2020",
    )
    assert page.places == [
        "България, Южна България (BG4), Южен централен (BG42), Хасково (BG422), Стамболово"
    ]
    assert page.currency == "BGN" and page.unknown_labels == []


def test_activities_tab_with_the_seeds_exact_amounts():
    page = _parse_tab(seed_000_contract(), "Activities")
    assert [(a["contracted"], a["reported"]) for a in page.activities] == SEED_000_AMOUNTS
    assert page.activities[2]["title"].startswith("Съвместни дейности между НПО")
    assert page.fields["description"].startswith(
        "Настоящият проект ще се реализира в четири общини"
    )


def test_participants_tab_roles_eik_amounts_and_natural_persons():
    page = _parse_tab(_full_contract(), "Participants")
    rows = [
        (p["role"], p["is_natural_person"], p["name"], p["contracted"], p["reported"])
        for p in page.participants
    ]
    assert rows == [
        ("partner", "false", "000903049 ОБЩИНА СТАМБОЛОВО", "8 000.00", "7 850.00"),
        ("partner", "true", "Мария", "1 200.00", "1 100.00"),
        ("contractor", "false", "201234563 ФИРМА ООД", "20 000.50", ""),
        ("subcontractor", "false", "175074752 ПОДИЗПЪЛНИТЕЛ ЕООД", "3 000.00", None),
        ("consortium_member", "false", "121000000 ЧЛЕН АД", "1 500.00", None),
    ]


def test_financial_tab_five_items_with_currency_suffix_and_corrections():
    page = _parse_tab(_full_contract(), "FinancialInformation")
    assert page.financial == {
        "total": "88 840.80",
        "grant": "88 840.80",
        "own": "0.00",
        "paid": "87 033.19",
        "eu_percent": "85.00",
    }
    assert page.currencies == {
        "total": "BGN",
        "grant": "BGN",
        "own": "BGN",
        "paid": "BGN",
        "note": "BGN",
    }
    assert page.corrections == [
        {
            "reason": "чл. 70, ал. 1, т. 9",
            "percent": "5.00",
            "grant": "100.00",
            "own": "0.00",
            "total": "100.00",
            "contract": "Договор 1/2019",
        }
    ]


def test_indicators_and_procurements_tabs():
    c = _full_contract()
    assert _parse_tab(c, "Indicators").indicators == [
        {
            "indicator_no": "1",
            "name": "Брой проведени обучения",
            "unit": "брой",
            "base": "0.00",
            "target": "10.00",
            "reached": "12.00",
        }
    ]
    procurements = _parse_tab(c, "Procurements").procurements
    assert [
        (
            p["offer_no"],
            p["subject"],
            p["estimated"],
            p["position_no"],
            p["position_name"],
            p["contractor"],
            p["contract_value"],
        )
        for p in procurements
    ] == [
        ("1", "Доставка на оборудване", "50 000.00", "1", "Лот 1", "ФИРМА ООД", "20 000.50"),
        ("1", "Доставка на оборудване", "50 000.00", "2", "Лот 2", None, None),
        ("2", "Одит", None, None, None, None, None),
    ]


def test_print_project_holds_every_section_but_procedure_and_participant_eik():
    c = _full_contract()
    page = parse_isun_html(render_print(c), contract_url(c, "PrintProject", BASE))
    assert page.fields["contract_code"] == "BG05SFOP001-2.009-0010-C01"
    assert "procedure" not in page.fields
    assert page.fields["beneficiary"] == "126574932 Сдружение „Съюз за възстановяване и развитие“"
    assert page.fields["description"] == "Ред едно ред две"
    assert [(a["title"], a["contracted"], a["reported"]) for a in page.activities] == [
        ("Дейност 1: организация, управление", "10 889.76", "10 766.01"),
        ("Дейност 2", "8 000.00", "11 309.87"),
    ]
    assert [(p["role"], p["name"], p["contracted"], p["reported"]) for p in page.participants] == [
        ("partner", "ОБЩИНА СТАМБОЛОВО", "8 000.00", "7 850.00"),
        ("partner", "Мария", "1 200.00", "1 100.00"),
        ("contractor", "ФИРМА ООД", "20 000.50", ""),
        ("subcontractor", "ПОДИЗПЪЛНИТЕЛ ЕООД", "3 000.00", None),
        ("consortium_member", "ЧЛЕН АД", "1 500.00", None),
    ]
    assert page.financial["total"] == "88 840.80" and page.financial["eu_percent"] == "85.00"
    assert page.indicators[0]["target"] == "10.00" and page.corrections[0]["total"] == "100.00"
    assert [p["position_name"] for p in page.procurements] == ["Лот 1", "Лот 2", None]
    assert page.currency == "BGN" and page.unknown_labels == []


def test_empty_sections_say_none_on_tabs_and_print():
    c = _full_contract(
        places=[],
        activities=[],
        partners=[],
        contractors=[],
        subcontractors=[],
        members=[],
        corrections=[],
        indicators=[],
        offers=[],
    )
    print_page = parse_isun_html(render_print(c), contract_url(c, "PrintProject", BASE))
    assert (
        print_page.places,
        print_page.activities,
        print_page.participants,
        print_page.indicators,
        print_page.procurements,
        print_page.corrections,
    ) == ([], [], [], [], [], [])
    tabs = {tab: _parse_tab(c, tab) for tab in TAB_BODIES}
    assert tabs["BasicData"].places == [] and tabs["Activities"].activities == []
    assert tabs["Participants"].participants == [] and tabs["Indicators"].indicators == []
    assert (
        tabs["Procurements"].procurements == [] and tabs["FinancialInformation"].corrections == []
    )


def test_eur_pages_state_eur_in_suffix_and_note():
    c = _full_contract(currency="EUR")
    page = parse_isun_html(render_print(c), contract_url(c, "PrintProject", BASE))
    assert set(page.currencies.values()) == {"EUR"} and page.currency == "EUR"


@pytest.mark.parametrize(
    "note,expected",
    [
        ("Всички суми са в български лева (BGN) /1 EUR = 1,95583 BGN", ["BGN"]),
        ("Всички суми са в евро (EUR) / 1 EUR = 1,95583 BGN", ["EUR"]),
        ("Всички суми са в евро.", ["EUR"]),
        ("Всички суми са в EUR", ["EUR"]),
        ("Всички суми са в лв.", ["BGN"]),
        ("Сумите са показани с натрупване", []),
    ],
)
def test_currency_note_in_any_wording(note, expected):
    assert note_currencies(note) == expected


def test_note_and_suffix_disagreeing_leaves_the_currency_open():
    c = _full_contract()
    html = render_tab(c, "FinancialInformation").replace(
        "88 840.80</span> BGN", "88 840.80</span> EUR"
    )
    page = parse_isun_html(html, contract_url(c, "FinancialInformation", BASE))
    assert (
        page.currency is None
        and page.currencies["total"] == "EUR"
        and page.currencies["note"] == "BGN"
    )


def test_encrypted_ids_are_unquoted_from_urls_and_quoted_again():
    token = "y+px+9EtzCsoF38I5/iraA=="
    url = f"{BASE}/en/583/2/Project/BasicData?contractId=y%2Bpx%2B9EtzCsoF38I5%2FiraA%3D%3D&isHistoric=True"
    assert contract_id_and_tab(url) == (token, "BasicData")
    # An unencoded '+' (a hand-typed URL) decodes to a space, which Base64 never has.
    assert contract_id_and_tab(f"{BASE}/bg/0/0/Project/Activities?contractId={token}")[0] == token
    assert contract_tab_url(url, "PrintProject", token) == (
        f"{BASE}/en/583/2/Project/PrintProject?contractId=y%2Bpx%2B9EtzCsoF38I5%2FiraA%3D%3D&isHistoric=True"
    )


def test_a_page_without_its_tabs_section_is_a_structure_error():
    c = stambolovo_contract()
    with pytest.raises(PageStructureError, match="Номер от ИСУН"):
        parse_isun_html(
            render_tab(c, "BasicData").replace("Номер от ИСУН", "Рег. номер"),
            contract_url(c, "BasicData", BASE),
        )
    with pytest.raises(PageStructureError, match="empty page"):
        parse_isun_html(b"  ", contract_url(c, "PrintProject", BASE))


def test_text_rendering_of_seed_000_gives_four_activities_with_exact_amounts():
    page = parse_isun_text(SEED_000.read_text(encoding="utf-8"), "file:seed-000")
    assert [(a["contracted"], a["reported"]) for a in page.activities] == SEED_000_AMOUNTS
    assert page.activities[0]["title"].startswith(
        "Дейности по разработване на анализи, проучвания, оценки"
    )
    assert page.currency == "BGN"
    assert "programme_name" not in page.fields
    assert page.fields["description"].startswith(
        "Настоящият проект ще се реализира в четири общини"
    )


def test_listings_give_encrypted_ids_their_links_and_the_pager():
    from bench.isun_render import render_company, render_search, search_page_url
    from sources.isun_crawl import CrawlConfig
    from sources.isun_discovery import listing_from_html, with_results_shown

    contracts = [_full_contract(contract_id=encrypted_id(f"list:{i}")) for i in range(3)]
    contracts[1].is_historic = True
    url = BASE + search_page_url(op=583)  # the per-programme route (prog= is encrypted on the site)
    listing = listing_from_html(render_search(contracts, 1, 3, op=583).encode(), url)
    assert list(listing.contracts) == [c.contract_id for c in contracts]
    assert listing.contract_links[contracts[1].contract_id].endswith("&isHistoric=True")
    # The pager's pages 2 and 3 (">" links page 2 again); the header's English link is not followed.
    assert len(listing.links) == 2 and all(
        link.startswith(f"{BASE}/bg/583/0/Project/Search?showRes=True&page=")
        for link in listing.links
    )
    company = listing_from_html(
        render_company("000413878", "ОБЩИНА ЛЕВСКИ", contracts[:2]).encode(),
        f"{BASE}/bg/0/0/Company?uin=abc&uinType=Bulstat",
    )
    assert list(company.contracts) == [c.contract_id for c in contracts[:2]]
    assert (
        with_results_shown(f"{BASE}/bg/0/0/Project/Search?prog=5")
        == f"{BASE}/bg/0/0/Project/Search?prog=5&showRes=True"
    )
    assert CrawlConfig(programme_ids=("583", "5")).listing_paths() == (
        "/bg/583/0/Project/Search?showRes=True",
        "/bg/5/0/Project/Search?showRes=True",
    )
