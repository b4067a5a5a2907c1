"""Rows of ИСУН's bulk sources (the open-data API and the register export) as table rows.

Pure functions over the dicts `sources.isun_opendata` and `sources.isun_register_export`
yield, one row at a time, so a programme of tens of thousands of projects never has to
be held whole:

- `api_project_row`, `api_contract_row`, `entity_row`, `api_place_rows`: the API's projects
  (keyed by the proposal code, i.e. the contract code without `-Cnn`), its contractor
  contracts and its entities. The JSON states no currency; ИСУН has published amounts in
  EUR since the changeover (2026-01-01), so an answer generated on or after it is read as
  EUR and one generated before as BGN, and the basis is kept in `currency_basis`.
- `export_row`: one row of the register export (amounts in EUR in 2026).
- `claims_from_api`, `claims_from_export`: what each says about a project, for
  `transforms.linking`, which reconciles them row by row (differences go to
  `project_conflicts`) and with the contract pages, on the proposal code.

Entities without a Bulgarian ЕИК (9 or 13 digits) are natural persons or cannot be told
from them: their name, address and number are never published, nor the name and
description of projects they are the beneficiary of (those often name the person).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

import pandas as pd

from records.raw import RawResponse
from transforms.amounts import AmountError, parse_amount, round_cents, to_bgn, to_eur
from transforms.codes import CodeError, parse_code
from transforms.dates import parse_date
from transforms.gazetteer import resolve_place
from transforms.isun_location import isun_location_places

CHANGEOVER = "2026-01-01"
_EIK = re.compile(r"^(\d{9}|\d{13})$")
_CONTRACT_KEY = re.compile(r"^(?P<project>[^()]+?)\s*\((?P<number>.*)\)\s*$")
_PERSONAL_ID = re.compile(r"(?<!\d)\d{10}(?!\d)")


class BulkRowError(ValueError):
    """A bulk row that cannot be read; the message names the source, the field and the value
    (kept apart in `field` and `value` for the quarantine row)."""

    def __init__(self, message: str, field: str | None = None, value=None):
        super().__init__(message)
        self.field, self.value = field, value


# Amounts are DECIMAL(18,2): 16 digits before the point. Larger is out of range, never cast.
MAX_AMOUNT = Decimal(10) ** 16
MAX_DURATION_MONTHS = 1200
_DURATION = re.compile(r"^(?P<n>\d{1,4})(?:[.,]0+)?\s*(?:месец[аи]?|мес\.?|м\.|months?)?\.?$", re.I)

# The API's row shapes (`ExportOpenDataXmlClasses.cs` in camelCase): fields whose value is a
# list of objects or one object. A row with anything else there is set aside, not guessed at.
API_SHAPES: dict[str, dict[str, str]] = {
    "projects": {
        "placeOfExecution": "list",
        "actuallyPaidAmounts": "list",
        "partners": "list",
        "projectBeneficiary": "object",
    },
    "contracts": {"subcontractEntities": "list"},
    "entities": {},
}
_KINDS = {
    str: "a string",
    int: "a number",
    float: "a number",
    Decimal: "a number",
    bool: "a boolean",
}


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return _KINDS.get(type(value), type(value).__name__)


def check_row_shape(item, array: str, source: str) -> dict:
    """The item if it is an object whose container fields have the API's shape, else BulkRowError."""
    if not isinstance(item, dict):
        raise BulkRowError(
            f"{source}: {array}[] item is {_kind(item)} {_short(item)}, not an object",
            f"{array}[]",
            "null" if item is None else item,
        )
    for key, kind in API_SHAPES[array].items():
        value = item.get(key)
        if value is None:
            continue
        if kind == "object" and not isinstance(value, dict):
            raise BulkRowError(
                f"{source}: field {array}[].{key} is {_kind(value)} {_short(value)}, not an object",
                f"{array}[].{key}",
                value,
            )
        if kind == "list":
            if not isinstance(value, list):
                raise BulkRowError(
                    f"{source}: field {array}[].{key} is {_kind(value)} {_short(value)}, not a list",
                    f"{array}[].{key}",
                    value,
                )
            for element in value:
                if not isinstance(element, dict):
                    raise BulkRowError(
                        f"{source}: field {array}[].{key}[] holds {_kind(element)} "
                        f"{_short(element)}, not an object",
                        f"{array}[].{key}[]",
                        element,
                    )
    for key, value in item.items():
        if isinstance(value, dict | list) and key not in API_SHAPES[array]:
            raise BulkRowError(
                f"{source}: field {array}[].{key} is {_kind(value)}, not a value",
                f"{array}[].{key}",
                value,
            )
    return item


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def api_currency(generated_at: str | None, fetched_at: str) -> tuple[str, str]:
    """(currency, basis) for an API answer: EUR when generated (else fetched) on/after the changeover."""
    when = (generated_at or fetched_at or "")[:10]
    basis = "generatedAt" if generated_at else "fetched_at"
    return ("EUR" if when >= CHANGEOVER else "BGN"), f"{basis} {when} vs changeover {CHANGEOVER}"


