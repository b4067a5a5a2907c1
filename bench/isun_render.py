"""Render ИСУН contract pages the way the real site does, from a contract's values.

Our own renderer of the public module's Razor views (governmentbg/nims-ccu, EUPL; see
`shared/isun_reference/nims-ccu/Eumis.Public.Web/Views/Project/*.cshtml`): the six tabs
inside `_ProjectLayout` + `_Tabs`, PrintProject, Project/Search result pages and
Company pages, with the site's labels (`Texts.resx`), number format (`2 846 935.42`,
DataUtils.DecimalToStringDecimalPointSpace), dates (`dd.MM.yyyy`), "Няма" for empty
sections, natural persons without ЕИК, and encrypted, URL-encoded contract ids.

It is used for `sample/isun`, the crawler's loopback mirror and the benchmark corpus,
so every fixture follows what the site renders. Values are ours (invented or taken from
the seeds); the structure is the site's. Where the live site is known to differ from the
2022 source (amounts in EUR since 2026), `currency="EUR"` renders " EUR" suffixes and
an EUR note — its exact wording is unknown, so the parser must accept any wording.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from urllib.parse import quote

from sources.isun import LABELS as L
from sources.isun import LABELS_EN

# Texts of the site's frame that the parser never keys on, with their Texts.resx keys (checked against
# isun_labels_bg_en.json by tests/test_isun_render.py): header, green corner, footer, notes.
SITE_TEXTS = {
    "Global_NoteUnderlined": {
        "bg": "Елемент в светло синьо позволява показване на детайли при избирането му",
        "en": "Elements in light blue allow detailed view when selected",
    },
    "Global_Note": {"bg": "Забележки", "en": "Notes"},
    "Global_EumisShort": {"bg": "ИСУН 2020", "en": "UMIS 2020"},
    "Shared_Tabs_Projects": {"bg": "Проекти", "en": "Projects"},
    "Shared_GreenCorner_SavedTrees": {"bg": "Спасени дървета", "en": "Saved trees"},
    "Shared_GreenCorner_TitlePrefix": {
        "bg": "Благодарение на потребителите на ИСУН бяха спасени",
        "en": "UMIS AND ITS USERS CONTRIBUTED TO SAVING",
    },
    "Shared_GreenCorner_TitleSufix": {"bg": "дървета", "en": "TREES"},
    "Shared_Footer_Financing": {
        "bg": "Проектът се финансира от Оперативна програма „Добро управление”, съфинансирана от "
        "Европейския съюз чрез Европейския социален фонд.",
        "en": 'The project is financed by the Operational Programme "Technical Assistance" and '
        "co-financed by the European Union through the European Regional Development Fund.",
    },
    "Shared_Footer_Project": {
        "bg": "В изпълнение на проект BG05SFOP001-4.002-0003 „Повишаване на ефективността и "
        "ефикасността на Централното координационно звено“.",
        "en": 'In implementing the project № 0115-CCU-2.1 "Information system for management and '
        'monitoring of EU funds in 2014-2020 - UMIS 2020" (BG161PO002-2.1.01-0007-C0001).',
    },
    "Project_Search_TotalContractsCount": {
        "bg": "Общ брой договори",
        "en": "Total count of contracts",
    },
    "Project_Search_TotalBFPAmount": {"bg": "Обща стойност БФП", "en": "Total amount of grant"},
    "Project_Search_TotalAmount": {"bg": "Обща стойност", "en": "Total amount"},
    "Project_Search_TotalCompaniesCount": {
        "bg": "Общ брой бенефициенти",
        "en": "Total count of beneficiaries",
    },
    "Global_Currency_BGN": {"bg": "лв.", "en": "BGN"},
    "Global_Page": {"bg": "Страница", "en": "Page"},
}
# The other language's name, as the header's language link reads (the link goes to the same path).
OTHER_LANGUAGE = {"bg": ("en", "English"), "en": ("bg", "Български")}
NOTE_UNDERLINED = SITE_TEXTS["Global_NoteUnderlined"]["bg"]
# Page notes by (language, currency): the pre-euro notes are Texts.resx's; the English post-euro note is
# the one seen on live pages (lower-case "euro"); the Bulgarian post-euro wording has not been seen.
NOTES = {
    ("bg", "BGN"): L["Global_NoteBGN"],
    ("bg", "EUR"): "Всички суми са в евро (EUR) /1 EUR = 1,95583 BGN",
    ("en", "BGN"): LABELS_EN["Global_NoteBGN"],
    ("en", "EUR"): "All amounts are in euro (EUR) / 1 EUR = 1,95583 BGN",
}
# ASP.NET Core renders an un-awaited Task where an HtmlString was meant: seen before a page's notes.
LEAKED_TASK = "System.Threading.Tasks.Task`1[Microsoft.AspNetCore.Html.HtmlString]"
TREES_SAVED = 55152  # the header counter (seen: "… спасени 55 152 дървета")


def labels(lang: str) -> dict[str, str]:
    return LABELS_EN if lang == "en" else L


def text(key: str, lang: str) -> str:
    return SITE_TEXTS[key][lang]


def encrypted_id(seed: str) -> str:
    """A token shaped like the site's encrypted contractId: Base64 of 16 bytes (`+`, `/`, `=` occur)."""
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()[:16]).decode()


def money(value: Decimal | None) -> str:
    """Decimal.cshtml: `2 846 935.42`, `-1 000.00`; nothing for a null value."""
    if value is None:
        return ""
    return f'<span class="no-wrap-white-space">{value:,.2f}</span>'.replace(",", " ")


def day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def e(text: str | None) -> str:
    return escape(text or "", quote=True)


