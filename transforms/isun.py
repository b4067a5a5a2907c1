"""Normalise parsed ИСУН pages into the `projects`, `activities` and `quarantine` tables.

Tabs of one contract (BasicData, Activities, FinancialInformation, ... or one
PrintProject) are merged by contractId. Amounts keep the page's text and currency and
gain `_bgn` and `_eur` columns. A row whose values break a rule is not dropped: it goes
to quarantine with the rule, the field, the value and the page it came from.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from records.isun_page import ParsedIsunPage
from records.raw import RawResponse
from registry.fields import FIELDS
from registry.tables import (
    ACTIVITIES,
    PROJECT_FINANCIAL_CORRECTIONS,
    PROJECT_INDICATORS,
    PROJECT_ORGANISATIONS,
    PROJECT_PAGES,
    PROJECT_PROCUREMENTS,
    QUARANTINE,
    range_rule,
)
from transforms.amounts import AmountError, parse_amount, round_cents, to_bgn, to_eur
from transforms.codes import CodeError, ParsedCode, parse_code
from transforms.dates import parse_date, parse_timestamp
from transforms.organisations import is_valid_eik, parse_organisation

PAGE_AMOUNTS = ("total", "grant", "own", "paid")  # what FinancialInformation prints
NO_DATA_TEXT = "Няма"


class RowRejected(ValueError):
    def __init__(self, rule: str, field_name: str | None, value: str | None, message: str):
        super().__init__(message)
        self.rule, self.field, self.value = rule, field_name, value


@dataclass
class IsunTables:
    projects: pd.DataFrame
    activities: pd.DataFrame
    quarantine: pd.DataFrame
    project_organisations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PROJECT_ORGANISATIONS.columns)
    )
    project_indicators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PROJECT_INDICATORS.columns)
    )
    project_procurements: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PROJECT_PROCUREMENTS.columns)
    )
    project_financial_corrections: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PROJECT_FINANCIAL_CORRECTIONS.columns)
    )

    CHILD_TABLES = (
        "project_organisations",
        "project_indicators",
        "project_procurements",
        "project_financial_corrections",
    )

    def keep_projects(self, codes: set[str]) -> pd.DataFrame:
        """Move the child rows of projects that did not survive screening out of their tables; returns them
        as quarantine rows (rule `parent_row_quarantined`), so nothing is dropped silently."""
        moved = []
        for name in self.CHILD_TABLES:
            frame = getattr(self, name)
            keep = frame["project_code"].isin(codes)
            moved += [
                parent_quarantined_row(name, row._asdict())
                for row in frame[~keep].itertuples(index=False)
            ]
            setattr(self, name, frame[keep].reset_index(drop=True))
        return pd.DataFrame(moved, columns=QUARANTINE.columns)


def parent_quarantined_row(table_name: str, row: dict) -> dict:
    """The quarantine row of a child row whose project did not survive screening."""
    return {
        "table_name": table_name,
        "record_key": row["project_code"],
        "rule": "parent_row_quarantined",
        "field": "project_code",
        "value": row["project_code"],
        "message": f"{row['source_url']}: its project {row['project_code']} is in quarantine",
        "source_url": row["source_url"],
        "fetched_at": row["fetched_at"],
        "content_sha256": row["content_sha256"],
    }


@dataclass
class _Contract:
    key: str
    pages: list[tuple[ParsedIsunPage, RawResponse]] = field(default_factory=list)


def quarantine_row(
    table_name: str,
    record_key: str | None,
    rule: str,
    field_name: str | None,
    value: str | None,
    message: str,
    source: RawResponse | None,
) -> dict:
    return {
        "table_name": table_name,
        "record_key": record_key,
        "rule": rule,
        "field": field_name,
        "value": value,
        "message": message,
        "source_url": source.url if source else None,
        "fetched_at": parse_timestamp(source.fetched_at) if source else None,
        "content_sha256": source.sha256 if source else None,
    }


def build_isun_rows(
    pages: list[tuple[ParsedIsunPage, RawResponse]],
    page_quarantine: list[dict] | None = None,
    procedure_names: dict[str, str] | None = None,
) -> dict[str, list[dict]]:
    """The rows of every table `build_isun_tables` builds, as lists of dicts by table name
    (`projects`, `activities`, `quarantine` and the child tables), before any frame is made:
    the batch workers turn them into Arrow tables directly (`pipelines.isun_batch_arrow`)."""
    contracts: dict[str, _Contract] = {}
    for page, raw in sorted(pages, key=lambda pr: pr[1].fetched_at):
        key = page.contract_id or page.url
        contracts.setdefault(key, _Contract(key)).pages.append((page, raw))

    out: dict[str, list[dict]] = {
        name: [] for name in ("projects", "activities", *IsunTables.CHILD_TABLES)
    }
    quarantine = list(page_quarantine or [])
    for contract in contracts.values():
        try:
            project, children = _contract_rows(contract, procedure_names or {})
        except RowRejected as rej:
            source = _field_source(contract, rej.field) or contract.pages[0][1]
            quarantine.append(
                quarantine_row(
                    "projects", contract.key, rej.rule, rej.field, rej.value, str(rej), source
                )
            )
            continue
        for table, rows in children.items():
            for item in rows:
                if "rule" in item and "table_name" in item:
                    quarantine.append(item)
                else:
                    out[table].append(item)
        good_activities = [a for a in children["activities"] if "table_name" not in a]
        project["activities_count"] = len(good_activities)
        project["is_over_reported"] = any(a["is_over_reported"] for a in good_activities)
        out["projects"].append(project)
    out["quarantine"] = quarantine
    out["project_organisations"] = _first_of_each(
        out["project_organisations"], ("project_code", "role", "organisation_id")
    )
    return out


def _first_of_each(rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    """The first row of each `key` (what `DataFrame.drop_duplicates(key)` keeps)."""
    seen: set = set()
    kept = []
    for row in rows:
        k = tuple(row.get(c) for c in key)
        if k not in seen:
            seen.add(k)
            kept.append(row)
    return kept


def build_isun_tables(
    pages: list[tuple[ParsedIsunPage, RawResponse]],
    page_quarantine: list[dict] | None = None,
    procedure_names: dict[str, str] | None = None,
) -> IsunTables:
    """Merge the pages of each contract (by contractId) and build typed, validated rows.

    `procedure_names` (procedure code -> name, from the one BasicData fetched per procedure:
    `sources.isun_pages.procedure_names`) names the procedure of a contract whose own pages do not
    (PrintProject prints no procedure)."""
    out = build_isun_rows(pages, page_quarantine, procedure_names)
    return IsunTables(
        projects=_frame(out["projects"], PROJECT_PAGES.columns),
        activities=_frame(out["activities"], ACTIVITIES.columns),
        quarantine=_frame(out["quarantine"], QUARANTINE.columns),
        project_organisations=_frame(out["project_organisations"], PROJECT_ORGANISATIONS.columns),
        project_indicators=_frame(out["project_indicators"], PROJECT_INDICATORS.columns),
        project_procurements=_frame(out["project_procurements"], PROJECT_PROCUREMENTS.columns),
        project_financial_corrections=_frame(
            out["project_financial_corrections"], PROJECT_FINANCIAL_CORRECTIONS.columns
        ),
    )


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _merged_fields(contract: _Contract) -> dict[str, str]:
    fields: dict[str, str] = {}
    for page, _ in contract.pages:  # oldest first, so the latest fetch wins
        fields.update(page.fields)
    return fields


def _latest(contract: _Contract, attribute: str) -> tuple[object, RawResponse] | None:
    """The newest page of the contract that carries `attribute` (a section: activities, financial, ...).

    A tab page is preferred to PrintProject for participants: only the tab prints their ЕИК and
    tells natural persons from legal entities."""
    candidates = [
        (getattr(p, attribute), r, p.tab)
        for p, r in contract.pages
        if getattr(p, attribute) is not None
    ]
    if not candidates:
        return None
    if attribute == "participants":
        tabs = [c for c in candidates if c[2] != "PrintProject"]
        candidates = tabs or candidates
    value, raw, _tab = candidates[-1]
    return value, raw


def _field_source(contract: _Contract, field_name: str | None) -> RawResponse | None:
    for page, raw in reversed(contract.pages):
        if field_name in page.fields or (
            (field_name or "").startswith("amount_") and page.financial
        ):
            return raw
    return None


def _contract_currency(contract: _Contract) -> str:
    """The currency every page of the contract states: the note and each amount's suffix."""
    stated: dict[str, set[str]] = {}
    for page, raw in contract.pages:
        for where, currency in page.currencies.items():
            stated.setdefault(currency, set()).add(f"{raw.url} ({where})")
    if not stated:
        raise RowRejected(
            "currency_missing",
            "currency_original",
            None,
            f"{contract.pages[0][1].url}: no page of contract {contract.key} states its currency "
            "(no note 'Всички суми са в …' and no currency after an amount); never assumed",
        )
    if len(stated) > 1:
        detail = "; ".join(
            f"{c} in {', '.join(sorted(w))[:160]}" for c, w in sorted(stated.items())
        )
        raise RowRejected(
            "currency_conflict",
            "currency_original",
            ";".join(sorted(stated)),
            f"contract {contract.key}: its pages state different currencies: {detail}",
        )
    return next(iter(stated))