def _date(value, field: str, source: str) -> date | None:
    """An API date (`2019-01-18T00:00:00`; .NET's `0001-01-01` is no date), else BulkRowError."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BulkRowError(
            f"{source}: field {field} is {_kind(value)} {_short(value)}: not a date", field, value
        )
    try:
        return parse_date(str(value)[:10])
    except ValueError as exc:
        raise BulkRowError(
            f"{source}: field {field} is {value!r}: not a date", field, value
        ) from exc


def _amount(value, field: str, source: str, notes: list[str] | None = None) -> Decimal | None:
    """An amount as a Decimal. A number is taken as it is; text is read the way pages write
    amounts (`1 000,50`), noted in `notes` as read leniently; beyond DECIMAL(18,2) (20 digits,
    `1e999`), not finite, or not an amount at all: BulkRowError naming the field and value."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BulkRowError(
            f"{source}: field {field} is {_kind(value)} {_short(value)}: not an amount",
            field,
            value,
        )
    if isinstance(value, str):
        try:
            amount = parse_amount(value)
        except AmountError as exc:
            raise BulkRowError(
                f"{source}: field {field} is {value!r}: not an amount", field, value
            ) from exc
        if amount is None:
            return None
        if notes is not None and value.strip() != str(amount):
            notes.append(f"{field} {value!r} read as {amount}")
    else:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise BulkRowError(
            f"{source}: field {field} is {_short(value)}: out of range (at most 16 digits before the point)",
            field,
            value,
        )
    return amount


def _duration(value, field: str, source: str, notes: list[str] | None = None) -> int | None:
    """Months as an integer: `18`, `18.0`, or `18 месеца` (noted as read leniently)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BulkRowError(
            f"{source}: field {field} is {_kind(value)} {_short(value)}: not a number of months",
            field,
            value,
        )
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if not m:
            raise BulkRowError(
                f"{source}: field {field} is {value!r}: not a number of months", field, value
            )
        months = int(m.group("n"))
        if notes is not None and value.strip() != str(months):
            notes.append(f"{field} {value!r} read as {months}")
    else:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not number.is_finite() or number != number.to_integral_value():
            raise BulkRowError(
                f"{source}: field {field} is {_short(value)}: not a whole number of months",
                field,
                value,
            )
        months = int(number) if abs(number) <= MAX_DURATION_MONTHS else MAX_DURATION_MONTHS + 1
    if not 0 <= months <= MAX_DURATION_MONTHS:
        raise BulkRowError(
            f"{source}: field {field} is {_short(value)}: out of range (0 to {MAX_DURATION_MONTHS} months)",
            field,
            value,
        )
    return months


def _amounts(stem: str, amount: Decimal | None, currency: str) -> dict:
    return {
        stem: round_cents(amount) if amount is not None else None,
        f"{stem}_eur": to_eur(amount, currency),
        f"{stem}_bgn": to_bgn(amount, currency),
    }


def _text(value) -> str | None:
    """Runs of whitespace to one space, trimmed (str.split is regex `\\s+` at C speed); None if empty."""
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def is_eik(uin) -> bool:
    return bool(_EIK.match(str(uin or "").strip()))


def _code_parts(code: str, field: str, source: str) -> dict:
    try:
        parsed = parse_code(code)
    except CodeError as exc:
        raise BulkRowError(
            f"{source}: field {field} is {code!r}: not a project code", field, code
        ) from exc
    if not parsed.is_project:
        raise BulkRowError(
            f"{source}: field {field} is {code!r}: a procedure code, not a project's", field, code
        )
    proposal = parsed.code if parsed.contract_no is None else parsed.code.rsplit("-", 1)[0]
    return {
        "proposal_code": proposal,
        "programme_code": parsed.programme_code,
        "procedure_code": parsed.procedure_code,
        "code_flags": ";".join(parsed.flags) or None,
    }


def api_row_fingerprint(project: dict) -> str:
    """A short digest of an API project's status, amounts, dates and name: a change in it sends
    the project's crawled contracts to the front of the page queue."""

    def cents(value):
        if value is None or value == "":
            return None
        try:
            return str(round_cents(Decimal(str(value))))
        except ArithmeticError:  # not a number (a screened row): its text stands for it
            return str(value)

    if not isinstance(project, dict):
        return hashlib.sha256(repr(project).encode()).hexdigest()[:16]
    amounts = project.get("actuallyPaidAmounts")
    paid = [
        a.get("value")
        for a in (amounts if isinstance(amounts, list) else [])
        if isinstance(a, dict) and a.get("value") is not None
    ]
    try:
        paid_total = cents(sum(Decimal(str(v)) for v in paid)) if paid else None
    except ArithmeticError:
        paid_total = "|".join(map(str, paid))
    values = [
        _text(project.get("status")),
        cents(project.get("totalValue")),
        paid_total,
        str(project.get("initialDate") or "")[:10],
        str(project.get("endDate") or "")[:10],
        str(project.get("durationInMonths")),
        _text(project.get("name")),
    ]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()[:16]


