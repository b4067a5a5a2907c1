"""Absorption views in DuckDB: contracted, reported and paid by programme, procedure,
district, municipality and beneficiary.

contracted = total project value (`amount_total_*`), reported = sum of the activities'
reported amounts, paid = total actually paid; `execution_rate` = reported / contracted,
`payment_rate` = paid / contracted; both in EUR and BGN. Programme names, short names
and periods come from the `programmes` reference table (`transforms/data/programmes.csv`). A project counted under several
municipalities (a place list) is counted in full under each of them, so the per-place
views must not be summed across places; the programme, procedure and beneficiary views can.
"""

from __future__ import annotations

import duckdb

_MEASURES = """
    count(DISTINCT p.project_code) AS projects,
    sum(p.amount_total_eur) AS contracted_eur,
    sum(a.reported_eur) AS reported_eur,
    sum(p.amount_paid_eur) AS paid_eur,
    sum(p.amount_total_bgn) AS contracted_bgn,
    sum(a.reported_bgn) AS reported_bgn,
    sum(p.amount_paid_bgn) AS paid_bgn,
    round(sum(a.reported_eur) / nullif(sum(p.amount_total_eur), 0), 4) AS execution_rate,
    round(sum(p.amount_paid_eur) / nullif(sum(p.amount_total_eur), 0), 4) AS payment_rate,
    coalesce(sum(a.over_reported_activities), 0)::BIGINT AS over_reported_activities
"""

VIEWS = {
    "activity_totals": """
        SELECT project_code,
               sum(amount_contracted_eur) AS contracted_activities_eur,
               sum(amount_reported_eur) AS reported_eur,
               sum(amount_reported_bgn) AS reported_bgn,
               count(*) FILTER (WHERE is_over_reported) AS over_reported_activities
        FROM activities GROUP BY project_code""",
    "absorption_by_programme": f"""
        SELECT p.programme_code, coalesce(any_value(p.programme_name), any_value(g.name_bg)) AS programme_name,
               any_value(g.short_bg) AS programme_short_bg, any_value(g.name_en) AS programme_name_en,
               any_value(g.period) AS period, {_MEASURES}
        FROM projects p LEFT JOIN activity_totals a USING (project_code)
             LEFT JOIN programmes g USING (programme_code)
        GROUP BY p.programme_code""",
    "absorption_by_period": f"""
        SELECT coalesce(g.period, 'unknown') AS period, {_MEASURES}
        FROM projects p LEFT JOIN activity_totals a USING (project_code)
             LEFT JOIN programmes g USING (programme_code)
        GROUP BY ALL""",
    "absorption_by_procedure": f"""
        SELECT p.procedure_code, p.programme_code, any_value(p.procedure_name) AS procedure_name, {_MEASURES}
        FROM projects p LEFT JOIN activity_totals a USING (project_code)
        GROUP BY p.procedure_code, p.programme_code""",
    "absorption_by_beneficiary": f"""
        SELECT coalesce(p.beneficiary_eik, p.beneficiary_name) AS beneficiary_key,
               any_value(p.beneficiary_name) AS beneficiary_name, any_value(p.beneficiary_eik) AS beneficiary_eik,
               {_MEASURES}
        FROM projects p LEFT JOIN activity_totals a USING (project_code)
        GROUP BY beneficiary_key""",
    "absorption_by_district": f"""
        SELECT pl.code AS district_code, any_value(pl.name) AS district_name, {_MEASURES}
        FROM projects p JOIN (SELECT DISTINCT project_code, code, name FROM project_places WHERE level = 'district') pl
             USING (project_code)
        LEFT JOIN activity_totals a USING (project_code)
        GROUP BY pl.code""",
    "absorption_by_municipality": f"""
        SELECT pl.code AS municipality_code, any_value(pl.name) AS municipality_name,
               any_value(pl.nuts3) AS district_code, {_MEASURES}
        FROM projects p JOIN (SELECT DISTINCT project_code, code, name, nuts3 FROM project_places
                              WHERE level = 'municipality') pl
             USING (project_code)
        LEFT JOIN activity_totals a USING (project_code)
        GROUP BY pl.code""",
}


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    return list(VIEWS)
