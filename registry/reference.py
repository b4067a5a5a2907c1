"""Reference tables shipped with bgfunds (not crawled): the programme registry and the
gazetteer of regions, districts and municipalities.

Same Field/Table types as `registry.tables`, so DDL, Data Package, dictionary and
quality suites come from here in the same way. Their source is a CSV in
`transforms/data/`, named in the `source` column or in that folder's README.
"""

from __future__ import annotations

from registry.tables import PROGRAMME_CODE_FORMAT, Field, Table, one_of

PROGRAMMES = Table(
    name="programmes",
    en="EU-funded programmes managed in ИСУН, 2007–2013, 2014–2020 and 2021–2027, "
    "by the code that prefixes project codes.",
    bg="Програми с европейско финансиране в ИСУН, 2007–2013, 2014–2020 и 2021–2027, "
    "по кода в началото на номера на проекта.",
    primary_key=("programme_code",),
    fields=(
        Field(
            "programme_code",
            "VARCHAR",
            "Programme code (BG05SFOP001, BG16FFPR003, BG-RRP)",
            "Код на програмата",
            nullable=False,
        ),
        Field("name_bg", "VARCHAR", "Name in Bulgarian", "Наименование", nullable=False),
        Field("name_en", "VARCHAR", "Name in English", "Наименование на английски"),
        Field(
            "short_bg", "VARCHAR", "Short name used on Bulgarian pages (ОПДУ, ПРР)", "Съкращение"
        ),
        Field(
            "period",
            "VARCHAR",
            "Programming period: 2007-2013, 2014-2020 or 2021-2027",
            "Програмен период",
            nullable=False,
        ),
        Field(
            "funds",
            "VARCHAR",
            "EU funds, ';'-separated (ESF, ERDF, CF, ESF+, JTF, RRF, ...)",
            "Фондове",
        ),
        Field(
            "verified",
            "BOOLEAN",
            "Whether the code was seen in a real public source",
            "Проверен ли е кодът в публичен източник",
            nullable=False,
        ),
        Field("source", "VARCHAR", "Where the code was seen", "Къде е видян кодът"),
    ),
    asset="core_reference__programmes",
    rules=(PROGRAMME_CODE_FORMAT,),
)

PLACES = Table(
    name="places",
    en="Gazetteer: Bulgaria's 2 NUTS 1 areas, 6 planning regions, 28 districts and 265 municipalities with their "
    "official codes (NUTS, LAU / NSI municipality code, EKATTE of the administrative centre).",
    bg="Справочник: 2 района от ниво 1, 6 района за планиране, 28 области и 265 общини с официалните им кодове "
    "(NUTS, ЛАУ / код на общината по НСИ, ЕКАТТЕ на административния център).",
    primary_key=("code",),
    fields=(
        Field(
            "code",
            "VARCHAR",
            "NUTS code for areas, regions and districts; LAU code for municipalities",
            "Код",
            nullable=False,
        ),
        Field(
            "level", "VARCHAR", "nuts1, region, district or municipality", "Ниво", nullable=False
        ),
        Field("name_bg", "VARCHAR", "Name in Bulgarian", "Наименование", nullable=False),
        Field(
            "name_en",
            "VARCHAR",
            "Name in English (Streamlined System transliteration for municipalities)",
            "Наименование на английски",
        ),
        Field("parent_code", "VARCHAR", "Code of the enclosing area", "Код на по-горното ниво"),
        Field("nuts1", "VARCHAR", "NUTS 1", "NUTS 1"),
        Field("nuts2", "VARCHAR", "Planning region (NUTS 2)", "Район за планиране (NUTS 2)"),
        Field("nuts3", "VARCHAR", "District (NUTS 3)", "Област (NUTS 3)"),
        Field(
            "centre_bg",
            "VARCHAR",
            "Administrative centre of a municipality",
            "Административен център",
        ),
        Field("centre_ekatte", "VARCHAR", "EKATTE code of that centre", "ЕКАТТЕ на центъра"),
    ),
    asset="core_reference__places",
    rules=(one_of("level", "nuts1", "region", "district", "municipality"),),
)

REFERENCE_TABLES = {t.name: t for t in (PROGRAMMES, PLACES)}
