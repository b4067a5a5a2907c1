"""The one date parser: the date forms our sources write, to `datetime.date`, and ISO 8601 times.

ИСУН pages and strategies write `18.01.2019` (optionally `18.01.2019 г.`), the open-data
API and the register export ISO `2019-01-18` (with a time part; .NET's `0001-01-01` for
no date); the free-text finders (`transforms.text_values`) find day, month and year in
many wordings and build the date here (`date_from_parts`). Month names live here too.
Finding dates inside running text is not this module's job, only turning one into a date.
"""

from __future__ import annotations

import re
from datetime import date, datetime

MONTHS = {
    "януари": 1,
    "февруари": 2,
    "март": 3,
    "април": 4,
    "май": 5,
    "юни": 6,
    "юли": 7,
    "август": 8,
    "септември": 9,
    "октомври": 10,
    "ноември": 11,
    "декември": 12,
}
EN_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*г\.?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_NO_DATE = "0001-01-01"  # .NET's DateTime.MinValue, which the open-data API writes for "no date"


def date_from_parts(year: int, month: int, day: int) -> date | None:
    """The date of these parts, or None where there is no such day (31 February)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    """`18.01.2019`, `18.01.2019 г.`, `2019-01-18` or `2019-01-18T00:00:00` -> date(2019, 1, 18).

    None or blank text and `0001-01-01` are no date (None); anything else that is not one
    of these forms, or names a day that does not exist, raises ValueError naming the text.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    if m := _DAY_MONTH_YEAR.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.match(text):
        if text.startswith(_NO_DATE):
            return None
        year, month, day = (int(g) for g in m.groups())
    else:
        raise ValueError(f"not a date dd.mm.yyyy or yyyy-mm-dd: {text!r}")
    value = date_from_parts(year, month, day)
    if value is None:
        raise ValueError(f"no such day: {text!r}")
    return value


_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def month_start(value):
    """(a date column's value, whether only the month was given): `2019-01` is `2019-01-01`.

    The free-text finders keep month precision as `YYYY-MM` (linking compares at that
    precision); a published DATE column holds the month's first day and the row says so
    in its flags (`start_date_month_only`)."""
    if isinstance(value, str) and _YEAR_MONTH.match(value):
        return f"{value}-01", True
    return value, False


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 time (`2026-03-02T03:10:00Z`, an offset, or naive) as `datetime.fromisoformat` reads it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
