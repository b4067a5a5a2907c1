"""Absorption views in DuckDB: contracted, reported and paid by programme, procedure,
district, municipality and beneficiary, over every project ИСУН publishes.

`absorption_base` has a row per project of `projects`, which holds every contract the
open-data API or the register export lists and every contract whose pages were read
(`detail_level`): contracted and paid as `projects` states them, reported from the
activities of the contracts whose pages were read. So every count and list of the site,
search, downloads and feeds, which read `projects` too, agrees with these views.

contracted = total project value (`amount_total_*`), reported = sum of the activities'
reported amounts, paid = total actually paid; `payment_rate` = paid / contracted (every
contract); `execution_rate` = reported / contracted **of the contracts whose pages were read**
(`projects_with_pages` of `projects`; `contracted_with_pages_*` is that base), since only
those have reported amounts. Both in EUR and BGN. Programme names, short names
and periods come from the `programmes` reference table (`transforms/data/programmes.csv`).
A project counted under several
municipalities (a place list) is counted in full under each of them, so the per-place
views must not be summed across places; the programme, procedure and beneficiary views can.
"""

from __future__ import annotations

import duckdb

_MEASURES = """
    count(DISTINCT b.project_key) AS projects,
    count(DISTINCT b.project_key) FILTER (WHERE b.page_contracts > 0) AS projects_with_pages,
    sum(b.contracted_eur) AS contracted_eur,
    sum(b.contracted_eur) FILTER (WHERE b.page_contracts > 0) AS contracted_with_pages_eur,
    sum(b.contracted_bgn) FILTER (WHERE b.page_contracts > 0) AS contracted_with_pages_bgn,
    sum(b.reported_eur) AS reported_eur,
    sum(b.paid_eur) AS paid_eur,
    sum(b.contracted_bgn) AS contracted_bgn,
    sum(b.reported_bgn) AS reported_bgn,
    sum(b.paid_bgn) AS paid_bgn,
    round(sum(b.reported_eur) / nullif(sum(b.contracted_eur) FILTER (WHERE b.page_contracts > 0), 0), 4)
        AS execution_rate,
    round(sum(b.paid_eur) / nullif(sum(b.contracted_eur), 0), 4) AS payment_rate,
    coalesce(sum(b.over_reported_activities), 0)::BIGINT AS over_reported_activities
"""
_PROPOSAL = r"regexp_replace(project_code, '-C\d+$', '')"

VIEWS = {
    "activity_totals": """
        SELECT project_code,
               sum(amount_contracted_eur) AS contracted_activities_eur,
               sum(amount_reported_eur) AS reported_eur,
               sum(amount_reported_bgn) AS reported_bgn,
               count(*) FILTER (WHERE is_over_reported) AS over_reported_activities
        FROM activities GROUP BY project_code""",
    # One row per project of `projects` (every contract the open-data API or the register export
    # lists, and every page read): contracted and paid as `projects` states them, reported from
    # the activities of the contracts whose pages were read.
    "absorption_base": """
        SELECT p.project_code AS project_key, p.detail_level AS basis, p.proposal_code, p.programme_code,
               p.programme_name, p.procedure_code, p.procedure_name, p.beneficiary_eik, p.beneficiary_name,
               p.beneficiary_without_eik, (p.detail_level = 'pages')::INTEGER AS page_contracts,
               p.amount_total_eur AS contracted_eur, p.amount_total_bgn AS contracted_bgn,
               a.reported_eur, a.reported_bgn, p.amount_paid_eur AS paid_eur, p.amount_paid_bgn AS paid_bgn,
               a.over_reported_activities
        FROM projects p LEFT JOIN activity_totals a USING (project_code)""",
    # Districts and municipalities of each project (`project_places`: the open-data API's places
    # for a contract known from it only, the location text of the others).
    "absorption_places": """
        SELECT DISTINCT pl.project_code AS project_key, pl.level, pl.code, pl.name, pl.nuts3
        FROM project_places pl""",
    "absorption_by_programme": f"""
        SELECT b.programme_code, coalesce(any_value(g.name_bg), any_value(b.programme_name)) AS programme_name,
               any_value(g.short_bg) AS programme_short_bg, any_value(g.name_en) AS programme_name_en,
               any_value(g.period) AS period, {_MEASURES}
        FROM absorption_base b LEFT JOIN programmes g USING (programme_code)
        GROUP BY b.programme_code""",
    "absorption_by_period": f"""
        SELECT coalesce(g.period, 'unknown') AS period, {_MEASURES}
        FROM absorption_base b LEFT JOIN programmes g USING (programme_code)
        GROUP BY ALL""",
    "absorption_by_procedure": f"""
        SELECT b.procedure_code, b.programme_code, any_value(b.procedure_name) AS procedure_name, {_MEASURES}
        FROM absorption_base b
        GROUP BY b.procedure_code, b.programme_code""",
    "absorption_by_beneficiary": f"""
        SELECT coalesce(b.beneficiary_eik, b.beneficiary_name,
                        CASE WHEN b.beneficiary_without_eik THEN 'without_eik' END) AS beneficiary_key,
               any_value(b.beneficiary_name) AS beneficiary_name, any_value(b.beneficiary_eik) AS beneficiary_eik,
               {_MEASURES}
        FROM absorption_base b
        GROUP BY beneficiary_key""",
    "absorption_by_district": f"""
        SELECT pl.code AS district_code, any_value(pl.name) AS district_name, {_MEASURES}
        FROM absorption_base b JOIN (SELECT DISTINCT project_key, code, name FROM absorption_places
                                     WHERE level = 'district') pl USING (project_key)
        GROUP BY pl.code""",
    "absorption_by_municipality": f"""
        SELECT pl.code AS municipality_code, any_value(pl.name) AS municipality_name,
               any_value(pl.nuts3) AS district_code, {_MEASURES}
        FROM absorption_base b JOIN (SELECT DISTINCT project_key, code, name, nuts3 FROM absorption_places
                                     WHERE level = 'municipality') pl USING (project_key)
        GROUP BY pl.code""",
}


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    return list(VIEWS)


