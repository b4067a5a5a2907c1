"""Absorption views in DuckDB: contracted, reported and paid by programme, procedure,
district, municipality and beneficiary, over every project ИСУН publishes.

`absorption_base` has a row per project of the open-data API (contracted and paid as the
API states them; reported from the activities of its crawled contract pages, joined on the
proposal code, where there are any) and per crawled contract the API does not list.

contracted = total project value (`amount_total_*`), reported = sum of the activities'
reported amounts, paid = total actually paid; `execution_rate` = reported / contracted,
`payment_rate` = paid / contracted; both in EUR and BGN. Programme names, short names
and periods come from the `programmes` reference table (`transforms/data/programmes.csv`). A project counted under several
municipalities (a place list) is counted in full under each of them, so the per-place
views must not be summed across places; the programme, procedure and beneficiary views can.
"""

from __future__ import annotations

import duckdb

from warehouse.metadata import create_table_sql
from warehouse.metadata_isun_bulk import ISUN_API_PLACES, ISUN_API_PROJECTS

_MEASURES = """
    count(DISTINCT b.project_key) AS projects,
    count(DISTINCT b.project_key) FILTER (WHERE b.page_contracts > 0) AS projects_with_pages,
    sum(b.contracted_eur) AS contracted_eur,
    sum(b.reported_eur) AS reported_eur,
    sum(b.paid_eur) AS paid_eur,
    sum(b.contracted_bgn) AS contracted_bgn,
    sum(b.reported_bgn) AS reported_bgn,
    sum(b.paid_bgn) AS paid_bgn,
    round(sum(b.reported_eur) / nullif(sum(b.contracted_eur), 0), 4) AS execution_rate,
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
    # One row per project ИСУН publishes: every project of the open-data API (by proposal
    # code: contracted and paid as the API states them, reported from the activities of its
    # crawled contract pages where there are any), and each crawled contract whose proposal
    # the API does not list (the page's own amounts).
    "absorption_base": f"""
        WITH page AS (
            SELECT {_PROPOSAL} AS proposal_code, p.*, a.reported_eur, a.reported_bgn, a.over_reported_activities
            FROM projects p LEFT JOIN activity_totals a USING (project_code)),
        page_by_proposal AS (
            SELECT proposal_code, count(*) AS page_contracts, any_value(procedure_name) AS procedure_name,
                   sum(reported_eur) AS reported_eur, sum(reported_bgn) AS reported_bgn,
                   sum(over_reported_activities) AS over_reported_activities
            FROM page GROUP BY proposal_code),
        api AS (
            SELECT proposal_code, any_value(programme_code) AS programme_code,
                   any_value(procedure_code) AS procedure_code, any_value(programme_name) AS programme_name,
                   any_value(beneficiary_eik) AS beneficiary_eik, any_value(beneficiary_name) AS beneficiary_name,
                   bool_or(beneficiary_without_eik) AS beneficiary_without_eik,
                   sum(amount_total_eur) AS contracted_eur, sum(amount_total_bgn) AS contracted_bgn,
                   sum(amount_paid_eur) AS paid_eur, sum(amount_paid_bgn) AS paid_bgn
            FROM isun_api_projects GROUP BY proposal_code)
        SELECT api.proposal_code AS project_key, 'isun-api' AS basis, api.proposal_code, api.programme_code,
               api.programme_name, api.procedure_code, pb.procedure_name, api.beneficiary_eik, api.beneficiary_name,
               api.beneficiary_without_eik, coalesce(pb.page_contracts, 0) AS page_contracts,
               api.contracted_eur, api.contracted_bgn, pb.reported_eur, pb.reported_bgn, api.paid_eur, api.paid_bgn,
               pb.over_reported_activities
        FROM api LEFT JOIN page_by_proposal pb USING (proposal_code)
        UNION ALL BY NAME
        SELECT project_code AS project_key, 'pages' AS basis, proposal_code, programme_code, programme_name,
               procedure_code, procedure_name, beneficiary_eik, beneficiary_name, false AS beneficiary_without_eik,
               1 AS page_contracts, amount_total_eur AS contracted_eur, amount_total_bgn AS contracted_bgn,
               reported_eur, reported_bgn, amount_paid_eur AS paid_eur, amount_paid_bgn AS paid_bgn,
               over_reported_activities
        FROM page WHERE proposal_code NOT IN (SELECT proposal_code FROM isun_api_projects)""",
    # Districts and municipalities of each row of absorption_base: the API's places of
    # execution for its projects, the page's location for the others.
    "absorption_places": """
        SELECT DISTINCT b.project_key, pl.level, pl.code, pl.name, pl.nuts3
        FROM absorption_base b JOIN isun_api_places pl ON b.basis = 'isun-api' AND pl.proposal_code = b.project_key
        UNION
        SELECT DISTINCT b.project_key, pl.level, pl.code, pl.name, pl.nuts3
        FROM absorption_base b JOIN project_places pl ON b.basis = 'pages' AND pl.project_code = b.project_key""",
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
    existing = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table in (ISUN_API_PROJECTS, ISUN_API_PLACES):  # a warehouse built without the bulk sources
        if table.name not in existing:
            con.execute(create_table_sql(table))
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    return list(VIEWS)
