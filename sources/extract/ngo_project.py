"""NGO project pages written as "label value" blocks (seed 002)."""

from __future__ import annotations

import re

from sources.extract.common import new_record, put, put_codes, put_money, put_places
from transforms.text_values import find_duration, find_month_period, months_between

LABELS = [
    "Референтен номер",
    "Водеща организация",
    "Партньори",
    "Териториален обхват",
    "Продължителност",
    "Цели на проекта",
    "Основни дейности и очаквани резултати",
    "Целева група",
    "Прогнозна стойност на проекта",
    "Стойност на проекта",
    "Обща стойност",
    "Публикации",
    "Донор",
    "Бенефициент",
    "Период",
]
_LABEL_LINE = re.compile(
    r"(?m)^(?P<label>" + "|".join(re.escape(lab) for lab in LABELS) + r")\s*:?\s*(?P<value>.*)$"
)


def _blocks(text: str) -> dict[str, tuple[int, str]]:
    matches = list(_LABEL_LINE.finditer(text))
    blocks = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        blocks.setdefault(m["label"], (m.start("value"), text[m.start("value") : end].strip()))
    return blocks


def extract(text: str) -> dict:
    record = new_record("ngo-project")
    blocks = _blocks(text)
    _put_reference(record, blocks, text)
    if m := re.search(r"(?m)^\s*Проект\s+[„\"“]([^”“\"]+)[”“\"]", text):
        put(record, "title", m.group(1).strip(), span=(m.start(1), m.end(1), m.group(1)))
    _put_organisations(record, blocks)
    if "Териториален обхват" in blocks:
        start, value = blocks["Териториален обхват"]
        put_places(record, value.splitlines()[0])
        for key in ("district", "municipalities"):
            if key in record["spans"]:
                record["spans"][key]["start"] += start
                record["spans"][key]["end"] += start
    _put_period(record, blocks.get("Продължителност") or blocks.get("Период") or (0, ""))
    _put_money_block(record, blocks)
    _put_descriptions(record, blocks)
    return record


def _put_reference(record: dict, blocks: dict, text: str) -> None:
    """Codes from the `Референтен номер` block (else anywhere in the text), spans in the text."""
    reference = blocks.get("Референтен номер")
    put_codes(record, reference[1] if reference else text)
    if reference:
        for key in ("project_code", "procedure_code", "programme_code"):
            if key in record["spans"]:
                s = record["spans"][key]
                s["start"] += reference[0]
                s["end"] += reference[0]


def _put_organisations(record: dict, blocks: dict) -> None:
    """The lead organisation (or beneficiary) and the partners: each block's first line."""
    for label, name in (("Водеща организация", "beneficiary"), ("Бенефициент", "beneficiary")):
        if label in blocks and record["beneficiary"] is None:
            start, value = blocks[label]
            first = value.splitlines()[0].strip()
            put(record, name, first, span=(start, start + len(first), first))
    if "Партньори" in blocks:
        start, value = blocks["Партньори"]
        first = value.splitlines()[0].strip()
        put(
            record,
            "partners",
            [p.strip() for p in re.split(r";|,\s*(?=[А-Я„\"])", first) if p.strip()],
            span=(start, start + len(first), first),
        )


def _put_period(record: dict, period_text: tuple[int, str]) -> None:
    """Start and end months and the duration from the period block; flag them if they disagree."""
    offset, value = period_text
    if period := find_month_period(value):
        span = (offset + period.start, offset + period.end, period.text)
        put(record, "start_date", period.value[0], span=span)
        put(record, "end_date", period.value[1], span=span)
    if duration := find_duration(value):
        if duration.value is not None:
            span = (offset + duration.start, offset + duration.end, duration.text)
            put(record, "duration_months", duration.value, span=span)
        else:
            record["flags"] += duration.flags
    if (
        record["start_date"]
        and record["end_date"]
        and record["duration_months"]
        and months_between(record["start_date"], record["end_date"]) != record["duration_months"]
    ):
        record["flags"].append("period_and_duration_disagree")


def _put_money_block(record: dict, blocks: dict) -> None:
    """The project's value from the first value block there is, spans in the text."""
    money = next(
        (
            blocks[k]
            for k in ("Прогнозна стойност на проекта", "Стойност на проекта", "Обща стойност")
            if k in blocks
        ),
        None,
    )
    if money:
        put_money(
            record, "Обща стойност " + re.split(r"\n\s*\n", money[1])[0]
        )  # a wrapped line (PDF) stays one
        for key, span in record["spans"].items():
            if key.startswith("amount") or key == "currency":
                span["start"] += money[0] - len("Обща стойност ")
                span["end"] += money[0] - len("Обща стойност ")


def _put_descriptions(record: dict, blocks: dict) -> None:
    """Objectives, target groups, activities, publications and the donor programme."""
    if "Цели на проекта" in blocks:
        record["objectives"] = blocks["Цели на проекта"][1]
    if "Целева група" in blocks:
        record["target_groups"] = blocks["Целева група"][1].splitlines()[0].strip()
    if "Основни дейности и очаквани резултати" in blocks:
        first = blocks["Основни дейности и очаквани резултати"][1].splitlines()[0]
        record["activities"] = [a.strip() for a in first.split(";") if a.strip()]
    if "Публикации" in blocks:
        record["publications"] = [
            line.strip() for line in blocks["Публикации"][1].splitlines() if line.strip()
        ]
    if "Донор" in blocks:
        record["programme"] = next(
            (line.strip() for line in blocks["Донор"][1].splitlines() if line.strip()), None
        )
