"""Each project's contractors, from every source that names them, so a new one is a change.

Three sources name a contract's contractors: the open-data API's `contracts[]`
(`isun_api_contracts`, every contract the API lists, by proposal code), and, where the
contract's pages were read, its Procurements page (`project_procurements.contractor_name`) and
its Participants page (`project_organisations`, role `contractor`). `project_contractors`
(a view in the release's database) has one row per project and contractor, the contractor
keyed as `contractor_key` says (ЕИК, else the name in capitals, else the API's entity id of a
natural person, whose name is not published). The release's history (`history_contractors`,
`warehouse.release`) keeps a row when one appears or goes; the changelog and the feeds report
a contractor new on a project that was already known (a new project's contractors come with it).

What belongs here: that view and reading a release's contractor history as changes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from warehouse.views import release_order_key

NATURAL_PERSON = "физическо лице / natural person"


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    try:
        return {r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()}
    except duckdb.Error:
        return set()


def _key(eik: str, name: str, entity: str) -> str:
    return (
        f"coalesce('eik:' || nullif(trim({eik}), ''), "
        f"'name:' || nullif(upper(regexp_replace(trim({name}), '\\s+', ' ', 'g')), ''), "
        f"'entity:' || {entity})"
    )


def create_contractors_view(con: duckdb.DuckDBPyConnection) -> None:
    """`project_contractors` (project_code, contractor_key, contractor_name, contractor_eik,
    contractor_sources) over whichever of the three sources this database has."""
    parts = []
    if {"proposal_code", "contractor_name", "contractor_eik", "contractor_entity_id"} <= _columns(
        con, "isun_api_contracts"
    ):
        parts.append(
            f"""SELECT p.project_code, {_key("c.contractor_eik", "c.contractor_name", "c.contractor_entity_id")}
                   AS contractor_key, c.contractor_name, c.contractor_eik, 'isun-api' AS source
            FROM isun_api_contracts c JOIN projects p ON p.proposal_code = c.proposal_code"""
        )
    if "contractor_name" in _columns(con, "project_procurements"):
        parts.append(
            f"""SELECT project_code, {_key("NULL", "contractor_name", "NULL")} AS contractor_key,
                   trim(contractor_name) AS contractor_name, NULL AS contractor_eik, 'procurements' AS source
            FROM project_procurements WHERE nullif(trim(contractor_name), '') IS NOT NULL"""
        )
    if {"role", "eik", "name_as_published"} <= _columns(con, "project_organisations"):
        parts.append(
            f"""SELECT project_code, {_key("eik", "name_as_published", "organisation_id")} AS contractor_key,
                   trim(name_as_published) AS contractor_name, eik AS contractor_eik, 'participants' AS source
            FROM project_organisations WHERE role = 'contractor'"""
        )
    union = (
        " UNION ALL ".join(parts)
        if parts
        else "SELECT NULL::VARCHAR AS project_code, NULL::VARCHAR AS contractor_key, "
        "NULL::VARCHAR AS contractor_name, NULL::VARCHAR AS contractor_eik, NULL AS source WHERE false"
    )
    # A name a page gives without its ЕИК is the contractor the API names with it, where the
    # names agree (in capitals, spaces collapsed), so reading the pages adds no "new" contractor.
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW project_contractors AS
        WITH parts AS (SELECT * FROM ({union}) WHERE project_code IS NOT NULL),
        named AS (
            SELECT DISTINCT project_code, 'name:' || upper(regexp_replace(trim(contractor_name), '\s+', ' ', 'g'))
                   AS name_key, contractor_key AS eik_key
            FROM parts WHERE contractor_key LIKE 'eik:%' AND contractor_name IS NOT NULL)
        SELECT p.project_code, coalesce(n.eik_key, p.contractor_key) AS contractor_key,
               coalesce(min(p.contractor_name) FILTER (WHERE p.contractor_eik IS NOT NULL), min(p.contractor_name))
                   AS contractor_name, min(p.contractor_eik) AS contractor_eik,
               string_agg(DISTINCT p.source, ';' ORDER BY p.source) AS contractor_sources
        FROM parts p LEFT JOIN named n ON n.project_code = p.project_code AND n.name_key = p.contractor_key
        GROUP BY ALL"""
    )