@functools.cache
def _range_rule(field_name: str):
    """`range_rule` of a registry field, derived once (it is asked for every amount)."""
    return range_rule(FIELDS[field_name])


def _amount(text: str | None, field_name: str, url: str) -> Decimal | None:
    try:
        value = parse_amount(text)
    except AmountError:
        raise RowRejected(
            "amount_unparseable",
            field_name,
            text,
            f"{url}: field {field_name} has value {text!r}, which is not an amount",
        ) from None
    rule = _range_rule(field_name)  # the registry's rule, under its name
    if value is not None and rule is not None and value < rule.min_value:
        raise RowRejected(
            rule.name, field_name, text, f"{url}: field {field_name} is negative: {text!r}"
        )
    return value


def _money_fields(stem: str, value: Decimal | None, currency: str) -> dict:
    return {
        stem: _money(value),
        f"{stem}_bgn": _money(to_bgn(value, currency)),
        f"{stem}_eur": _money(to_eur(value, currency)),
    }


def split_uin(text: str | None) -> tuple[str | None, str | None]:
    """ "000024 ОБЩИНА СТАМБОЛОВО" -> ("000024", "ОБЩИНА СТАМБОЛОВО"): ИСУН prints "{Uin} {Name}" for
    legal entities (CompanyVO.TransFullName); a first word without a digit is part of the name."""
    if not text:
        return None, None
    first, _, rest = text.strip().partition(" ")
    if rest and any(ch.isdigit() for ch in first):
        return first, rest.strip()
    return None, text.strip()