# --- Views published as files (Parquet, CSV, XLSX) and documented in the data dictionary ---

ABSORPTION_VIEWS = (
    "absorption_by_programme",
    "absorption_by_period",
    "absorption_by_procedure",
    "absorption_by_beneficiary",
    "absorption_by_district",
    "absorption_by_municipality",
)
PER_PLACE_CAVEAT_EN = (
    "A project located in several places is counted in full under each of them: "
    "do not sum these rows across places."
)
PER_PLACE_CAVEAT_BG = (
    "Проект, изпълняван на няколко места, се отчита изцяло за всяко от тях: "
    "не събирайте редовете за различни места."
)
VIEW_DOCS = {
    "absorption_by_programme": (
        "Contracted, reported and paid per programme.",
        "Договорено, отчетено и изплатено по програми.",
    ),
    "absorption_by_period": (
        "Contracted, reported and paid per programming period.",
        "Договорено, отчетено и изплатено по програмни периоди.",
    ),
    "absorption_by_procedure": (
        "Contracted, reported and paid per procedure.",
        "Договорено, отчетено и изплатено по процедури.",
    ),
    "absorption_by_beneficiary": (
        "Contracted, reported and paid per beneficiary (by EIK, else name).",
        "Договорено, отчетено и изплатено по бенефициенти (по ЕИК, иначе по наименование).",
    ),
    "absorption_by_district": (
        f"Contracted, reported and paid per district. {PER_PLACE_CAVEAT_EN}",
        f"Договорено, отчетено и изплатено по области. {PER_PLACE_CAVEAT_BG}",
    ),
    "absorption_by_municipality": (
        f"Contracted, reported and paid per municipality. {PER_PLACE_CAVEAT_EN}",
        f"Договорено, отчетено и изплатено по общини. {PER_PLACE_CAVEAT_BG}",
    ),
    "totals_over_releases": (
        "Totals as of each release, from the state of every project and activity as of that "
        "release (history tables), not from the rows that changed in it.",
        "Общи суми към всяко издание, от състоянието на всеки проект и дейност към него.",
    ),
}
VIEW_KEYS = {
    "absorption_by_programme": ("programme_code",),
    "absorption_by_period": ("period",),
    "absorption_by_procedure": ("procedure_code", "programme_code"),
    "absorption_by_beneficiary": ("beneficiary_key",),
    "absorption_by_district": ("district_code",),
    "absorption_by_municipality": ("municipality_code",),
    "totals_over_releases": ("release_id",),
}
# Column descriptions by name (en, bg); a column not listed here is described by its name.
COLUMN_DOCS = {
    "programme_code": ("Programme code", "Код на програмата"),
    "programme_name": ("Programme name", "Програма"),
    "programme_short_bg": ("Programme short name", "Кратко име на програмата"),
    "programme_name_en": ("Programme name in English", "Програма (на английски)"),
    "period": ("Programming period", "Програмен период"),
    "procedure_code": ("Procedure code", "Код на процедурата"),
    "procedure_name": ("Procedure", "Процедура"),
    "beneficiary_key": ("EIK, else the name", "ЕИК, иначе наименование"),
    "beneficiary_name": ("Beneficiary", "Бенефициент"),
    "beneficiary_eik": ("Beneficiary's EIK/BULSTAT", "ЕИК/БУЛСТАТ"),
    "district_code": ("District (NUTS 3)", "Област (NUTS 3)"),
    "district_name": ("District", "Област"),
    "municipality_code": ("Municipality (LAU)", "Община (ЛАУ)"),
    "municipality_name": ("Municipality", "Община"),
    "release_id": ("Release", "Издание"),
    "projects": ("Contracts", "Брой договори"),
    "projects_with_pages": (
        "Contracts whose ИСУН pages were read (the base of reported amounts and execution_rate)",
        "Договори, чиито страници в ИСУН са прочетени (основата на отчетеното и execution_rate)",
    ),
    "contracted_with_pages_eur": (
        "Contracted, of the contracts whose pages were read (the base of execution_rate), EUR",
        "Договорено по договорите с прочетени страници (основата на execution_rate), евро",
    ),
    "contracted_with_pages_bgn": (
        "Contracted, of the contracts whose pages were read (the base of execution_rate), BGN",
        "Договорено по договорите с прочетени страници (основата на execution_rate), лева",
    ),
    "contracted_eur": ("Contracted (total project value), EUR", "Договорено (обща стойност), евро"),
    "contracted_bgn": ("Contracted (total project value), BGN", "Договорено (обща стойност), лева"),
    "reported_eur": ("Reported by the activities, EUR", "Отчетено по дейностите, евро"),
    "reported_bgn": ("Reported by the activities, BGN", "Отчетено по дейностите, лева"),
    "paid_eur": ("Actually paid, EUR", "Реално изплатено, евро"),
    "paid_bgn": ("Actually paid, BGN", "Реално изплатено, лева"),
    "execution_rate": (
        "Reported / contracted, of the contracts whose pages were read (projects_with_pages)",
        "Отчетено / договорено по договорите с прочетени страници (projects_with_pages)",
    ),
    "payment_rate": ("Paid / contracted", "Изплатено / договорено"),
    "over_reported_activities": (
        "Activities reported above contracted",
        "Дейности, отчетени над договореното",
    ),
    "projects_removed": ("Contracts gone by this release", "Договори, изчезнали до това издание"),
}


