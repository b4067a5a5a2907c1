"""Normalise parsed ИСУН pages into the `projects`, `activities` and `quarantine` tables.

Tabs of one contract (BasicData, Activities, FinancialInformation, ... or one
PrintProject) are merged by contractId. Amounts keep the page's text and currency and
gain `_bgn` and `_eur` columns. A row whose values break a rule is not dropped: it goes
to quarantine with the rule, the field, the value and the page it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from sources.isun import ParsedIsunPage
from sources.raw_archive import RawResponse
from transforms.amounts import AmountError, parse_amount, to_bgn, to_eur
from transforms.codes import CodeError, parse_code
from transforms.organisations import parse_organisation
from warehouse.metadata import ACTIVITIES, PROJECT_ORGANISATIONS, PROJECTS, QUARANTINE

PROJECT_AMOUNTS = ("total", "grant", "eu", "national", "own", "paid")
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*г\.?)?$")


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
        default_factory=lambda: pd.DataFrame(columns=PROJECT_ORGANISATIONS.columns))

    def keep_projects(self, codes: set[str]) -> None:
        """Drop participants of projects that did not survive screening (their project row is in quarantine)."""
        self.project_organisations = self.project_organisations[
            self.project_organisations["project_code"].isin(codes)].reset_index(drop=True)


@dataclass
class _Contract:
    key: str
    pages: list[tuple[ParsedIsunPage, RawResponse]] = field(default_factory=list)


def parse_bg_date(text: str | None) -> date | None:
    """`18.01.2019` (optionally followed by `г.`) -> date(2019, 1, 18)."""
    if text is None or not text.strip():
        return None
    m = _DATE.match(text.strip())
    if not m:
        raise ValueError(f"not a date dd.mm.yyyy: {text!r}")
    day, month, year = (int(g) for g in m.groups())
    return date(year, month, day)


def quarantine_row(
    table_name: str, record_key: str | None, rule: str, field_name: str | None, value: str | None,
    message: str, source: RawResponse | None,
) -> dict:
    return {
        "table_name": table_name,
        "record_key": record_key,
        "rule": rule,
        "field": field_name,
        "value": value,
        "message": message,
        "source_url": source.url if source else None,
        "fetched_at": _timestamp(source.fetched_at) if source else None,
        "content_sha256": source.sha256 if source else None,
    }


def build_isun_tables(
    pages: list[tuple[ParsedIsunPage, RawResponse]], page_quarantine: list[dict] | None = None
) -> IsunTables:
    """Merge the tabs of each contract and build typed, validated rows."""
    contracts: dict[str, _Contract] = {}
    for page, raw in sorted(pages, key=lambda pr: pr[1].fetched_at):
        key = page.contract_id or page.url
        contracts.setdefault(key, _Contract(key)).pages.append((page, raw))

    projects, activities, participants = [], [], []
    quarantine = list(page_quarantine or [])
    for contract in contracts.values():
        try:
            project, project_activities = _contract_rows(contract)
        except RowRejected as rej:
            source = _field_source(contract, rej.field) or contract.pages[0][1]
            quarantine.append(quarantine_row(
                "projects", contract.key, rej.rule, rej.field, rej.value, str(rej), source))
            continue
        good_activities = []
        for item in project_activities:
            if isinstance(item, dict) and "rule" in item:
                quarantine.append(item)
            else:
                good_activities.append(item)
        project["activities_count"] = len(good_activities)
        project["is_over_reported"] = any(a["is_over_reported"] for a in good_activities)
        projects.append(project)
        activities.extend(good_activities)
        participants.extend(_participant_rows(contract, project))

    return IsunTables(
        projects=_frame(projects, PROJECTS.columns),
        activities=_frame(activities, ACTIVITIES.columns),
        quarantine=_frame(quarantine, QUARANTINE.columns),
        project_organisations=_frame(participants, PROJECT_ORGANISATIONS.columns).drop_duplicates(
            ["project_code", "role", "organisation_id"]).reset_index(drop=True),
    )


def _participant_rows(contract: _Contract, project: dict) -> list[dict]:
    """The beneficiary (from the basic data) and every listed participant, with organisation ids."""
    rows = []
    if project.get("beneficiary_name"):
        org = parse_organisation(project["beneficiary_name"], project.get("beneficiary_eik"))
        rows.append({"project_code": project["project_code"], "role": "beneficiary",
                     "organisation_id": org.organisation_id, "name_as_published": project["beneficiary_name"],
                     "eik": org.eik, "source_url": project["source_url"], "fetched_at": project["fetched_at"],
                     "content_sha256": project["content_sha256"]})
    page_with_participants = next(((p, r) for p, r in reversed(contract.pages) if p.participants), None)
    if page_with_participants:
        page, raw = page_with_participants
        for item in page.participants:
            if not item.get("name"):
                continue
            text = item["name"] if not item.get("legal_type") or item["legal_type"].lower() in item["name"].lower() \
                else f"{item['legal_type']} {item['name']}"
            org = parse_organisation(text, item.get("eik"))
            rows.append({"project_code": project["project_code"], "role": item["role"],
                         "organisation_id": org.organisation_id, "name_as_published": item["name"], "eik": org.eik,
                         **_provenance(raw)})
    return rows


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return df


def _merged_fields(contract: _Contract) -> dict[str, str]:
    fields: dict[str, str] = {}
    for page, _ in contract.pages:  # oldest first, so the latest fetch wins
        fields.update(page.fields)
    return fields


def _field_source(contract: _Contract, field_name: str | None) -> RawResponse | None:
    for page, raw in reversed(contract.pages):
        if field_name in page.fields or (field_name or "").startswith("amount_") and page.financial:
            return raw
    return None


def _contract_currency(contract: _Contract) -> str:
    stated = {page.currency for page, _ in contract.pages if page.currency}
    if not stated:
        raise RowRejected("currency_missing", "currency_original", None,
                          f"{contract.pages[0][1].url}: no page of contract {contract.key} states its currency "
                          "('Всички суми са в ... (BGN|EUR)'); amounts are never assumed to be in BGN")
    if len(stated) > 1:
        raise RowRejected("currency_conflict", "currency_original", ";".join(sorted(stated)),
                          f"contract {contract.key}: tabs state different currencies {sorted(stated)}")
    return stated.pop()


def _amount(text: str | None, field_name: str, url: str, *, allow_sum: bool = False) -> Decimal | None:
    try:
        if allow_sum and text and " + " in text:
            parts = [parse_amount(p) for p in text.split(" + ")]
            return sum((p for p in parts if p is not None), Decimal(0)) if any(p is not None for p in parts) else None
        value = parse_amount(text)
    except AmountError:
        raise RowRejected("amount_unparseable", field_name, text,
                          f"{url}: field {field_name} has value {text!r}, which is not an amount") from None
    if value is not None and value < 0:
        raise RowRejected("amount_negative", field_name, text, f"{url}: field {field_name} is negative: {text!r}")
    return value


def _contract_rows(contract: _Contract) -> tuple[dict, list[dict]]:
    fields = _merged_fields(contract)
    code_source = _field_source(contract, "project_code")
    if "project_code" not in fields or code_source is None:
        raise RowRejected("project_code_missing", "project_code", None,
                          f"{contract.pages[0][1].url}: contract {contract.key} has no 'Номер на договора/заповедта'")
    try:
        code = parse_code(fields["project_code"])
    except CodeError:
        raise RowRejected("project_code_invalid", "project_code", fields["project_code"],
                          f"{code_source.url}: field project_code has value {fields['project_code']!r}, "
                          "which is not a project code") from None
    if not code.is_project:
        raise RowRejected("project_code_invalid", "project_code", fields["project_code"],
                          f"{code_source.url}: project_code {fields['project_code']!r} is a procedure code, not a contract")
    currency = _contract_currency(contract)

    row: dict = {
        "project_code": code.code,
        "project_code_original": fields["project_code"],
        "code_flags": ";".join(code.flags) or None,
        "programme_code": code.programme_code,
        "procedure_code": code.procedure_code,
        "proposal_no": code.proposal_no,
        "contract_no": code.contract_no,
        "isun_contract_id": contract.key if not contract.key.startswith("http") else None,
        "currency_original": currency,
    }
    for name in ("programme_name", "procedure_name", "project_name", "beneficiary_name",
                 "beneficiary_eik", "status", "location"):
        row[name] = fields.get(name)
    if not row["project_name"]:
        raise RowRejected("required_field_missing", "project_name", None,
                          f"{code_source.url}: contract {contract.key} has no 'Наименование на проекта'")
    for name in ("contract_date", "start_date", "end_date"):
        try:
            row[name] = parse_bg_date(fields.get(name))
        except ValueError:
            raise RowRejected("date_unparseable", name, fields.get(name),
                              f"{code_source.url}: field {name} has value {fields.get(name)!r}, "
                              "which is not a date dd.mm.yyyy") from None
    duration = fields.get("duration_months")
    if duration is not None and not duration.strip().isdigit():
        raise RowRejected("duration_unparseable", "duration_months", duration,
                          f"{code_source.url}: field duration_months has value {duration!r}, which is not a whole number of months")
    row["duration_months"] = int(duration) if duration else None

    financial_page = next(((p, r) for p, r in reversed(contract.pages) if p.financial), None)
    financial = financial_page[0].financial if financial_page else {}
    fin_url = financial_page[1].url if financial_page else code_source.url
    row["funding_source"] = (financial or {}).get("funding_source")
    for stem in PROJECT_AMOUNTS:
        value = _amount((financial or {}).get(stem), f"amount_{stem}", fin_url, allow_sum=True)
        row[f"amount_{stem}"] = _money(value)
        row[f"amount_{stem}_bgn"] = _money(to_bgn(value, currency))
        row[f"amount_{stem}_eur"] = _money(to_eur(value, currency))
    row.update(_provenance(code_source))

    activity_page = next(((p, r) for p, r in reversed(contract.pages) if p.activities), None)
    activity_rows: list[dict] = []
    if activity_page:
        page, raw = activity_page
        for no, item in enumerate(page.activities, start=1):
            try:
                activity_rows.append(_activity_row(code.code, no, item, currency, raw))
            except RowRejected as rej:
                activity_rows.append(quarantine_row(
                    "activities", f"{code.code}#{no}", rej.rule, rej.field, rej.value, str(rej), raw))
    return row, activity_rows


def _activity_row(project_code: str, no: int, item: dict[str, str], currency: str, raw: RawResponse) -> dict:
    text = item["activity_text"]
    name, _, description = text.partition(": ")
    if not name.strip():
        raise RowRejected("required_field_missing", "activity_name", text,
                          f"{raw.url}: activity {no} has no name")
    contracted = _amount(item.get("contracted"), "amount_contracted", raw.url)
    reported = _amount(item.get("reported"), "amount_reported", raw.url)
    row = {
        "project_code": project_code,
        "activity_no": no,
        "activity_name": name.strip(),
        "activity_description": description.strip() or None,
        "currency_original": currency,
        "amount_contracted_text": item.get("contracted"),
        "amount_contracted": _money(contracted),
        "amount_contracted_bgn": _money(to_bgn(contracted, currency)),
        "amount_contracted_eur": _money(to_eur(contracted, currency)),
        "amount_reported_text": item.get("reported"),
        "amount_reported": _money(reported),
        "amount_reported_bgn": _money(to_bgn(reported, currency)),
        "amount_reported_eur": _money(to_eur(reported, currency)),
        "is_over_reported": bool(contracted is not None and reported is not None and reported > contracted),
        "execution_rate": (float(round(reported / contracted, 6))
                           if contracted and reported is not None else None),
    }
    row.update(_provenance(raw))
    return row


def _money(value: Decimal | None) -> float | None:
    """Amounts travel in DataFrames as floats already rounded to cents; DuckDB stores DECIMAL(18,2)."""
    return None if value is None else float(value)


def _provenance(raw: RawResponse) -> dict:
    return {"source_url": raw.url, "fetched_at": _timestamp(raw.fetched_at), "content_sha256": raw.sha256}


def _timestamp(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