@dataclass
class Participant:
    name: str
    uin: str | None = (
        None  # None for natural persons (PersonalBulstat): the site shows their name only
    )
    contracted: Decimal | None = None
    reported: Decimal | None = None

    @property
    def is_person(self) -> bool:
        return self.uin is None

    @property
    def full_name(self) -> str:
        """CompanyVO.TransFullName: "{Uin} {Name}", natural persons by (anonymised) name only."""
        return self.name if self.is_person else f"{self.uin} {self.name}"


@dataclass
class Correction:
    reason: str
    percent: Decimal
    grant: Decimal
    own: Decimal
    total: Decimal
    contract: str = ""


@dataclass
class Offer:
    subject: str
    amount: Decimal | None
    positions: list[tuple[str, str, Decimal | None]] = field(
        default_factory=list
    )  # name, contractor, value


@dataclass
class Contract:
    contract_id: str  # the decoded token
    reg_number: str  # "Номер от ИСУН": the contract code with -Cnn
    name: str
    procedure_code: str
    procedure_name: str
    beneficiary_uin: str | None
    beneficiary_name: str
    programme_name: str
    funds: list[str] = field(default_factory=list)
    programme_id: int = 0
    is_historic: bool = False
    contract_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: str = "Сключен"
    places: list[str] = field(default_factory=list)
    description: str = ""
    activities: list[tuple[str, Decimal | None, Decimal | None]] = field(default_factory=list)
    partners: list[Participant] = field(default_factory=list)
    contractors: list[Participant] = field(default_factory=list)
    subcontractors: list[Participant] = field(default_factory=list)
    members: list[Participant] = field(default_factory=list)
    eu_amount: Decimal = Decimal(0)
    bg_amount: Decimal = Decimal(0)
    self_amount: Decimal = Decimal(0)
    paid_eu: Decimal = Decimal(0)
    paid_bg: Decimal = Decimal(0)
    eu_percent: Decimal = Decimal("85.00")
    corrections: list[Correction] = field(default_factory=list)
    indicators: list[tuple[str, str, Decimal | None, Decimal | None, Decimal | None]] = field(
        default_factory=list
    )
    offers: list[Offer] = field(default_factory=list)
    currency: str = "BGN"
    lang: str = "bg"  # "en": the page under /en/, with Texts.resx's English labels
    # The live (ASP.NET Core) site: a PrintProject activities row without its label, a leaked Task
    # before the notes, the header's green corner with its counter (None: an older page without it).
    print_activities_label: bool = False
    leak_task: bool = False
    trees_saved: int | None = TREES_SAVED

    @property
    def grant(self) -> Decimal:
        return self.eu_amount + self.bg_amount

    @property
    def total(self) -> Decimal:
        return self.grant + self.self_amount

    @property
    def paid(self) -> Decimal:
        return self.paid_eu + self.paid_bg

    @property
    def beneficiary_full_name(self) -> str:
        return (
            self.beneficiary_name
            if self.beneficiary_uin is None
            else f"{self.beneficiary_uin} {self.beneficiary_name}"
        )

    @property
    def months(self) -> int:
        if not (self.start_date and self.end_date):
            return 0
        d1, d2 = self.start_date, self.end_date
        return (d2.month + 12 * d2.year) - (d1.month + 12 * d1.year) + (1 if d2.day > d1.day else 0)


def contract_url(contract: Contract, action: str, base: str = "", lang: str | None = None) -> str:
    historic = "True" if contract.is_historic else "False"
    lang = lang or contract.lang
    return f"{base}/{lang}/0/0/Project/{action}?contractId={quote(contract.contract_id, safe='')}&isHistoric={historic}"


def header(path: str, lang: str = "bg", trees_saved: int | None = TREES_SAVED) -> str:
    """_Header as the live site renders it: the green corner with its counter (newer pages) and the
    link to the same page in the other language (`/en/...` from a Bulgarian page)."""
    other, name = OTHER_LANGUAGE[lang]
    other_path = re.sub(r"^/(bg|en)/", f"/{other}/", path)
    corner = ""
    if trees_saved is not None:
        count = f"{trees_saved:,}".replace(",", " ")
        corner = (
            f'<div class="green-corner"><span>{e(text("Shared_GreenCorner_SavedTrees", lang))}</span>\n'
            f"<p>{e(text('Shared_GreenCorner_TitlePrefix', lang))} <strong>{count}</strong> "
            f"{e(text('Shared_GreenCorner_TitleSufix', lang))}</p></div>\n"
        )
    return (
        f'<header class="header">\n<a class="logo" href="/{lang}">{e(text("Global_EumisShort", lang))}</a>\n'
        f'{corner}<ul class="lang"><li><a href="{e(other_path)}">{name}</a></li></ul>\n</header>\n'
    )


def footer(lang: str = "bg") -> str:
    """_Footer: the ИСУН system's own financing lines; its project code is never a contract's."""
    return (
        f'<footer class="footer">\n<p>{e(text("Shared_Footer_Financing", lang))}</p>\n'
        f"<p>{e(text('Shared_Footer_Project', lang))}</p>\n</footer>\n"
    )


def company_url(
    uin: str,
    type_: str,
    base: str = "",
    historic: bool = False,
    personal: bool = False,
    lang: str = "bg",
) -> str:
    """Html.ActionLink(..., MVC.Company.Index, new {uin = Encrypt(uin), uinType, isHistoric, type});
    a natural person's uinType is `PersonalBulstat`."""
    uin_type = "PersonalBulstat" if personal else "Bulstat"
    return (
        f"{base}/{lang}/0/0/Company?uin={quote(encrypted_id('uin:' + uin), safe='')}&uinType={uin_type}"
        f"&isHistoric={'True' if historic else 'False'}&type={type_}"
    )


