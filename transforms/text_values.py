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
from decimal import Decimal

from transforms.amounts import AmountError, parse_amount
from transforms.codes import CodeError, ParsedCode, parse_code
from transforms.dates import EN_MONTHS, MONTHS
from transforms.dates import date_from_parts as _date

# Thousands separated by space, NBSP, dot, or a line break where a PDF wrapped the number.
_NUMBER = r"\d{1,3}(?:[ \u00a0.\n]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SCALE = r"хил\.|хиляди|млн\.|милиона|милион|млрд\.|милиарда"
_CURRENCY = r"лв\.?|лева|BGN|евро|EUR|€"
AMOUNT_RE = re.compile(
    rf"(?<![\d.,])(?P<number>{_NUMBER})\s*(?P<scale>{_SCALE})?\s*(?P<currency>{_CURRENCY})(?![а-яa-z])",
    re.I,
)
DATE_RE = re.compile(r"(?<!\d)(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?:\s*г\.|\s*г\b)?")
DATE_WORDS_RE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:-?(?:ви|ри|ти|ми))?\s+(?P<month>"
    + "|".join(MONTHS)
    # "10 май 2019 г.", a record's table cell "10 Май, 2019" (a comma after the month), and a day
    # written as an ordinal ("от 1-ви май 2017 до 31-ви декември 2019 година")
    + r"),?\s+(?P<y>\d{4})(?:\s*г\.|\s*г\b)?",
    re.I,
)
MONTH_PERIOD_RE = re.compile(
    r"(?P<m1>\d{1,2})/(?P<y1>\d{4})\s*[-–—]\s*(?P<m2>\d{1,2})/(?P<y2>\d{4})"
)
YEAR_PERIOD_RE = re.compile(
    r"(?<!\d)(?P<y1>(?:19|20)\d\d)\s*(?:г\.)?\s*[-–—]\s*(?P<y2>(?:19|20)\d\d)(?!\d)"
)
DURATION_RE = re.compile(r"(?<!\d)(?P<n>\d{1,3})\s*(?:-?\s*)(?:месеца|месец|мес\.)", re.I)
CODE_RE = re.compile(
    r"[BВ][GГ](?:\s?\d{2,3}[A-ZА-Я0-9]{2,8}|-RRP)\s?[-–—]?\s?\d{1,2}(?:\.\d{1,3}){1,2}"
    r"(?:\s?[-–—]\s?\d{3,5}(?:\s?[-–—]?\s?[CС]\d{2,4})?)?"
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TIME_RE = re.compile(r"(?<!\d)(?P<h>[01]?\d|2[0-3])[:.](?P<min>[0-5]\d)\s*(?:ч\.|часа)?")

SCALES = {
    "хил.": 1000,
    "хиляди": 1000,
    "млн.": 10**6,
    "милион": 10**6,
    "милиона": 10**6,
    "млрд.": 10**9,
    "милиарда": 10**9,
}


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
            digits_before_decimal = len(
                re.sub(r"\D", "", re.split(r"[.,]\d{1,2}$", m.group("number"))[0])
            )
            if digits_before_decimal >= 4:  # "88 840 000 млн." — the number is already in full
                flags.append("scale_word_ignored")
            else:
                number = number * SCALES[scale]
        found.append(
            Found(
                (number, currency_code(m.group("currency"))), m.start(), m.end(), m.group(0), flags
            )
        )
    return found


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
    return Found(
        (f"{m['y1']}-{int(m['m1']):02d}", f"{m['y2']}-{int(m['m2']):02d}"),
        m.start(),
        m.end(),
        m.group(0),
    )


def months_between(start: str, end: str) -> int:
    (y1, m1), (y2, m2) = (map(int, start.split("-")[:2]), map(int, end.split("-")[:2]))
    return (y2 - y1) * 12 + (m2 - m1)


def find_year_periods(text: str) -> list[Found]:
    return [
        Found((int(m["y1"]), int(m["y2"])), m.start(), m.end(), m.group(0))
        for m in YEAR_PERIOD_RE.finditer(text)
        if int(m["y1"]) <= int(m["y2"])
    ]


def find_duration(text: str) -> Found | None:
    """`18 месеца` -> 18. Where a 'продължителност' phrase holds a date instead, flag it and return None."""
    m = DURATION_RE.search(text)
    if m:
        return Found(int(m["n"]), m.start(), m.end(), m.group(0))
    phrase = re.search(r"[Пп]родължителност\w*[^.\n]{0,40}?(\d{1,2}\.\d{1,2}\.\d{4})", text)
    if phrase:
        return Found(
            None, phrase.start(1), phrase.end(1), phrase.group(1), ["date_instead_of_duration"]
        )
    return None


def find_codes(text: str) -> list[Found]:
    """Project or procedure codes; value = ParsedCode, flags = the repairs made."""
    found = []
    for m in CODE_RE.finditer(text):
        raw = m.group(0).rstrip(" -–—")
        try:
            parsed: ParsedCode = parse_code(
                raw.replace("В", "B", 1) if raw.startswith("В") else raw
            )
        except CodeError:
            continue
        flags = list(parsed.flags) + (
            ["cyrillic_lookalike"]
            if raw.startswith("В") and "cyrillic_lookalike" not in parsed.flags
            else []
        )
        found.append(Found(parsed, m.start(), m.start() + len(raw), raw, flags))
    return found


def find_emails(text: str) -> list[Found]:
    return [Found(m.group(0), m.start(), m.end(), m.group(0)) for m in EMAIL_RE.finditer(text)]


def find_time(text: str) -> Found | None:
    m = TIME_RE.search(text)
    return Found(f"{int(m['h']):02d}:{m['min']}", m.start(), m.end(), m.group(0)) if m else None


# --- Wider finders for the project-facts extractor (sources.extract.facts) --------------------------------------
# They add what real pages write besides the forms above: the currency before the number (`BGN 3 131 821 212`,
# `€1.6M`, `EUR 8 000 000`), English scale words (`million`, `M`), a stray space before the decimals
# (`2 406 118, 45 лв.`), a six-digit tail (`3 977489 лв.`), a missing currency after a "Total cost" label,
# ISO and English dates (`2020-03-26`, `29 Jan, 2016`, `04/30/2016` where the order is unambiguous), a date
# whose last dot is missing (`16.05 2019 г.`) and months without a day (`февруари 2019 г.` -> `2019-02`).

_WIDE_NUMBER = (
    r"\d{1,3}(?:[ \u00a0]\d{3})+[,.][ \u00a0]\d{2}(?!\d)"  # 1 051 605, 90 / 1 946 828. 63 (stray space)
    # 3 977489, 1 234567,89, 1 102934.50 (irregular grouping)
    r"|\d{1,3}[ \u00a0]\d{6}(?:[,.]\d{1,2})?(?!\d)(?![ \u00a0]\d)"
    r"|\d{1,3},[ \u00a0]\d{3}(?![\d,])"  # 325, 459 BGN (a comma and a space between thousands)
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?(?!\d|,\d)"  # 88,410.50 (a comma and a space after it end a clause)
    r"|\d{1,3}(?:[ \u00a0.\n]\d{3})+(?:[.,]\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
)
_WIDE_SCALE = (
    r"хил\.|хиляди|млн\.|милиона|милион|мил\.|млрд\.|милиарда|million|mio|M(?![a-zA-Z])|bn|billion|"
    r"thousand|k(?![a-zA-Z])"
)
# BNG: a typo of BGN, flagged; "533 040 Bulgarian leva" in English texts
_WIDE_CURRENCY_AFTER = r"лв\.?|лева|BGN|BNG|евро|EUR|€|euros?|(?:Bulgarian\s+)?leva"
_WIDE_CURRENCY_BEFORE = r"BGN|EUR|€"
MONEY_AFTER_RE = re.compile(
    rf"(?<![\d.,])(?P<number>{_WIDE_NUMBER})\s*(?P<scale>{_WIDE_SCALE})?\s*"
    rf"(?P<currency>{_WIDE_CURRENCY_AFTER})(?![а-яa-z])",
    re.I,
)
MONEY_BEFORE_RE = re.compile(
    rf"(?P<currency>{_WIDE_CURRENCY_BEFORE})\s?(?P<number>{_WIDE_NUMBER})"
    rf"(?:\s?(?P<scale>{_WIDE_SCALE}))?(?![\d])"
)
WIDE_SCALES = {
    **SCALES,
    "мил.": 10**6,
    "million": 10**6,
    "mio": 10**6,
    "m": 10**6,
    "bn": 10**9,
    "billion": 10**9,
    "thousand": 1000,
    "k": 1000,  # "€452k"
}
ISO_DATE_RE = re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?![\d])")
EN_DATE_RE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s+(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?,?\s+"
    r"(?P<y>(?:19|20)\d\d)(?!\d)"
)
US_DATE_RE = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])")
SPACED_DATE_RE = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\s(?P<y>(?:19|20)\d\d)\s*г")
MONTH_YEAR_RE = re.compile(
    r"(?<![\d\w])(?P<month>"
    + "|".join(MONTHS)
    + r")\s+(?P<y>(?:19|20)\d\d)(?:\s*г\.|\s*г\b|\s*година)?",
    re.I,
)


