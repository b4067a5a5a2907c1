"""Parse the pages ИСУН 2020 renders for one contract: the six tabs and PrintProject.

Written from the public module's own Razor views (governmentbg/nims-ccu, `Views/Project/*.cshtml`;
see `shared/isun_reference/`), not from an imagined layout:

- tabs (BasicData, Activities, Participants, FinancialInformation, Indicators, Procurements):
  `div.list-item > label` + the value after it; places as `strong` + `ul > li`; activities and
  indicators as `table`s; participants as `table.chart-info` inside their role's list-item;
  procurements as a list-item "Процедура N" followed by a `ul` of lots;
- PrintProject: `h3` sections of `table` rows `td > strong` label / `td` value; activities,
  participants, indicators and procurements as `ul > li` text "Label: value, Label: value";
- the currency: a suffix after each financial amount (" BGN") and the page note
  ("Всички суми са в български лева (BGN) /1 EUR = 1,95583 BGN").

Every label keyed on is a `Texts.resx` entry of the site (`LABELS`, checked against
`isun_labels_bg_en.json` by the tests). The parser returns the page's text values untouched;
typing, currency and quarantine happen in `transforms.isun`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, quote, urlparse

import lxml.html
from lxml import etree

from records.isun_page import ParsedIsunPage

# The site's label keys (Texts.resx) and their Bulgarian text: the only labels this parser reads.
LABELS = {
    "Project_Details_Procedure": "Процедура",
    "Project_Details_EUMISNumber": "Номер от ИСУН",
    "Project_Details_ProjectName": "Наименование на проекта",
    "Project_Details_Beneficiary": "Бенефициент",
    "Project_Details_FinancingSource": "Източник на финансиране",
    "Project_Details_ContractDate": "Дата на сключване на договора/заповедта",
    "Project_Details_StartDate": "Дата на стартиране",
    "Project_Details_EndDate": "Дата на приключване",
    "Project_Details_BFPContractStatus": "Статус на изпълнение на договора/заповедта за БФП",
    "Project_Details_ExecutionPlace": "Местонахождение",
    "Project_Details_ShortProjectDescription": "Кратко описание на проекта",
    "Project_Details_Activities": "Дейности",
    "Project_Details_Activity": "Дейност",
    "Project_Details_Activity_ContractedAmount": "Договорена стойност",
    "Project_Details_Activity_ReportedAmount": "Отчетена стойност",
    "Project_Details_Partners": "Партньори",
    "Project_Details_Contractors": "Изпълнители",
    "Project_Details_Subcontractors": "Подизпълнители",
    "Project_Details_Members": "Членове на обединение",
    "Project_Details_Partner": "Партньор",
    "Project_Details_Contractor": "Изпълнител",
    "Project_Details_Subcontractor": "Подизпълнител",
    "Project_Details_Member": "Член на обединение",
    "Project_Details_Partner_ContractedAmount": "Договорена стойност по проекта",
    "Project_Details_Partner_ReportedAmount": "Отчетена стойност",
    "Project_Details_Personal": "физическо лице",
    "Project_Details_NonPersonal": "юридическо лице",
    "Project_Details_ProjectTotalAmount": "Обща стойност на проекта",
    "Project_Details_BFP": "БФП",
    "Project_Details_ProjectSelfAmount": "Собствено финансиране",
    "Project_Details_TotalPayed": "Общо реално изплатени суми",
    "Project_Details_EuPercent": "Процент на съфинансиране от ЕС",
    "Project_Details_FinancialCorrections": "Финансови корекции",
    "Project_Details_FinancialCorrections_ImposingReason": "Основание за налагане на корекция",
    "Project_Details_FinancialCorrections_ContractorName": "Договор с изпълнител",
    "Project_Details_Indicators": "Индикатори",
    "Project_Details_Procurements": "Тръжни процедури",
    "Project_Details_Indicator": "Индикатор",
    "Project_Details_Indicator_Unit": "Мерна единица",
    "Project_Details_Indicator_BaseTotalValue": "Базова стойност",
    "Project_Details_Indicator_TargetAmount": "Целева стойност",
    "Project_Details_Indicator_CumulativeAmount": "Достигната стойност",
    "Project_Details_Offer": "Процедура",
    "Project_Details_Offer_ProcurementPlanName": "Предмет на предвидената процедура",
    "Project_Details_Offer_Amount": "Прогнозна стойност",
    "Project_Details_Offer_PositionName": "Обособена позиция",
    "Project_Details_Offer_ContractorName": "Изпълнител",
    "Project_Details_Offer_ContractTotalFundedValue": "Обща стойност на договора, финансирана по проекта",
    "Project_Details_NoProcurements": "Няма намерени тръжни процедури",
    "Project_Details_None": "Няма",
    "Project_Details_Identification": "Идентификация",
    "Project_Details_Description": "Описание",
    "Project_Details_ParticipatingOrganizations": "Участващи организации",
    "Project_Details_FinancialInformation": "Финансова информация",
    "Global_NoteBGN": "Всички суми са в български лева (BGN) /1 EUR = 1,95583 BGN",
}
L = LABELS

# The same keys' English text (the site's English pages: /en/...); read through `_to_bulgarian_labels`.
LABELS_EN = {
    "Project_Details_Procedure": "Procedure",
    "Project_Details_EUMISNumber": "UMIS Number",
    "Project_Details_ProjectName": "Project Name",
    "Project_Details_Beneficiary": "Beneficiary",
    "Project_Details_FinancingSource": "Funding",
    "Project_Details_ContractDate": "Date of the Contract/Order",
    "Project_Details_StartDate": "Start Date",
    "Project_Details_EndDate": "End Date",
    "Project_Details_BFPContractStatus": "Status of Implementation of the Contract/Order of the Grant",
    "Project_Details_ExecutionPlace": "Location of Performance",
    "Project_Details_ShortProjectDescription": "Brief description",
    "Project_Details_Activities": "Activities",
    "Project_Details_Activity": "Activity",
    "Project_Details_Activity_ContractedAmount": "Contracted Amount",
    "Project_Details_Activity_ReportedAmount": "Reported Amount",
    "Project_Details_Partners": "Partners",
    "Project_Details_Contractors": "Contractors",
    "Project_Details_Subcontractors": "Subcontractors",
    "Project_Details_Members": "Members of the Consortium",
    "Project_Details_Partner": "Partner",
    "Project_Details_Contractor": "Contractor",
    "Project_Details_Subcontractor": "Subcontractor",
    "Project_Details_Member": "Member of the Consortium",
    "Project_Details_Partner_ContractedAmount": "Contracted Amount",
    "Project_Details_Partner_ReportedAmount": "Reported Amount",
    "Project_Details_Personal": "physical person",
    "Project_Details_NonPersonal": "legal entity",
    "Project_Details_ProjectTotalAmount": "Total Project cost",
    "Project_Details_BFP": "Grant",
    "Project_Details_ProjectSelfAmount": "Self amount",
    "Project_Details_TotalPayed": "Total actual amounts paid",
    "Project_Details_EuPercent": "Percentage of EU co-financing",
    "Project_Details_FinancialCorrections": "Financial Corrections",
    "Project_Details_FinancialCorrections_ImposingReason": "Reason",
    "Project_Details_FinancialCorrections_ContractorName": "Contract",
    "Project_Details_Indicators": "Indicators",
    "Project_Details_Procurements": "Procurements",
    "Project_Details_Indicator": "Indicator",
    "Project_Details_Indicator_Unit": "Measure Unit",
    "Project_Details_Indicator_BaseTotalValue": "Base Value",
    "Project_Details_Indicator_TargetAmount": "Target amount",
    "Project_Details_Indicator_CumulativeAmount": "Reached amount",
    "Project_Details_Offer": "Procedure",
    "Project_Details_Offer_ProcurementPlanName": "Subject to due process",
    "Project_Details_Offer_Amount": "Estimated Amount",
    "Project_Details_Offer_PositionName": "Differentiated position",
    "Project_Details_Offer_ContractorName": "Contractor",
    "Project_Details_Offer_ContractTotalFundedValue": "Contract total funded value",
    "Project_Details_NoProcurements": "There are no tender procedures",
    "Project_Details_None": "None",
    "Project_Details_Identification": "Identification",
    "Project_Details_Description": "Description",
    "Project_Details_ParticipatingOrganizations": "Participating Organizations",
    "Project_Details_FinancialInformation": "Financial Information",
    "Global_NoteBGN": "All amounts are in Bulgarian lev (BGN) / 1 EUR = 1,95583 BGN",
}


# --- English pages: one mapping English label -> Bulgarian label, applied once to the parsed tree ---
# English pages (/en/...) print the English side of Texts.resx; `_to_bulgarian_labels` rewrites their
# labels to the Bulgarian ones before anything reads them, so the rest of the parser is one-language.
# "Contracted Amount" is two keys: with a star (participants) it is "Договорена стойност по проекта".
_EN_TO_BG = {LABELS_EN[k]: LABELS[k] for k in reversed(list(LABELS)) if LABELS_EN[k] != LABELS[k]}
_EN_TO_BG[LABELS_EN["Project_Details_Activity_ContractedAmount"]] = LABELS[
    "Project_Details_Activity_ContractedAmount"
]
_EN_STARRED = {
    LABELS_EN["Project_Details_Partner_ContractedAmount"]: LABELS[
        "Project_Details_Partner_ContractedAmount"
    ]
}
# Labels that identify an English contract page (never a value): the contract code's and the sections'.
_EN_MARKERS = frozenset(
    LABELS_EN[k]
    for k in (
        "Project_Details_EUMISNumber",
        "Project_Details_Identification",
        "Project_Details_ParticipatingOrganizations",
        "Project_Details_FinancialInformation",
        "Project_Details_ShortProjectDescription",
    )
)
_EN_NUMBERED = re.compile(
    rf"^({re.escape(LABELS_EN['Project_Details_Indicator'])}|{re.escape(LABELS_EN['Project_Details_Offer'])})"
    r"\s+(\d+)$"
)
# "Label:" / "Label*:" at the start of a text or after a comma: the "Label: value, Label: value" lines.
_EN_INLINE = re.compile(
    r"(^|,)(\s*)("
    + "|".join(re.escape(t) for t in sorted(_EN_TO_BG, key=len, reverse=True))
    + r")(\*{0,2})(\s*:|\s+\d+\s*:)"
)
# Texts that stand alone as a value: "None" of an empty section, "There are no tender procedures".
_EN_VALUES = frozenset(
    LABELS_EN[k] for k in ("Project_Details_None", "Project_Details_NoProcurements")
)
_EN_PERSON_SUFFIX = {
    LABELS_EN["Project_Details_Personal"]: LABELS["Project_Details_Personal"],
    LABELS_EN["Project_Details_NonPersonal"]: LABELS["Project_Details_NonPersonal"],
}


def _bg_inline(m: re.Match) -> str:
    label, stars = m.group(3), m.group(4)
    bg = _EN_STARRED.get(label, _EN_TO_BG[label]) if stars else _EN_TO_BG[label]
    return f"{m.group(1)}{m.group(2)}{bg}{stars}{m.group(5)}"


def _bg_text(text: str | None, whole: bool) -> str | None:
    if not text or not text.strip():
        return text
    clean = _clean(text)
    if whole:
        bare, stars = clean.rstrip("*"), clean[len(clean.rstrip("*")) :]
        if bare in _EN_TO_BG:
            return (_EN_STARRED.get(bare) if stars else None) or _EN_TO_BG[bare] + stars
        if m := _EN_NUMBERED.match(clean):
            return f"{_EN_TO_BG[m.group(1)]} {m.group(2)}"
        for en, bg in _EN_PERSON_SUFFIX.items():
            if clean.endswith(" " + en):
                singular = clean[: -len(en) - 1]
                return f"{_EN_TO_BG.get(singular, singular)} {bg}"
    return _EN_INLINE.sub(_bg_inline, text)


def _to_bulgarian_labels(root, page_text: str | None = None) -> bool:
    """Rewrite an English page's labels to Bulgarian in place; True when the page is English.

    Whole-text elements (label, strong, th, h2, h3, a cell or value that is only "None") are mapped
    as a whole; inside other text only "Label:" at the start or after a comma is, so names and
    descriptions (in any language) are left as printed; `<pre>` descriptions are never touched."""
    if page_text is not None and not any(marker in page_text for marker in _EN_MARKERS):
        return False  # a heading's text is in the page's text: no marker there, none in a heading
    heads = _XP_HEADS(root)
    if not any(_clean(_text(h)).rstrip(":") in _EN_MARKERS for h in heads):
        return False
    for el in root.iter():
        if (
            not isinstance(el.tag, str)
            or el.tag == "pre"
            or el.getparent() is not None
            and el.getparent().tag == "pre"
        ):
            continue
        whole = el.tag in {"label", "strong", "th", "h2", "h3"} and len(el) == 0
        el.text = _bg_text(el.text, whole or _clean(el.text) in _EN_VALUES)
        el.tail = _bg_text(el.tail, _clean(el.tail) in _EN_VALUES)
    return True


# Label -> field name, for the one-value rows of BasicData / PrintProject's identification.
FIELD_LABELS = {
    L["Project_Details_EUMISNumber"]: "contract_code",
    L["Project_Details_ProjectName"]: "project_name",
    L["Project_Details_Beneficiary"]: "beneficiary",
    L["Project_Details_FinancingSource"]: "financing_source",
    L["Project_Details_ContractDate"]: "contract_date",
    L["Project_Details_StartDate"]: "start_date",
    L["Project_Details_EndDate"]: "end_date",
    L["Project_Details_BFPContractStatus"]: "status",
    L["Project_Details_ShortProjectDescription"]: "description",
}
FINANCIAL_LABELS = {
    L["Project_Details_ProjectTotalAmount"]: "total",
    L["Project_Details_BFP"]: "grant",
    L["Project_Details_ProjectSelfAmount"]: "own",
    L["Project_Details_TotalPayed"]: "paid",
    L["Project_Details_EuPercent"]: "eu_percent",
}
PARTICIPANT_ROLES = {
    L["Project_Details_Partners"]: ("partner", L["Project_Details_Partner"]),
    L["Project_Details_Contractors"]: ("contractor", L["Project_Details_Contractor"]),
    L["Project_Details_Subcontractors"]: ("subcontractor", L["Project_Details_Subcontractor"]),
    L["Project_Details_Members"]: ("consortium_member", L["Project_Details_Member"]),
}
CONTRACT_TABS = frozenset(
    {
        "BasicData",
        "Activities",
        "Participants",
        "FinancialInformation",
        "Indicators",
        "Procurements",
        "PrintProject",
    }
)
NO_DATA_TEXT = L["Project_Details_None"]

# Decimal.cshtml: DecimalToStringDecimalPointSpace, "N" format of en-US with " " groups: 2 846 935.42, -1 000.00.
AMOUNT = r"-?\d{1,3}(?:[ \u00a0]\d{3})*(?:[.,]\d+)?"
_CURRENCY_WORDS = {
    "BGN": "BGN",
    "ЛВ": "BGN",
    "ЛВ.": "BGN",
    "ЛЕВА": "BGN",
    "ЛЕВ": "BGN",
    "EUR": "EUR",
    "ЕВРО": "EUR",
    "€": "EUR",
}
_SUFFIXED = re.compile(rf"^(?P<amount>{AMOUNT})?\s*(?P<unit>[^\d\s].*)?$")
# The page note: "Всички суми са в <currency words>" up to "/" or the end of the sentence.
_NOTE_START = L["Global_NoteBGN"].split(" български")[0]  # "Всички суми са в"
_NOTE_START_EN = LABELS_EN["Global_NoteBGN"].split(" Bulgarian")[0]  # "All amounts are in"
_NOTE = re.compile(
    rf"(?:{re.escape(_NOTE_START)}(?:ъв)?|{re.escape(_NOTE_START_EN)})\s+(?P<words>[^/.;\n]{{1,60}})",
    re.I,
)
_NOTE_CURRENCY = re.compile(r"\b(BGN|EUR)\b|(лева|лв\.?|евро|\blev\b|\beuro\b)|€", re.I)
_OFFER_LABEL = re.compile(rf"^{L['Project_Details_Offer']}\s+(\d+)$")
_INDICATOR_LABEL = re.compile(rf"^{L['Project_Details_Indicator']}\s+(\d+)$")


def _html_parser(**options) -> lxml.html.HTMLParser:
    """lxml.html's parser with every element an `HtmlElement` chosen in C: lxml.html's own
    lookup is a Python method called for every element proxy made (a third of our parse
    time); only form elements get other classes there, and no method of theirs is used here."""
    parser = lxml.html.HTMLParser(**options)
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


_UTF8_PARSER = _html_parser(encoding="utf-8")
_PARSER = _html_parser()


class PageStructureError(ValueError):
    """The page is not shaped like the ИСУН page we expect (the site probably changed)."""


# --- ids and URLs -----------------------------------------------------------------------------


# A URL is asked about by the page filter, the batching, the parts store and the parser, a pass
# over every record each: the cache holds every page URL of the real register (~140 000 at
# 80 700 contracts, 34 MiB; an LRU smaller than a pass evicts each URL before it is asked again).
@lru_cache(maxsize=1 << 19)
def contract_id_and_tab(url: str) -> tuple[str | None, str | None]:
    """`/bg/0/0/Project/Activities?contractId=Zm9v%2Bbg%3D%3D&isHistoric=False` -> ("Zm9v+bg==", "Activities").

    contractId is the site's encrypted Base64 token, URL-encoded in links; the id we keep is the
    decoded token. A `+` left unencoded in a hand-typed URL decodes to a space, which Base64
    never contains, so it is turned back into `+`.
    """
    parsed = urlparse(url)
    query = {k.lower(): v for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
    values = query.get("contractid")
    contract_id = values[0].replace(" ", "+") if values and values[0] else None
    tab = parsed.path.rstrip("/").rsplit("/", 1)[-1] or None
    return contract_id, tab


@lru_cache(maxsize=1 << 16)
def is_historic_from_url(url: str) -> bool | None:
    values = {k.lower(): v for k, v in parse_qs(urlparse(url).query).items()}.get("ishistoric")
    return None if not values else values[0].strip().lower() == "true"


def contract_tab_url(
    page_url: str, tab: str, contract_id: str, is_historic: bool | None = None
) -> str:
    """The URL of `tab` for a contract, on the same `/{lang}/{op}/{pr}/Project/` path as `page_url`."""
    parsed = urlparse(page_url)
    prefix = parsed.path.rsplit("/", 1)[0] if "/Project/" in parsed.path else "/bg/0/0/Project"
    historic = is_historic if is_historic is not None else bool(is_historic_from_url(page_url))
    return (
        f"{parsed.scheme}://{parsed.netloc}{prefix}/{tab}"
        f"?contractId={quote(contract_id, safe='')}&isHistoric={'True' if historic else 'False'}"
    )


# --- helpers ----------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    """Runs of whitespace (NBSP included) to one space, trimmed; str.split is regex `\\s+` at C speed."""
    return " ".join((text or "").split())


def _text(element) -> str:
    """`element.text_content()`: read off the element where it has no children or one childless
    element (most cells, bullets and bold labels), without the XPath call `text_content` makes."""
    children = len(element)
    if children == 0:
        return element.text or ""
    if children == 1:
        child = element[0]
        if (
            isinstance(child.tag, str) and len(child) == 0
        ):  # an element (a comment's text is not text)
            return (element.text or "") + (child.text or "") + (child.tail or "")
    return element.text_content()


def _children(element, tag: str) -> list:
    """`element.xpath("./<tag>")` by walking the children (a direct child needs no XPath call)."""
    return [child for child in element if child.tag == tag]


def _XP_PRE(element) -> list:  # noqa: N802
    """`.//pre` of a cell or list item (never a `<pre>` itself): the first one is all that is read."""
    return [pre for pre in element.iter("pre") if pre is not element][:1]


def _XP_TD(row) -> list:  # noqa: N802 - reads as the compiled selections it stands beside
    return _children(row, "td")


def _XP_UL_LI(cell) -> list:  # noqa: N802
    """`./ul/li`: every list's bullets, in document order."""
    return [li for ul in _children(cell, "ul") for li in _children(ul, "li")]