def entity_row(entity: dict, provenance: dict) -> dict:
    """One entity; without an ЕИК nothing personal is kept, only where it is (municipality, district)."""
    source = provenance["source_url"]
    check_row_shape(entity, "entities", source)
    entity_id = _text(entity.get("entityId"))
    if not entity_id:
        raise BulkRowError(
            f"{source}: entities[].entityId is {entity.get('entityId')!r}",
            "entities[].entityId",
            entity.get("entityId"),
        )
    uin = _text(entity.get("entityUin"))
    has_eik = is_eik(uin)
    municipality_text, district_text = (
        _text(entity.get("entityMunicipality")),
        _text(entity.get("entityDistrict")),
    )
    district = _resolve(district_text, "district") if district_text else None
    district_nuts3 = district["nuts3"] if district and district["level"] == "district" else None
    place = (
        _resolve(municipality_text, "municipality", district_nuts3) if municipality_text else None
    )
    municipality_code = (
        place["lau_code"]
        if place and place["level"] == "municipality" and not place["ambiguous"]
        else None
    )
    nuts3 = place["nuts3"] if municipality_code else district_nuts3
    return {
        "entity_id": entity_id,
        "entity_type": "legal" if has_eik else "without_eik",
        "eik": uin if has_eik else None,
        "name": _text(entity.get("entityName")) if has_eik else None,
        "address": _text(entity.get("entityAddress")) if has_eik else None,
        "zip_code": _text(entity.get("entityZipCode")) if has_eik else None,
        "city": _text(entity.get("entityCity")) if has_eik else None,
        "municipality_text": municipality_text,
        "district_text": district_text,
        "municipality_code": municipality_code,
        "district_code": nuts3,
        **provenance,
    }


def _api_beneficiary(project: dict, entities: dict[str, dict]) -> dict:
    """The beneficiary's fields; a natural person (or an unknown entity) keeps no name or ЕИК."""
    beneficiary_id = _text((project.get("projectBeneficiary") or {}).get("entityId"))
    beneficiary = entities.get(beneficiary_id or "")
    is_person = beneficiary is None or beneficiary["entity_type"] != "legal"
    return {
        "project_name": None if is_person else _text(project.get("name")),
        "description": None if is_person else _text(project.get("description")),
        "beneficiary_entity_id": beneficiary_id,
        "beneficiary_eik": None if is_person else beneficiary["eik"],
        "beneficiary_name": None if is_person else beneficiary["name"],
        "beneficiary_without_eik": is_person,
    }