_BULGARIAN_SCALES = {"хил.", "хиляди", "млн.", "милиона", "милион", "мил.", "млрд.", "милиарда"}


def _wide_number(raw: str) -> tuple[object, list[str]]:
    flags = []
    text = raw.replace("\n", " ")
    if re.fullmatch(r"\d{1,3}(?:[ \u00a0]\d{3})+[,.][ \u00a0]\d{2}", text):
        flags.append("space_before_decimals")
        text = re.sub(r"([,.])[ \u00a0]", r"\1", text)
    elif re.fullmatch(r"\d{1,3}[ \u00a0]\d{6}(?:[,.]\d{1,2})?", text):
        flags.append("irregular_grouping")
        text = text.replace(" ", "").replace("\u00a0", "")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        text = text.replace(",", "")  # 167,730 EUR: three digits after a comma are thousands
    elif re.fullmatch(r"\d{1,3},[ \u00a0]\d{3}", text):
        flags.append("comma_space_grouping")
        text = re.sub(r",[ \u00a0]", "", text)
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{1,2}", text) or re.fullmatch(
        r"\d{1,3}(?:\.\d{3}){2,}", text
    ):
        text = text.replace(".", "").replace(",", ".")  # 130.262.835,00 / 258.504.126
    try:
        return parse_amount(text), flags
    except AmountError:
        return None, flags


