"""Municipal strategy documents (seed 004; HTML, PDF or DOCX): measures, financing, stages, adoption."""

from __future__ import annotations

import re

from sources.extract.common import new_record, put
from transforms.dates import parse_date
from transforms.text_values import find_year_periods

# Two-word names: a capitalised second word (Стара Загора) or one of the lower-case ones (Ново село, Долни чифлик).
_MUNICIPALITY = re.compile(
    r"[Оо]бщина\s+([А-Я][а-я]+(?: (?:[А-Я][а-я]+|село|чифлик|баня|поле|извор|дъбник))?)\b"
)
_SECTION = re.compile(r"(?m)^\s*(\d{1,2}(?:\.\d{1,2})*)\.?\s+([А-Я][^\n]{3,120}?)\s*$")
_BULLET = re.compile(r"(?m)^\s*[•▪\-–]\s+(.+?)\s*$")  # noqa: RUF001
_DECISION = re.compile(r"Решение\s*№\s*(\d+)\s*(?:/|от)\s*(\d{1,2}\.\d{1,2}\.\d{4})")
_PROTOCOL = re.compile(r"Протокол\s*№\s*(\d+)\s*(?:/|от)\s*(\d{1,2}\.\d{1,2}\.\d{4})")
_COUNCIL = re.compile(r"(Общински\s+[Сс]ъвет\s*[-–]?\s*[А-Я][а-я]+)")
_STAGE = re.compile(
    r"(Подготвителен\s+етап|Първи\s+етап|Втори\s+етап|Трети\s+етап|Оценка\s+и\s+препланиране|"
    r"Финална\s+оценка|Заключителен\s+етап)",
    re.I,
)
_STAGE_PERIOD = re.compile(
    r"((?:Първото|Второто|Третото|Четвърто(?:то)?)\s+тримесечие\s+на\s+(\d{4})\s*г?\.?|"
    r"(\d{4})\s*[-–—]\s*(\d{4})|(?<!\d)(\d{4})(?!\d))"
)


def _bullets_after(text: str, heading: str) -> list[str]:
    """The bullet list under the first occurrence of `heading` that has one (page titles repeat headings)."""
    for m in re.finditer(heading, text):
        tail = text[m.end() :]
        nxt = _SECTION.search(tail, 1)
        block = tail[: nxt.start()] if nxt else tail
        bullets = [re.sub(r"\s+", " ", b).rstrip(";.") for b in _BULLET.findall(block)]
        if bullets:
            return bullets
    return []


def extract(text: str) -> dict:
    record = new_record("strategy")
    if m := _MUNICIPALITY.search(text):
        record["municipality"] = f"Община {m.group(1)}"
        put(record, "municipalities", [m.group(1)], span=(m.start(), m.end(), m.group(0)))
    periods = find_year_periods(text)
    if periods:
        record["period"] = f"{periods[0].value[0]}–{periods[0].value[1]}"
        # the years a plan covers, not a project's start and end dates
        put(record, "period_start_year", periods[0].value[0], periods[0])
        put(record, "period_end_year", periods[0].value[1], periods[0])
    record["sections"] = [f"{n} {t.strip()}" for n, t in _SECTION.findall(text)]
    record["partnership_mechanisms"] = _bullets_after(text, r"Механизми на партньорството\s*\n")
    record["financing_sources"] = _bullets_after(text, r"Източници на финансиране")
    record["stages"] = _stages(text)
    record["decision"] = _decision(text, record)
    record["title"] = next(
        (
            line.strip()
            for line in text.splitlines()
            if re.match(r"\s*(Общинска\s+)?[Сс]тратегия\b", line) and len(line) < 200
        ),
        None,
    )
    return record


def _stages(text: str) -> list[dict]:
    """The stages listed after "Етапи в изпълнението", each with the period written by it."""
    stages_at = re.search(r"Етапи в изпълнението", text)
    if not stages_at:
        return []
    tail = text[stages_at.end() :]
    found = list(_STAGE.finditer(tail))
    stages = []
    for i, s in enumerate(found):
        window = tail[s.end() : found[i + 1].start() if i + 1 < len(found) else len(tail)][:160]
        window = re.split(r"Решение|[Пп]риета|Настоящата", window)[0]
        p = _STAGE_PERIOD.search(window)
        if (
            p is None
        ):  # the period may stand just before the stage's name (table cells read in order)
            before = tail[found[i - 1].end() if i else 0 : s.start()]
            p = next(iter(reversed(list(_STAGE_PERIOD.finditer(before[-40:])))), None)
        stages.append(_stage(s.group(1), p))
    return stages


def _stage(name: str, p) -> dict:
    stage = {
        "name": re.sub(r"\s+", " ", name).capitalize(),
        "period_start": None,
        "period_end": None,
        "period_text": None,
    }
    if p:
        stage["period_text"] = re.sub(r"\s+", " ", p.group(1))
        if p.group(2):
            stage["period_start"] = stage["period_end"] = p.group(2)
        elif p.group(3):
            stage["period_start"], stage["period_end"] = p.group(3), p.group(4)
        else:
            stage["period_start"] = stage["period_end"] = p.group(5)
    return stage


def _decision(text: str, record: dict) -> dict | None:
    """The council's decision adopting the strategy: number, date, protocol, council."""
    decision = {}
    if m := _DECISION.search(text):
        decision.update(number=m.group(1), date=_iso(m.group(2)), text=m.group(0))
        record["spans"]["decision"] = {"start": m.start(), "end": m.end(), "text": m.group(0)}
    if m := _PROTOCOL.search(text):
        decision.update(protocol=m.group(1), protocol_date=_iso(m.group(2)))
    if m := _COUNCIL.search(text):
        decision["council"] = re.sub(r"\s+", " ", m.group(1))
    return decision or None


def _iso(d: str) -> str:
    return parse_date(d).isoformat()