def _api_money(
    project: dict, paid_values: list[Decimal], currency: str, source: str, notes: list[str]
) -> dict:
    """Total, beneficiary funding and the sum of paid amounts, each in its currency, BGN and EUR."""
    paid_total = sum(paid_values, Decimal(0)) if paid_values else None
    if paid_total is not None and abs(paid_total) >= MAX_AMOUNT:
        raise BulkRowError(
            f"{source}: field actuallyPaidAmounts[].value sums to {paid_total}: out of range",
            "actuallyPaidAmounts[].value",
            str(paid_total),
        )
    return {
        **_amounts(
            "amount_total",
            _amount(project.get("totalValue"), "totalValue", source, notes),
            currency,
        ),
        **_amounts(
            "amount_beneficiary_funding",
            _amount(project.get("beneficiaryFunding"), "beneficiaryFunding", source, notes),
            currency,
        ),
        **_amounts("amount_paid", paid_total, currency),
        "paid_amounts_count": len(paid_values),
    }


def api_project_row(
    project: dict,
    programme: dict,
    entities: dict[str, dict],
    currency: str,
    currency_basis: str,
    provenance: dict,
) -> dict:
    """One API project. `entities`: entity_id -> entity row (for the beneficiary's ЕИК and name)."""
    source = provenance["source_url"]
    check_row_shape(project, "projects", source)
    code = _text(project.get("id"))
    if not code:
        raise BulkRowError(
            f"{source}: projects[].id is {project.get('id')!r}", "projects[].id", project.get("id")
        )
    parts = _code_parts(code, "projects[].id", source)
    notes: list[str] = []
    paid_values = [
        _amount(a.get("value"), "actuallyPaidAmounts[].value", source, notes)
        for a in (project.get("actuallyPaidAmounts") or [])
    ]
    paid_values = [v for v in paid_values if v is not None]
    places = [_text(p.get("municipality")) for p in (project.get("placeOfExecution") or [])]
    places = [p for p in places if p]
    start = _date(project.get("initialDate"), "projects[].initialDate", source)
    end = _date(project.get("endDate"), "projects[].endDate", source)
    row = {
        **parts,
        "project_code_original": code,
        "isun_programme_id": programme["programme_id"],
        "isun_period_id": programme["period_id"],
        "programme_name": programme.get("name"),
        **_api_beneficiary(project, entities),
        "funding_source": _text(project.get("sourceofFunding")),
        "partner_entity_ids": ";".join(
            p["entityId"] for p in (project.get("partners") or []) if p.get("entityId")
        )
        or None,
        "decision_date": _date(
            project.get("dateofDecisionforFunding"), "projects[].dateofDecisionforFunding", source
        ),
        "start_date": start,
        "end_date": end,
        "duration_months": _duration(
            project.get("durationInMonths"), "projects[].durationInMonths", source, notes
        ),
        "status": _text(project.get("status")),
        "currency_original": currency,
        "currency_basis": currency_basis,
        **_api_money(project, paid_values, currency, source, notes),
        "location": "; ".join(places) or None,
        "generated_at": programme.get("generated_at"),
        "lenient_values": "; ".join(notes) or None,
        **provenance,
    }
    row["row_fingerprint"] = api_row_fingerprint(project)
    return row


@lru_cache(maxsize=20_000)
def _places_of(location: str | None) -> tuple[dict, ...]:
    # The same few thousand place strings recur across ~80 000 projects.
    return tuple(isun_location_places(location))


@lru_cache(maxsize=20_000)
def _resolve(text: str, level: str, nuts3: str | None = None) -> dict:
    return resolve_place(text, level, nuts3=nuts3)


def place_keys(location: str | None) -> set[tuple[str, str]]:
    """The (level, text) of every place `api_place_rows` gives for a project at `location`."""
    return {(place["level"], place["text"]) for place in _places_of(location)}


def api_place_rows(project_row: dict) -> list[dict]:
    """The gazetteer's places of one API project's `placeOfExecution` (as `project_places` does for pages)."""
    seen, out = set(), []
    for place in _places_of(project_row["location"]):
        key = (place["level"], place["text"])
        if key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "proposal_code": project_row["proposal_code"],
                **place,
                **{k: project_row[k] for k in ("source_url", "fetched_at", "content_sha256")},
            }
        )
    return out


