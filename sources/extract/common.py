"""The normalised record every extractor returns, and the helpers they share."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from transforms.amounts import round_cents, to_bgn, to_eur
from transforms.text_values import Found, find_amounts, find_codes

FIELDS = (
    "kind",
    "project_code",
    "procedure_code",
    "programme_code",
    "title",
    "beneficiary",
    "partners",
    "amount_total",
    "amount_eu",
    "amount_national",
    "currency",
    "amount_total_eur",
    "amount_total_bgn",
    "start_date",
    "end_date",
    "duration_months",
    "municipalities",
    "district",
    "activities",
)
DATA = Path(__file__).resolve().parent.parent.parent / "transforms" / "data"


def new_record(kind: str) -> dict:
    record = {name: None for name in FIELDS}
    record.update(kind=kind, flags=[], spans={})
    return record


def put(
    record: dict,
    name: str,
    value,
    found: Found | None = None,
    span: tuple[int, int, str] | None = None,
) -> None:
    """Set a field with the span of text it came from, and collect the finding's flags."""
    record[name] = value
    if found is not None:
        record["spans"][name] = found.span()
        record["flags"] += [f for f in found.flags if f not in record["flags"]]
    elif span is not None:
        record["spans"][name] = {"start": span[0], "end": span[1], "text": span[2]}


def put_codes(record: dict, text: str) -> None:
    """The first project code (or else procedure code) in the text, with programme and procedure."""
    codes = find_codes(text)
    project = next((c for c in codes if c.value.is_project), None)
    procedure = project or next(iter(codes), None)
    if project:
        put(record, "project_code", project.value.code, project)
    if procedure:
        put(record, "procedure_code", procedure.value.procedure_code, procedure)
        put(record, "programme_code", procedure.value.programme_code, procedure)


_EU = re.compile(r"^\W{0,3}(?:от\s+)?(?:европейско|ЕС\b|Европейския|европейски|от ЕС)", re.I)
_NATIONAL = re.compile(
    r"^\W{0,3}(?:от\s+)?(?:национално|национален|републиканския|националния)", re.I
)
_TOTAL = re.compile(
    r"(?:обща(?:та)?\s+стойност|прогнозна\s+стойност|общ(?:ият)?\s+бюджет|бюджет(?:ът)?|на\s+стойност)",
    re.I,
)


def put_money(record: dict, text: str) -> None:
    """Total, EU and national amounts: the total after a 'стойност'/'бюджет' phrase, the split by the words after."""
    amounts = find_amounts(text)
    if not amounts:
        return
    anchor = _TOTAL.search(text)
    candidates = [a for a in amounts if anchor and 0 <= a.start - anchor.end() <= 120] or []
    total = candidates[0] if candidates else None
    for a in amounts:
        after = text[a.end : a.end + 40]
        if _EU.search(after) and record["amount_eu"] is None:
            put(record, "amount_eu", float(round_cents(a.value[0])), a)
        elif _NATIONAL.search(after) and record["amount_national"] is None:
            put(record, "amount_national", float(round_cents(a.value[0])), a)
    if total is None:
        return
    amount, currency = total.value
    put(record, "amount_total", float(round_cents(amount)), total)
    put(record, "currency", currency, total)
    put(record, "amount_total_bgn", float(to_bgn(amount, currency)), total)
    put(record, "amount_total_eur", float(to_eur(amount, currency)), total)


@lru_cache(maxsize=1)
def districts() -> dict[str, str]:
    with open(DATA / "districts.csv", encoding="utf-8") as fh:
        return {row["district_bg"]: row["nuts3"] for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def municipalities_by_district() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with open(DATA / "municipalities.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["nuts3"], []).append(row["municipality_bg"])
    return out


_NAME = r"[А-Я][а-я]+(?:[ -][А-Я][а-я]+)?"


def put_places(record: dict, text: str) -> None:
    """District (`област Видин`, `Видинска област`) and municipalities (`община X`, `общините X, Y и Z`)."""
    m = re.search(rf"област(?:та)?\s+({_NAME})", text)
    if m and m.group(1) in districts():
        put(record, "district", m.group(1), span=(m.start(), m.end(), m.group(0)))
        stated = re.search(
            r"\(вкл\.\s*(?:всички\s+)?(\d+)[-‑]?т?е?\s+съставни\s+общини\)",
            text[m.end() : m.end() + 60],
        )
        if stated:
            listed = municipalities_by_district().get(districts()[m.group(1)])
            count = int(stated.group(1))
            if listed and len(listed) == count:
                put(
                    record,
                    "municipalities",
                    sorted(listed),
                    span=(
                        m.start(),
                        m.end() + stated.end(),
                        text[m.start() : m.end() + stated.end()],
                    ),
                )
            else:
                record["flags"].append(f"municipalities_of_district_not_listed:{count}")
        return
    names = []
    for m in re.finditer(rf"общин(?:ите|и)\s+((?:{_NAME}(?:,\s*|\s+и\s+))+{_NAME})", text):
        names += re.split(r",\s*|\s+и\s+", m.group(1))
    for m in re.finditer(rf"(?:[Оо]бщина|община)\s+({_NAME})", text):
        names.append(m.group(1))
    if names:
        put(record, "municipalities", sorted(set(names)))
    count = re.search(r"\b(две|три|четири|пет|шест|седем|осем|девет|десет|\d+)\s+общини\b", text)
    if count and not names:
        record["flags"].append(f"municipalities_counted_not_named:{count.group(1)}")
