"""A loopback ИСУН mirror for crawler tests, rendered from the site's templates (`bench.isun_render`).

Thirteen contracts whose ids are encrypted Base64 tokens (several with `+`, `/`, `=`), listed
on Project/Search result pages (`showRes=True`, 25 a page on the site, five here, with an
encrypted `page` in the pager) and on a company page (`Company?uin=<enc>&uinType=…`), each
served with every page the crawler may fetch (PrintProject, BasicData, Participants: `ALL_PAGES`),
in Bulgarian and, under /en/, in English (every page's header links its English twin, as the live
site's do). Two procedures, of which the project-proposals export (`/bg/0/0/ProjectProposals/ExportToHtml`)
names one (the other is left out, as the site leaves out a cancelled procedure): its contracts' procedure
name comes from one BasicData. Contracts with an odd number list a contractor. One search page also
links to a contract on another host, which must never be requested; one contract is on the
non-default path `/bg/583/0/` with isHistoric=True, and one is served in windows-1251.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from bench.isun_render import (
    Contract,
    Participant,
    company_url,
    contract_url,
    encrypted_id,
    render_company,
    render_print,
    render_procedures_export,
    render_search,
    render_tab,
    search_page_url,
)
from sources.isun_crawl import ALL_PAGES
from sources.isun_procedures import PROCEDURES_EXPORT_PATH
from tests.fault_server import FaultServer, Route
from tests.isun_bulk_fixtures import add_bulk_routes

CONTRACT_NOS = [str(i) for i in range(1001, 1014)]


def _token(no: str) -> str:
    """Tokens chosen so that `+`, `/` and `=` all occur (as in about a quarter of the site's ids)."""
    return encrypted_id(f"mirror:{no}")


CONTRACT_IDS = [_token(no) for no in CONTRACT_NOS]
CP1251_CONTRACT = CONTRACT_IDS[6]
HISTORIC_CONTRACT = CONTRACT_IDS[10]
COMPANY_UIN = "000413878"


def procedure_code(contract_id: str) -> str:
    no = CONTRACT_NOS[CONTRACT_IDS.index(contract_id)] if contract_id in CONTRACT_IDS else "0666"
    return "BG16FFPR003-1.001" if no <= "1007" else "BG16FFPR003-2.002"


# The procedures the project-proposals export names (code, name, proposals submitted).
EXPORTED_PROCEDURES = [("BG16FFPR003-1.001", "Интегрирани градски инвестиции", 12)]


def named_by_export(procedure: str) -> bool:
    return any(code == procedure for code, _, _ in EXPORTED_PROCEDURES)


def project_code(contract_id: str) -> str:
    no = CONTRACT_NOS[CONTRACT_IDS.index(contract_id)] if contract_id in CONTRACT_IDS else "0666"
    return f"{procedure_code(contract_id)}-{no}-C01"


def has_contractor(contract_id: str) -> bool:
    return contract_id not in CONTRACT_IDS or CONTRACT_IDS.index(contract_id) % 2 == 0


def contract(contract_id: str) -> Contract:
    c = Contract(
        contract_id=contract_id,
        reg_number=project_code(contract_id),
        name="Енергийна ефективност на сградата на СУ „Христо Ботев“, гр. Левски",
        procedure_code=procedure_code(contract_id),
        procedure_name="Интегрирани градски инвестиции"
        if procedure_code(contract_id).endswith("1.001")
        else "Устойчиво градско развитие",
        beneficiary_uin=COMPANY_UIN,
        beneficiary_name="Община Левски",
        programme_name="Програма „Развитие на регионите“ 2021-2027",
        funds=["ЕФРР"],
        is_historic=contract_id == HISTORIC_CONTRACT,
        contract_date=date(2026, 1, 15),
        start_date=date(2026, 2, 1),
        end_date=date(2027, 7, 31),
        places=[
            "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), Левски, "
            "гр.Левски"
        ],
        description="Мерки за енергийна ефективност.",
        activities=[
            ("Строително-монтажни работи: топлоизолация", D("1062400.00"), D("254980.35")),
            ("Строителен надзор", D("38600.00"), D("9264.00")),
        ],
        contractors=[
            Participant(
                "СТРОИТЕЛНА КОМПАНИЯ ЛЕВСКИ ЕООД", "201234563", D("1062400.00"), D("254980.35")
            )
        ]
        if has_contractor(contract_id)
        else [],
        eu_amount=D("934850.00"),
        bg_amount=D("166150.00"),
        paid_eu=D("187000.00"),
        paid_bg=D("33000.00"),
        currency="EUR",
    )
    return c


def contract_urls(contract_id: str) -> dict[str, str]:
    """Tab -> path (as the crawler requests it) for each page the crawler fetches."""
    c = contract(contract_id)
    lang_path = "/bg/583/0/" if contract_id == HISTORIC_CONTRACT else "/bg/0/0/"
    return {tab: contract_url(c, tab).replace("/bg/0/0/", lang_path) for tab in ALL_PAGES}


def contract_path(contract_id: str, tab: str = "PrintProject") -> str:
    return contract_urls(contract_id)[tab]


def contract_body(
    contract_id: str, tab: str = "PrintProject", lang: str = "bg"
) -> tuple[bytes, str]:
    c = contract(contract_id)
    c.lang = lang
    html = render_print(c) if tab == "PrintProject" else render_tab(c, tab)
    if contract_id == CP1251_CONTRACT:
        # Declared only in the HTTP header, as old pages often do.
        html = html.replace('<meta charset="UTF-8">\n', "").replace(
            '<meta http-equiv="content-type" content="text/html; charset=UTF-8">\n', ""
        )
        return html.encode("cp1251"), "text/html; charset=windows-1251"
    return html.encode("utf-8"), "text/html; charset=utf-8"


def _listed(contract_ids: list[str]) -> list[Contract]:
    out = []
    for cid in contract_ids:
        c = contract(cid)
        out.append(c)
    return out


def _search_html(contract_ids: list[str], page_no: int, page_count: int, extra: str = "") -> bytes:
    html = render_search(_listed(contract_ids), page_no, page_count)
    for cid in contract_ids:  # the historic contract is listed on its own /{op}/{pr}/ path
        if cid == HISTORIC_CONTRACT:
            html = html.replace(
                contract_url(contract(cid), "BasicData").replace("&", "&amp;"),
                contract_path(cid, "BasicData").replace("&", "&amp;"),
            )
    return html.replace("</body>", extra + "</body>").encode("utf-8")


SEARCH_FIRST = search_page_url()
SEARCH_PAGES = [search_page_url(encrypted_id(f"page::{n}")) for n in (1, 2, 3)]  # the pager's links


def build_mirror(server: FaultServer, foreign_base_url: str) -> None:
    r = server.routes
    foreign = contract_url(contract(_token("666")), "BasicData", foreign_base_url)
    r[SEARCH_FIRST] = r[SEARCH_PAGES[0]] = Route(
        _search_html(CONTRACT_IDS[0:5], 1, 3, f'<a href="{foreign.replace("&", "&amp;")}">x</a>')
    )
    r[SEARCH_PAGES[1]] = Route(
        _search_html(
            CONTRACT_IDS[5:10],
            2,
            3,
            f'<a href="{company_url(COMPANY_UIN, "Beneficiary").replace("&", "&amp;")}">ОБЩИНА ЛЕВСКИ</a>',
        )
    )
    r[SEARCH_PAGES[2]] = Route(_search_html(CONTRACT_IDS[10:11], 3, 3))
    # The company page lists the last two contracts (and one already seen on a search page).
    company = render_company(
        COMPANY_UIN, "Община Левски", _listed([CONTRACT_IDS[4], *CONTRACT_IDS[11:13]])
    )
    r[company_url(COMPANY_UIN, "Beneficiary")] = Route(company.encode("utf-8"))
    # The bulk sources in their real shapes: data about every project, no page ids.
    add_bulk_routes(server, [project_code(c) for c in CONTRACT_IDS])
    r[PROCEDURES_EXPORT_PATH] = Route(
        render_procedures_export(EXPORTED_PROCEDURES).encode("utf-8"), "text/html; charset=utf-8"
    )
    for cid in CONTRACT_IDS:
        for tab in ALL_PAGES:
            body, ctype = contract_body(cid, tab)
            r[contract_path(cid, tab)] = Route(body, ctype)
            english, ctype = contract_body(
                cid, tab, "en"
            )  # what the header's "English" link serves
            r[english_path(contract_path(cid, tab))] = Route(english, ctype)
    for path in [SEARCH_FIRST, *SEARCH_PAGES, company_url(COMPANY_UIN, "Beneficiary")]:
        r[english_path(path)] = Route(r[path].body)  # the English twin (its text is not read)


def english_path(path: str) -> str:
    return path.replace("/bg/", "/en/", 1)


def printed_within(budget: int, contract_ids: list[str]) -> list[str]:
    """The contracts whose PrintProject the crawler fetches with `budget` requests, taking them in this
    order from nothing (each costs its PrintProject, and a BasicData for a procedure neither the
    project-proposals export names nor seen yet); the export's own request comes first."""
    budget -= 1
    seen: set[str] = set()
    out = []
    for cid in contract_ids:
        if budget < 1:
            break
        out.append(cid)
        procedure = procedure_code(cid)
        budget -= 1 + (procedure not in seen and not named_by_export(procedure))
        seen.add(procedure_code(cid))
    return out


def expected_requests(contract_ids: list[str]) -> dict[str, int]:
    """Requests the crawler makes for these contracts from nothing, over its first nights: one
    PrintProject each, one BasicData per procedure the project-proposals export does not name, then
    (the `identity` class) Participants where a contractor is listed."""
    procedures = {procedure_code(cid) for cid in contract_ids}
    procedures = {p for p in procedures if not named_by_export(p)}
    return {
        "PrintProject": len(contract_ids),
        "BasicData": len(procedures),
        "Participants": sum(has_contractor(cid) for cid in contract_ids),
    }
