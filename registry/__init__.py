"""The table registry, on the ground floor: every published table, its fields and rules.

What belongs here: declarations (tables, fields, keys, rules, identifier formats) and
functions that read only them. Nothing here imports any other package of ours; every
other package may import this one. The tables are declared in `registry.tables` (ИСУН
pages, projects and their children, quarantine, history), `registry.isun_bulk` (the
open-data API and the register export), `registry.documents` (free-text pages and
strategy documents) and `registry.reference` (programmes); `all_tables()` gathers them.
"""

from __future__ import annotations

from registry.documents import DOCUMENT_TABLES
from registry.isun_bulk import BULK_TABLES
from registry.reference import REFERENCE_TABLES
from registry.tables import PUBLISHED_TABLES, Table


def all_tables() -> dict[str, Table]:
    """Every table the build produces, by name, wherever it is declared."""
    return {**PUBLISHED_TABLES, **BULK_TABLES, **DOCUMENT_TABLES, **REFERENCE_TABLES}


def tables_by_asset(tables: dict[str, Table] | None = None) -> dict[str, Table]:
    """Each table by the Dagster asset that produces it."""
    return {t.asset: t for t in (tables or all_tables()).values() if t.asset}


def parent_assets(table: Table, tables: dict[str, Table] | None = None) -> dict[str, str]:
    """Column -> the asset of the table its checked foreign key points at."""
    tables = tables or all_tables()
    return {fk.column: tables[fk.parent].asset for fk in table.foreign_keys if fk.checked}
