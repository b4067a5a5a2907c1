"""Parse ИСУН 2020 contract pages: the tab pages, PrintProject, and plain-text renderings.

Everything is keyed on the Bulgarian labels the site prints (see
`shared/isun_labels_bg_en.json`), never on positions, so a reordered page still parses
and a renamed label fails loudly instead of shifting values into the wrong fields.
The parser returns the page's text values untouched; typing and currency conversion
happen in `transforms.isun`, where a bad value can be quarantined with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import lxml.html

# div.list-item labels -> field names (labels: Project_Details_* in isun_labels_bg_en.json).
FIELD_LABELS = {
    "Номер на договора/заповедта": "project_code",
    "Номер на договора": "project_code",
    "Номер от ИСУН": "isun_number",
    "Наименование на проекта": "project_name",
    "Програма": "programme_name",
    "Оперативна програма": "programme_name",
    "Процедура": "procedure_name",
    "Бенефициент": "beneficiary_name",
    "ЕИК": "beneficiary_eik",
    "Дата на сключване на договора/заповедта": "contract_date",
    "Дата на стартиране": "start_date",
    "Дата на приключване": "end_date",
    "Продължителност (месеци)": "duration_months",
    "Статус на изпълнение на договора/заповедта за БФП": "status",
    "Местонахождение": "location",
    "Описание": "description",
    "Кратко описание на проекта": "description",
}
ACTIVITY_COLUMNS = {
    "Дейност": "activity_text",
    "Договорена стойност": "contracted",
    "Отчетена стойност": "reported",
}
FINANCIAL_COLUMNS = {
    "Източник на финансиране": "funding_source",
    "Обща стойност на проекта": "total",
    "БФП": "grant",
    "Финансиране от ЕС": "eu",
    "Финансиране от НФ": "national",
    "Собствено финансиране": "own",
    "Собствено съфинансиране от бенефициента": "own",
    "Общо реално изплатени суми": "paid",
}
PARTICIPANT_ROLES = {
    "Бенефициент": "beneficiary",
    "Партньори": "partner",
    "Изпълнители": "contractor",
    "Подизпълнители": "subcontractor",
    "Членове на обединение": "consortium_member",
}
PARTICIPANT_COLUMNS = {
    "Наименование на организацията": "name",
    "ЕИК": "eik",
    "Вид на организацията": "legal_type",
}
TOTAL_ROW_LABELS = {"Общо", "Общо:"}
CONTRACT_TABS = frozenset({"BasicData", "Activities", "Participants", "FinancialInformation",
                           "Indicators", "Procurements", "PrintProject"})
NO_DATA_TEXT = "Няма"
# "Всички суми са в български лева (BGN) /1 EUR = 1,95583 BGN" and its EUR counterpart.
CURRENCY_NOTE = re.compile(r"Всички суми са в [^()]{0,40}\((BGN|EUR)\)")

# An amount at the end of a plain-text activity line: 10 889.76, 1 062 400,00.
_TEXT_AMOUNT = r"-?\d{1,3}(?:[ \u00a0]\d{3})*[.,]\d{2}"
_TEXT_ACTIVITY_LINE = re.compile(rf"^(?P<text>.*?\S)\s+(?P<contracted>{_TEXT_AMOUNT})\s+(?P<reported>{_TEXT_AMOUNT})\s*$")
_TEXT_ACTIVITY_HEADER = re.compile(r"^Дейност\s+Договорена стойност\s+Отчетена стойност\s*$")
_TEXT_LABEL_LINE = re.compile(r"^(?P<label>[^:\n]{2,60}):\s*(?P<value>.+)$")
# In the text rendering, these label lines are the site's search filters, not project facts.
_TEXT_FILTER_LABELS = {"Програма", "Район за планиране"}


class PageStructureError(ValueError):
    """The page is not shaped like the ИСУН page we expect (the site probably changed)."""


@dataclass
class ParsedIsunPage:
    url: str
    contract_id: str | None
    tab: str | None
    fields: dict[str, str] = field(default_factory=dict)
    activities: list[dict[str, str]] = field(default_factory=list)
    financial: dict[str, str] | None = None
    participants: list[dict[str, str]] = field(default_factory=list)
    currency: str | None = None
    unknown_labels: list[str] = field(default_factory=list)


def contract_id_and_tab(url: str) -> tuple[str | None, str | None]:
    """`/bg/0/0/Project/Activities?contractId=4711&isHistoric=False` -> ("4711", "Activities")."""
    parsed = urlparse(url)
    query = {k.lower(): v for k, v in parse_qs(parsed.query).items()}
    contract_id = query.get("contractid", [None])[0]
    tab = parsed.path.rstrip("/").rsplit("/", 1)[-1] or None
    return contract_id, tab


def _clean(text: str) -> str:
    """Runs of whitespace (NBSP included) to one space, trimmed; str.split is regex `\\s+` at C speed."""
    return " ".join(text.split())


def parse_isun_html(body: bytes | str, url: str) -> ParsedIsunPage:
    """Parse any ИСУН contract tab or PrintProject page into label-keyed text values."""
    root = lxml.html.fromstring(body)
    contract_id, tab = contract_id_and_tab(url)
    page = ParsedIsunPage(url=url, contract_id=contract_id, tab=tab)

    for item in root.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " list-item ")]'):
        labels = item.xpath("./label")
        if not labels:
            continue
        label = _clean(labels[0].text_content()).rstrip(":")
        value = _clean(" ".join(
            (child.text_content() + (child.tail or "")) if child is not labels[0] else (child.tail or "")
            for child in item
        ) + " " + (item.text or ""))
        name = FIELD_LABELS.get(label)
        if name is None:
            page.unknown_labels.append(label)
        elif value:
            page.fields[name] = value

    for table in root.xpath("//table"):
        header = [_clean(th.text_content()) for th in table.xpath("./thead/tr[1]/th|./thead/tr[1]/td")]
        rows = table.xpath("./tbody/tr")
        if not header:
            all_rows = table.xpath(".//tr")
            if not all_rows:
                continue
            header = [_clean(c.text_content()) for c in all_rows[0].xpath("./th|./td")]
            rows = all_rows[1:]
        cells = [[_clean(c.text_content()) for c in row.xpath("./td|./th")] for row in rows]
        if {"Дейност", "Договорена стойност"} <= set(header):
            page.activities = _activity_rows(header, cells, url)
        elif "Обща стойност на проекта" in header:
            page.financial = _financial_totals(header, cells, url)
        elif "Наименование на организацията" in header:
            heading = table.xpath("preceding::*[self::h3 or self::h4][1]")
            role = PARTICIPANT_ROLES.get(_clean(heading[0].text_content()) if heading else "", "participant")
            index = {PARTICIPANT_COLUMNS[h]: i for i, h in enumerate(header) if h in PARTICIPANT_COLUMNS}
            page.participants += [{"role": role, **{k: row[i] for k, i in index.items()}}
                                  for row in cells if len(row) >= len(header)]

    text = _clean(root.text_content())
    currency = CURRENCY_NOTE.search(text)
    page.currency = currency.group(1) if currency else None

    if tab in {"BasicData", "PrintProject"} and "project_name" not in page.fields:
        raise PageStructureError(f"{url}: no 'Наименование на проекта' field (div.list-item > label) on a {tab} page")
    if tab in {"Activities", "PrintProject"} and not page.activities and not _says_none(root, "Дейности"):
        raise PageStructureError(f"{url}: no table with columns 'Дейност | Договорена стойност' on a {tab} page")
    if tab in {"FinancialInformation", "PrintProject"} and page.financial is None:
        raise PageStructureError(f"{url}: no table with column 'Обща стойност на проекта' on a {tab} page")
    return page


def _says_none(root, heading: str) -> bool:
    """True where the section under `heading` explicitly says there is nothing ("Няма ...")."""
    for h in root.xpath(f'//*[self::h3 or self::h4][normalize-space()="{heading}"]'):
        sibling = h.getnext()
        if sibling is not None and _clean(sibling.text_content()).startswith(NO_DATA_TEXT):
            return True
    return False


def _activity_rows(header: list[str], cells: list[list[str]], url: str) -> list[dict[str, str]]:
    index = {ACTIVITY_COLUMNS[h]: i for i, h in enumerate(header) if h in ACTIVITY_COLUMNS}
    missing = {"activity_text", "contracted", "reported"} - set(index)
    if missing:
        raise PageStructureError(f"{url}: activities table lacks columns {sorted(missing)}; header was {header}")
    activities = []
    for row in cells:
        if len(row) < len(header) or row[index["activity_text"]] in TOTAL_ROW_LABELS:
            continue
        activities.append({key: row[i] for key, i in index.items()})
    return activities


def _financial_totals(header: list[str], cells: list[list[str]], url: str) -> dict[str, str]:
    index = {FINANCIAL_COLUMNS[h]: i for i, h in enumerate(header) if h in FINANCIAL_COLUMNS}
    rows = [row for row in cells if len(row) >= len(header)]
    if not rows:
        raise PageStructureError(f"{url}: financial table has a header but no rows")
    totals = [row for row in rows if row[0] in TOTAL_ROW_LABELS]
    if totals:
        chosen = totals[-1]
    elif len(rows) == 1:
        chosen = rows[0]
    else:
        # Several funding-source rows and no total row: keep them apart for the transform to sum.
        return {key: " + ".join(row[i] for row in rows) for key, i in index.items()}
    return {key: chosen[i] for key, i in index.items()}


def parse_isun_text(text: str, url: str) -> ParsedIsunPage:
    """Parse the plain-text rendering of an ИСУН contract page (like seed 000)."""
    contract_id, tab = contract_id_and_tab(url)
    page = ParsedIsunPage(url=url, contract_id=contract_id, tab=tab)
    lines = [line.strip() for line in text.splitlines()]
    in_activities = False
    description: list[str] = []
    in_description = False
    for line in lines:
        if _TEXT_ACTIVITY_HEADER.match(line):
            in_activities, in_description = True, False
            continue
        if in_activities:
            m = _TEXT_ACTIVITY_LINE.match(line)
            if m:
                page.activities.append({k: m.group(k).strip() for k in ("contracted", "reported")}
                                       | {"activity_text": m.group("text").strip()})
                continue
            if line == "":
                continue
            in_activities = False
        if line == "Описание":
            in_description = True
            continue
        if line == "Дейности":
            in_description = False
            continue
        if in_description and line:
            description.append(line)
            continue
        m = _TEXT_LABEL_LINE.match(line)
        if m and m.group("label") in FIELD_LABELS and m.group("label") not in _TEXT_FILTER_LABELS:
            page.fields[FIELD_LABELS[m.group("label")]] = _clean(m.group("value"))
    if description:
        page.fields["description"] = _clean(" ".join(description))
    currency = CURRENCY_NOTE.search(_clean(text))
    page.currency = currency.group(1) if currency else None
    if not page.activities and "Дейност Договорена стойност Отчетена стойност" in _clean(text):
        raise PageStructureError(f"{url}: activities header found but no line ends in two amounts")
    return page
