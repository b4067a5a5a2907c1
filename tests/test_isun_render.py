"""Every label the renderer draws and the parser or discovery keys on is the site's own (Texts.resx,
`tests/fixtures/isun/isun_labels_bg_en.json`), in Bulgarian and English; the live site's quirks render."""

from __future__ import annotations

import json
import re

import pytest

from bench.isun_render import (
    LEAKED_TASK,
    MAX_PAGER_NUMBERS,
    NOTES,
    SITE_TEXTS,
    SearchSummary,
    contract_url,
    render_print,
    render_search,
    render_tab,
)
from sources.isun import LABELS, LABELS_EN, parse_isun_html
from sources.isun_discovery import TOTAL_CONTRACTS_LABEL, listing_from_html
from tests.conftest import FIXTURES
from tests.isun_mirror import CONTRACT_IDS, contract

pytestmark = pytest.mark.unit

SITE_LABELS = json.loads((FIXTURES / "isun" / "isun_labels_bg_en.json").read_text("utf-8"))
BASE = "https://2020.eufunds.bg"


def test_english_labels_and_the_frame_texts_are_the_sites_own():
    assert {k: SITE_LABELS[k]["en"] for k in LABELS} == LABELS_EN
    assert {k: SITE_LABELS[k] for k in SITE_TEXTS} == SITE_TEXTS
    assert SITE_LABELS["Project_Search_TotalContractsCount"]["bg"] == TOTAL_CONTRACTS_LABEL
    # The pre-euro notes are Texts.resx's; the English post-euro one is the wording seen on live pages.
    assert NOTES["bg", "BGN"] == SITE_LABELS["Global_NoteBGN"]["bg"]
    assert NOTES["en", "BGN"] == SITE_LABELS["Global_NoteBGN"]["en"]
    assert NOTES["en", "EUR"] == "All amounts are in euro (EUR) / 1 EUR = 1,95583 BGN"


def test_a_tab_carries_the_header_english_link_counter_and_footer():
    c = contract(CONTRACT_IDS[0])
    html = render_tab(c, "BasicData")
    english = contract_url(c, "BasicData").replace("/bg/", "/en/", 1).replace("&", "&amp;")
    assert f'<a href="{english}">English</a>' in html
    assert (
        "Благодарение на потребителите на ИСУН бяха спасени <strong>55 152</strong> дървета" in html
    )
    assert "BG05SFOP001-4.002-0003" in html  # the footer: the system's own project
    c.lang = "en"
    html = render_tab(c, "BasicData")
    assert ">Български</a>" in html and "UMIS AND ITS USERS CONTRIBUTED TO SAVING" in html
    assert "BG161PO002-2.1.01-0007-C0001" in html


def test_print_project_as_the_live_site_renders_it_parses():
    c = contract(CONTRACT_IDS[0])
    c.leak_task = True
    html = render_print(c)
    assert LEAKED_TASK in html
    # The activities row has no label, and each bullet has a space before its commas.
    assert "<td><strong></strong></td>" in html
    assert "Дейност: Строителен надзор ,\nДоговорена стойност:" in html
    page = parse_isun_html(html, contract_url(c, "PrintProject", BASE))
    assert [a["title"] for a in page.activities] == [
        "Строително-монтажни работи: топлоизолация",
        "Строителен надзор",
    ]
    assert page.activities[1]["contracted"] == "38 600.00"
    c.lang = "en"
    page = parse_isun_html(render_print(c), contract_url(c, "PrintProject", BASE))
    assert page.language == "en" and page.currency == "EUR"
    assert page.activities[1] == {
        "title": "Строителен надзор",
        "contracted": "38 600.00",
        "reported": "9 264.00",
    }


def test_the_search_page_summary_pager_and_plain_text_beneficiary():
    contracts = [contract(cid) for cid in CONTRACT_IDS[:3]]
    url = f"{BASE}/bg/5/0/Project/Search?showRes=True"
    html = render_search(contracts, 14, 40, op=5, summary=SearchSummary(1000, 400))
    listing = listing_from_html(html.encode(), url)
    assert listing.total_contracts == 1000
    numbers = re.findall(r"<li(?: class=\"active\")?><a(?: href=\"[^\"]*\")?>(\d+)</a></li>", html)
    assert numbers == [str(n) for n in range(9, 19)] and len(numbers) == MAX_PAGER_NUMBERS
    assert "««" in html and "»»" in html and "&#8230;" in html
    assert "Company?uin=" not in html  # the beneficiary is plain text on the search page
    assert all("/en/" not in link for link in listing.links)