def months_between(start: date | None, end: date | None) -> int | None:
    """ИСУН's DataUtils.GetMonthsDuration: whole months, one more if the end day is later in the month."""
    if not (start and end):
        return None
    months = (end.month + 12 * end.year) - (start.month + 12 * start.year)
    return months + 1 if end.day > start.day else months


def _procedure(
    fields: dict[str, str], code_procedure: str, url: str
) -> tuple[str | None, str | None]:
    """BasicData's link text "{ProcedureCode} {ProcedureName}"; its code must be the contract code's."""
    text = fields.get("procedure")
    if not text:
        return None, None
    first, _, name = text.partition(" ")
    try:
        linked = parse_code(first).procedure_code
    except CodeError:
        return None, text
    if linked != code_procedure:
        raise RowRejected(
            "procedure_code_conflict",
            "procedure_code",
            first,
            f"{url}: procedure link says {first!r}, the contract code says {code_procedure!r}",
        )
    return linked, name.strip() or None


def _financing_source(text: str | None) -> tuple[str | None, str | None]:
    """ "ЕСФ, ЕФРР ==> Оперативна програма …" -> ("ЕСФ, ЕФРР", "Оперативна програма …")."""
    if not text:
        return None, None
    funds, arrow, programme = text.partition("==>")
    if not arrow:
        return None, text.strip() or None
    return funds.strip() or None, programme.strip() or None