def view_table(con: duckdb.DuckDBPyConnection, name: str):
    """A `registry.tables.Table` for a view, read from the view itself (whatever its columns
    are today), described from `VIEW_DOCS` and `COLUMN_DOCS` by name; units from the suffix."""
    from registry.tables import Field, Table

    fields = []
    for column, duckdb_type, *_ in con.execute(f"DESCRIBE {name}").fetchall():
        en, bg = COLUMN_DOCS.get(column, (column, column))
        unit = (
            "EUR"
            if column.endswith("_eur")
            else "BGN"
            if column.endswith("_bgn")
            else "ratio"
            if column.endswith("_rate")
            else None
        )
        base = duckdb_type.split("(")[0]
        kind = (
            duckdb_type
            if base == "DECIMAL"
            else {
                "HUGEINT": "BIGINT",
                "UBIGINT": "BIGINT",
                "INT": "INTEGER",
                "FLOAT": "DOUBLE",
            }.get(base, base)
        )
        fields.append(
            Field(column, kind, en, bg, unit, nullable=column not in VIEW_KEYS.get(name, ()))
        )
    en, bg = VIEW_DOCS.get(name, (name, name))
    return Table(name, en, bg, VIEW_KEYS.get(name, ()), tuple(fields), catalogue=False)


def release_order_key(column: str) -> str:
    """A sortable text for a release id: `2026-05-24.10` after `2026-05-24.9`, the day's first release as `.0001`."""
    return f"(left({column}, 10) || '.' || lpad(coalesce(nullif(split_part({column}, '.', 2), ''), '1'), 4, '0'))"


def _state_as_of(history: str, key: str) -> str:
    k_h = release_order_key("h.release_id")
    return f"""SELECT r.release_id AS as_of, h.* FROM releases r JOIN {history} h ON {k_h} <= r.k
               QUALIFY row_number() OVER (PARTITION BY r.release_id, {key} ORDER BY {k_h} DESC) = 1"""


TOTALS_OVER_RELEASES = f"""
    WITH releases AS (SELECT DISTINCT release_id, {release_order_key("release_id")} AS k FROM history_projects),
    p AS ({_state_as_of("history_projects", "h.project_code")}),
    a AS ({_state_as_of("history_activities", "h.project_code, h.activity_no")}),
    pt AS (SELECT as_of,
                  count(*) FILTER (WHERE NOT is_removed) AS projects,
                  count(*) FILTER (WHERE is_removed) AS projects_removed,
                  sum(amount_total_eur) FILTER (WHERE NOT is_removed) AS contracted_eur,
                  sum(amount_total_bgn) FILTER (WHERE NOT is_removed) AS contracted_bgn,
                  sum(amount_paid_eur) FILTER (WHERE NOT is_removed) AS paid_eur,
                  sum(amount_paid_bgn) FILTER (WHERE NOT is_removed) AS paid_bgn
           FROM p GROUP BY as_of),
    acts AS (SELECT as_of, sum(amount_reported_eur) FILTER (WHERE NOT is_removed) AS reported_eur,
                  sum(amount_reported_bgn) FILTER (WHERE NOT is_removed) AS reported_bgn,
                  count(*) FILTER (WHERE is_over_reported AND NOT is_removed) AS over_reported_activities
           FROM a GROUP BY as_of)
    SELECT pt.as_of AS release_id, projects, projects_removed, contracted_eur, reported_eur, paid_eur,
           contracted_bgn, reported_bgn, paid_bgn, coalesce(over_reported_activities, 0) AS over_reported_activities
    FROM pt LEFT JOIN acts USING (as_of)
    ORDER BY {release_order_key("pt.as_of")}"""


def create_release_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Views over the history tables, which exist only in a release's warehouse."""
    con.execute(f"CREATE OR REPLACE VIEW totals_over_releases AS {TOTALS_OVER_RELEASES}")
    return ["totals_over_releases"]
