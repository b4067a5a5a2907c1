"""A project rendered as a record card: rows of "label: value" or "label | value |" (or a label alone on its line and
its value on the next), as municipal project pages, МИГ pages and ИСУН itself print a project.

What belongs here: the labels such cards use, each with the scored field its value gives (or none: a beneficiary,
a signing date, a grant or an own share are card rows that are never a project's total, start or EU share), and the
reader that turns the rows of a card into facts with evidence (rule `record_card`). A card is two or more rows
with known labels close together; one labelled line alone is left to the sentence rules in `sources.extract.facts`.
Every label here is one ИСУН prints (tests/fixtures/isun/isun_labels_bg_en.json, Texts.resx) or one a seed or split
page prints; tests/test_extract_record_card.py asserts that for every label.
What does not belong here: reading values out of running sentences (`sources.extract.facts`), and ИСУН 2014–20
contract pages themselves, which `sources.isun` parses.
"""

from __future__ import annotations

import re

from transforms.amounts import round_cents
from transforms.codes import SCHEME_CODE_IN_TEXT, normalise_scheme_code
from transforms.text_values import (
    find_all_dates,
    find_bare_number,
    find_codes,
    find_durations,
    find_money,
)

# label as printed -> the scored field its value gives; None: a row that is never a scored fact
CARD_LABELS: dict[str, str | None] = {
    # the project's code (ИСУН: "Номер от ИСУН" / "UMIS Number"; pages: "ИД № на проекта", "Номер на проект")
    "Номер от ИСУН": "project_code",
    "UMIS Number": "project_code",
    "Номер на проект от ИСУН": "project_code",
    "Номер на проект": "project_code",
    "ИД № на проекта": "project_code",
    "Номер на договора": "project_code",
    "Номер на договор": "project_code",
    "Регистрационен номер на договора": "project_code",
    # the procedure
    "Код на процедура": "procedure_code",
    "Номер на процедура": "procedure_code",
    "Номер на процедурата": "procedure_code",
    "Procedure Number": "procedure_code",
    "Процедура": "procedure_code",
    # the total
    "Обща стойност на проекта": "amount_total",
    "Total Project cost": "amount_total",
    "Обща стойност": "amount_total",
    "Стойност на проекта": "amount_total",
    "Сума на проекта": "amount_total",
    # the EU share
    "Финансиране от ЕС": "amount_eu",
    "EU Funding": "amount_eu",
    "Съфинансиране от ЕС": "amount_eu",
    "EU co-financing": "amount_eu",
    "Европейско съфинансиране": "amount_eu",
    # the duration
    "Продължителност (месеци)": "duration_months",
    "Duration (months)": "duration_months",
    "Продължителност на проекта": "duration_months",
    "Продължителност": "duration_months",
    "Период на изпълнение": "duration_months",
    "Срок на изпълнение": "duration_months",
    # start and end
    "Дата на стартиране": "start_date",
    "Start Date": "start_date",
    "Дата на начало на операцията": "start_date",
    "Operation Start Date": "start_date",
    "Начална дата": "start_date",
    "Начална дата на изпълнение на проекта": "start_date",
    "Дата на приключване": "end_date",
    "End Date": "end_date",
    "Дата на приключване на операцията": "end_date",
    "Крайна дата на изпълнение на проекта": "end_date",
    # rows that are never a scored fact, whatever their value looks like
    "Бенефициент": None,
    "Beneficiary": None,
    "Източник на финансиране": None,
    "Дата на сключване на договора/заповедта": None,
    "Дата на сключване на договора за безвъзмездна помощ": None,
    "Дата на решение на договарящия орган": None,
    "Обща стойност БФП": None,
    "Одобрени разходи": None,
    "Субсидия": None,
    "Национално съфинансиране": None,
    "Собствено финансиране": None,
    "Собствено съфинансиране от бенефициента": None,
    "Процент на съфинансиране от ЕС": None,
}


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", label).strip().casefold()


_BY_NORM = {_norm(k): v for k, v in CARD_LABELS.items()}
_ROW = re.compile(
    r"(?m)^[^\S\n]*\|?[^\S\n]*(?P<label>[^\n:|]{3,80}?)[^\S\n]*(?:[:|][^\S\n]*(?P<value>[^\n|]*\S)?[^\S\n]*\|?[^\S\n]*)?$"
)
# a card's rows stand within this many characters of each other
_ROW_GAP = 160