def _contract_code(contract: _Contract, fields: dict) -> tuple[ParsedCode, RawResponse]:
    """The contract's one valid project code and the page it came from, else RowRejected."""
    codes = {
        page.fields["contract_code"]
        for page, _ in contract.pages
        if page.fields.get("contract_code")
    }
    if len(codes) > 1:
        raise RowRejected(
            "contract_code_conflict",
            "project_code",
            ";".join(sorted(codes)),
            f"contract {contract.key}: its pages print different 'Номер от ИСУН': {sorted(codes)}",
        )
    code_source = _field_source(contract, "contract_code")
    if "contract_code" not in fields or code_source is None:
        raise RowRejected(
            "project_code_missing",
            "project_code",
            None,
            f"{contract.pages[0][1].url}: contract {contract.key} has no 'Номер от ИСУН' on any page",
        )
    try:
        code = parse_code(fields["contract_code"])
    except CodeError:
        raise RowRejected(
            "project_code_invalid",
            "project_code",
            fields["contract_code"],
            f"{code_source.url}: field 'Номер от ИСУН' has value {fields['contract_code']!r}, "
            "which is not a contract code",
        ) from None
    if not code.is_project:
        raise RowRejected(
            "project_code_invalid",
            "project_code",
            fields["contract_code"],
            f"{code_source.url}: 'Номер от ИСУН' {fields['contract_code']!r} is a procedure code, "
            "not a contract",
        )
    return code, code_source


def _identity_fields(
    contract: _Contract, fields: dict, code: ParsedCode, url: str, currency: str
) -> dict:
    """The project row's codes, names, beneficiary, status and places, as the pages print them."""
    procedure_code, procedure_name = _procedure(fields, code.procedure_code, url)
    funds, programme_name = _financing_source(fields.get("financing_source"))
    beneficiary_uin, beneficiary_name = split_uin(fields.get("beneficiary"))
    eik = beneficiary_uin if beneficiary_uin and is_valid_eik(beneficiary_uin) else None
    places_found = _latest(contract, "places")
    places = [p for p in (places_found[0] if places_found else []) if p and p != NO_DATA_TEXT]
    return {
        "project_code": code.code,
        "project_code_original": fields["contract_code"],
        "code_flags": ";".join(code.flags) or None,
        "proposal_code": code.code.rsplit("-", 1)[0] if code.contract_no else code.code,
        "programme_code": code.programme_code,
        "procedure_code": procedure_code or code.procedure_code,
        "proposal_no": code.proposal_no,
        "contract_no": code.contract_no,
        "isun_contract_id": contract.key
        if not contract.key.startswith(("http", "file:"))
        else None,
        "is_historic": next(
            (p.is_historic for p, _ in reversed(contract.pages) if p.is_historic is not None), None
        ),
        "programme_name": programme_name,
        "funds": funds,
        "procedure_name": procedure_name,
        "project_name": fields.get("project_name"),
        "description": fields.get("description"),
        "beneficiary_name": beneficiary_name,
        "beneficiary_uin": beneficiary_uin,
        "_beneficiary_is_person": beneficiary_is_person(fields),  # not a column: for its org row
        "beneficiary_eik": eik,
        "status": fields.get("status"),
        "location": "; ".join(places) or None,
        "currency_original": currency,
    }


def _date_fields(fields: dict, url: str) -> dict:
    """contract_date, start_date and end_date as dates, else RowRejected `date_unparseable`."""
    out = {}
    for name in ("contract_date", "start_date", "end_date"):
        try:
            out[name] = parse_date(fields.get(name))
        except ValueError:
            raise RowRejected(
                "date_unparseable",
                name,
                fields.get(name),
                f"{url}: field {name} has value {fields.get(name)!r}, "
                "which is not a date dd.mm.yyyy",
            ) from None
    return out