def contractor_label(name: str | None, eik: str | None) -> str:
    """'Мебел Хасково ЕООД (ЕИК 204123456)'; a natural person said to be one."""
    shown = name or NATURAL_PERSON
    return f"{shown} (ЕИК {eik})" if eik else shown


def new_contractors(history: list[dict], first_seen: dict[str, str]) -> list[dict]:
    """The contractors new on an already known project, from `history_contractors` rows (any
    order), oldest first: {release_id, project_code, contractor, contractor_eik, before, after}
    (before and after: the project's contractors as labels, sorted).

    Not reported: the contractors of the release where the history of contractors begins (the
    first release, or the first that kept it), and those of a project in the release where it
    first appears (`first_seen`: project code -> that release; a contract whose pages were read
    appears under its contract code then), which come with the project."""
    rows = sorted(
        history,
        key=lambda r: (r["project_code"], _order(r["release_id"]), r["contractor_key"]),
    )
    releases = sorted({r["release_id"] for r in rows}, key=_order)
    if not releases:
        return []
    first_release = releases[0]
    out = []
    by_project: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_project[r["project_code"]].append(r)
    for code, project_rows in by_project.items():
        state: dict[str, str] = {}  # key -> label, as of the release being read
        project_first = first_seen.get(code)
        by_release: dict[str, list[dict]] = defaultdict(list)
        for r in project_rows:
            by_release[r["release_id"]].append(r)
        for rid in sorted(by_release, key=_order):
            before = dict(state)
            added = []
            for r in by_release[rid]:
                key = r["contractor_key"]
                if r["is_removed"]:
                    state.pop(key, None)
                    continue
                if key not in state:
                    added.append(r)
                state[key] = contractor_label(r["contractor_name"], r["contractor_eik"])
            if rid in (first_release, project_first):
                continue
            for r in added:
                out.append(
                    {
                        "release_id": rid,
                        "project_code": code,
                        "contractor": contractor_label(r["contractor_name"], r["contractor_eik"]),
                        "contractor_eik": r["contractor_eik"],
                        "before": sorted(before.values()),
                        "after": sorted(state.values()),
                    }
                )
    return sorted(out, key=lambda e: (_order(e["release_id"]), e["project_code"], e["contractor"]))


def _order(release_id: str) -> str:
    """A release's place in time, as `warehouse.views.release_order_key` gives it (day, then run)."""
    run = release_id.partition(".")[2] or "1"
    return f"{release_id[:10]}.{run.zfill(4)}"


def history_rows(
    con: duckdb.DuckDBPyConnection, relation: str = "history_contractors"
) -> list[dict]:
    """Every row of a contractor history (a table or `read_parquet(...)`); [] where there is none."""
    try:
        cur = con.execute(
            f"SELECT * FROM {relation} ORDER BY project_code, " + release_order_key("release_id")
        )
    except duckdb.Error:
        return []
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def first_seen_releases(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Project code -> the release where it first appears in `history_projects`."""
    try:
        rows = con.execute(
            "SELECT project_code, arg_min(release_id, "
            + release_order_key("release_id")
            + ") FROM history_projects GROUP BY project_code"
        ).fetchall()
    except duckdb.Error:
        return {}
    return dict(rows)


def new_contractors_in(history: Path, release_id: str, new_projects: list[str]) -> list[dict]:
    """The contractors new in `release_id`, from a release's `history_contractors.parquet`;
    `new_projects`: the project codes that first appear in it (their contractors come with them)."""
    if not history.exists():
        return []
    con = duckdb.connect()
    try:
        rows = history_rows(con, f"read_parquet('{history}')")
    finally:
        con.close()
    first_seen = dict.fromkeys(new_projects, release_id)
    return [e for e in new_contractors(rows, first_seen) if e["release_id"] == release_id]
