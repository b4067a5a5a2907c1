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
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from urllib.parse import quote

from sources.isun import LABELS as L

NOTE_UNDERLINED = "Елемент в светло синьо позволява показване на детайли при избирането му"
NOTES = {"BGN": L["Global_NoteBGN"], "EUR": "Всички суми са в евро (EUR)"}


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


def contract_url(contract: Contract, action: str, base: str = "", lang: str = "bg") -> str:
    historic = "True" if contract.is_historic else "False"
    return f"{base}/{lang}/0/0/Project/{action}?contractId={quote(contract.contract_id, safe='')}&isHistoric={historic}"


def company_url(uin: str, type_: str, base: str = "", historic: bool = False) -> str:
    """Html.ActionLink(..., MVC.Company.Index, new {uin = Encrypt(uin), uinType, isHistoric, type})."""
    return (
        f"{base}/bg/0/0/Company?uin={quote(encrypted_id('uin:' + uin), safe='')}&uinType=Bulstat"
        f"&isHistoric={'True' if historic else 'False'}&type={type_}"
    )


def _company_link(p: Participant, type_: str) -> str:
    return f'<a href="{e(company_url(p.uin or p.name, type_))}">{e(p.full_name)}</a>'


# --- the tab pages ---------------------------------------------------------------------------------


def _list_item(label: str, value_html: str) -> str:
    return f'        <div class="list-item">\n            <label>{e(label)}</label>\n            {value_html}\n        </div>\n'


def _box(color: str, heading: str, content: str) -> str:
    return (
        f'<div class="project-info-box">\n    <div class="head {color}">\n        <h2>{e(heading)}</h2>\n'
        f'    </div>\n    <div class="content">\n{content}    </div>\n</div>\n'
    )


def basic_data_body(c: Contract) -> str:
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
        f'<a href="{e(company_url(c.beneficiary_uin or c.beneficiary_name, "Beneficiary", historic=c.is_historic))}">'
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
                f'{funds}<a href="/bg/{c.programme_id}/0/OPProfile">{e(c.programme_name)}</a>',
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
    "partners": ("Partner", L["Project_Details_Partner"], True),
    "contractors": ("Contractor", L["Project_Details_Contractor"], True),
    "subcontractors": ("Subcontractor", L["Project_Details_Subcontractor"], False),
    "members": ("Member", L["Project_Details_Member"], False),
}
_ROLE_LABELS = {
    "partners": L["Project_Details_Partners"],
    "contractors": L["Project_Details_Contractors"],
    "subcontractors": L["Project_Details_Subcontractors"],
    "members": L["Project_Details_Members"],
}


def _participant_table(people: list[Participant], kind: str, personal: bool) -> str:
    type_, singular, with_reported = _ROLE_TYPES[kind]
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
        cells = f"<td>{_company_link(p, type_)}</td><td>{money(p.contracted)}</td>"
        if with_reported:
            cells += f"<td>{money(p.reported)}</td>"
        rows += f"<tr>\n{cells}\n</tr>\n"
    return (
        '<div class="table-wrapper">\n<img class="horizontal-scroll" src="/Content/img/icons/horizontal-scroll.png" />\n'
        f'<table class="chart-info">\n<thead>\n<tr>\n{head}\n</tr>\n</thead>\n\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n'
    )


def participants_body(c: Contract) -> str:
    content = ""
    for kind, label in _ROLE_LABELS.items():
        people = getattr(c, kind)
        if people:
            inner = ""
            legal = [p for p in people if not p.is_person]
            persons = [p for p in people if p.is_person]
            if legal:
                inner += _participant_table(legal, kind, False)
            if persons:
                inner += _participant_table(persons, kind, True)
        else:
            inner = e(L["Project_Details_None"])
        content += _list_item(label, inner)
    return _box("green", L["Project_Details_ParticipatingOrganizations"], content)


def _corrections_table(c: Contract) -> str:
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
        else '        <div class="list-item">\n            <label>Няма</label>\n        </div>\n'
    )
    return _box("red", L["Project_Details_FinancialInformation"], content) + _box(
        "red", L["Project_Details_FinancialCorrections"], corrections
    )


def indicators_body(c: Contract) -> str:
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
        content = (
            '        <div class="list-item">\n            <label>Няма</label>\n        </div>\n'
        )
    return _box("", L["Project_Details_Indicators"], content)


def _position_divs(j: int, name: str, contractor: str, value: Decimal | None) -> str:
    return (
        f"<li>\n<div>{e(L['Project_Details_Offer_PositionName'])} {j}: {e(name)}</div>\n"
        f"<div>{e(L['Project_Details_Offer_ContractorName'])}: {e(contractor)}</div>\n"
        f"<div>\n{e(L['Project_Details_Offer_ContractTotalFundedValue'])}: {money(value)}\n</div>\n</li>\n"
    )


