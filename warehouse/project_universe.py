"""One project universe: every contract of ИСУН's bulk sources is a row of `projects`, pages enrich.

The open-data API (`isun_api_projects`) and the register export (`isun_export_projects`)
list every contract ИСУН publishes, every night; contract pages (`project_pages`) arrive
for a few hundred contracts a night. `projects` has one row per contract:

- a contract whose pages were read: the page's values (`detail_level` = `pages`,
  `pages_fetched_at` = when its page was fetched): ИСУН's contract pages are the authority,
  as in `linked_projects`; where the bulk sources say otherwise (a newer payment, say), the
  disagreement is in `project_conflicts`, and the page's values follow when it is re-read;
- every other proposal of the API (a code the API lists twice is one project with its first
  row's values, never a sum; `project_conflicts` lists the difference) and every proposal
  of the register export the API does not
  list: the bulk values (`detail_level` = `bulk`, `project_code` = the proposal code, the
  only code the bulk sources give; EUR as stated, BGN derived by the bulk tables).

`bulk_source` says which bulk source lists the contract (`isun-api`, `isun-export`, or null
for a page the bulk sources do not list). A value both a page and a bulk source give that
disagrees is in `project_conflicts` (`transforms.linking` compares them), not here.
Nothing is held in memory: one DuckDB query over the staged Parquet parts, with the
warehouse's memory cap (`warehouse.duckdb_store.connect`), spilling past it.
"""

from __future__ import annotations

from pathlib import Path

from shared.atomic import atomic_path
from warehouse.duckdb_store import connect
from warehouse.staging import StagedTable, finish, new_version_dir, sql_string, typed_select

# The bulk amounts of a proposal: its first row's, in the stated currency and both others.
_BULK_AMOUNTS = ("amount_total", "amount_paid")
_EXPORT_AMOUNTS = ("amount_total", "amount_grant", "amount_own", "amount_paid")


def _amounts(stems: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for s in stems for c in (f"{s}_eur", f"{s}_bgn", s))


# The values of a proposal's first row (a proposal repeated for a second contract shares them).
_API_COLUMNS = (
    "project_code_original",
    "code_flags",
    "programme_code",
    "procedure_code",
    "programme_name",
    "project_name",
    "description",
    "funding_source",
    "beneficiary_eik",
    "beneficiary_name",
    "start_date",
    "end_date",
    "duration_months",
    "status",
    "location",
    "currency_original",
    "source_url",
    "fetched_at",
    "content_sha256",
) + _amounts(_BULK_AMOUNTS)
_EXPORT_COLUMNS = (
    "project_code_original",
    "code_flags",
    "programme_code",
    "procedure_code",
    "programme_text",
    "project_name",
    "beneficiary_eik",
    "beneficiary_name",
    "duration_months",
    "status",
    "location",
    "currency_original",
    "source_url",
    "fetched_at",
    "content_sha256",
) + _amounts(_EXPORT_AMOUNTS)


def _first_rows(source: str, bulk_source: str, columns: tuple[str, ...], where: str = "") -> str:
    """One row per proposal of `source`: each column's first non-null value by `position`
    (`arg_min`), `beneficiary_without_eik` if any row says so. A proposal with one row (nearly
    all) is that row as it is, which is the same; only those with several are aggregated, so
    the aggregate holds a few states, not every proposal's text (it cannot spill: at 10 000
    contracts it held ~250 MiB and failed under a 100 MB cap)."""
    first = ",\n".join(f"arg_min({c}, position) AS {c}" for c in columns)
    return f"""(
        WITH src AS (SELECT * FROM {source} {where}),
             counted AS (SELECT proposal_code, count(*) AS n_rows FROM src GROUP BY proposal_code)
        SELECT proposal_code, '{bulk_source}' AS bulk_source, {", ".join(columns)},
               beneficiary_without_eik
        FROM src JOIN counted USING (proposal_code) WHERE n_rows = 1
        UNION ALL BY NAME
        SELECT proposal_code, '{bulk_source}' AS bulk_source, {first},
               bool_or(beneficiary_without_eik) AS beneficiary_without_eik
        FROM src JOIN counted USING (proposal_code) WHERE n_rows > 1 GROUP BY proposal_code)"""


def universe_sql(pages: str, api: str, export: str, page_columns: list[str]) -> str:
    """The `projects` rows from the three staged tables (DuckDB table expressions)."""
    return f"""
    WITH api AS {_first_rows(api, "isun-api", _API_COLUMNS)},
    export AS {
        _first_rows(
            export,
            "isun-export",
            _EXPORT_COLUMNS,
            "WHERE proposal_code NOT IN (SELECT proposal_code FROM api)",
        )
    },
    bulk AS (
        SELECT * EXCLUDE (funding_source), funding_source AS funds FROM api
        UNION ALL BY NAME
        SELECT * EXCLUDE (programme_text), programme_text AS programme_name FROM export),
    pages AS (SELECT * FROM {pages})
    SELECT {", ".join(f"p.{c}" for c in page_columns)},
           'pages' AS detail_level, b.bulk_source, p.fetched_at AS pages_fetched_at,
           coalesce(b.beneficiary_without_eik, p.beneficiary_eik IS NULL AND p.beneficiary_name IS NULL)
               AS beneficiary_without_eik
    FROM pages p LEFT JOIN bulk b USING (proposal_code)
    UNION ALL BY NAME
    SELECT b.proposal_code AS project_code, b.project_code_original, b.code_flags, b.proposal_code,
           b.programme_code, b.procedure_code, b.programme_name, b.funds, b.project_name, b.description,
           b.beneficiary_name, b.beneficiary_eik, b.beneficiary_eik AS beneficiary_uin,
           b.start_date, b.end_date, b.duration_months, b.status, b.location, b.currency_original,
           b.amount_total, b.amount_total_bgn, b.amount_total_eur,
           b.amount_grant, b.amount_grant_bgn, b.amount_grant_eur,
           b.amount_own, b.amount_own_bgn, b.amount_own_eur,
           b.amount_paid, b.amount_paid_bgn, b.amount_paid_eur,
           'bulk' AS detail_level, b.bulk_source, NULL::TIMESTAMPTZ AS pages_fetched_at,
           b.beneficiary_without_eik, b.source_url, b.fetched_at, b.content_sha256
    FROM bulk b WHERE b.proposal_code NOT IN (SELECT proposal_code FROM pages)"""


def stage_project_universe(
    root: Path | str,
    table,
    pages: StagedTable,
    api: StagedTable,
    export: StagedTable,
    page_columns: list[str],
) -> StagedTable:
    """`projects` (the registry's `table`) staged under `root` from the page and bulk tables."""
    directory = new_version_dir(root, table)
    directory.mkdir(parents=True, exist_ok=True)
    select = universe_sql(pages.scan_sql(), api.scan_sql(), export.scan_sql(), page_columns)
    # The warehouse's memory cap: without it DuckDB held the whole sorted table (~260 MiB at
    # 10 000 contracts, growing with them) instead of spilling.
    con = connect()
    try:
        with atomic_path(directory / "part-000000.parquet") as tmp:
            con.execute(
                f"COPY ({typed_select(table, f'({select}) u')} ORDER BY project_code) "
                f"TO {sql_string(tmp)} (FORMAT parquet, COMPRESSION zstd)"
            )
    finally:
        con.close()
    return finish(root, table, directory)
