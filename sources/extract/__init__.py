"""Extract normalised project records from any source kind: ИСУН pages, municipal news,
NGO project pages, NGO portal events, municipal strategies. `extract(text, kind)` returns
one record per document with the same normalised fields, null where not found, plus
`flags` (repairs and doubts) and `spans` (where each field came from in the text).
"""

from __future__ import annotations

import re

from records.extracted import SCORED_FIELDS
from sources.extract import municipal_news, ngo_event, ngo_project, strategy
from sources.extract.common import new_record, put
from transforms.codes import code_scheme

KINDS = ("isun", "municipal-news", "ngo-project", "ngo-event", "strategy")

# An ИСУН contract page is known by its structure: the site's own section and field labels
# (Texts.resx, Bulgarian or English) standing alone as a line or as an element's whole text, and
# the site's frame (its page note, its footer). Its footer names the ИСУН system's own projects
# (BG05SFOP001-4.002-0003, BG161PO002-2.1.01-0007-C0001): never a contract's code, and the page's
# code is read by the ИСУН parser from "Номер от ИСУН" only.
_ISUN_LABEL_KEYS = (
    "Project_Details_EUMISNumber",
    "Project_Details_Identification",
    "Project_Details_Description",
    "Project_Details_ShortProjectDescription",
    "Project_Details_ParticipatingOrganizations",
    "Project_Details_FinancialInformation",
    "Project_Details_FinancialCorrections",
    "Project_Details_Indicators",
    "Project_Details_Procurements",
    "Project_Details_ExecutionPlace",
    "Project_Details_BFPContractStatus",
    "Project_Details_Activities",
)


def _isun_patterns() -> tuple[list[re.Pattern], re.Pattern]:
    from sources.isun import LABELS, LABELS_EN

    labels = [
        re.compile(
            rf"(?m)(?:^|>)[ \t]*(?:{re.escape(LABELS[k])}|{re.escape(LABELS_EN[k])})[ \t]*:?[ \t]*(?:$|<)"
        )
        for k in _ISUN_LABEL_KEYS
    ]
    frame = re.compile(
        "|".join(
            re.escape(t)
            for t in (
                LABELS["Global_NoteBGN"].split(" български")[0],  # "Всички суми са в"
                LABELS_EN["Global_NoteBGN"].split(" Bulgarian")[0],  # "All amounts are in"
                "BG161PO002-2.1.01-0007-C0001",  # Shared_Footer_Project (en)
                "BG05SFOP001-4.002-0003",  # Shared_Footer_Project (bg)
            )
        )
    )
    return labels, frame


def is_isun_page(text: str) -> bool:
    """Whether `text` (HTML or its text) is an ИСУН contract page: three of the site's labels standing
    alone, or two and the site's frame (note or footer)."""
    labels, frame = _isun_patterns()
    head = text[:200_000]
    found = sum(bool(p.search(head)) for p in labels)
    return found >= 3 or (found >= 2 and bool(frame.search(head)))


def _project_evidence(head: str) -> int:
    """2 where the text states a project's facts (its code, value, EU share, dates, duration), else 0."""
    from sources.extract.facts import _PROJECT_STRONG, find_facts

    stated = {f.field for f in find_facts(head)} - {"procedure_code"}
    return 2 * bool(stated or _PROJECT_STRONG.search(head))


def detect_kind(text: str) -> str:
    """Guess the kind from what the text is, not from one word: a news item that speaks of a project stays news
    even where it mentions a strategy or a press event; ties go to municipal news."""
    if is_isun_page(text):
        return "isun"
    head = text[:20000]
    project = _project_evidence(head)
    scores = {
        "isun": 3
        * bool(re.search(r"Договорена стойност\s+Отчетена стойност|Всички суми са в ", head))
        + bool(re.search(r"div class=\"list-item\"|Номер от ИСУН", head)),
        "ngo-project": sum(
            bool(re.search(rf"(?m)^{lab}\b", head))
            for lab in (
                "Референтен номер",
                "Водеща организация",
                "Териториален обхват",
                "Прогнозна стойност",
            )
        ),
        "ngo-event": 2 * bool(re.search(r"Покана|форум|ще се проведе", head, re.I))
        + bool(re.search(r"@", head))
        + bool(re.search(r"Процедура:", head))
        - project // 2 * bool(not re.search(r"Покана|@", head)),
        "strategy": 2 * bool(re.search(r"[Сс]тратеги", head))
        + bool(re.search(r"Решение\s*№", head))
        + bool(re.search(r"Етапи|етап", head))
        + bool(re.search(r"Общински\s+[Сс]ъвет", head))
        - project,
        "municipal-news": 1
        + bool(re.search(r"[Оо]бщата стойност на проекта", head))
        + bool(re.search(r"(?m)^\s*\d{1,2}\.\s+", head)),
    }
    return max(scores, key=lambda k: (scores[k], k == "municipal-news"))