def _child_rows(contract: _Contract, row: dict, currency: str) -> dict[str, list[dict]]:
    """The contract's rows in each child table (rows that break a rule carry `rule`)."""
    pc = row["project_code"]
    return {
        "activities": _section_rows(
            contract,
            "activities",
            "activities",
            pc,
            lambda i, item, raw: _activity_row(pc, i, item, currency, raw),
        ),
        "project_organisations": _participant_rows(contract, row, currency),
        "project_indicators": _section_rows(
            contract,
            "indicators",
            "project_indicators",
            pc,
            lambda i, item, raw: _indicator_row(pc, item, raw),
        ),
        "project_procurements": _section_rows(
            contract,
            "procurements",
            "project_procurements",
            pc,
            lambda i, item, raw: _procurement_row(pc, item, currency, raw),
        ),
        "project_financial_corrections": _section_rows(
            contract,
            "corrections",
            "project_financial_corrections",
            pc,
            lambda i, item, raw: _correction_row(pc, i, item, currency, raw),
        ),
    }


def _contract_rows(
    contract: _Contract, procedure_names: dict[str, str]
) -> tuple[dict, dict[str, list[dict]]]:
    """The contract's `projects` row and its child rows; RowRejected where the contract breaks a rule."""
    fields = _merged_fields(contract)
    code, code_source = _contract_code(contract, fields)
    currency = _contract_currency(contract)
    row = _identity_fields(contract, fields, code, code_source.url, currency)
    if row["procedure_name"] is None:
        row["procedure_name"] = procedure_names.get(row["procedure_code"])
    if not row["project_name"]:
        raise RowRejected(
            "required_field_missing",
            "project_name",
            None,
            f"{code_source.url}: contract {contract.key} has no 'Наименование на проекта'",
        )
    row.update(_date_fields(fields, code_source.url))
    row["duration_months"] = months_between(row["start_date"], row["end_date"])
    row.update(_financial_fields(contract, currency, code_source.url))
    row.update(_provenance(code_source))
    children = _child_rows(contract, row, currency)
    row["corrections_count"] = (
        sum(1 for r in children["project_financial_corrections"] if "rule" not in r)
        if _latest(contract, "corrections")
        else None
    )
    return row, children


def _financial_fields(contract: _Contract, currency: str, fallback_url: str) -> dict:
    found = _latest(contract, "financial")
    financial, url = (found[0], found[1].url) if found else ({}, fallback_url)
    out: dict = {}
    values = {stem: _amount(financial.get(stem), f"amount_{stem}", url) for stem in PAGE_AMOUNTS}
    for stem, value in values.items():
        out.update(_money_fields(f"amount_{stem}", value, currency))
    percent_text = financial.get("eu_percent")
    try:
        percent = parse_amount(percent_text.replace("%", "")) if percent_text else None
    except AmountError:
        raise RowRejected(
            "percent_unparseable",
            "eu_cofinancing_percent",
            percent_text,
            f"{url}: 'Процент на съфинансиране от ЕС' has value {percent_text!r}",
        ) from None
    in_percent = range_rule(FIELDS["eu_cofinancing_percent"])
    if percent is not None and not (in_percent.min_value <= percent <= in_percent.max_value):
        raise RowRejected(
            in_percent.name,
            "eu_cofinancing_percent",
            percent_text,
            f"{url}: EU co-financing {percent_text!r} is not between 0 and 100 %",
        )
    out["eu_cofinancing_percent"] = float(percent) if percent is not None else None
    grant = values["grant"]
    # ИСУН publishes no EU/national split of a contract: derived, and named so in the dictionary.
    eu = round_cents(grant * percent / 100) if grant is not None and percent else None
    national = grant - eu if eu is not None else None
    out.update(_money_fields("amount_eu", eu, currency))
    out.update(_money_fields("amount_national", national, currency))
    return out


