"""The field catalogue (`registry.fields`): each name declared once, one type, one wording."""

from collections import defaultdict

import pytest

from registry import all_tables
from registry.fields import FIELDS, TABLE_DESCRIPTIONS, TABLE_PATTERNS, Field, field
from registry.tables import HISTORY_TABLES, RAW_RESPONSES, Table

pytestmark = pytest.mark.unit

TABLES = {**all_tables(), **HISTORY_TABLES, RAW_RESPONSES.name: RAW_RESPONSES}


def test_no_name_has_two_types_and_dates_are_dates():
    types = defaultdict(set)
    for table in TABLES.values():
        for f in table.fields:
            types[f.name].add(f.type)
    assert {name: t for name, t in types.items() if len(t) > 1} == {}
    assert {n: t for n, t in types.items() if n.endswith("_date") and t != {"DATE"}} == {}


def test_every_published_name_is_in_the_catalogue():
    unknown = [
        f"{t.name}.{f.name}" for t in TABLES.values() for f in t.fields if f.name not in FIELDS
    ]
    assert unknown == []


def test_every_field_is_the_catalogues_or_its_tables_own_wording():
    drifting = []
    for table in TABLES.values():
        for f in table.fields:
            base = FIELDS[f.name]
            own = TABLE_DESCRIPTIONS.get((table.name, f.name), {})
            expected = (own.get("en", base.en), own.get("bg", base.bg), own.get("unit", base.unit))
            if (f.en, f.bg, f.unit) != expected or f.type != base.type:
                drifting.append(f"{table.name}.{f.name}")
            if (f.enum, f.pattern, f.minimum, f.maximum) != (
                base.enum,
                TABLE_PATTERNS.get((table.name, f.name), base.pattern),
                base.minimum,
                base.maximum,
            ):
                drifting.append(f"{table.name}.{f.name} constraints")
    assert drifting == []


def test_every_table_wording_is_used_and_says_something_else():
    used = {(t.name, f.name) for t in TABLES.values() for f in t.fields}
    assert set(TABLE_DESCRIPTIONS) <= used
    same = [
        key
        for key, own in TABLE_DESCRIPTIONS.items()
        if all(getattr(FIELDS[key[1]], k) == v for k, v in own.items())
    ]
    assert same == []


def test_every_table_pattern_is_used_and_differs_from_the_catalogues():
    used = {(t.name, f.name) for t in TABLES.values() for f in t.fields}
    assert set(TABLE_PATTERNS) <= used
    assert [k for k, p in TABLE_PATTERNS.items() if p == FIELDS[k[1]].pattern] == []


def test_every_catalogue_field_is_published_somewhere():
    used = {f.name for t in TABLES.values() for f in t.fields}
    assert set(FIELDS) - used == set()


def test_a_table_cannot_give_a_field_another_type():
    with pytest.raises(
        ValueError, match=r"toy.start_date: declared VARCHAR; the catalogue .* DATE"
    ):
        Table("toy", "", "", (), (Field("start_date", "VARCHAR", "Start", "Начало"),))
    with pytest.raises(KeyError, match="declare it in registry/fields.py"):
        field("start_day")


def test_descriptions_come_from_the_catalogue_not_the_declaration():
    # A field declared again with other words reads as the catalogue says.
    toy = Table("toy", "", "", (), (Field("start_date", "DATE", "When it began", "Кога"),))
    assert (toy.fields[0].en, toy.fields[0].bg) == (
        FIELDS["start_date"].en,
        FIELDS["start_date"].bg,
    )


def test_rules_follow_from_the_catalogues_constraints():
    from registry.tables import table_rules

    projects = all_tables()["projects"]
    rules = {(r.name, r.field) for r in table_rules(projects)}
    assert {
        ("code_format", "project_code"),
        ("code_format", "procedure_code"),
        ("code_format", "programme_code"),
        ("value_in_allowed_set", "currency_original"),
        ("percent_in_range", "eu_cofinancing_percent"),
        ("amount_not_negative", "amount_total_eur"),
    } <= rules
    # Every table with a project code checks its format, none lists it by hand.
    for table in all_tables().values():
        if "project_code" in table.columns:
            assert ("code_format", "project_code") in {
                (r.name, r.field) for r in table_rules(table)
            }


def test_a_tables_asset_is_named_as_the_table():
    assert {t.asset for t in TABLES.values() if t.asset} == {
        t.name for t in TABLES.values() if t.asset
    }
    assert all(t.asset in (None, t.name) for t in TABLES.values())
