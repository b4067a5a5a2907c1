"""Money: parse amounts as written on Bulgarian pages and convert between BGN and EUR.

Bulgaria joined the euro on 2026-01-01 at the fixed rate 1 EUR = 1.95583 BGN. Pages
state their currency; nothing here guesses one. Conversions round half-up to cents.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EUR_BGN_RATE = Decimal("1.95583")
CENT = Decimal("0.01")
CURRENCIES = ("BGN", "EUR")

# Thin, narrow no-break and no-break spaces all occur as thousands separators.
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_CURRENCY_WORDS = re.compile(r"(?i)(лв\.?|лева|bgn|eur|евро|€)")
_GROUPED = re.compile(r"^-?\d{1,3}(?:\s\d{3})+(?:[.,]\d+)?$")
_PLAIN = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_DOTTED_THOUSANDS = re.compile(r"^-?\d{1,3}(?:\.\d{3})+,\d+$")  # 1.234.567,89
_COMMA_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+\.\d+$")  # 1,234,567.89
# Grouped by plain spaces with a decimal point and two decimals: no currency word, no other
# separator, never ambiguous (read by `_GROUPED` or `_PLAIN`, spaces dropped).
_CENTS = re.compile(r"-?\d{1,3}(?: \d{3})*\.\d\d|-?\d+\.\d\d")
# One separator followed by exactly three digits: `1.234` is 1 234 or 1.234, and the page does not say.
_AMBIGUOUS = re.compile(r"^-?[1-9]\d{0,2}[.,]\d{3}$")


class AmountError(ValueError):
    """An amount's text could not be read as a number."""


class AmbiguousAmountError(AmountError):
    """`1.234` or `12,345`: a thousands separator or a decimal point, and nothing says which."""


def parse_amount(text: str | None, *, ambiguous_ok: bool = False) -> Decimal | None:
    """Read `10 889.76`, `88 840,80 лв.`, `1\u00a0398\u00a0004,61` or `3 333 333 евро` as a Decimal.

    Empty text, `-` and `н/п` mean "no value" and give None. Anything else that is not
    a number raises AmountError quoting the text. `1.234` (one separator, three digits
    after it) raises AmbiguousAmountError unless `ambiguous_ok` (then it is a decimal point,
    as in "1.234 млн. лв." where the scale word settles it).
    """
    if text is None:
        return None
    if _CENTS.fullmatch(text):  # what pages print ("2 846 935.42"): the general path's result
        return Decimal(text.replace(" ", ""))
    cleaned = _CURRENCY_WORDS.sub("", text).strip()
    cleaned = _SPACES.sub(" ", cleaned).strip()
    if cleaned in {"", "-", "—", "н/п", "n/a"}:
        return None
    if not ambiguous_ok and _AMBIGUOUS.match(cleaned):
        raise AmbiguousAmountError(
            f"ambiguous amount: {text!r} (thousands separator or decimal point?)"
        )
    if _DOTTED_THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _COMMA_THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif _GROUPED.match(cleaned) or _PLAIN.match(cleaned):
        cleaned = cleaned.replace(" ", "").replace(",", ".")
    else:
        raise AmountError(f"not an amount: {text!r}")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above exclude this
        raise AmountError(f"not an amount: {text!r}") from exc


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_bgn(amount: Decimal | None, currency: str) -> Decimal | None:
    """The amount in BGN, rounded to stotinki."""
    if amount is None:
        return None
    _check_currency(currency)
    return round_cents(amount if currency == "BGN" else amount * EUR_BGN_RATE)


def to_eur(amount: Decimal | None, currency: str) -> Decimal | None:
    """The amount in EUR, rounded to cents."""
    if amount is None:
        return None
    _check_currency(currency)
    return round_cents(amount if currency == "EUR" else amount / EUR_BGN_RATE)


def _check_currency(currency: str) -> None:
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}; expected one of {CURRENCIES}")
