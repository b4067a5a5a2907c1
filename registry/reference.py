"""Reference tables shipped with bgfunds (not crawled): the programme registry and the
gazetteer of regions, districts and municipalities.

Same Field/Table types as `registry.tables`, so DDL, Data Package, dictionary and
quality suites come from here in the same way. Their source is a CSV in
`transforms/data/`, named in the `source` column or in that folder's README.
"""

from __future__ import annotations

from registry.fields import field
from registry.tables import Table, one_of

PROGRAMMES = Table(
    name="programmes",
    en="EU-funded programmes managed in ИСУН, 2007–2013, 2014–2020 and 2021–2027, "
    "by the code that prefixes project codes.",
    bg="Програми с европейско финансиране в ИСУН, 2007–2013, 2014–2020 и 2021–2027, "
    "по кода в началото на номера на проекта.",
    primary_key=("programme_code",),
    fields=(
        field("programme_code", nullable=False),
        field("name_bg", nullable=False),
        field("name_en"),
        field("short_bg"),
        field("period", nullable=False),
        field("funds"),
        field("verified", nullable=False),
        field("source"),
    ),
    asset="programmes",
    rules=(),
)

PLACES = Table(
    name="places",
    en="Gazetteer: Bulgaria's 2 NUTS 1 areas, 6 planning regions, 28 districts and 265 municipalities with their "
    "official codes (NUTS, LAU / NSI municipality code, EKATTE of the administrative centre).",
    bg="Справочник: 2 района от ниво 1, 6 района за планиране, 28 области и 265 общини с официалните им кодове "
    "(NUTS, ЛАУ / код на общината по НСИ, ЕКАТТЕ на административния център).",
    primary_key=("code",),
    fields=(
        field("code", nullable=False),
        field("level", nullable=False),
        field("name_bg", nullable=False),
        field("name_en"),
        field("parent_code"),
        field("nuts1"),
        field("nuts2"),
        field("nuts3"),
        field("centre_bg"),
        field("centre_ekatte"),
    ),
    asset="places",
    rules=(one_of("level", "nuts1", "region", "district", "municipality"),),
)

REFERENCE_TABLES = {t.name: t for t in (PROGRAMMES, PLACES)}
