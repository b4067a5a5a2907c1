"""The one date parser (`transforms.dates`): the forms our sources write, and what is no date."""

from datetime import UTC, date, datetime

import pytest

from transforms.dates import date_from_parts, parse_date, parse_timestamp


@pytest.mark.parametrize(
    "text,expected",
    [
        ("18.01.2019", date(2019, 1, 18)),  # ИСУН's BasicData
        ("8.1.2019 г.", date(2019, 1, 8)),  # a strategy's decision date
        (" 18.01.2019 г ", date(2019, 1, 18)),
        ("2019-01-18", date(2019, 1, 18)),  # the open-data API
        ("2019-01-18T00:00:00", date(2019, 1, 18)),
        ("0001-01-01T00:00:00", None),  # .NET's DateTime.MinValue: no date
        ("", None),
        (None, None),
    ],
)
def test_dates_in_the_forms_the_sources_write(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["18.13.2019", "31.02.2020", "януари 2019", "2019/01/18"])
def test_what_is_not_a_date_raises_naming_the_text(text):
    with pytest.raises(ValueError, match=repr(text).replace(".", r"\.").replace("/", "/")):
        parse_date(text)


def test_parts_that_name_no_day_are_none():
    assert date_from_parts(2024, 2, 29) == date(2024, 2, 29)
    assert date_from_parts(2023, 2, 29) is None


def test_timestamps_keep_their_offset_or_naivety():
    assert parse_timestamp("2026-03-02T03:10:00Z") == datetime(2026, 3, 2, 3, 10, tzinfo=UTC)
    assert parse_timestamp("2026-03-02T03:10:00").tzinfo is None