def _company_link(p: Participant, type_: str, lang: str = "bg") -> str:
    url = company_url(p.uin or p.name, type_, personal=p.is_person, lang=lang)
    return f'<a href="{e(url)}">{e(p.full_name)}</a>'


# --- the tab pages ---------------------------------------------------------------------------------


def _list_item(label: str, value_html: str) -> str:
    return f'        <div class="list-item">\n            <label>{e(label)}</label>\n            {value_html}\n        </div>\n'


def _box(color: str, heading: str, content: str) -> str:
    return (
        f'<div class="project-info-box">\n    <div class="head {color}">\n        <h2>{e(heading)}</h2>\n'
        f'    </div>\n    <div class="content">\n{content}    </div>\n</div>\n'
    )


def basic_data_body(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    funds = f"{e(', '.join(c.funds))} ==> " if c.funds else ""
    if c.places:
        places = (
            f"        <strong>{e(L['Project_Details_ExecutionPlace'])}</strong>\n        <ul>\n"
            + "".join(f"                    <li>{e(p)}</li>\n" for p in c.places)
            + "        </ul>\n"
        )
    else:
        places = _list_item(L["Project_Details_ExecutionPlace"], e(L["Project_Details_None"]))
    procedure_url = (
        f"https://eumis2020.government.bg/bg/s/Procedure/InfoEnded/{encrypted_id(c.procedure_code)}"
    )
    beneficiary = (
        f'<a href="{e(company_url(c.beneficiary_uin or c.beneficiary_name, "Beneficiary", historic=c.is_historic, personal=c.beneficiary_uin is None, lang=c.lang))}">'
        f"{e(c.beneficiary_full_name)}</a>"
    )
    content = "".join(
        [
            _list_item(
                L["Project_Details_Procedure"],
                f'<a href="{e(procedure_url)}">{e(c.procedure_code)} {e(c.procedure_name)}</a>',
            ),
            _list_item(L["Project_Details_EUMISNumber"], e(c.reg_number)),
            _list_item(L["Project_Details_ProjectName"], e(c.name)),
            _list_item(L["Project_Details_Beneficiary"], beneficiary),
            _list_item(
                L["Project_Details_FinancingSource"],
                f'{funds}<a href="/{c.lang}/{c.programme_id}/0/OPProfile">{e(c.programme_name)}</a>',
            ),
            _list_item(L["Project_Details_ContractDate"], day(c.contract_date)),
            _list_item(L["Project_Details_StartDate"], day(c.start_date)),
            _list_item(L["Project_Details_EndDate"], day(c.end_date)),
            _list_item(L["Project_Details_BFPContractStatus"], e(c.status)),
            places,
        ]
    )
    return _box("blue", L["Project_Details_Identification"], content)


def activities_body(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    content = _list_item(
        L["Project_Details_ShortProjectDescription"], f"<pre>{e(c.description)}</pre>"
    )
    if c.activities:
        rows = "".join(
            f"                            <tr>\n                                <td>{e(t)}</td>\n"
            f"                                <td>{money(a)}</td>\n                                <td>{money(r)}</td>\n"
            "                            </tr>\n"
            for t, a, r in c.activities
        )
        content += (
            f"        <strong>{e(L['Project_Details_Activities'])}</strong>\n"
            '        <div class="table-wrapper">\n            <img class="horizontal-scroll" src="/Content/img/icons/horizontal-scroll.png" />\n'
            "            <table>\n                <thead>\n                    <tr>\n"
            f"                        <th>{e(L['Project_Details_Activity'])}</th>\n"
            f"                        <th>{e(L['Project_Details_Activity_ContractedAmount'])}</th>\n"
            f"                        <th>{e(L['Project_Details_Activity_ReportedAmount'])}</th>\n"
            f"                    </tr>\n                </thead>\n                <tbody>\n{rows}                </tbody>\n"
            "            </table>\n        </div>\n"
        )
    else:
        content += _list_item(L["Project_Details_Activities"], e(L["Project_Details_None"]))
    return _box("yellow", L["Project_Details_Description"], content)


_ROLE_TYPES = {
    "partners": ("Partner", "Project_Details_Partner", True),
    "contractors": ("Contractor", "Project_Details_Contractor", True),
    "subcontractors": ("Subcontractor", "Project_Details_Subcontractor", False),
    "members": ("Member", "Project_Details_Member", False),
}
_ROLE_LABELS = {
    "partners": "Project_Details_Partners",
    "contractors": "Project_Details_Contractors",
    "subcontractors": "Project_Details_Subcontractors",
    "members": "Project_Details_Members",
}


def _participant_table(
    people: list[Participant], kind: str, personal: bool, lang: str = "bg"
) -> str:
    L = labels(lang)  # noqa: N806
    type_, singular_key, with_reported = _ROLE_TYPES[kind]
    singular = L[singular_key]
    star = "**" if kind == "contractors" else ""
    who = L["Project_Details_Personal"] if personal else L["Project_Details_NonPersonal"]
    if with_reported:
        head = (
            f'<th width="50%">{e(singular)} {e(who)}</th><th width="25%">{e(L["Project_Details_Partner_ContractedAmount"])}*</th>'
            f'<th width="25%">{e(L["Project_Details_Partner_ReportedAmount"])}{star}</th>'
        )
    else:
        head = (
            f'<th width="75%">{e(singular)} {e(who)}</th>'
            f'<th width="25%" style="border-left:solid 1px;">{e(L["Project_Details_Partner_ContractedAmount"])}*</th>'
        )
    rows = ""
    for p in people:
        cells = f"<td>{_company_link(p, type_, lang)}</td><td>{money(p.contracted)}</td>"
        if with_reported:
            cells += f"<td>{money(p.reported)}</td>"
        rows += f"<tr>\n{cells}\n</tr>\n"
    return (
        '<div class="table-wrapper">\n<img class="horizontal-scroll" src="/Content/img/icons/horizontal-scroll.png" />\n'
        f'<table class="chart-info">\n<thead>\n<tr>\n{head}\n</tr>\n</thead>\n\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n'
    )


def participants_body(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    content = ""
    for kind, label_key in _ROLE_LABELS.items():
        label = L[label_key]
        people = getattr(c, kind)
        if people:
            inner = ""
            legal = [p for p in people if not p.is_person]
            persons = [p for p in people if p.is_person]
            if legal:
                inner += _participant_table(legal, kind, False, c.lang)
            if persons:
                inner += _participant_table(persons, kind, True, c.lang)
        else:
            inner = e(L["Project_Details_None"])
        content += _list_item(label, inner)
    return _box("green", L["Project_Details_ParticipatingOrganizations"], content)


def _corrections_table(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    rows = "".join(
        f'<tr><td>{e(x.reason)}</td><td class="sum-field">{money(x.percent)}</td>'
        f'<td class="sum-field">{money(x.grant)}</td><td class="sum-field">{money(x.own)}</td>'
        f'<td class="sum-field">{money(x.total)}</td><td>{e(x.contract)}</td></tr>\n'
        for x in c.corrections
    )
    return (
        "<table>\n<thead>\n<tr>\n"
        f'<th rowspan="2">{e(L["Project_Details_FinancialCorrections_ImposingReason"])}</th>\n'
        '<th rowspan="2">% на наложената<br />финансова корекция</th>\n'
        '<th colspan="3">Стойност на наложената финансова корекция<sup>1,2</sup></th>\n'
        f'<th rowspan="2">{e(L["Project_Details_FinancialCorrections_ContractorName"])}</th>\n'
        "</tr>\n<tr>\n<th>БФП</th>\n<th>Собствено финансиране</th>\n<th>Общо</th>\n</tr>\n</thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n"
    )


def financial_body(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    cur = c.currency
    content = "".join(
        [
            _list_item(L["Project_Details_ProjectTotalAmount"], f"{money(c.total)} {cur}"),
            _list_item(L["Project_Details_BFP"], f"{money(c.grant)} {cur}"),
            _list_item(L["Project_Details_ProjectSelfAmount"], f"{money(c.self_amount)} {cur}"),
            _list_item(L["Project_Details_TotalPayed"], f"{money(c.paid)} {cur}"),
            _list_item(L["Project_Details_EuPercent"], f"{money(c.eu_percent)} %"),
            '        <div class="chart-wrapper"><div class="chart-pie"></div></div>\n',
            '        <div class="chart-wrapper"><div class="chart"></div></div>\n',
        ]
    )
    corrections = (
        '<div class="table-wrapper">\n' + _corrections_table(c) + "</div>\n"
        if c.corrections
        else f'        <div class="list-item">\n            <label>{e(L["Project_Details_None"])}</label>\n        </div>\n'
    )
    return _box("red", L["Project_Details_FinancialInformation"], content) + _box(
        "red", L["Project_Details_FinancialCorrections"], corrections
    )


def indicators_body(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    if c.indicators:
        rows = "".join(
            f'<tr>\n<td>{i}. {e(n)}</td>\n<td>{e(u)}</td>\n<td class="sum-field">{money(b)}</td>\n'
            f'<td class="sum-field">{money(t)}</td>\n<td class="sum-field">{money(r)}</td>\n</tr>\n'
            for i, (n, u, b, t, r) in enumerate(c.indicators, start=1)
        )
        content = (
            '<div class="table-wrapper">\n<table>\n<thead>\n<tr>\n'
            + "".join(
                f"<th>{e(L[k])}</th>\n"
                for k in (
                    "Project_Details_Indicator",
                    "Project_Details_Indicator_Unit",
                    "Project_Details_Indicator_BaseTotalValue",
                    "Project_Details_Indicator_TargetAmount",
                    "Project_Details_Indicator_CumulativeAmount",
                )
            )
            + f"</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
        )
    else:
        content = f'        <div class="list-item">\n            <label>{e(L["Project_Details_None"])}</label>\n        </div>\n'
    return _box("", L["Project_Details_Indicators"], content)


def _position_divs(
    j: int, name: str, contractor: str, value: Decimal | None, lang: str = "bg"
) -> str:
    L = labels(lang)  # noqa: N806
    return (
        f"<li>\n<div>{e(L['Project_Details_Offer_PositionName'])} {j}: {e(name)}</div>\n"
        f"<div>{e(L['Project_Details_Offer_ContractorName'])}: {e(contractor)}</div>\n"
        f"<div>\n{e(L['Project_Details_Offer_ContractTotalFundedValue'])}: {money(value)}\n</div>\n</li>\n"
    )


def procurements_body(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    if c.offers:
        content = ""
        for i, offer in enumerate(c.offers, start=1):
            content += _list_item(
                f"{L['Project_Details_Offer']} {i}",
                f"{e(L['Project_Details_Offer_ProcurementPlanName'])}: {e(offer.subject)},\n"
                f"                    {e(L['Project_Details_Offer_Amount'])}: {money(offer.amount)}",
            )
            content += (
                "<ul>\n"
                + "".join(
                    _position_divs(j, *p, c.lang) for j, p in enumerate(offer.positions, start=1)
                )
                + "</ul>\n"
            )
    else:
        content = f'        <div class="list-item">\n            <label>{e(L["Project_Details_NoProcurements"])}</label>\n        </div>\n'
    return _box("blue", L["Project_Details_Procurements"], content)


TAB_BODIES = {
    "BasicData": basic_data_body,
    "Activities": activities_body,
    "Participants": participants_body,
    "FinancialInformation": financial_body,
    "Indicators": indicators_body,
    "Procurements": procurements_body,
}
TAB_TITLES = [
    ("BasicData", "Основни данни"),
    ("Activities", "Дейности по проекта"),
    ("Procurements", "Тръжни процедури"),
    ("Participants", "Участващи организации"),
    ("FinancialInformation", "Финансова информация"),
    ("Indicators", "Индикатори"),
]


def render_tab(c: Contract, tab: str) -> str:
    """One tab inside _Layout, _ProjectLayout and _Tabs (the frame a crawler sees)."""
    tabs = "".join(
        f'    <li class="{"active" if t == tab else ""}"><a href="{e(contract_url(c, t))}" class="wait">{title}</a></li>\n'
        for t, title in TAB_TITLES
    )
    notes = ""
    if c.lang != "bg":
        pass  # the footnotes below are the Bulgarian ones; the parser reads none of them
    elif tab == "FinancialInformation":
        notes = (
            "* Сумата на реално изплатените суми с натрупване<br />\n<sup>1</sup> Посочената стойност представлява "
            "максималния размер на наложената финансова корекция.<br />\n"
        )
    elif tab == "Participants":
        notes = (
            "* Договорената стойност по проекта може да е по-ниска от отчетената поради някоя от следните причини:\n"
            "<ul><li>За физически лица договорената стойност не включва разходите за сметка на работодателя</li></ul>\n"
            "** Колоната представя размерът на заявените от бенефициента разходи<br />\n"
        )
    lang = c.lang
    leak = f"{LEAKED_TASK}\n" if c.leak_task else ""
    return (
        f'<!DOCTYPE html>\n<html class="no-js" lang="{lang}">\n<head>\n'
        '    <meta http-equiv="content-type" content="text/html; charset=UTF-8">\n'
        f"    <title>{e(text('Global_EumisShort', lang))}</title>\n"
        "</head>\n<body>\n"
        + header(contract_url(c, tab), lang, c.trees_saved)
        + '<div class="container">\n'
        f'<div class="page-title"><h1>{e(text("Shared_Tabs_Projects", lang))}</h1></div>\n<div class="page-content">\n'
        '<div class="heading-with-export clearfix">\n    <div class="data-export">\n'
        f'        <a class="ico-print" target="_blank" href="{e(contract_url(c, "PrintProject"))}">Print</a>\n'
        f'    </div>\n</div>\n<ul class="nav nav-tabs">\n{tabs}</ul>\n'
        '<div class="tab-content">\n'
        + TAB_BODIES[tab](c)
        + f'{leak}<h2>{e(text("Global_Note", lang))}:</h2>\n<div class="note">\n{notes}'
        f"{e(text('Global_NoteUnderlined', lang))}<br />\n{NOTES[lang, c.currency]}\n</div>\n"
        "</div>\n</div>\n</div>\n" + footer(lang) + "</body>\n</html>\n"
    )


# --- PrintProject ----------------------------------------------------------------------------------


def _row(label: str, value_html: str, first: bool = False) -> str:
    if first:
        return (
            f'<tr>\n<td style="width: 35%;"><strong>{e(label)}</strong></td>\n'
            f'<td style="width: 65%;">{value_html}</td>\n</tr>\n'
        )
    return f"<tr>\n<td><strong>{e(label)}</strong></td>\n<td>{value_html}</td>\n</tr>\n"


def _ul_or_none(items: list[str], lang: str = "bg") -> str:
    return (
        "<ul>\n" + "".join(f"<li>\n{i}\n</li>\n" for i in items) + "</ul>\n"
        if items
        else e(labels(lang)["Project_Details_None"])
    )


def render_print(c: Contract) -> str:
    L = labels(c.lang)  # noqa: N806
    funds = f"{e(', '.join(c.funds))} ==> " if c.funds else ""
    ident = "".join(
        [
            _row(L["Project_Details_EUMISNumber"], e(c.reg_number), first=True),
            _row(L["Project_Details_ProjectName"], e(c.name)),
            _row(L["Project_Details_Beneficiary"], e(c.beneficiary_full_name) + " "),
            _row(L["Project_Details_FinancingSource"], f"\n{funds}\n\n{e(c.programme_name)}\n"),
            _row(L["Project_Details_ContractDate"], day(c.contract_date)),
            _row(L["Project_Details_StartDate"], day(c.start_date)),
            _row(L["Project_Details_EndDate"], day(c.end_date)),
            _row(L["Project_Details_BFPContractStatus"], e(c.status)),
            _row(
                L["Project_Details_ExecutionPlace"], _ul_or_none([e(p) for p in c.places], c.lang)
            ),
        ]
    )
    # The live site: "Activity: name , Contracted Amount: X , Reported Amount: Y" (a space before each
    # comma) in a row without its "Activities" label; the 2022 view: "name,\nContracted Amount: X,\n...".
    comma = ",\n" if c.print_activities_label else " ,\n"
    acts = [
        f"{e(L['Project_Details_Activity'])}: {e(t)}{comma}{e(L['Project_Details_Activity_ContractedAmount'])}: {money(a)}{comma}"
        f"{e(L['Project_Details_Activity_ReportedAmount'])}: {money(r)}"
        for t, a, r in c.activities
    ]
    activities_label = L["Project_Details_Activities"] if c.print_activities_label else ""
    desc = _row(
        L["Project_Details_ShortProjectDescription"], f"<pre>{e(c.description)}</pre>", first=True
    ) + _row(activities_label, _ul_or_none(acts, c.lang))
    parts = ""
    for kind, label_key in _ROLE_LABELS.items():
        label = L[label_key]
        _type, singular_key, with_reported = _ROLE_TYPES[kind]
        singular = L[singular_key]
        star = "**" if kind == "contractors" else ""
        items = [
            f"{e(singular)}: {e(p.name)},\n{e(L['Project_Details_Partner_ContractedAmount'])}*: {money(p.contracted)}"
            + (
                f",\n{e(L['Project_Details_Partner_ReportedAmount'])}{star}: {money(p.reported)}"
                if with_reported
                else ""
            )
            for p in getattr(c, kind)
        ]
        parts += _row(label, _ul_or_none(items, c.lang), first=True)
    parts += (
        '<tr>\n<td colspan="2" class="note">\n<p class="font-weight-bold">Забележки:</p>\n'
        "<p>\n* Договорената стойност по проекта може да е по-ниска от отчетената поради някоя от следните причини:\n"
        "<ul><li>Бенефициентът е отчел повторно разходи към УО</li></ul>\n</p>\n"
        "<p>** Колоната представя размерът на заявените от бенефициента разходи</p>\n</td>\n</tr>\n"
    )
    if c.indicators:
        inds = "".join(
            _row(
                f"{L['Project_Details_Indicator']} {i}",
                f"\n{e(n)},\n{e(L['Project_Details_Indicator_Unit'])}: {e(u)},\n"
                f"{e(L['Project_Details_Indicator_BaseTotalValue'])}: {money(b)},\n"
                f"{e(L['Project_Details_Indicator_TargetAmount'])}: {money(t)},\n"
                f"{e(L['Project_Details_Indicator_CumulativeAmount'])}: {money(r)}\n",
                first=True,
            )
            for i, (n, u, b, t, r) in enumerate(c.indicators, start=1)
        )
    else:
        inds = f"<tr><td>{e(L['Project_Details_None'])}</td></tr>\n"
    cur = c.currency
    fin = "".join(
        [
            _row(L["Project_Details_ProjectTotalAmount"], f"{money(c.total)} {cur}", first=True),
            _row(L["Project_Details_BFP"], f"{money(c.grant)} {cur}"),
            _row(L["Project_Details_ProjectSelfAmount"], f"{money(c.self_amount)} {cur}"),
            _row(L["Project_Details_TotalPayed"], f"{money(c.paid)} {cur}"),
            _row(L["Project_Details_EuPercent"], f"{money(c.eu_percent)} %"),
        ]
    )
    corr = _corrections_table(c) if c.corrections else e(L["Project_Details_None"])
    if c.offers:
        offers = "".join(
            _row(
                f"{L['Project_Details_Offer']} {i}",
                f"\n{e(L['Project_Details_Offer_ProcurementPlanName'])}: {e(o.subject)},\n"
                f"{e(L['Project_Details_Offer_Amount'])}: {money(o.amount)}\n<ul>\n"
                + "".join(_position_divs(j, *p, c.lang) for j, p in enumerate(o.positions, start=1))
                + "</ul>\n",
                first=True,
            )
            for i, o in enumerate(c.offers, start=1)
        )
    else:
        offers = f"<tr><td>{e(L['Project_Details_NoProcurements'])}</td></tr>\n"
    leak = f"{LEAKED_TASK}\n" if c.leak_task else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{c.lang}">\n<head>\n    <meta charset="UTF-8">\n'
        '    <link href="/Content/css/print-style.css" rel="stylesheet" />\n    <title></title>\n</head>\n<body>\n\n'
        f"<h3>{e(L['Project_Details_Identification'])}</h3>\n<table>\n{ident}</table>\n\n"
        f"<h3>{e(L['Project_Details_Description'])}</h3>\n<table>\n{desc}</table>\n\n"
        f"<h3>{e(L['Project_Details_ParticipatingOrganizations'])}</h3>\n<table>\n{parts}</table>\n\n"
        f"<h3>{e(L['Project_Details_Indicators'])}</h3>\n<table>\n{inds}</table>\n\n"
        f"<h3>{e(L['Project_Details_FinancialInformation'])}</h3>\n<table>\n{fin}</table>\n\n"
        f"<h3>{e(L['Project_Details_FinancialCorrections'])}</h3>\n<table>\n<tr>\n<td>\n{corr}\n</td>\n</tr>\n"
        '<tr>\n<td colspan="2" class="note">\n<p class="font-weight-bold">Забележки:</p>\n'
        "<p><sup>1</sup> Посочената стойност представлява максималния размер на наложената финансова корекция.</p>\n"
        "</td>\n</tr>\n</table>\n\n"
        f"<h3>{e(L['Project_Details_Procurements'])}</h3>\n<table>\n{offers}</table>\n\n"
        + leak
        + f'<div class="note">\n<p class="font-weight-bold">{e(text("Global_Note", c.lang))}:</p>\n'
        f"<p>{NOTES[c.lang, cur]}</p>\n</div>\n"
        '\n</body>\n</html>\n\n<script type="text/javascript">\n    setTimeout(function () {\n        print();\n'
        "    }, 100);\n</script>\n"
    )


# --- listings ----------------------------------------------------------------------------------------


def search_page_url(
    page_token: str | None = None, prog: str = "", base: str = "", op: int | str = 0
) -> str:
    """Project/Search results (`showRes=True`) on the per-programme route `/bg/{op}/0/Project/Search`;
    pages after the first carry an encrypted page number (`prog=` is the site's encrypted filter value)."""
    url = (
        f"{base}/bg/{op}/0/Project/Search?"
        + (f"prog={quote(prog, safe='')}&" if prog else "")
        + "showRes=True"
    )
    return url + (f"&page={quote(page_token, safe='')}" if page_token else "")


def page_token(n: int, prog: str = "", op: int | str = 0) -> str:
    """The encrypted page number the pager links carry (a new token per programme route)."""
    return encrypted_id(f"page:{prog}:{n}" if not op else f"page:{op}:{n}")


MAX_PAGER_NUMBERS = (
    10  # PagedListRenderOptions.MaximumPageNumbersToDisplay (PagedList.Mvc's default)
)


def pager_html(page_no: int, page_count: int, prog: str = "", op: int | str = 0) -> str:
    """PagedList.Mvc's pager as Search.cshtml configures it: at most 10 page numbers around the current
    page, ellipses, first/last ("««"/"»»") and previous/next ("<"/">") links, all with encrypted pages."""
    if page_count <= 1:
        return ""

    def link(n: int, label: str, cls: str = "") -> str:
        href = e(search_page_url(page_token(n, prog, op), prog, op=op))
        return f'<li{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}><a href="{href}">{label}</a></li>'

    first = max(1, min(page_no - MAX_PAGER_NUMBERS // 2, page_count - MAX_PAGER_NUMBERS + 1))
    last = min(page_count, first + MAX_PAGER_NUMBERS - 1)
    items = []
    if first > 1:
        items.append(link(1, "««", "PagedList-skipToFirst"))
    if page_no > 1:
        items.append(link(page_no - 1, "&lt;", "PagedList-skipToPrevious"))
    if first > 1:
        items.append('<li class="disabled PagedList-ellipses"><a>&#8230;</a></li>')
    for n in range(first, last + 1):
        items.append(f'<li class="active"><a>{n}</a></li>' if n == page_no else link(n, str(n)))
    if last < page_count:
        items.append('<li class="disabled PagedList-ellipses"><a>&#8230;</a></li>')
    if page_no < page_count:
        items.append(link(page_no + 1, "&gt;", "PagedList-skipToNext"))
    if last < page_count:
        items.append(link(page_count, "»»", "PagedList-skipToLast"))
    return (
        f'<div class="paging clearfix">\n<span>{text("Global_Page", "bg")} ({page_no}/{page_count}):</span>\n'
        f'<div class="pagination-container"><ul class="pagination">{"".join(items)}</ul></div>\n</div>\n'
    )


@dataclass
class SearchSummary:
    """The summary table above the results (SummarizedSearchResult): the whole search's totals."""

    contracts: int
    companies: int
    grant: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


def summary_html(summary: SearchSummary, lang: str = "bg") -> str:
    rows = [
        ("Project_Search_TotalContractsCount", str(summary.contracts)),
        (
            "Project_Search_TotalBFPAmount",
            f"{money(summary.grant)} {text('Global_Currency_BGN', lang)}",
        ),
        (
            "Project_Search_TotalAmount",
            f"{money(summary.total)} {text('Global_Currency_BGN', lang)}",
        ),
        ("Project_Search_TotalCompaniesCount", str(summary.companies)),
    ]
    body = "".join(f"<tr>\n<td>{e(text(k, lang))}</td>\n<td>{v}</td>\n</tr>\n" for k, v in rows)
    return (
        '<div class="row" style="margin-top: 10px;">\n<div class="col-md-10 col-md-offset-1">\n'
        '<div class="table-wrapper">\n<table class="chart-info" style="table-layout: fixed">\n'
        f'<thead>\n<tr>\n<th colspan="2"></th>\n</tr>\n</thead>\n<tbody>\n{body}</tbody>\n</table>\n'
        "</div>\n</div>\n</div>\n<br />\n"
    )


def render_search(
    contracts: list[Contract],
    page_no: int,
    page_count: int,
    prog: str = "",
    op: int | str = 0,
    summary: SearchSummary | None = None,
    trees_saved: int | None = TREES_SAVED,
) -> str:
    """One Search.cshtml result page (25 a page on the site): the header (with its English link), the
    summary table, the rows (the beneficiary as plain text, as the view prints it: no Company link) and
    the pager."""
    summary = summary or SearchSummary(
        len(contracts), len({c.beneficiary_full_name for c in contracts})
    )
    rows = ""
    for c in contracts:
        places = (
            '<ul style="padding-left:10px; margin:0px;">'
            + "".join(f"<li>{e(p)}</li>" for p in c.places)
            + "</ul>"
            if c.places
            else ""
        )
        seat = (
            "България" if c.beneficiary_uin is None else "гр. София"
        )  # a person: the seat's country
        rows += (
            f"<tr>\n<td>{e(c.beneficiary_full_name)}</td>\n<td>{seat}</td>\n<td>{places}</td>\n"
            f'<td><a class="wait" href="{e(contract_url(c, "BasicData"))}">{e(c.name)}</a></td>\n'
            f'<td class="sum-field">{money(c.total)}</td>\n<td class="sum-field">{money(c.grant)}</td>\n'
            f'<td class="sum-field">{money(c.self_amount)}</td>\n<td class="sum-field">{money(c.paid)}</td>\n'
            f'<td class="sum-field">{c.months}</td>\n<td>{e(c.status)}</td>\n</tr>\n'
        )
    pager = pager_html(page_no, page_count, prog, op)
    this_page = search_page_url(page_token(page_no, prog, op) if page_no > 1 else None, prog, op=op)
    return (
        '<!DOCTYPE html>\n<html lang="bg">\n<head><meta charset="UTF-8"><title>ИСУН 2020</title></head>\n<body>\n'
        + header(this_page, "bg", trees_saved)
        + summary_html(summary)
        + '<div class="table-wrapper">\n<table class="chart-info">\n<thead>\n<tr>\n'
        "<th>Бенефициент</th><th>Седалище</th><th>Местонахождение</th><th>Наименование на проекта</th>"
        "<th>Обща стойност</th><th>БФП</th><th>Собствено съфинансиране от бенефициента</th><th>Реално изплатени суми</th>"
        "<th>Продължителност (месеци)</th><th>Статус на изпълнение на договора/заповедта за БФП</th>\n"
        f"</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n{pager}</div>\n"
        f'<h2>Забележки:</h2>\n<div class="note">{NOTE_UNDERLINED}<br />\n{L["Global_NoteBGN"]}<br />\n</div>\n'
        + footer("bg")
        + "</body>\n</html>\n"
    )


def render_company(uin: str, name: str, contracts: list[Contract]) -> str:
    """Company/Index: the organisation's projects as a beneficiary, each linking to BasicData."""
    rows = "".join(
        f'<tr>\n<td><a class="wait" href="{e(contract_url(c, "BasicData"))}">{e(c.name)}</a></td>\n'
        f'<td>{day(c.start_date)}</td>\n<td class="sum-field">{money(c.total)}</td>\n'
        f'<td class="sum-field">{money(c.grant)}</td>\n<td class="sum-field">{money(c.self_amount)}</td>\n'
        f'<td class="sum-field">{money(c.paid)}</td>\n<td>{c.months}</td>\n<td>{e(c.status)}</td>\n</tr>\n'
        for c in contracts
    )
    return (
        '<!DOCTYPE html>\n<html>\n<head><meta charset="UTF-8"><title>ИСУН 2020</title></head>\n<body>\n'
        + header(company_url(uin, "Beneficiary"))
        + f'<div class="page-title"><h1>{e(uin)} {e(name)}</h1></div>\n<div class="page-content">\n'
        f'<h2><a href="{e(company_url(uin, "Beneficiary"))}">Проекти като бенефициент ({len(contracts)})</a></h2>\n'
        '<div class="table-wrapper">\n<table class="chart-info">\n<thead>\n<tr>\n'
        "<th>Наименование на проекта</th><th>Начало</th><th>Обща стойност</th><th>БФП</th>"
        "<th>Собствено съфинансиране от бенефициента</th><th>Реално изплатени суми</th><th>Продължителност (месеци)</th>"
        f"<th>Статус</th>\n</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n</div>\n</body>\n</html>\n"
    )


# ProjectProposalsController.RenderTemplate's headers (Texts.resx keys, checked against
# isun_labels_bg_en.json by tests/test_isun_procedures.py).
PROPOSALS_TEXTS = {
    "Global_Total": {"bg": "Общо", "en": "Total"},
    "ProjectProposals_Index_TotalSubmittedCount": {
        "bg": "Общ брой подадени проектни предложения",
        "en": "Total number of submitted project proposals",
    },
    "ProjectProposals_Index_ProjectProposals": {
        "bg": "Проектни предложения",
        "en": "Project Proposals",
    },
    "ProjectProposals_Index_ProcedureNumber": {
        "bg": "Номер на процедура",
        "en": "Procedure Number",
    },
    "ProjectProposals_Index_ProcedureNamе": {"bg": "Име на процедура", "en": "Procedure Name"},
    "ProjectProposals_Index_SubmittedCount": {
        "bg": "Брой подадени проектни предложения",
        "en": "Number of submitted project proposals",
    },
}


def render_procedures_export(procedures: list[tuple[str, str, int]], lang: str = "bg") -> str:
    """`/bg/0/0/ProjectProposals/ExportToHtml`: the project-proposals template (a totals table, then
    one row per procedure: number, name, proposals submitted; the other count columns are left out)
    as `Views/Shared/ExportHtml.cshtml` renders a template: `div.table-wrapper` > `p.table-header` +
    `table` of `td` cells, header cells `td.header-cell`. `procedures`: (code, name, proposals)."""

    def t(key: str) -> str:
        return PROPOSALS_TEXTS[key][lang]

    def cell(value, header=False, number=False) -> str:
        cls = f"{'header-cell' if header else ''}  {'number-cell' if number else ''}"
        return (
            f'<td class="{cls}" style="width:px" rowspan="1" colspan="1">\n{e(str(value))}\n</td>'
        )

    total = sum(n for _, _, n in procedures)
    rows = "".join(
        f"<tr>{cell(code)}{cell(name)}{cell(n, number=True)}</tr>\n" for code, name, n in procedures
    )
    heads = [
        "ProjectProposals_Index_ProcedureNumber",
        "ProjectProposals_Index_ProcedureNamе",
        "ProjectProposals_Index_SubmittedCount",
    ]
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8">\n<title></title>\n</head>\n<body>\n'
        f'<div class="table-wrapper">\n<p class="table-header">{t("Global_Total")}</p>\n<table>\n'
        f"<tr>{cell(t('ProjectProposals_Index_TotalSubmittedCount'), header=True)}</tr>\n"
        f"<tr>{cell(total, number=True)}</tr>\n</table>\n</div>\n"
        f'<div class="table-wrapper">\n<p class="table-header">{t("ProjectProposals_Index_ProjectProposals")}</p>\n'
        f"<table>\n<tr>{''.join(cell(t(h), header=True) for h in heads)}</tr>\n{rows}</table>\n</div>\n"
        f'<ul class="end-notes">\n<li>{SITE_TEXTS["Global_Note"][lang]}:</li>\n</ul>\n</body>\n</html>\n'
    )