def procurements_body(c: Contract) -> str:
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
                + "".join(_position_divs(j, *p) for j, p in enumerate(offer.positions, start=1))
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
    footer = ""
    if tab == "FinancialInformation":
        footer = (
            "* Сумата на реално изплатените суми с натрупване<br />\n<sup>1</sup> Посочената стойност представлява "
            "максималния размер на наложената финансова корекция.<br />\n"
        )
    elif tab == "Participants":
        footer = (
            "* Договорената стойност по проекта може да е по-ниска от отчетената поради някоя от следните причини:\n"
            "<ul><li>За физически лица договорената стойност не включва разходите за сметка на работодателя</li></ul>\n"
            "** Колоната представя размерът на заявените от бенефициента разходи<br />\n"
        )
    return (
        '<!DOCTYPE html>\n<html class="no-js">\n<head>\n'
        '    <meta http-equiv="content-type" content="text/html; charset=UTF-8">\n    <title>ИСУН 2020</title>\n'
        '</head>\n<body>\n<div class="container">\n'
        '<div class="page-title"><h1>Проекти</h1></div>\n<div class="page-content">\n'
        '<div class="heading-with-export clearfix">\n    <div class="data-export">\n'
        f'        <a class="ico-print" target="_blank" href="{e(contract_url(c, "PrintProject"))}">Print</a>\n'
        f'    </div>\n</div>\n<ul class="nav nav-tabs">\n{tabs}</ul>\n'
        '<div class="tab-content">\n'
        + TAB_BODIES[tab](c)
        + f'<h2>Забележки:</h2>\n<div class="note">\n{footer}{NOTE_UNDERLINED}<br />\n{NOTES[c.currency]}\n</div>\n'
        "</div>\n</div>\n</div>\n</body>\n</html>\n"
    )


# --- PrintProject ----------------------------------------------------------------------------------


def _row(label: str, value_html: str, first: bool = False) -> str:
    if first:
        return (
            f'<tr>\n<td style="width: 35%;"><strong>{e(label)}</strong></td>\n'
            f'<td style="width: 65%;">{value_html}</td>\n</tr>\n'
        )
    return f"<tr>\n<td><strong>{e(label)}</strong></td>\n<td>{value_html}</td>\n</tr>\n"


def _ul_or_none(items: list[str]) -> str:
    return (
        "<ul>\n" + "".join(f"<li>\n{i}\n</li>\n" for i in items) + "</ul>\n"
        if items
        else e(L["Project_Details_None"])
    )


def render_print(c: Contract) -> str:
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
            _row(L["Project_Details_ExecutionPlace"], _ul_or_none([e(p) for p in c.places])),
        ]
    )
    acts = [
        f"{e(L['Project_Details_Activity'])}: {e(t)},\n{e(L['Project_Details_Activity_ContractedAmount'])}: {money(a)},\n"
        f"{e(L['Project_Details_Activity_ReportedAmount'])}: {money(r)}"
        for t, a, r in c.activities
    ]
    desc = _row(
        L["Project_Details_ShortProjectDescription"], f"<pre>{e(c.description)}</pre>", first=True
    ) + _row(L["Project_Details_Activities"], _ul_or_none(acts))
    parts = ""
    for kind, label in _ROLE_LABELS.items():
        _type, singular, with_reported = _ROLE_TYPES[kind]
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
        parts += _row(label, _ul_or_none(items), first=True)
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
                + "".join(_position_divs(j, *p) for j, p in enumerate(o.positions, start=1))
                + "</ul>\n",
                first=True,
            )
            for i, o in enumerate(c.offers, start=1)
        )
    else:
        offers = f"<tr><td>{e(L['Project_Details_NoProcurements'])}</td></tr>\n"
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n    <meta charset="UTF-8">\n'
        '    <link href="/Content/css/print-style.css" rel="stylesheet" />\n    <title></title>\n</head>\n<body>\n\n'
        f"<h3>Идентификация</h3>\n<table>\n{ident}</table>\n\n"
        f"<h3>Описание</h3>\n<table>\n{desc}</table>\n\n"
        f"<h3>Участващи организации</h3>\n<table>\n{parts}</table>\n\n"
        f"<h3>{e(L['Project_Details_Indicators'])}</h3>\n<table>\n{inds}</table>\n\n"
        f"<h3>Финансова информация</h3>\n<table>\n{fin}</table>\n\n"
        f"<h3>{e(L['Project_Details_FinancialCorrections'])}</h3>\n<table>\n<tr>\n<td>\n{corr}\n</td>\n</tr>\n"
        '<tr>\n<td colspan="2" class="note">\n<p class="font-weight-bold">Забележки:</p>\n'
        "<p><sup>1</sup> Посочената стойност представлява максималния размер на наложената финансова корекция.</p>\n"
        "</td>\n</tr>\n</table>\n\n"
        f"<h3>{e(L['Project_Details_Procurements'])}</h3>\n<table>\n{offers}</table>\n\n"
        f'<div class="note">\n<p class="font-weight-bold">Забележки:</p>\n<p>{NOTES[cur]}</p>\n</div>\n'
        '\n</body>\n</html>\n\n<script type="text/javascript">\n    setTimeout(function () {\n        print();\n'
        "    }, 100);\n</script>\n"
    )


