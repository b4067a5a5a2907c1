"""Values found in free Bulgarian text, each with the span of text it came from.

Amounts with currency and scale (`88 840,80 лв.`, `3 333 333 евро`, `1,2 млн. лв.`, and the
common slip of a full number followed by `млн.`), dates (`18.01.2019`, `22 ноември 2023 г.`),
month periods (`1/2019 - 1/2020`), year periods (`2016–2020`), durations (`18 месеца`),
project and procedure codes (typos repaired and flagged), e-mail addresses. Nothing is
guessed: what is not written is not returned, and every repair is a flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from transforms.amounts import AmountError, parse_amount
from transforms.codes import CodeError, ParsedCode, parse_code

MONTHS = {"януари": 1, "февруари": 2, "март": 3, "април": 4, "май": 5, "юни": 6, "юли": 7, "август": 8,
          "септември": 9, "октомври": 10, "ноември": 11, "декември": 12}
# Thousands separated by space, NBSP, dot, or a line break where a PDF wrapped the number.
_NUMBER = r"\d{1,3}(?:[ \u00a0.\n]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SCALE = r"хил\.|хиляди|млн\.|милиона|милион|млрд\.|милиарда"
_CURRENCY = r"лв\.?|лева|BGN|евро|EUR|€"
AMOUNT_RE = re.compile(rf"(?<![\d.,])(?P<number>{_NUMBER})\s*(?P<scale>{_SCALE})?\s*(?P<currency>{_CURRENCY})(?![а-яa-z])",
                       re.I)
DATE_RE = re.compile(r"(?<!\d)(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?:\s*г\.|\s*г\b)?")
DATE_WORDS_RE = re.compile(r"(?<!\d)(?P<d>\d{1,2})\s+(?P<month>" + "|".join(MONTHS) + r")\s+(?P<y>\d{4})(?:\s*г\.|\s*г\b)?", re.I)
MONTH_PERIOD_RE = re.compile(r"(?P<m1>\d{1,2})/(?P<y1>\d{4})\s*[-–—]\s*(?P<m2>\d{1,2})/(?P<y2>\d{4})")
YEAR_PERIOD_RE = re.compile(r"(?<!\d)(?P<y1>(?:19|20)\d\d)\s*(?:г\.)?\s*[-–—]\s*(?P<y2>(?:19|20)\d\d)(?!\d)")
DURATION_RE = re.compile(r"(?<!\d)(?P<n>\d{1,3})\s*(?:-?\s*)(?:месеца|месец|мес\.)", re.I)
CODE_RE = re.compile(r"[BВ][GГ]\s?\d{2,3}[A-ZА-Я0-9]{2,8}\s?[-–—]?\s?\d{1,2}(?:\.\d{1,3}){1,2}"
                     r"(?:\s?[-–—]\s?\d{3,5}(?:\s?[-–—]?\s?[CС]\d{2,4})?)?")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TIME_RE = re.compile(r"(?<!\d)(?P<h>[01]?\d|2[0-3])[:.](?P<min>[0-5]\d)\s*(?:ч\.|часа)?")

SCALES = {"хил.": 1000, "хиляди": 1000, "млн.": 10**6, "милион": 10**6, "милиона": 10**6,
          "млрд.": 10**9, "милиарда": 10**9}


@dataclass
class Found:
    value: object
    start: int
    end: int
    text: str
    flags: list[str] = field(default_factory=list)

    def span(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


def currency_code(word: str) -> str:
    return "BGN" if word.lower().startswith(("лв", "лева", "bgn")) else "EUR"


def find_amounts(text: str) -> list[Found]:
    """Amounts with a stated currency; value = (Decimal, currency)."""
    found = []
    for m in AMOUNT_RE.finditer(text):
        try:
            number = parse_amount(m.group("number"), ambiguous_ok=bool(m.group("scale")))
        except AmountError:
            continue
        if number is None:
            continue
        flags = []
        scale = (m.group("scale") or "").lower()
        if scale:
            digits_before_decimal = len(re.sub(r"\D", "", re.split(r"[.,]\d{1,2}$", m.group("number"))[0]))
            if digits_before_decimal >= 4:  # "88 840 000 млн." — the number is already in full
                flags.append("scale_word_ignored")
            else:
                number = number * SCALES[scale]
        found.append(Found((number, currency_code(m.group("currency"))), m.start(), m.end(), m.group(0), flags))
    return found


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str) -> list[Found]:
    found = []
    for m in DATE_RE.finditer(text):
        if (value := _date(int(m["y"]), int(m["m"]), int(m["d"]))) is not None:
            found.append(Found(value, m.start(), m.end(), m.group(0)))
    for m in DATE_WORDS_RE.finditer(text):
        if (value := _date(int(m["y"]), MONTHS[m["month"].lower()], int(m["d"]))) is not None:
            found.append(Found(value, m.start(), m.end(), m.group(0)))
    return sorted(found, key=lambda f: f.start)


def find_month_period(text: str) -> Found | None:
    """`1/2019 - 1/2020` -> ("2019-01", "2020-01"): months, no invented days."""
    m = MONTH_PERIOD_RE.search(text)
    if not m or not (1 <= int(m["m1"]) <= 12 and 1 <= int(m["m2"]) <= 12):
        return None
    return Found((f"{m['y1']}-{int(m['m1']):02d}", f"{m['y2']}-{int(m['m2']):02d}"), m.start(), m.end(), m.group(0))


def months_between(start: str, end: str) -> int:
    (y1, m1), (y2, m2) = (map(int, start.split("-")[:2]), map(int, end.split("-")[:2]))
    return (y2 - y1) * 12 + (m2 - m1)


def find_year_periods(text: str) -> list[Found]:
    return [Found((int(m["y1"]), int(m["y2"])), m.start(), m.end(), m.group(0))
            for m in YEAR_PERIOD_RE.finditer(text) if int(m["y1"]) <= int(m["y2"])]


def find_duration(text: str) -> Found | None:
    """`18 месеца` -> 18. Where a 'продължителност' phrase holds a date instead, flag it and return None."""
    m = DURATION_RE.search(text)
    if m:
        return Found(int(m["n"]), m.start(), m.end(), m.group(0))
    phrase = re.search(r"[Пп]родължителност\w*[^.\n]{0,40}?(\d{1,2}\.\d{1,2}\.\d{4})", text)
    if phrase:
        return Found(None, phrase.start(1), phrase.end(1), phrase.group(1), ["date_instead_of_duration"])
    return None


def find_codes(text: str) -> list[Found]:
    """Project or procedure codes; value = ParsedCode, flags = the repairs made."""
    found = []
    for m in CODE_RE.finditer(text):
        raw = m.group(0).rstrip(" -–—")
        try:
            parsed: ParsedCode = parse_code(raw.replace("В", "B", 1) if raw.startswith("В") else raw)
        except CodeError:
            continue
        flags = list(parsed.flags) + (["cyrillic_lookalike"] if raw.startswith("В") and "cyrillic_lookalike"
                                      not in parsed.flags else [])
        found.append(Found(parsed, m.start(), m.start() + len(raw), raw, flags))
    return found


def find_emails(text: str) -> list[Found]:
    return [Found(m.group(0), m.start(), m.end(), m.group(0)) for m in EMAIL_RE.finditer(text)]


def find_time(text: str) -> Found | None:
    m = TIME_RE.search(text)
    return Found(f"{int(m['h']):02d}:{m['min']}", m.start(), m.end(), m.group(0)) if m else None