def _isun(text: str, is_html: bool, url: str) -> dict:
    """An ИСУН contract page through the build's own parser and normaliser (`transforms.isun`):
    what `bgfunds extract` prints is what the build would publish, and a page or value the build
    would quarantine comes back as flags, never as a crash."""
    import hashlib

    from records.raw import RawResponse
    from sources.isun import PageStructureError, parse_isun_html, parse_isun_text
    from transforms.isun import build_isun_tables

    record = new_record("isun")
    try:
        page = parse_isun_html(text, url) if is_html else parse_isun_text(text, url)
    except PageStructureError as exc:
        record["flags"].append(f"page_structure: {exc}")
        return record
    raw = RawResponse(
        url=url or "file:",
        fetched_at="1970-01-01T00:00:00Z",
        status=200,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        content_type="text/html",
        bytes=len(text.encode("utf-8")),
    )
    if not page.fields.get("contract_code"):
        record["flags"].append(CODE_NOT_ON_PAGE)
    tables = build_isun_tables([(page, raw)])
    record["flags"] += [
        f"quarantined: {r.table_name}.{r.field or ''} {r.rule} ({r.value})"
        for r in tables.quarantine.itertuples()
    ]
    if tables.projects.empty:
        record["activities"] = [
            a["title"].partition(": ")[0] for a in page.activities or []
        ] or None
        return record
    _put_isun_project(record, tables)
    return record


CODE_NOT_ON_PAGE = "isun_code_not_on_page"  # no "Номер от ИСУН" where the site puts it

# The ИСУН system's own projects, named in every page's footer: never a contract's code.
_SITE_FOOTER_CODES = ("BG161PO002-2.1.01-0007-C0001", "BG05SFOP001-4.002-0003")


def _states_a_code(text: str) -> bool:
    """Whether the text, its site frame aside, states a project's code the text rules can read."""
    from sources.extract.facts import extract_project_facts

    return any(r["project_code"] for r in extract_project_facts(_without_site_frame(text)))


def _without_site_frame(text: str) -> str:
    """`text` with the site footer's own codes blanked (same length, so evidence offsets hold)."""
    for code in _SITE_FOOTER_CODES:
        text = text.replace(code, " " * len(code))
    return text


def _missing(value) -> bool:
    return value is None or value != value  # None, NaN or NaT


def _put_isun_project(record: dict, tables) -> None:
    """The one project row of a normalised ИСУН page, as an extracted record's fields."""
    p = tables.projects.iloc[0].to_dict()
    put(record, "project_code", p["project_code"])
    record["flags"] += [f for f in (p["code_flags"] or "").split(";") if f]
    record.update(
        procedure_code=p["procedure_code"],
        programme_code=p["programme_code"],
        title=p["project_name"],
        beneficiary=p["beneficiary_name"],
        currency=p["currency_original"],
        duration_months=None if _missing(p["duration_months"]) else int(p["duration_months"]),
    )
    for key in ("start_date", "end_date"):
        record[key] = None if _missing(p[key]) else p[key].isoformat()
    for key in (
        "amount_total",
        "amount_eu",
        "amount_national",
        "amount_total_bgn",
        "amount_total_eur",
    ):
        record[key] = None if _missing(p[key]) else float(p[key])
    partners = tables.project_organisations
    record["partners"] = (
        list(partners.loc[partners["role"] == "partner", "name_as_published"].dropna()) or None
    )
    record["activities"] = list(tables.activities["activity_name"]) or None


def extract(text: str, kind: str = "auto", *, is_html: bool = False, url: str = "") -> dict:
    chosen = detect_kind(text) if kind == "auto" else kind
    if chosen not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected auto or one of {', '.join(KINDS)}")
    as_text = False
    if chosen == "isun":
        record = _isun(text, is_html, url)
        if CODE_NOT_ON_PAGE not in record["flags"] or not _states_a_code(text):
            return record
        # A layout the ИСУН parser does not read (an older site): its facts read as text, never
        # the footer's codes; still an ИСУН page.
        chosen, text, as_text = "municipal-news", _without_site_frame(text), True
    module = {
        "municipal-news": municipal_news,
        "ngo-project": ngo_project,
        "ngo-event": ngo_event,
        "strategy": strategy,
    }[chosen]
    record = module.extract(text)
    if chosen != "strategy":
        _add_project_facts(record, text)
    if kind == "auto":
        record["flags"].append("kind_detected")
    if as_text:
        record["kind"] = "isun"
        record["flags"].append("isun_read_as_text")
    return record