def _section_rows(
    contract: _Contract, attribute: str, table: str, project_code: str, build
) -> list[dict]:
    """Rows of one section of the newest page that has it; a bad row goes to quarantine alone."""
    found = _latest(contract, attribute)
    if not found:
        return []
    items, raw = found
    rows = []
    for no, item in enumerate(items, start=1):
        try:
            rows.append(build(no, item, raw))
        except RowRejected as rej:
            rows.append(
                quarantine_row(
                    table, f"{project_code}#{no}", rej.rule, rej.field, rej.value, str(rej), raw
                )
            )
    return rows


def _activity_row(
    project_code: str, no: int, item: dict[str, str], currency: str, raw: RawResponse
) -> dict:
    title = item["title"]
    name, _, description = title.partition(": ")
    if not name.strip():
        raise RowRejected(
            "required_field_missing",
            "activity_name",
            title,
            f"{raw.url}: activity {no} has no name",
        )
    contracted = _amount(item.get("contracted"), "amount_contracted", raw.url)
    reported = _amount(item.get("reported"), "amount_reported", raw.url)
    return {
        "project_code": project_code,
        "activity_no": no,
        "activity_title": title,
        "activity_name": name.strip(),
        "activity_description": description.strip() or None,
        "currency_original": currency,
        "amount_contracted_text": item.get("contracted") or None,
        **_money_fields("amount_contracted", contracted, currency),
        "amount_reported_text": item.get("reported") or None,
        **_money_fields("amount_reported", reported, currency),
        "is_over_reported": bool(
            contracted is not None and reported is not None and reported > contracted
        ),
        "execution_rate": (
            float(round(reported / contracted, 6)) if contracted and reported is not None else None
        ),
        **_provenance(raw),
    }


def beneficiary_is_person(fields: dict) -> bool:
    """A natural-person beneficiary: its Company link says `uinType=PersonalBulstat`, or it is printed
    without a UIN (CompanyVO.TransFullName is "{Uin} {Name}" for every legal entity, the name alone
    for a person)."""
    if "uintype=personalbulstat" in (fields.get("beneficiary_url") or "").lower():
        return True
    uin, name = split_uin(fields.get("beneficiary"))
    return bool(name) and uin is None


def _beneficiary_row(project: dict, currency: str) -> dict:
    """The beneficiary as the project row names it, with its organisation id. A natural person gets
    an anonymous id of its own project (never one shared by everyone with the same first name) and
    no name."""
    if project.get("_beneficiary_is_person"):
        digest = hashlib.sha1(f"{project['project_code']}|beneficiary".encode()).hexdigest()[:12]
        organisation_id, is_person, name, eik = f"person:{digest}", True, None, None
    else:
        org = parse_organisation(project["beneficiary_name"], project.get("beneficiary_eik"))
        organisation_id, is_person, name, eik = (
            org.organisation_id,
            False,
            project["beneficiary_name"],
            org.eik,
        )
    return {
        "project_code": project["project_code"],
        "role": "beneficiary",
        "organisation_id": organisation_id,
        "is_natural_person": is_person,
        "name_as_published": name,
        "eik": eik,
        "currency_original": currency,
        "source_url": project["source_url"],
        "fetched_at": project["fetched_at"],
        "content_sha256": project["content_sha256"],
    }


def _participant_row(pc: str, no: int, item: dict, currency: str, raw: RawResponse) -> dict:
    """One listed participant; a natural person keeps no name; RowRejected on a bad amount."""
    contracted = _amount(item.get("contracted"), "amount_contracted", raw.url)
    reported = _amount(item.get("reported"), "amount_reported", raw.url)
    is_person = item.get("is_natural_person") == "true"
    if item.get("has_eik_prefix") == "true" and not is_person:
        uin, name = split_uin(item["name"])
    else:
        uin, name = None, item["name"]
    if is_person:
        digest = hashlib.sha1(f"{pc}|{item['role']}|{no}".encode()).hexdigest()[:12]
        organisation_id, name, eik = f"person:{digest}", None, None
    else:
        org = parse_organisation(name or "", uin if uin and is_valid_eik(uin) else None)
        organisation_id, eik = org.organisation_id, org.eik
    return {
        "project_code": pc,
        "role": item["role"],
        "organisation_id": organisation_id,
        "is_natural_person": is_person if item.get("is_natural_person") is not None else None,
        "name_as_published": name,
        "eik": eik,
        "currency_original": currency,
        **_money_fields("amount_contracted", contracted, currency),
        **_money_fields("amount_reported", reported, currency),
        **_provenance(raw),
    }


