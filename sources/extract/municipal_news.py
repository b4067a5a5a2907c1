"""Municipal news announcing a project in free text (seed 001)."""

from __future__ import annotations

import re

from sources.extract.common import new_record, put, put_codes, put_money, put_places
from transforms.text_values import find_dates, find_duration

_QUOTED = re.compile(r"[„\"“«]([^„“”\"«»]{10,400})[”“\"»]")
_BENEFICIARY = re.compile(
    r"бенефициент(?:а|ът)?\s+((?:Сдружение|Фондация|Община|Читалище|Народно читалище|[А-Я][\w\-]*)"
    r"[^,.;]*?(?:[„\"“][^”“\"]+[”“\"])?(?:\s*[–-]\s*гр\.\s*[А-Я][а-я]+)?)(?=,|\s+започна|\s+стартира|\.)"
)
_PARTNER = re.compile(
    r"((?:Община|Сдружение|Фондация)\s+[„\"“]?[А-Я][^,;]{2,80}?)\s*,?\s+като\s+партньор"
)
_PROGRAMME = re.compile(r"((?:Оперативна\s+)?[Пп]рограма\s+[„\"“][^”“\"]+[”“\"])")
_START = re.compile(r"(започна|стартира|стартираха|начало)", re.I)


def _start_date(text: str):
    """The date nearest before a start verb ("На 18.01.2019 ... започна"), else just after it."""
    dates = find_dates(text)
    for verb in _START.finditer(text):
        before = [d for d in dates if d.end <= verb.start() and verb.start() - d.end <= 160]
        if before:
            return before[-1]
        after = [d for d in dates if d.start >= verb.end() and d.start - verb.end() <= 40]
        if after:
            return after[0]
    return None


def extract(text: str) -> dict:
    record = new_record("municipal-news")
    put_codes(record, text)
    code_span = record["spans"].get("project_code") or record["spans"].get("procedure_code")
    if code_span:
        m = _QUOTED.search(text, code_span["end"], code_span["end"] + 420)
        if m and m.start() - code_span["end"] < 10:
            put(record, "title", m.group(1).strip(), span=(m.start(1), m.end(1), m.group(1)))
    if m := _BENEFICIARY.search(text):
        put(record, "beneficiary", m.group(1).strip(), span=(m.start(1), m.end(1), m.group(1)))
    partners = [m for m in _PARTNER.finditer(text)]
    if partners:
        put(
            record,
            "partners",
            [m.group(1).strip() for m in partners],
            span=(partners[0].start(1), partners[-1].end(1), partners[0].group(1)),
        )
    put_money(record, text)
    if start := _start_date(text):
        put(record, "start_date", start.value.isoformat(), start)
    if duration := find_duration(text):
        if duration.value is not None:
            put(record, "duration_months", duration.value, duration)
        else:
            record["flags"] += duration.flags
    if m := _PROGRAMME.search(text):
        record["programme"] = m.group(1)
        record["spans"]["programme"] = {"start": m.start(1), "end": m.end(1), "text": m.group(1)}
    activities = re.findall(r"(?m)^\s*\d{1,2}\.\s+(.{10,}?)\s*$", text)
    if activities:
        record["activities"] = [re.sub(r"\s+", " ", a) for a in activities]
    put_places(record, text)
    return record
