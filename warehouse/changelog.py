"""What changed between two releases: projects added, removed, changed fields (old -> new), and
contractors new on a project (with the project's contractors before and after).

`projects` holds every contract of the bulk sources, so a new contract, a payment or a status
in the open-data API alone is a change here. A contract known by its proposal code whose
pages were read since is listed once, under `pages_read` (proposal code -> contract code),
not as removed and added. New contractors come from the release's `history_contractors`
(`warehouse.contractors`: the open-data API's contracts and the Procurements and Participants
pages).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from registry.tables import PROJECTS
from warehouse.contractors import new_contractors_in
from warehouse.duckdb_store import connect
from warehouse.staging import sql_string

PROVENANCE_FIELDS = {"source_url", "fetched_at", "content_sha256", "pages_fetched_at"}
COMPARED_FIELDS = [
    c for c in PROJECTS.columns if c not in PROVENANCE_FIELDS and c != "project_code"
]


def _value(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def compute_changelog(
    previous: Path | None,
    current: Path,
    contractor_history: Path | None = None,
    release_id: str | None = None,
) -> dict:
    """Compare two `projects.parquet` files; with no previous release, every project is added.
    With the release's `history_contractors.parquet` and id, also the contractors new in it.

    DuckDB joins the two files on the project code, so neither is loaded whole.
    """
    con = connect()
    try:
        new = f"read_parquet({sql_string(current)})"
        old = (
            f"read_parquet({sql_string(previous)})"
            if previous and previous.exists()
            else f"(SELECT * FROM {new} LIMIT 0)"
        )
        codes = lambda sql: [r[0] for r in con.execute(sql).fetchall()]  # noqa: E731
        added = codes(
            f"SELECT project_code FROM {new} EXCEPT SELECT project_code FROM {old} ORDER BY 1"
        )
        removed = codes(
            f"SELECT project_code FROM {old} EXCEPT SELECT project_code FROM {new} ORDER BY 1"
        )
        old_columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {old}").fetchall()}
        pages_read = []
        if added and removed:
            pages_read = [
                {"proposal_code": proposal, "project_code": code}
                for code, proposal in con.execute(
                    f"SELECT project_code, proposal_code FROM {new} WHERE project_code IN "
                    "(SELECT unnest(?::VARCHAR[])) AND proposal_code IN (SELECT unnest(?::VARCHAR[])) "
                    "ORDER BY 1",
                    [added, removed],
                ).fetchall()
            ]
            read_codes = {r["project_code"] for r in pages_read}
            read_proposals = {r["proposal_code"] for r in pages_read}
            added = [c for c in added if c not in read_codes]
            removed = [c for c in removed if c not in read_proposals]
        changes = []
        for column in COMPARED_FIELDS:
            if column not in old_columns:
                continue
            c = f'"{column}"'
            rows = con.execute(
                f"SELECT project_code, a.{c}, b.{c} FROM {old} a JOIN {new} b USING (project_code) "
                f"WHERE a.{c} IS DISTINCT FROM b.{c} ORDER BY project_code"
            ).fetchall()
            changes += [
                {"project_code": code, "field": column, "old": _value(a), "new": _value(b)}
                for code, a, b in rows
            ]
    finally:
        con.close()
    changes.sort(key=lambda c: (c["project_code"], COMPARED_FIELDS.index(c["field"])))
    contractors = (
        [
            {k: e[k] for k in ("project_code", "contractor", "contractor_eik", "before", "after")}
            for e in new_contractors_in(
                contractor_history,
                release_id,
                [*added, *(r["project_code"] for r in pages_read)],
            )
        ]
        if contractor_history and release_id
        else []
    )
    return {
        "projects_added": added,
        "projects_removed": removed,
        "pages_read": pages_read,
        "changed_fields": changes,
        "contractors_added": contractors,
        "summary": {
            "added": len(added),
            "removed": len(removed),
            "pages_read": len(pages_read),
            "projects_changed": len({c["project_code"] for c in changes}),
            "fields_changed": len(changes),
            "contractors_added": len(contractors),
        },
    }


def changelog_markdown(changelog: dict, release_id: str, previous_id: str | None) -> str:
    s = changelog["summary"]
    lines = [
        f"# Changelog {release_id}",
        "",
        f"Compared with {previous_id}." if previous_id else "First release.",
        "",
        f"- projects added: {s['added']}",
        f"- projects removed: {s['removed']}",
        f"- page detail read (proposal code -> contract code): {s.get('pages_read', 0)}",
        f"- projects changed: {s['projects_changed']} ({s['fields_changed']} fields)",
        f"- new contractors: {s.get('contractors_added', 0)}",
        "",
    ]
    for title, codes in (
        ("Added", changelog["projects_added"]),
        ("Removed", changelog["projects_removed"]),
    ):
        if codes:
            lines += [f"## {title}", "", *[f"- {c}" for c in codes], ""]
    if changelog.get("pages_read"):
        lines += [
            "## Page detail read",
            "",
            *[f"- {r['proposal_code']} -> {r['project_code']}" for r in changelog["pages_read"]],
            "",
        ]
    if changelog.get("contractors_added"):
        lines += [
            "## New contractors",
            "",
            "| project_code | contractor | before | after |",
            "| --- | --- | --- | --- |",
            *[
                f"| {c['project_code']} | {c['contractor']} | {'; '.join(c['before']) or '—'} "
                f"| {'; '.join(c['after'])} |"
                for c in changelog["contractors_added"]
            ],
            "",
        ]
    if changelog["changed_fields"]:
        lines += [
            "## Changed",
            "",
            "| project_code | field | old | new |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c['project_code']} | {c['field']} | {c['old']} | {c['new']} |"
            for c in changelog["changed_fields"]
        ]
    return "\n".join(lines) + "\n"