def _participant_rows(contract: _Contract, project: dict, currency: str) -> list[dict]:
    """The beneficiary and every listed participant, with organisation ids; natural persons without a name."""
    pc = project["project_code"]
    rows = [_beneficiary_row(project, currency)] if project.get("beneficiary_name") else []
    found = _latest(contract, "participants")
    if not found:
        return rows
    items, raw = found
    for no, item in enumerate(items, start=1):
        try:
            rows.append(_participant_row(pc, no, item, currency, raw))
        except RowRejected as rej:
            rows.append(
                quarantine_row(
                    "project_organisations",
                    f"{pc}#{item['role']}#{no}",
                    rej.rule,
                    rej.field,
                    rej.value,
                    str(rej),
                    raw,
                )
            )
    return rows


def _decimal(text: str | None, field_name: str, url: str) -> float | None:
    try:
        value = parse_amount(text)
    except AmountError:
        raise RowRejected(
            "number_unparseable",
            field_name,
            text,
            f"{url}: field {field_name} has value {text!r}, which is not a number",
        ) from None
    return None if value is None else float(value)


def _indicator_row(project_code: str, item: dict[str, str], raw: RawResponse) -> dict:
    base = _decimal(item.get("base"), "base_value", raw.url)
    target = _decimal(item.get("target"), "target_value", raw.url)
    reached = _decimal(item.get("reached"), "reached_value", raw.url)
    return {
        "project_code": project_code,
        "indicator_no": int(item["indicator_no"]),
        "indicator_name": item["name"],
        "unit": item.get("unit") or None,
        "base_value": base,
        "target_value": target,
        "reached_value": reached,
        "is_target_reached": (reached >= target)
        if reached is not None and target is not None
        else None,
        **_provenance(raw),
    }


def _procurement_row(project_code: str, item: dict, currency: str, raw: RawResponse) -> dict:
    estimated = _amount(item.get("estimated"), "amount_estimated", raw.url)
    funded = _amount(item.get("contract_value"), "amount_contract_funded", raw.url)
    return {
        "project_code": project_code,
        "procurement_no": int(item["offer_no"]),
        "subject": item.get("subject"),
        "currency_original": currency,
        **_money_fields("amount_estimated", estimated, currency),
        "lot_no": int(item["position_no"]) if item.get("position_no") else 0,
        "lot_name": item.get("position_name"),
        "contractor_name": item.get("contractor"),
        **_money_fields("amount_contract_funded", funded, currency),
        **_provenance(raw),
    }


def _correction_row(
    project_code: str, no: int, item: dict, currency: str, raw: RawResponse
) -> dict:
    return {
        "project_code": project_code,
        "correction_no": no,
        "reason": item.get("reason") or None,
        "correction_percent": _decimal(item.get("percent"), "correction_percent", raw.url),
        "currency_original": currency,
        **_money_fields(
            "amount_grant", _amount(item.get("grant"), "amount_grant", raw.url), currency
        ),
        **_money_fields("amount_own", _amount(item.get("own"), "amount_own", raw.url), currency),
        **_money_fields(
            "amount_total", _amount(item.get("total"), "amount_total", raw.url), currency
        ),
        "contractor_contract": item.get("contract") or None,
        **_provenance(raw),
    }


def _money(value: Decimal | None) -> float | None:
    """Amounts travel in DataFrames as floats already rounded to cents; DuckDB stores DECIMAL(18,2)."""
    return None if value is None else float(value)


def _provenance(raw: RawResponse) -> dict:
    return {
        "source_url": raw.url,
        "fetched_at": parse_timestamp(raw.fetched_at),
        "content_sha256": raw.sha256,
    }
