"""What the site's pages and its Atom feeds both need: number and money formatting, file names,
reading the release's DuckDB file (a table's columns, a query's rows as dicts), and writing a
file or linking the previous release's where its bytes are the same (`write_or_link`).

Only small, pure helpers shared by `warehouse.site` (the HTML pages) and
`warehouse.feeds` (the Atom feeds and changelog entries); neither of those imports the
other's page-building code.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

NBSP = "\u00a0"


def number_bg(value, decimals: int = 2) -> str:
    """`1234567.891` -> `1 234 567,89` (no-break spaces, decimal comma), as Bulgarian readers write it."""
    if value is None:
        return "—"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def money(bgn, eur) -> str:
    """Both currencies, always: `88 840,80 лв. · 45 423,58 €`."""
    if bgn is None and eur is None:
        return "—"
    return (
        f'<span class="bgn">{number_bg(bgn)}{NBSP}лв.</span><span class="sep"> · </span>'
        f'<span class="eur">{number_bg(eur)}{NBSP}€</span>'
    )


def percent(rate) -> str:
    return "—" if rate is None else f"{number_bg(float(rate) * 100, 1)}{NBSP}%"


def slug(key: str | None) -> str:
    """A file name for a key: codes and EIKs as they are, anything else by its hash."""
    key = key or ""
    if re.fullmatch(r"[A-Za-z0-9._-]{1,80}", key) and not key.startswith("."):
        return key
    return "h-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def project_file(code: str) -> str:
    return f"project/{slug(code)}.html"


def table_columns(con, name: str) -> list[str]:
    """The columns of table or view `name` in the DuckDB connection `con`; [] if there is none."""
    import duckdb

    try:
        return [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
    except duckdb.Error:
        return []


def query_rows(con, sql: str, params: list | None = None) -> list[dict]:
    """The rows of `sql` on the DuckDB connection `con`, each a dict by column name."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def write_or_link(path: Path, data: bytes, old: Path | None) -> bool:
    """Write `data` to `path`, or hard-link `old` (the previous release's file) there when it holds
    exactly `data`: the same bytes as a write, without a new copy on disk (releases are never
    modified once published). True when linked."""
    if old is not None:
        try:
            if old.stat().st_size == len(data) and old.read_bytes() == data:
                os.link(old, path)
                return True
        except OSError:
            pass  # no previous file, another file system, a file already there: write it
    path.write_bytes(data)
    return False