# Fields where the news extractor's own guess is dropped unless the project-facts rules confirm it.
_UNCONFIRMED_DROPPED = {"municipal-news": SCORED_FIELDS}


def _add_project_facts(record: dict, text: str) -> None:
    """Give the per-document record the project facts (with evidence) of the project it is about.

    The facts rules win where they found a value; where they left a field null because candidates conflict,
    the field is null and the candidates are listed; a news item's own guesses that the rules do not confirm
    are dropped (flag `<field>_unconfirmed`). `evidence` names the rule for every scored value.
    """
    from sources.extract.facts import extract_project_facts

    projects = extract_project_facts(text)
    match = next(
        (
            p
            for p in projects
            if record.get("project_code") and p["project_code"] == record["project_code"]
        ),
        projects[0] if projects else None,
    )
    evidence = {
        name: {**span, "rule": f"{record['kind']}_extractor"}
        for name, span in record["spans"].items()
        if name in SCORED_FIELDS
    }
    record["candidates"] = {}
    if len(projects) > 1:
        record["flags"].append(f"projects_on_page:{len(projects)}")
        record["projects"] = projects
        record["project_index"] = projects.index(match)
    for name in SCORED_FIELDS:
        _take_fact(record, name, match, evidence)
    if record.get("procedure_code") and not record.get("programme_code"):
        from sources.extract.facts import code_parts

        record["programme_code"] = code_parts(record["procedure_code"])[0]
    record["evidence"] = evidence
    record["code_scheme"] = code_scheme(record.get("project_code"))


def _take_fact(record: dict, name: str, match: dict | None, evidence: dict) -> None:
    """One scored field: the facts rules' value where they found one, null with the candidates
    where theirs conflict, and a news extractor's own guess dropped where they do not confirm it."""
    value = match[name] if match else None
    if value is not None:
        record[name] = value
        evidence[name] = match["evidence"][name]
        record["spans"][name] = {k: match["evidence"][name][k] for k in ("start", "end", "text")}
        if name == "amount_eu":
            record["currency_eu"] = match["currency_eu"]
        if name == "amount_total":
            record["currency"] = match["currency"]
            record["amount_total_bgn"], record["amount_total_eur"] = (
                match["amount_total_bgn"],
                match["amount_total_eur"],
            )
    elif match and name in match["candidates"]:
        record[name] = None
        evidence.pop(name, None)
        record["candidates"][name] = match["candidates"][name]
    elif record.get(name) is not None and name in _UNCONFIRMED_DROPPED.get(record["kind"], ()):
        record[name] = None
        evidence.pop(name, None)
        record["spans"].pop(name, None)
        record["flags"].append(f"{name}_unconfirmed")
        if name == "amount_total":
            record["currency"] = record["amount_total_bgn"] = record["amount_total_eur"] = None
        if name == "procedure_code":
            record["programme_code"] = None


def extract_projects(
    text: str, kind: str = "auto", *, is_html: bool = False, url: str = ""
) -> list[dict]:
    """One record per project the text speaks of, none where it names none.

    ИСУН 2014–20 contract pages go to `sources.isun` (one project each); every other page goes to the
    kind-independent rules in `sources.extract.facts`, whose records carry `evidence` (span and rule) for
    every value and `candidates` where a field stayed null because its candidates conflict.
    """
    from sources.extract.facts import code_parts, extract_project_facts

    chosen = detect_kind(text) if kind == "auto" else kind
    if chosen not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected auto or one of {', '.join(KINDS)}")
    if chosen == "isun":
        record = _isun(text, is_html, url)
        if CODE_NOT_ON_PAGE not in record["flags"] or not _states_a_code(text):
            return [record]
        # A code the parser did not find (an older layout of the site): read as text, never the
        # footer's codes.
        text = _without_site_frame(text)
    records = extract_project_facts(text)
    for record in records:
        record["kind"] = chosen
        record["programme_code"] = code_parts(
            record["project_code"] or record["procedure_code"] or ""
        )[0]
        record["code_scheme"] = code_scheme(record["project_code"])
    return records