def _rows(text: str) -> list[tuple[str, int, int]]:
    """(label, value start, value end) for every line that is a known label with its value, on the line or the next."""
    rows = []
    for m in _ROW.finditer(text):
        label = _norm(m.group("label"))
        if label not in _BY_NORM:
            continue
        if m.group("value"):
            rows.append((label, m.start("value"), m.end("value")))
            continue
        # a label alone (with or without its colon): its value is the next line with text
        nxt = re.match(r"\n[^\S\n]*\n?[^\S\n]*(?P<value>[^\n|]*\S)", text[m.end() :])
        if nxt and _norm(re.sub(r"[:|]\s*$", "", nxt.group("value"))) not in _BY_NORM:
            rows.append((label, m.end() + nxt.start("value"), m.end() + nxt.end("value")))
    return rows


def _cards(rows: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    """Runs of two or more rows with known labels, each within `_ROW_GAP` characters of the last."""
    cards: list[list[tuple[str, int, int]]] = []
    for row in rows:
        if cards and row[1] - cards[-1][-1][2] <= _ROW_GAP:
            cards[-1].append(row)
        else:
            cards.append([row])
    return [c for c in cards if len({label for label, _, _ in c}) >= 2]


def _value_fact(field: str, value: str, months_label: bool):
    """(value, offset in `value`, end, flags, currency) of a cell's value for `field`, or None where the cell does
    not hold one at its start (a cell is read from its first characters; a value further in is another's)."""
    if field in ("amount_total", "amount_eu"):
        money = [m for m in find_money(value) if m.start <= 2]
        if money:
            amount, currency = money[0].value
            return (
                float(round_cents(amount)),
                money[0].start,
                money[0].end,
                money[0].flags,
                currency,
            )
        return None  # never a currency the card does not print
    if field in ("start_date", "end_date"):
        dates = [d for d in find_all_dates(value) if d.start <= 2]
        return (dates[0].value, dates[0].start, dates[0].end, [], None) if dates else None
    if field == "duration_months":
        durations = [d for d in find_durations(value) if d.start <= 2]
        if durations:
            return durations[0].value, durations[0].start, durations[0].end, [], None
        bare = find_bare_number(value)
        if bare and bare.start == 0 and re.fullmatch(r"\d{1,3}", bare.text) and months_label:
            return int(bare.text), bare.start, bare.end, [], None
        return None
    codes = [c for c in find_codes(value) if c.start <= 2]
    if codes:
        parsed = codes[0].value
        if field == "project_code" and parsed.is_project:
            return parsed.code, codes[0].start, codes[0].end, list(codes[0].flags), None
        if field == "procedure_code" and not parsed.is_project:
            return parsed.code, codes[0].start, codes[0].end, list(codes[0].flags), None
        return None
    scheme = SCHEME_CODE_IN_TEXT.match(value)
    if scheme and field == "project_code":
        code, flags = normalise_scheme_code(scheme.group(0))
        return code, 0, scheme.end(), flags, None
    return None


# A bare "Обща стойност" is a project's total only on a card that names a project (its code, its start, end or
# duration): on a procedure's or a priority axis's card ("Номер на процедура" / "Обща стойност") it is their budget.
_GENERIC_TOTAL = _norm("Обща стойност")
_PROJECT_ROWS = {"project_code", "start_date", "end_date", "duration_months"}


def card_facts(
    text: str,
) -> tuple[
    list[tuple[str, object, int, int, str, str, list[str], str | None]], list[tuple[int, int]]
]:
    """The facts of every record card in `text` — (field, value, start, end, snippet, rule, flags, currency) — and
    the cells the card has read or that are never a fact (a beneficiary, a signing date, a grant), where no
    sentence rule should read."""
    out = []
    spans = []
    for card in _cards(_rows(text)):
        names_a_project = any(_BY_NORM[label] in _PROJECT_ROWS for label, _, _ in card)
        for label, start, end in card:
            field = _BY_NORM[label]
            if label == _GENERIC_TOTAL and not names_a_project:
                continue  # left to the sentence rules, as if no card were there
            if field is None:
                spans.append((start, end))
                continue
            cell = text[start:end]
            # "Продължителност (месеци) | 24": a bare number is months only where the label says so
            read = _value_fact(field, cell, "месец" in label or "months" in label)
            if read is None:
                continue
            value, s, e, flags, currency = read
            out.append(
                (
                    field,
                    value,
                    start + s,
                    start + e,
                    cell[s:e],
                    "record_card",
                    list(flags),
                    currency,
                )
            )
            if field == "project_code" and value.startswith("BG"):
                # an ИСУН code names its procedure ("BG06RDNP001-7.001-0056-C01" -> "BG06RDNP001-7.001")
                procedure = next((c.value.procedure_code for c in find_codes(cell[s:e])), None)
                if procedure:
                    out.append(
                        (
                            "procedure_code",
                            procedure,
                            start + s,
                            start + e,
                            cell[s:e],
                            "procedure_of_project_code",
                            list(flags),
                            None,
                        )
                    )
            # (the rest of the cell stays the sentence rules': "12 месеца /от ноември 2003 до ноември 2004/")
            spans.append((start + s, start + e))
    return out, spans
