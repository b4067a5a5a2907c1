from decimal import Decimal

import pytest

from transforms.amounts import AmountError, parse_amount, to_bgn, to_eur


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 889.76", "10889.76"),  # seed 000
        ("88 840,80 лв.", "88840.80"),  # seed 001
        ("75 514,68 лв.", "75514.68"),
        ("67 243,93 BGN", "67243.93"),  # seed 002
        ("3 333 333 евро", "3333333"),
        ("1\u00a0398\u00a0004,61", "1398004.61"),  # NBSP thousands, decimal comma
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("0.00", "0.00"),
        ("12000", "12000"),
    ],
)
def test_parse_amount_reads_bulgarian_formats(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "  ", "-", "н/п", None])
def test_empty_amounts_are_none(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize("text", ["12 3O0.00", "abc", "10 88.76", "1.2.3"])
def test_garbage_amount_raises_and_quotes_the_text(text):
    with pytest.raises(AmountError, match="not an amount"):
        parse_amount(text)


def test_conversion_uses_the_fixed_rate_and_rounds_to_cents():
    # Seed 000 reported amounts in BGN -> EUR.
    assert to_eur(Decimal("10766.01"), "BGN") == Decimal("5504.57")
    assert to_eur(Decimal("11309.87"), "BGN") == Decimal("5782.64")
    assert to_eur(Decimal("1.95583"), "BGN") == Decimal("1.00")
    assert to_bgn(Decimal("1113000.00"), "EUR") == Decimal("2176838.79")
    assert to_bgn(Decimal("10"), "BGN") == Decimal("10.00")
    assert to_eur(None, "BGN") is None


def test_unknown_currency_is_an_error():
    with pytest.raises(ValueError, match="unknown currency 'USD'"):
        to_eur(Decimal(1), "USD")
