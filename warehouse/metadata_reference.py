"""Reference tables shipped with bgfunds (not crawled): the programme registry and the
gazetteer of regions, districts and municipalities.

Same Field/Table types as `warehouse.metadata`, so DDL, Data Package, dictionary and
quality suites come from here in the same way. Their source is a CSV in
`transforms/data/`, named in the `source` column or in that folder's README.
"""

from __future__ import annotations

from warehouse.metadata import Field, Table

PROGRAMMES = Table(
    name="programmes",
    en="EU-funded programmes managed in ИСУН, 2007–2013, 2014–2020 and 2021–2027, by the code that prefixes project codes.",
    bg="Програми с европейско финансиране в ИСУН, 2007–2013, 2014–2020 и 2021–2027, по кода в началото на номера на проекта.",
    primary_key=("programme_code",),
    fields=(
        Field("programme_code", "VARCHAR", "Programme code (BG05SFOP001, BG16FFPR003, BG-RRP)", "Код на програмата", nullable=False),
        Field("name_bg", "VARCHAR", "Name in Bulgarian", "Наименование", nullable=False),
        Field("name_en", "VARCHAR", "Name in English", "Наименование на английски"),
        Field("short_bg", "VARCHAR", "Short name used on Bulgarian pages (ОПДУ, ПРР)", "Съкращение"),
        Field("period", "VARCHAR", "Programming period: 2007-2013, 2014-2020 or 2021-2027", "Програмен период", nullable=False),
        Field("funds", "VARCHAR", "EU funds, ';'-separated (ESF, ERDF, CF, ESF+, JTF, RRF, ...)", "Фондове"),
        Field("verified", "BOOLEAN", "Whether the code was seen in a real public source", "Проверен ли е кодът в публичен източник", nullable=False),
        Field("source", "VARCHAR", "Where the code was seen", "Къде е видян кодът"),
    ),
)

REFERENCE_TABLES = {t.name: t for t in (PROGRAMMES,)}
