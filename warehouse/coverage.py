"""How much of ИСУН a release covers, read from its warehouse: stated in every release.

Per open-data programme: the projects the API announces (`totalProjects`), those published,
and those with page-level detail (a crawled contract page whose code, minus `-Cnn`, is the
project's proposal code); in all: "N of M contracts, K with page detail"; the register
export against the API; and how fresh each source is (when its newest answer was fetched).
"""

from __future__ import annotations

import duckdb

PROPOSAL_OF_PAGE = r"regexp_replace(project_code, '-C\d+$', '')"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _programmes(con: duckdb.DuckDBPyConnection, pages: str) -> list[dict]:
    """Per open-data programme: projects announced, published and with page detail."""
    rows = con.execute(f"""
        SELECT g.isun_programme_id, g.isun_period_id, g.programme_name, g.total_projects, g.projects_published,
               (SELECT count(DISTINCT a.proposal_code) FROM isun_api_projects a JOIN {pages} p USING (proposal_code)
                WHERE a.isun_programme_id = g.isun_programme_id AND a.isun_period_id = g.isun_period_id),
               g.generated_at, g.fetched_at
        FROM isun_api_programmes g ORDER BY g.total_projects DESC NULLS LAST, g.isun_programme_id""").fetchall()
    return [
        {
            "programme_id": r[0],
            "period_id": r[1],
            "name": r[2],
            "in_api": r[3],
            "in_release": r[4],
            "with_page_detail": r[5],
            "generated_at": r[6],
            "fetched_at": _iso(r[7]),
        }
        for r in rows
    ]


def _counts(con: duckdb.DuckDBPyConnection, pages: str) -> dict:
    """API projects published and with page detail; crawled contracts and the export against the API."""
    published = con.execute("SELECT count(*) FROM isun_api_projects").fetchone()[0]
    with_pages = con.execute(
        f"SELECT count(DISTINCT proposal_code) FROM isun_api_projects JOIN {pages} USING (proposal_code)"
    ).fetchone()[0]
    page_contracts, pages_only = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {PROPOSAL_OF_PAGE} NOT IN "
        "(SELECT proposal_code FROM isun_api_projects)) FROM projects WHERE detail_level = 'pages'"
    ).fetchone()
    export_rows, export_not_in_api = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE proposal_code NOT IN (SELECT proposal_code FROM isun_api_projects))"
        " FROM isun_export_projects"
    ).fetchone()
    api_not_in_export = con.execute(
        "SELECT count(DISTINCT proposal_code) FROM isun_api_projects"
        " WHERE proposal_code NOT IN (SELECT proposal_code FROM isun_export_projects)"
    ).fetchone()[0]
    return {
        "contracts_published": published,
        "with_page_detail": with_pages,
        "page_contracts": page_contracts,
        "page_contracts_not_in_api": pages_only,
        "export_rows": export_rows,
        "export_rows_not_in_api": export_not_in_api,
        "api_projects_not_in_export": api_not_in_export,
    }


def _freshness(con: duckdb.DuckDBPyConnection) -> dict:
    """When each source's oldest and newest answers were fetched."""
    fresh = con.execute("""
        SELECT (SELECT min(fetched_at) FROM isun_api_programmes), (SELECT max(fetched_at) FROM isun_api_programmes),
               (SELECT max(fetched_at) FROM isun_export_projects),
               (SELECT min(pages_fetched_at) FROM projects), (SELECT max(pages_fetched_at) FROM projects)""").fetchone()
    return {
        "api_oldest_programme_fetched_at": _iso(fresh[0]),
        "api_newest_fetched_at": _iso(fresh[1]),
        "export_fetched_at": _iso(fresh[2]),
        "pages_oldest_fetched_at": _iso(fresh[3]),
        "pages_newest_fetched_at": _iso(fresh[4]),
    }


def set_aside_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per bulk source whose answer was set aside (quarantine rule
    `bulk_response_set_aside`): `export: not read tonight (header changed); stale since …`."""
    rows = con.execute(
        "SELECT record_key, message FROM quarantine WHERE rule = 'bulk_response_set_aside' "
        "ORDER BY record_key, fetched_at DESC"
    ).fetchall()
    lines: dict[str, str] = {}
    for key, message in rows:
        parts = message.split("; ")
        lines.setdefault(key, f"{parts[0]}; {parts[-1].split(': ')[-1]}")
    return list(lines.values())


def coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """The coverage section of the quality report (`line` is the build summary's sentence)."""
    pages = f"(SELECT DISTINCT {PROPOSAL_OF_PAGE} AS proposal_code FROM projects WHERE detail_level = 'pages')"
    programmes = _programmes(con, pages)
    counts = _counts(con, pages)
    announced = sum(p["in_api"] or 0 for p in programmes)
    not_fetched = sum(1 for p in programmes if p["in_api"] is None)
    line = (
        f"{counts['contracts_published']} of {announced} contracts in the open-data API published, "
        f"{counts['with_page_detail']} with page detail"
    )
    if not_fetched:
        line += f" ({not_fetched} of {len(programmes)} programmes not fetched yet)"
    if counts["page_contracts_not_in_api"]:
        line += f"; {counts['page_contracts_not_in_api']} crawled contracts not in the API"
    set_aside = set_aside_sources(con)
    if set_aside:
        line += "; " + "; ".join(set_aside)
    return {
        "line": line,
        "sources_set_aside": set_aside,
        "contracts_in_api": announced,
        "contracts_published": counts["contracts_published"],
        "with_page_detail": counts["with_page_detail"],
        "page_contracts": counts["page_contracts"],
        "page_contracts_not_in_api": counts["page_contracts_not_in_api"],
        "programmes_listed": len(programmes),
        "programmes_not_fetched": not_fetched,
        "export_rows": counts["export_rows"],
        "export_rows_not_in_api": counts["export_rows_not_in_api"],
        "api_projects_not_in_export": counts["api_projects_not_in_export"],
        "freshness": _freshness(con),
        "programmes": programmes,
    }