# --- listings ----------------------------------------------------------------------------------------


def search_page_url(page_token: str | None = None, prog: str = "", base: str = "") -> str:
    """Project/Search results (`showRes=True`); pages after the first carry an encrypted page number."""
    url = (
        f"{base}/bg/0/0/Project/Search?"
        + (f"prog={quote(prog, safe='')}&" if prog else "")
        + "showRes=True"
    )
    return url + (f"&page={quote(page_token, safe='')}" if page_token else "")


def render_search(contracts: list[Contract], page_no: int, page_count: int, prog: str = "") -> str:
    """One Search.cshtml result page (25 a page on the site) with its pager."""
    rows = ""
    for c in contracts:
        places = (
            '<ul style="padding-left:10px; margin:0px;">'
            + "".join(f"<li>{e(p)}</li>" for p in c.places)
            + "</ul>"
            if c.places
            else ""
        )
        rows += (
            f"<tr>\n<td>{e(c.beneficiary_full_name)}</td>\n<td>гр. София</td>\n<td>{places}</td>\n"
            f'<td><a class="wait" href="{e(contract_url(c, "BasicData"))}">{e(c.name)}</a></td>\n'
            f'<td class="sum-field">{money(c.total)}</td>\n<td class="sum-field">{money(c.grant)}</td>\n'
            f'<td class="sum-field">{money(c.self_amount)}</td>\n<td class="sum-field">{money(c.paid)}</td>\n'
            f'<td class="sum-field">{c.months}</td>\n<td>{e(c.status)}</td>\n</tr>\n'
        )
    pager = ""
    if page_count > 1:
        links = "".join(
            f'<li><a href="{e(search_page_url(encrypted_id(f"page:{prog}:{n}"), prog))}">{n}</a></li>'
            for n in range(1, page_count + 1)
            if n != page_no
        )
        pager = (
            f'<div class="paging clearfix">\n<span>Страница ({page_no}/{page_count}):</span>\n'
            f'<div class="pagination-container"><ul class="pagination">{links}</ul></div>\n</div>\n'
        )
    return (
        '<!DOCTYPE html>\n<html>\n<head><meta charset="UTF-8"><title>ИСУН 2020</title></head>\n<body>\n'
        '<div class="table-wrapper">\n<table class="chart-info">\n<thead>\n<tr>\n'
        "<th>Бенефициент</th><th>Седалище</th><th>Местонахождение</th><th>Наименование на проекта</th>"
        "<th>Обща стойност</th><th>БФП</th><th>Собствено съфинансиране от бенефициента</th><th>Реално изплатени суми</th>"
        "<th>Продължителност (месеци)</th><th>Статус на изпълнение на договора/заповедта за БФП</th>\n"
        f"</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n{pager}</div>\n"
        f'<h2>Забележки:</h2>\n<div class="note">{NOTE_UNDERLINED}<br />\n{L["Global_NoteBGN"]}<br />\n</div>\n'
        "</body>\n</html>\n"
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
        f'<div class="page-title"><h1>{e(uin)} {e(name)}</h1></div>\n<div class="page-content">\n'
        f'<h2><a href="{e(company_url(uin, "Beneficiary"))}">Проекти като бенефициент ({len(contracts)})</a></h2>\n'
        '<div class="table-wrapper">\n<table class="chart-info">\n<thead>\n<tr>\n'
        "<th>Наименование на проекта</th><th>Начало</th><th>Обща стойност</th><th>БФП</th>"
        "<th>Собствено съфинансиране от бенефициента</th><th>Реално изплатени суми</th><th>Продължителност (месеци)</th>"
        f"<th>Статус</th>\n</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n</div>\n</body>\n</html>\n"
    )