def api_contract_row(
    contract: dict, entities: dict[str, dict], currency: str, provenance: dict
) -> dict:
    """One contractor contract; `contractId` is `<project id>(<contract number>)`."""
    source = provenance["source_url"]
    check_row_shape(contract, "contracts", source)
    key = _text(contract.get("contractId"))
    if not key:
        raise BulkRowError(
            f"{source}: contracts[].contractId is {contract.get('contractId')!r}",
            "contracts[].contractId",
            contract.get("contractId"),
        )
    notes: list[str] = []
    m = _CONTRACT_KEY.match(key)
    project_code = m.group("project") if m else key
    parts = _code_parts(project_code, "contracts[].contractId", source)
    contractor_id = _text(contract.get("entityId"))
    contractor = entities.get(contractor_id or "")
    has_eik = contractor is not None and contractor["entity_type"] == "legal"
    subcontractors = [
        s.get("entityId") for s in (contract.get("subcontractEntities") or []) if s.get("entityId")
    ]
    return {
        "contract_key": key,
        "proposal_code": parts["proposal_code"],
        "contract_number": _text(m.group("number")) if m else None,
        "contractor_entity_id": contractor_id,
        "contractor_entity_type": _text(contract.get("entityType")),
        "contractor_eik": contractor["eik"] if has_eik else None,
        "contractor_name": contractor["name"] if has_eik else None,
        "signature_date": _date(contract.get("signatureDate"), "contracts[].signatureDate", source),
        "start_date": _date(contract.get("initialDate"), "contracts[].initialDate", source),
        "end_date": _date(contract.get("endDate"), "contracts[].endDate", source),
        "description": _text(contract.get("description")),
        "currency_original": currency,
        **_amounts(
            "amount",
            _amount(contract.get("amount"), "contracts[].amount", source, notes),
            currency,
        ),
        "subcontractor_entity_ids": ";".join(subcontractors) or None,
        "lenient_values": "; ".join(notes) or None,
        **provenance,
    }


_BENEFICIARY = re.compile(r"^(?P<uin>\d+)\s+(?P<name>.+)$")
# The export's column of each amount (for messages; the names are read in sources.isun_register_export).
EXPORT_HEADERS = {
    "amount_total": "Обща стойност",
    "amount_grant": "БФП",
    "amount_own": "Собствено съфинансиране от бенефициента",
    "amount_paid": "Реално изплатени суми",
}


def export_row(row: dict, currency: str, provenance: dict) -> dict:
    """One register-export row, typed; the beneficiary cell is `<ЕИК> <name>`."""
    source = f"{provenance['source_url']} row {row.get('row_no')}"
    code = _text(row.get("proposal_code"))
    if not code:
        raise BulkRowError(
            f"{source}: column 'Номер на проектно предложение' is empty",
            "Номер на проектно предложение",
            row.get("proposal_code"),
        )
    parts = _code_parts(code, "Номер на проектно предложение", source)
    beneficiary = _text(row.get("beneficiary")) or ""
    m = _BENEFICIARY.match(beneficiary)
    eik = m.group("uin") if m and is_eik(m.group("uin")) else None
    notes: list[str] = []
    duration = _duration(row.get("duration_months"), "Продължителност (месеци)", source, notes)
    out = {
        **parts,
        "project_code_original": code,
        "programme_text": _text(row.get("programme")),
        "beneficiary_eik": eik,
        "beneficiary_name": _text(m.group("name")) if eik else None,
        "beneficiary_without_eik": eik is None,
        "organisation_type": _text(row.get("organisation_type")),
        "organisation_kind": _text(row.get("organisation_kind")),
        "organisation_form": _text(row.get("organisation_form")),
        "seat": _text(row.get("seat")) if eik else None,
        "location": _text(row.get("location")),
        "project_name": _text(row.get("project_name")) if eik else None,
        "currency_original": currency,
        "duration_months": duration,
        "status": _text(row.get("status")),
        "row_no": row.get("row_no"),
        **provenance,
    }
    for stem in ("amount_total", "amount_grant", "amount_own", "amount_paid"):
        column = EXPORT_HEADERS[stem]
        out.update(_amounts(stem, _amount(row.get(stem), column, source, notes), currency))
    out["lenient_values"] = "; ".join(notes) or None
    if out["project_name"] and _PERSONAL_ID.search(out["project_name"]):
        out["project_name"] = _PERSONAL_ID.sub("**********", out["project_name"])
    return out


# -- claims for linking -----------------------------------------------------------------