def _has_class(cls: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {cls} ")'


# Selections compiled once (XPath strings were compiled again on every call).
_XP_HEADS = etree.XPath("//label|//strong|//th|//h2|//h3")
_XP_LABEL = etree.XPath("./label")
_XP_LI = etree.XPath("./li")
_XP_HEAD_TH = etree.XPath("./thead/tr[1]/th")
_XP_BODY_TR = etree.XPath("./tbody/tr")
_XP_CHART_TABLES = etree.XPath(f".//table[{_has_class('chart-info')}]")
_XP_FIRST_TH = etree.XPath("string(./thead/tr[1]/th[1])")
_XP_LINKS = etree.XPath(".//a[@href]")
_XP_FIRST_TD = etree.XPath("./tr[1]/td[1]|./tbody/tr[1]/td[1]")


_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses


def _classes(element) -> list[str]:
    """The tokens of `@class`, split as `normalize-space` does (not on NBSP and the like)."""
    return _XML_SPACE.split(element.get("class") or "")


def _first_td_has_strong(tr) -> bool:
    """`tr[td[1]/strong]`: the row's first `td` child has a `strong` child."""
    td = next(tr.iterchildren("td"), None)
    return td is not None and next(td.iterchildren("strong"), None) is not None


@dataclass
class _Scan:
    """What the page's selections find, from one walk of the tree instead of one XPath scan
    each (every `//x` walks all ~1 000 elements of a page), in document order like them:

    - `list_items`: `//div[has class list-item]`; `content_strongs`: `//div[has class
      content]/strong`; `tables`: `//table`; `h3s`: `//h3`;
    - `print_rows`: `//table/tr[td[1]/strong] | //table/tbody/tr[td[1]/strong]`;
    - `is_print`: `boolean(//table//tr/td[1]/strong)`."""

    list_items: list = field(default_factory=list)
    content_strongs: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    h3s: list = field(default_factory=list)
    print_rows: list = field(default_factory=list)
    is_print: bool = False


def _scan(root) -> _Scan:
    scan = _Scan()
    content_divs = set()  # the proxies stay alive in this set, so `getparent()` returns them
    for el in root.iter("div", "strong", "table", "tr", "h3"):
        tag = el.tag
        if tag == "div":
            classes = _classes(el)
            if "list-item" in classes:
                scan.list_items.append(el)
            if "content" in classes:
                content_divs.add(el)
        elif tag == "strong":
            if content_divs and el.getparent() in content_divs:
                scan.content_strongs.append(el)
        elif tag == "tr":
            if not _first_td_has_strong(el):
                continue
            parent = el.getparent()
            if parent.tag == "table" or (
                parent.tag == "tbody"
                and (grand := parent.getparent()) is not None
                and grand.tag == "table"
            ):
                scan.print_rows.append(el)
                scan.is_print = True
            elif not scan.is_print and next(el.iterancestors("table"), None) is not None:
                scan.is_print = True
        elif tag == "table":
            scan.tables.append(el)
        else:
            scan.h3s.append(el)
    return scan


def currency_word(text: str | None) -> str | None:
    """ "BGN", "лв.", "евро", "€" ... -> "BGN"/"EUR"; None where the text names no currency."""
    if not text:
        return None
    return _CURRENCY_WORDS.get(_clean(text).upper().rstrip("*").strip())


def split_amount(text: str) -> tuple[str | None, str | None]:
    """ "2 846 935.42 BGN" -> ("2 846 935.42", "BGN text"); "85.00 %" -> ("85.00", "%")."""
    m = _SUFFIXED.match(_clean(text))
    if not m:
        return _clean(text) or None, None
    return m.group("amount"), (m.group("unit") or None)


def _note_matches(text: str):
    """`_NOTE.finditer(_clean(text))` without cleaning the whole text: a note can only start where
    its first word is (found by a plain, case-folded substring search), and a few hundred
    characters from there, cleaned, hold all the regex can read (`_NOTE_WINDOW`)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: search it all
        yield from _NOTE.finditer(_clean(text))
        return
    starts = sorted({i for word in _NOTE_FIRST_WORDS for i in _find_all(lowered, word)})
    end = None  # the last match: its raw start and its length in cleaned text
    for start in starts:
        if end is not None and _cleaned_offset(text, end[0], start) < end[1]:
            continue  # inside the words of the note before
        if m := _NOTE.match(_cleaned_window(text, start)):
            yield m
            end = (start, m.end())


# The note's opening words cleaned, one space, up to 60 words' characters, one more: what
# `_NOTE` can read from where it starts.
_NOTE_REACH = max(len(_NOTE_START) + 2, len(_NOTE_START_EN)) + 1 + 60 + 1
_NOTE_FIRST_WORDS = {_NOTE_START.split()[0].lower(), _NOTE_START_EN.split()[0].lower()}


def _cleaned_window(text: str, start: int) -> str:
    """`_clean(text)` from the cleaned position of `text[start]` (not a space), at least
    `_NOTE_REACH` characters long unless the text ends first."""
    size = 4 * _NOTE_REACH
    while True:
        window = _clean(text[start : start + size])
        if len(window) > _NOTE_REACH or start + size >= len(text):
            return window
        size *= 4


def _cleaned_offset(text: str, start: int, position: int) -> int:
    """How far `text[position]` is from `text[start]` (not a space) once the text is cleaned."""
    between = text[start:position]
    return len(_clean(between)) + (1 if between[-1:].isspace() else 0)


def _find_all(text: str, sub: str):
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def note_currencies(text: str) -> list[str]:
    """Currencies the page note states ("Всички суми са в ..."), in any wording; the
    "/1 EUR = 1,95583 BGN" rate after the slash is not a statement of currency."""
    found = []
    for m in _note_matches(text):
        words = m.group("words")
        hits = {
            (
                "BGN"
                if (c.group(1) or "").upper() == "BGN"
                or (c.group(2) or "").lower().startswith(("л", "lev"))
                else "EUR"
            )
            for c in _NOTE_CURRENCY.finditer(words)
        }
        found.extend(sorted(hits))
    return found


def _value_after_label(item, label_el) -> str:
    """The text of a list-item after its label (the label's tail and every following child)."""
    parts = [label_el.tail or ""]
    seen = False
    for child in item:
        if child is label_el:
            seen = True
            continue
        if seen:
            parts.append(_text(child) + (child.tail or ""))
    return _clean(" ".join(parts))


def _field_text(element, value: str) -> str:
    """A field's text: the description's `<pre>` (TextAreaPre.cshtml) where there is one, else the value."""
    pre = _XP_PRE(element)
    return _clean(_text(pre[0])) if pre else value


def _put_financial(page: ParsedIsunPage, key: str, value: str) -> None:
    """One of FinancialInformation's five items: "2 846 935.42 BGN" -> the amount, and its currency noted."""
    amount, unit = split_amount(value)
    page.financial = page.financial or {}
    page.financial[key] = amount or ""
    if key != "eu_percent" and (currency := currency_word(unit)):
        page.currencies[key] = currency


# --- the page ---------------------------------------------------------------------------------


def parse_isun_html(body: bytes | str, url: str, utf8: bool = False) -> ParsedIsunPage:
    """Parse any ИСУН contract tab or PrintProject page into label-keyed text values; `utf8`: the
    bytes are known to be valid UTF-8 (read as such whatever a stale <meta> says)."""
    if isinstance(body, str):
        # Already decoded (sources.charset): parse it as UTF-8 whatever a stale <meta> or <?xml?> says.
        body, parser = body.encode("utf-8"), _UTF8_PARSER
    else:
        parser = _UTF8_PARSER if utf8 else _PARSER
    if not body or body.isspace():
        raise PageStructureError(f"{url}: empty page")
    root = lxml.html.fromstring(body, parser=parser)
    contract_id, tab = contract_id_and_tab(url)
    page = ParsedIsunPage(
        url=url, contract_id=contract_id, tab=tab, is_historic=is_historic_from_url(url)
    )
    # The page's text is read once: for the English check and (unless labels were rewritten) the
    # note; it is cleaned whole only on a page that has a word of an English marker.
    text = root.text_content()
    if _may_be_english(text) and _to_bulgarian_labels(root, _clean(text)):
        page.language = "en"
        text = root.text_content()
    scan = _scan(root.getroottree().getroot())  # `//x` searches the whole document
    _parse_tab(scan, page)
    if scan.is_print:
        _parse_print(scan, page)
    for i, words in enumerate(note_currencies(text)):
        page.currencies[f"note{i or ''}"] = words
    _check_structure(page)
    return page


# A marker is in the cleaned page text only if each of its words is in the raw text.
_EN_MARKER_WORDS = tuple(max(marker.split(), key=len) for marker in _EN_MARKERS)


def _may_be_english(raw_text: str) -> bool:
    return any(word in raw_text for word in _EN_MARKER_WORDS)


def _check_structure(page: ParsedIsunPage) -> None:
    """A page must carry what its tab always renders; otherwise the site changed under us."""
    url, tab = page.url, page.tab
    needs = {
        "BasicData": ("contract_code", page.fields.get("contract_code")),
        "PrintProject": ("contract_code", page.fields.get("contract_code")),
        "Activities": ("activities", page.activities),
        "FinancialInformation": ("financial", page.financial),
        "Participants": ("participants", page.participants),
        "Indicators": ("indicators", page.indicators),
        "Procurements": ("procurements", page.procurements),
    }
    lang = " (English page)" if page.language == "en" else ""
    if tab in needs and needs[tab][1] is None:
        what = needs[tab][0]
        label = L["Project_Details_EUMISNumber"] if what == "contract_code" else what
        raise PageStructureError(
            f"{url}: no '{label}' section on a {tab} page{lang} (the page's structure changed?)"
        )
    if tab == "PrintProject":
        for what in ("activities", "financial", "participants"):
            if getattr(page, what) is None:
                raise PageStructureError(f"{url}: PrintProject{lang} has no {what} section")


def _parse_tab(scan: _Scan, page: ParsedIsunPage) -> None:
    """A tab page: its labelled list items, its titled content sections, its tables."""
    for item in scan.list_items:
        labels = _XP_LABEL(item)
        if labels:
            _tab_item(item, labels[0], page)
    _tab_sections(scan, page)
    _tab_tables(scan, page)


def _tab_item(item, label_el, page: ParsedIsunPage) -> None:
    """One `label: value` list item of a tab, into the page's fields or sections."""
    label = _clean(_text(label_el)).rstrip(":")
    value = _value_after_label(item, label_el)
    if label == L["Project_Details_Procedure"] and item.xpath("./a"):
        link = item.xpath("./a")[0]
        page.fields["procedure"] = _clean(_text(link))
        page.fields["procedure_url"] = link.get("href") or ""
    elif m := _OFFER_LABEL.match(label):
        page.procurements = page.procurements or []
        page.procurements.extend(_tab_offer(int(m.group(1)), value, item))
    elif label == L["Project_Details_NoProcurements"]:
        page.procurements = page.procurements or []
    elif label == L["Project_Details_Beneficiary"]:
        page.fields["beneficiary"] = value
        link = item.xpath("./a[@href]")
        if link:
            page.fields["beneficiary_url"] = link[0].get("href")
    elif label == L["Project_Details_FinancingSource"]:
        page.fields["financing_source"] = value
    elif label in FIELD_LABELS:
        page.fields[FIELD_LABELS[label]] = _field_text(item, value)
    elif label in FINANCIAL_LABELS:
        _put_financial(page, FINANCIAL_LABELS[label], value)
    elif label == L["Project_Details_ExecutionPlace"]:
        page.places = [] if value == NO_DATA_TEXT else [value]
    elif label == L["Project_Details_Activities"]:
        page.activities = [] if value.startswith(NO_DATA_TEXT) else page.activities
    elif label in PARTICIPANT_ROLES:
        page.participants = page.participants or []
        page.participants.extend(_tab_participants(item, *PARTICIPANT_ROLES[label]))
    elif label == NO_DATA_TEXT:
        _tab_none_box(item, page)
    else:
        page.unknown_labels.append(label)


def _tab_none_box(item, page: ParsedIsunPage) -> None:
    """The "Няма" of the financial-corrections box, the indicators and the procurements tabs."""
    box = _clean(
        "".join(
            item.xpath(
                "ancestor::div[" + _has_class("project-info-box") + "][1]"
                "//div[" + _has_class("head") + "]//text()"
            )
        )
    )
    if box == L["Project_Details_FinancialCorrections"]:
        page.corrections = []
    elif box == L["Project_Details_Indicators"]:
        page.indicators = []


def _tab_sections(scan: _Scan, page: ParsedIsunPage) -> None:
    """Sections under a bold title: the places list and the activities table."""
    for strong in scan.content_strongs:
        label = _clean(_text(strong))
        following = strong.getnext()
        if (
            label == L["Project_Details_ExecutionPlace"]
            and following is not None
            and following.tag == "ul"
        ):
            page.places = [_clean(_text(li)) for li in _XP_LI(following)]
        elif label == L["Project_Details_Activities"]:
            table = strong.xpath("following-sibling::div[1]//table")
            if table:
                page.activities = _activity_table(table[0], page.url)


def _tab_tables(scan: _Scan, page: ParsedIsunPage) -> None:
    """Tables known by their first header: indicators and financial corrections."""
    for table in scan.tables:
        header = [_clean(_text(th)) for th in _XP_HEAD_TH(table)]
        if header[:1] == [L["Project_Details_Indicator"]]:
            page.indicators = _indicator_table(table)
        elif header[:1] == [L["Project_Details_FinancialCorrections_ImposingReason"]]:
            page.corrections = _corrections_table(table)


def _activity_table(table, url: str) -> list[dict[str, str]]:
    header = [_clean(_text(th)) for th in _XP_HEAD_TH(table)]
    want = [
        L["Project_Details_Activity"],
        L["Project_Details_Activity_ContractedAmount"],
        L["Project_Details_Activity_ReportedAmount"],
    ]
    if header != want:
        raise PageStructureError(f"{url}: activities table header is {header}, expected {want}")
    rows = []
    for tr in _XP_BODY_TR(table):
        cells = [_clean(_text(td)) for td in _XP_TD(tr)]
        if len(cells) == 3:
            rows.append({"title": cells[0], "contracted": cells[1], "reported": cells[2]})
    return rows


def _tab_participants(item, role: str, singular: str) -> list[dict[str, str | None]]:
    rows = []
    for table in _XP_CHART_TABLES(item):
        head = _clean(_XP_FIRST_TH(table))
        is_person = head.endswith(L["Project_Details_Personal"])
        for tr in _XP_BODY_TR(table):
            cells = _XP_TD(tr)
            if not cells:
                continue
            link = _XP_LINKS(cells[0])
            rows.append(
                {
                    "role": role,
                    "is_natural_person": "true" if is_person else "false",
                    "name": _clean(_text(cells[0])),
                    "company_url": link[0].get("href") if link else None,
                    "contracted": _clean(_text(cells[1])) if len(cells) > 1 else None,
                    "reported": _clean(_text(cells[2])) if len(cells) > 2 else None,
                    "has_eik_prefix": "true",
                }
            )
    return rows


def _indicator_table(table) -> list[dict[str, str]]:
    rows = []
    for tr in _XP_BODY_TR(table):
        cells = [_clean(_text(td)) for td in _XP_TD(tr)]
        if len(cells) != 5:
            continue
        m = re.match(r"^(\d+)\.\s*(.*)$", cells[0])
        rows.append(
            {
                "indicator_no": m.group(1) if m else str(len(rows) + 1),
                "name": m.group(2) if m else cells[0],
                "unit": cells[1],
                "base": cells[2],
                "target": cells[3],
                "reached": cells[4],
            }
        )
    return rows


def _corrections_table(table) -> list[dict[str, str]]:
    rows = []
    for tr in _XP_BODY_TR(table):
        cells = [_clean(_text(td)) for td in _XP_TD(tr)]
        if len(cells) == 6:
            rows.append(
                dict(
                    zip(
                        ("reason", "percent", "grant", "own", "total", "contract"),
                        cells,
                        strict=True,
                    )
                )
            )
    return rows


def _offer_head(text: str) -> tuple[str | None, str | None]:
    """ "Предмет на предвидената процедура: X, Прогнозна стойност: 1 000.00" -> (X, "1 000.00")."""
    m = re.match(
        rf"^{L['Project_Details_Offer_ProcurementPlanName']}:\s*(?P<subject>.*?),\s*"
        rf"{L['Project_Details_Offer_Amount']}:\s*(?P<amount>{AMOUNT})?\s*$",
        text,
    )
    return (m.group("subject"), m.group("amount")) if m else (text or None, None)


def _position(no: int, offer: tuple, li) -> dict[str, str | None]:
    texts = [_clean(_text(d)) for d in li.xpath("./div")]
    name = contractor = value = None
    for t in texts:
        head, _, rest = t.partition(":")
        head, rest = head.strip(), rest.strip()
        if head.startswith(L["Project_Details_Offer_PositionName"]):
            name = rest
        elif head == L["Project_Details_Offer_ContractorName"]:
            contractor = rest or None
        elif head == L["Project_Details_Offer_ContractTotalFundedValue"]:
            value = rest or None
    return {
        "offer_no": str(offer[0]),
        "subject": offer[1],
        "estimated": offer[2],
        "position_no": str(no),
        "position_name": name,
        "contractor": contractor,
        "contract_value": value,
    }


def _offer_rows(offer_no: int, head_text: str, ul) -> list[dict[str, str | None]]:
    subject, estimated = _offer_head(head_text)
    offer = (offer_no, subject, estimated)
    lis = ul.xpath("./li") if ul is not None else []
    if not lis:
        return [
            {
                "offer_no": str(offer_no),
                "subject": subject,
                "estimated": estimated,
                "position_no": None,
                "position_name": None,
                "contractor": None,
                "contract_value": None,
            }
        ]
    return [_position(j, offer, li) for j, li in enumerate(lis, start=1)]


def _tab_offer(offer_no: int, value: str, item) -> list[dict[str, str | None]]:
    following = item.getnext()
    return _offer_rows(
        offer_no, value, following if following is not None and following.tag == "ul" else None
    )


# --- PrintProject -----------------------------------------------------------------------------

# Amounts between labels are taken as text, up to the next ", <label>:" (a decimal comma, or a
# garbled `12 3O0,00`, stays in the amount): a bad one is quarantined by the transform, not lost
# with its page.
_PRINT_ACTIVITY = re.compile(
    rf"^{L['Project_Details_Activity']}:\s*(?P<title>.*\S)\s*,\s*{L['Project_Details_Activity_ContractedAmount']}:"
    rf"\s*(?P<contracted>.*?)\s*,\s*{L['Project_Details_Activity_ReportedAmount']}:\s*(?P<reported>.*?)$"
)
_PRINT_INDICATOR = re.compile(
    rf"^(?P<name>.*\S)\s*,\s*{L['Project_Details_Indicator_Unit']}:\s*(?P<unit>.*?)\s*,\s*"
    rf"{L['Project_Details_Indicator_BaseTotalValue']}:\s*(?P<base>[^,]*?)\s*,\s*"
    rf"{L['Project_Details_Indicator_TargetAmount']}:\s*(?P<target>[^,]*?)\s*,\s*"
    rf"{L['Project_Details_Indicator_CumulativeAmount']}:\s*(?P<reached>[^,]*?)$"
)


def _print_participant(role: str, singular: str, text: str) -> dict[str, str | None] | None:
    contracted_label = re.escape(L["Project_Details_Partner_ContractedAmount"]) + r"\*?"
    reported_label = re.escape(L["Project_Details_Partner_ReportedAmount"]) + r"\**"
    m = re.match(
        rf"^{singular}:\s*(?P<name>.*\S)\s*,\s*{contracted_label}:\s*(?P<contracted>.*?)"
        rf"(?:\s*,\s*{reported_label}:\s*(?P<reported>.*?))?$",
        text,
    )
    if not m:
        return None
    return {
        "role": role,
        "is_natural_person": None,
        "name": m.group("name"),
        "company_url": None,
        "contracted": m.group("contracted"),
        "reported": m.group("reported"),
        "has_eik_prefix": "false",
    }


def _parse_print(scan: _Scan, page: ParsedIsunPage) -> None:
    """The PrintProject view: one table row per label, then the sections that say "Няма"."""
    for tr in scan.print_rows:
        cells = _XP_TD(tr)
        if len(cells) >= 2:
            _print_row(_clean(_text(cells[0])), cells[1], page)
    _print_empty_sections(scan, page)


def _print_row(label: str, cell, page: ParsedIsunPage) -> None:
    """One `label | value` row of PrintProject, into the page's fields or sections."""
    # Each bullet's text is read once; the cell's whole text only where a branch uses it.
    if label in FIELD_LABELS:
        # The description's `<pre>` where there is one (its text only), else the cell's text.
        pre = _XP_PRE(cell)
        page.fields[FIELD_LABELS[label]] = _clean(_text(pre[0] if pre else cell))
        return
    lis = _XP_UL_LI(cell)
    texts = [_clean(_text(li)) for li in lis]
    value = "" if lis else _clean(_text(cell))
    if label == L["Project_Details_ExecutionPlace"]:
        page.places = texts
    elif label == L["Project_Details_Activities"] or (
        label == "" and _is_activity_row(texts, value)
    ):
        page.activities = [_print_activity(page.url, text) for text in texts]
    elif label in PARTICIPANT_ROLES:
        page.participants = page.participants or []
        page.participants.extend(_print_participant_line(page.url, label, t) for t in texts)
    elif label in FINANCIAL_LABELS:
        _put_financial(page, FINANCIAL_LABELS[label], value or _clean(_text(cell)))
    elif m := _INDICATOR_LABEL.match(label):
        page.indicators = page.indicators or []
        page.indicators.append(_print_indicator(page.url, m.group(1), value or _clean(_text(cell))))
    elif m := _OFFER_LABEL.match(label):
        page.procurements = page.procurements or []
        head = _clean(
            (cell.text or "")
            + " ".join((_text(c) if c.tag != "ul" else "") + (c.tail or "") for c in cell)
        )
        ul = cell.xpath("./ul")
        page.procurements.extend(_offer_rows(int(m.group(1)), head, ul[0] if ul else None))
    else:
        page.unknown_labels.append(label)


def _is_activity_row(texts: list[str], value: str) -> bool:
    """The live site prints PrintProject's activities row with an empty label: its bullets say
    "Дейност: …" (or the row says "Няма")."""
    prefix = L["Project_Details_Activity"] + ":"
    if texts:
        return all(text.startswith(prefix) for text in texts)
    return value == NO_DATA_TEXT


def _print_activity(url: str, text: str) -> dict[str, str]:
    m = _PRINT_ACTIVITY.match(text)
    if not m:
        raise PageStructureError(
            f"{url}: activity line not shaped "
            f"'Дейност: …, Договорена стойност: …, Отчетена стойност: …': {text[:120]!r}"
        )
    return {k: m.group(k) or "" for k in ("title", "contracted", "reported")}


def _print_participant_line(url: str, label: str, text: str) -> dict[str, str | None]:
    role, singular = PARTICIPANT_ROLES[label]
    row = _print_participant(role, singular, text)
    if row is None:
        raise PageStructureError(
            f"{url}: {label} line not shaped '{singular}: …, "
            f"Договорена стойност по проекта*: …': {text[:120]!r}"
        )
    return row


def _print_indicator(url: str, indicator_no: str, value: str) -> dict[str, str]:
    im = _PRINT_INDICATOR.match(value)
    if not im:
        raise PageStructureError(
            f"{url}: indicator line not shaped 'name, Мерна единица: …': {value[:120]!r}"
        )
    return {
        "indicator_no": indicator_no,
        **{k: im.group(k) or "" for k in ("name", "unit", "base", "target", "reached")},
    }


_EMPTY_SECTION_HEADINGS = frozenset(
    L[k]
    for k in (
        "Project_Details_Indicators",
        "Project_Details_FinancialCorrections",
        "Project_Details_Procurements",
    )
)


def _print_empty_sections(scan: _Scan, page: ParsedIsunPage) -> None:
    """Sections that say "Няма" in a single cell: indicators, procurements, corrections."""
    for h3 in scan.h3s:
        heading = _clean(_text(h3))
        if heading not in _EMPTY_SECTION_HEADINGS:
            continue
        table = h3.getnext()
        if table is None or table.tag != "table":
            continue
        first = _XP_FIRST_TD(table)
        single = _clean(_text(first[0])) if first else ""
        if (
            heading == L["Project_Details_Indicators"]
            and page.indicators is None
            and single == NO_DATA_TEXT
        ):
            page.indicators = []
        elif heading == L["Project_Details_FinancialCorrections"]:
            inner = table.xpath(".//table")
            if inner:
                page.corrections = _corrections_table(inner[0])
            elif single.startswith(NO_DATA_TEXT):
                page.corrections = []
        elif (
            heading == L["Project_Details_Procurements"]
            and page.procurements is None
            and single == L["Project_Details_NoProcurements"]
        ):
            page.procurements = []


# --- plain-text renderings (seed 000 is the text of a real Activities tab) --------------------

_TEXT_ACTIVITY_LINE = re.compile(
    rf"^(?P<title>.*?\S)\s+(?P<contracted>{AMOUNT})\s+(?P<reported>{AMOUNT})\s*$"
)
_TEXT_ACTIVITY_HEADER = re.compile(
    rf"^{L['Project_Details_Activity']}\s+{L['Project_Details_Activity_ContractedAmount']}\s+"
    rf"{L['Project_Details_Activity_ReportedAmount']}\s*$"
)
_TEXT_LABEL_LINE = re.compile(r"^(?P<label>[^:\n]{2,60}):\s*(?P<value>.+)$")
_TEXT_DESCRIPTION_HEADING = L["Project_Details_Description"]  # the Activities tab's box heading


def parse_isun_text(text: str, url: str) -> ParsedIsunPage:
    """Parse the plain-text rendering of an ИСУН contract page (like seed 000)."""
    contract_id, tab = contract_id_and_tab(url)
    page = ParsedIsunPage(url=url, contract_id=contract_id, tab=tab)
    in_activities = in_description = False
    description: list[str] = []
    label_waiting: str | None = None  # a label alone on its line: its value is the next line
    for line in (raw.strip() for raw in text.splitlines()):
        line = _EN_TO_BG.get(line, line) if line in _EN_MARKERS or line in _EN_TO_BG else line
        if label_waiting and line:
            page.fields.setdefault(FIELD_LABELS[label_waiting], _clean(line))
            label_waiting = None
            continue
        if line in FIELD_LABELS and line != L["Project_Details_ShortProjectDescription"]:
            label_waiting = line
            continue
        if _TEXT_ACTIVITY_HEADER.match(line):
            in_activities, in_description = True, False
            page.activities = []
            continue
        if in_activities:
            if m := _TEXT_ACTIVITY_LINE.match(line):
                page.activities.append(
                    {k: m.group(k).strip() for k in ("title", "contracted", "reported")}
                )
                continue
            if line == "":
                continue
            in_activities = False
        if line == _TEXT_DESCRIPTION_HEADING:
            in_description = True
            continue
        if line == L["Project_Details_Activities"]:
            in_description = False
            continue
        if in_description and line:
            description.append(line)
            continue
        # Only the contract's own labels; "Програма:" and "Район за планиране:" are the site's search filters.
        if (m := _TEXT_LABEL_LINE.match(line)) and m.group("label") in FIELD_LABELS:
            page.fields[FIELD_LABELS[m.group("label")]] = _clean(m.group("value"))
    if description:
        page.fields["description"] = _clean(" ".join(description))
    for i, words in enumerate(note_currencies(_clean(text))):
        page.currencies[f"note{i or ''}"] = words
    header = " ".join(
        L[k]
        for k in (
            "Project_Details_Activity",
            "Project_Details_Activity_ContractedAmount",
            "Project_Details_Activity_ReportedAmount",
        )
    )
    if not page.activities and header in _clean(text):
        raise PageStructureError(f"{url}: activities header found but no line ends in two amounts")
    return page