# "1 милион 476 хиляди лева", "2 милиона и 300 хил. лв.": millions and thousands said apart
MONEY_COMPOUND_RE = re.compile(
    r"(?<![\d.,])(?P<millions>\d{1,3})\s+(?:милиона|милион|млн\.)\s+(?:и\s+)?(?P<thousands>\d{1,3})\s+"
    r"(?:хиляди|хил\.)\s*(?P<currency>лв\.?|лева|евро)(?![а-я])",
    re.I,
)


def find_money(text: str) -> list[Found]:
    """Amounts in every form the project pages use; value = (Decimal, currency or None), flags say what was read."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for m in MONEY_COMPOUND_RE.finditer(text):
        number = Decimal(m.group("millions")) * 10**6 + Decimal(m.group("thousands")) * 1000
        currency = "EUR" if m.group("currency").lower() == "евро" else "BGN"
        found.append(Found((number, currency), m.start(), m.end(), m.group(0), ["compound_scale"]))
        taken.append((m.start(), m.end()))
    for regex in (MONEY_AFTER_RE, MONEY_BEFORE_RE):
        for m in regex.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            number, flags = _wide_number(m.group("number"))
            if number is None:
                continue
            scale = (m.group("scale") or "").lower()
            if scale in _BULGARIAN_SCALES and re.fullmatch(r"\d{1,3},\d{3}", m.group("number")):
                # "1,164 милиона лева": before a Bulgarian scale word the comma is the decimal one
                number = Decimal(m.group("number").replace(",", ".")) * WIDE_SCALES[scale]
                flags += ["decimal_comma_before_scale", "scaled"]
            elif scale:
                digits = len(re.sub(r"\D", "", re.split(r"[.,]\d{1,2}$", m.group("number"))[0]))
                if digits >= 4:
                    flags.append("scale_word_ignored")
                else:
                    number = number * WIDE_SCALES[scale]
                    flags.append("scaled")
            word = m.group("currency")
            if word.lower() == "bng":
                flags.append("currency_typo")
            currency = (
                "BGN"
                if word.lower().startswith(("лв", "лева", "bgn", "bng", "leva", "bulgarian"))
                else "EUR"
            )
            found.append(Found((number, currency), m.start(), m.end(), m.group(0), flags))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def find_bare_number(text: str) -> Found | None:
    """The first number in `text` with no currency (a table cell after a label such as `Total cost`)."""
    m = re.search(rf"(?<![\d.,])({_WIDE_NUMBER})(?![\d%])", text)
    if not m:
        return None
    number, flags = _wide_number(m.group(1))
    return (
        Found((number, None), m.start(1), m.end(1), m.group(1), flags + ["currency_not_stated"])
        if number
        else None
    )


def find_all_dates(text: str) -> list[Found]:
    """Dates with a day (value `YYYY-MM-DD`) and months with a year only (value `YYYY-MM`), ordered by position."""
    found = [Found(f.value.isoformat(), f.start, f.end, f.text) for f in find_dates(text)]
    for regex, month_of in (
        (ISO_DATE_RE, int),
        (EN_DATE_RE, lambda m: EN_MONTHS[m[:3].lower()]),
        (SPACED_DATE_RE, int),
    ):
        for m in regex.finditer(text):
            value = _date(
                int(m["y"]), month_of(m["m"] if "m" in m.groupdict() else m["month"]), int(m["d"])
            )
            if value is not None:
                found.append(Found(value.isoformat(), m.start(), m.end(), m.group(0)))
    for m in US_DATE_RE.finditer(text):
        if int(m["d"]) > 12 and (value := _date(int(m["y"]), int(m["m"]), int(m["d"]))) is not None:
            found.append(Found(value.isoformat(), m.start(), m.end(), m.group(0), ["us_order"]))
        elif (
            int(m["m"]) > 12 and (value := _date(int(m["y"]), int(m["d"]), int(m["m"]))) is not None
        ):
            # "28/02/2026": the European order where the first number cannot be a month; "01/03/2024"
            # (either order) stays unread
            found.append(Found(value.isoformat(), m.start(), m.end(), m.group(0), ["slash_order"]))
    for m in MONTH_YEAR_RE.finditer(text):
        if any(f.start <= m.start() < f.end for f in found):
            continue
        before = text[max(0, m.start() - 4) : m.start()]
        if re.search(r"\d\s*$", before):
            continue  # "22 ноември 2023" is a full date, found above
        found.append(
            Found(
                f"{m['y']}-{MONTHS[m['month'].lower()]:02d}",
                m.start(),
                m.end(),
                m.group(0),
                ["month_only"],
            )
        )
    unique: dict[tuple[int, int], Found] = {}
    for f in found:
        unique.setdefault((f.start, f.end), f)
    return sorted(unique.values(), key=lambda f: f.start)


NUMBER_WORDS = {
    "един": 1,
    "една": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "четири": 4,
    "пет": 5,
    "шест": 6,
    "седем": 7,
    "осем": 8,
    "девет": 9,
    "десет": 10,
    "дванадесет": 12,
    "осемнадесет": 18,
    "двадесет": 20,
    "двадесет и четири": 24,
    "тридесет": 30,
    "тридесет и шест": 36,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "nine": 9,
    "twelve": 12,
    "eighteen": 18,
    "twenty-four": 24,
    "thirty-six": 36,
}
DURATION_WIDE_RE = re.compile(
    r"(?<![\d.,])(?P<n>\d{1,3}|"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")\s*-?\s*(?P<unit>месеца|месец|мес\.|години|година|months?|years?)(?![а-я])",
    re.I,
)


def find_durations(text: str) -> list[Found]:
    """`18 месеца`, `две години`, `24 months` -> months."""
    out = []
    for m in DURATION_WIDE_RE.finditer(text):
        n = int(m["n"]) if m["n"].isdigit() else NUMBER_WORDS[m["n"].lower()]
        months = n * 12 if m["unit"].lower().startswith(("год", "year")) else n
        out.append(Found(months, m.start(), m.end(), m.group(0)))
    return out