def _claims(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    from transforms.linking import CLAIM_COLUMNS

    if df.empty:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    return pd.DataFrame(
        {
            "source_kind": kind,
            "source_url": df["source_url"],
            "fetched_at": df["fetched_at"],
            "content_sha256": df["content_sha256"],
            "project_code": df["proposal_code"],
            "title": df["project_name"],
            "beneficiary": df["beneficiary_name"],
            "amount_total_bgn": df["amount_total_bgn"],
            "amount_total_eur": df["amount_total_eur"],
            "amount_eu_bgn": None,
            "amount_national_bgn": None,
            "start_date": df["start_date"] if "start_date" in df else None,
            "end_date": df["end_date"] if "end_date" in df else None,
            "duration_months": df["duration_months"],
            "amount_paid_eur": df["amount_paid_eur"],
            "status": df["status"],
        },
        columns=CLAIM_COLUMNS,
    )


CLAIM_SOURCE_COLUMNS = [
    "source_url",
    "fetched_at",
    "content_sha256",
    "proposal_code",
    "project_name",
    "beneficiary_name",
    "amount_total_bgn",
    "amount_total_eur",
    "duration_months",
    "amount_paid_eur",
    "status",
]


def claims_from_api(projects: pd.DataFrame) -> pd.DataFrame:
    return _claims(projects, "isun-api")


def claims_from_export(rows: pd.DataFrame) -> pd.DataFrame:
    return _claims(rows, "isun-export")


def provenance(record: RawResponse) -> dict:
    """The provenance columns of every row read from one archived answer."""
    return {
        "source_url": record.url,
        "fetched_at": _timestamp(record.fetched_at),
        "content_sha256": record.sha256,
    }


@lru_cache(maxsize=64)
def _timestamp(fetched_at: str) -> pd.Timestamp:
    # Asked once per row; an answer's rows share one fetch time (Timestamps are immutable).
    return pd.Timestamp(fetched_at)


def _raw_value(value) -> str | None:
    """A value as it was read, for the quarantine's `value` column (text as is, else JSON)."""
    if value is None:
        return None
    if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 500 else text[:499] + "…"


def bulk_quarantine_row(table: str, key, exc: Exception, record: RawResponse) -> dict:
    """A bulk row that could not be read, as a quarantine row (rule `bulk_row_unreadable`):
    the field and the raw value when the error names them, the message naming the source."""
    return {
        "table_name": table,
        "record_key": key,
        "rule": "bulk_row_unreadable",
        "field": getattr(exc, "field", None),
        "value": _raw_value(getattr(exc, "value", None)),
        "message": str(exc)[:1000],
        **provenance(record),
    }


def bulk_response_row(table: str, key: str, reason: str, message: str, record: RawResponse) -> dict:
    """A whole bulk answer set aside (rule `bulk_response_set_aside`): `value` is the reason,
    `message` what the release uses instead (the older answer, and since when it is stale)."""
    return {
        "table_name": table,
        "record_key": key,
        "rule": "bulk_response_set_aside",
        "field": None,
        "value": reason[:500],
        "message": message[:1000],
        **provenance(record),
    }


def export_currency(fetched_at: str) -> str:
    """The register export's currency: euro from 2026-01-01 (the day Bulgaria changed over)."""
    return "EUR" if fetched_at[:10] >= "2026-01-01" else "BGN"


def programme_row(programme: dict, total, published: int, record: RawResponse) -> dict:
    """One programme's `isun_api_programmes` row: announced and published project counts."""
    return {
        "isun_programme_id": programme["programme_id"],
        "isun_period_id": programme["period_id"],
        "programme_name": programme["name"],
        "total_projects": int(total) if total is not None else None,
        "projects_published": published,
        "generated_at": programme["generated_at"],
        **provenance(record),
    }


def unfetched_programme_rows(names: dict[tuple[str, str], str], fetched_rows: list[dict]) -> list:
    """Programmes listed but never fetched yet: rows with no counts, so coverage names them."""
    fetched = {(r["isun_programme_id"], r["isun_period_id"]) for r in fetched_rows}
    return [
        {
            "isun_programme_id": programme_id,
            "isun_period_id": period_id,
            "programme_name": name,
            "total_projects": None,
            "projects_published": 0,
            "generated_at": None,
            "source_url": None,
            "fetched_at": None,
            "content_sha256": None,
        }
        for (programme_id, period_id), name in sorted(names.items())
        if (programme_id, period_id) not in fetched
    ]
