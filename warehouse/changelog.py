"""What changed between two releases: projects added, removed, and changed fields (old -> new)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from warehouse.metadata import PROJECTS

PROVENANCE_FIELDS = {"source_url", "fetched_at", "content_sha256"}
COMPARED_FIELDS = [c for c in PROJECTS.columns if c not in PROVENANCE_FIELDS and c != "project_code"]


def _value(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def compute_changelog(previous: Path | None, current: Path) -> dict:
    """Compare two `projects.parquet` files; with no previous release, every project is added."""
    new = pd.read_parquet(current).set_index("project_code")
    old = pd.read_parquet(previous).set_index("project_code") if previous and previous.exists() else new.iloc[0:0]
    added = sorted(set(new.index) - set(old.index))
    removed = sorted(set(old.index) - set(new.index))
    common = sorted(set(new.index) & set(old.index))
    changes = []
    if common:
        a, b = old.loc[common], new.loc[common]
        for column in COMPARED_FIELDS:
            if column not in a.columns or column not in b.columns:
                continue
            left, right = a[column].astype(object), b[column].astype(object)
            same = (left == right) | (left.isna() & right.isna())
            for code in same.index[~same.to_numpy()]:
                changes.append({"project_code": code, "field": column,
                                "old": _value(left[code]), "new": _value(right[code])})
    return {"projects_added": added, "projects_removed": removed, "changed_fields": changes,
            "summary": {"added": len(added), "removed": len(removed),
                        "projects_changed": len({c["project_code"] for c in changes}),
                        "fields_changed": len(changes)}}


def changelog_markdown(changelog: dict, release_id: str, previous_id: str | None) -> str:
    s = changelog["summary"]
    lines = [f"# Changelog {release_id}", "",
             f"Compared with {previous_id}." if previous_id else "First release.", "",
             f"- projects added: {s['added']}", f"- projects removed: {s['removed']}",
             f"- projects changed: {s['projects_changed']} ({s['fields_changed']} fields)", ""]
    for title, codes in (("Added", changelog["projects_added"]), ("Removed", changelog["projects_removed"])):
        if codes:
            lines += [f"## {title}", "", *[f"- {c}" for c in codes], ""]
    if changelog["changed_fields"]:
        lines += ["## Changed", "", "| project_code | field | old | new |", "| --- | --- | --- | --- |"]
        lines += [f"| {c['project_code']} | {c['field']} | {c['old']} | {c['new']} |" for c in changelog["changed_fields"]]
    return "\n".join(lines) + "\n"
