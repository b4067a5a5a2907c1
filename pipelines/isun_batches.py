"""ИСУН pages to staged tables, a batch of contracts at a time: the wiring of the steps.

Page selection and parsing live in `sources.isun_pages`, normalising in `transforms.isun`,
the amount and duplicate-code set-asides in `transforms.isun_screening`, the batching,
process pool and Parquet parts in `pipelines.isun_staging`. Here they are put together:
a batch is parsed, normalised and screened (row-level quality rules) on its own. The
pipeline's workers go from rows to Arrow tables (`build_batch_arrow`,
`pipelines.isun_batch_arrow`); `build_batch` gives the same rows as DataFrames, for tests
and small corpora.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import pandas as pd

from pipelines.isun_batch_arrow import BatchTables, screen_rows
from pipelines.isun_staging import (
    BATCH_CONTRACTS,
    ISUN_TABLES,
    StagedIsunTables,
)
from pipelines.isun_staging import stage_isun_tables as _stage_isun_tables
from pipelines.isun_staging import stage_partition as _stage_partition
from quality.rules_sql import rules_connection, screen_isun_tables
from records.raw import RawResponse
from registry.tables import ACTIVITIES, PROJECT_PAGES, QUARANTINE
from sources.isun_pages import (
    contract_batches,
    is_contract_page,
    is_page_data,
    parse_archived_pages,
    procedure_names,
)
from sources.isun_procedures import is_procedures_export
from transforms.isun import IsunTables, build_isun_rows, build_isun_tables
from transforms.isun_screening import set_aside_oversized

# Page rows are screened under the name users see them under: a rejected one is a `projects` row.
PROJECTS_AS_READ = replace(PROJECT_PAGES, name="projects")

__all__ = [
    "BATCH_CONTRACTS",
    "StagedIsunTables",
    "build_batch",
    "build_batch_arrow",
    "is_contract_page",
    "is_page_data",
    "parse_and_build_in_batches",
    "screen_tables",
    "stage_isun_tables",
]


def screen_tables(tables: IsunTables) -> IsunTables:
    """Row-level quality rules: failing rows (and a failing project's activities and participants) to quarantine."""
    tables.projects, oversized = set_aside_oversized(
        PROJECTS_AS_READ, tables.projects, lambda r: r["project_code"]
    )
    tables.activities, oversized_activities = set_aside_oversized(
        ACTIVITIES, tables.activities, lambda r: f"{r['project_code']}#{r['activity_no']}"
    )
    if oversized or oversized_activities:
        tables.quarantine = pd.concat(
            [
                tables.quarantine,
                pd.DataFrame(oversized + oversized_activities, columns=QUARANTINE.columns),
            ],
            ignore_index=True,
        )
    tables.projects, tables.activities, tables.quarantine = screen_isun_tables(
        tables.projects, tables.activities, tables.quarantine, PROJECTS_AS_READ, ACTIVITIES
    )
    dropped = tables.keep_projects(set(tables.projects["project_code"]))
    if not dropped.empty:
        tables.quarantine = pd.concat([tables.quarantine, dropped], ignore_index=True)
    return tables


def build_batch(
    records: list[RawResponse],
    read_body: Callable[[str], bytes],
    screen: bool = True,
    procedures: dict[str, str] | None = None,
) -> IsunTables:
    """Parse, normalise and (unless `screen=False`) screen one batch of contracts; `procedures`
    names the procedures of contracts whose own BasicData was not fetched (`procedure_names`)."""
    parsed, rejected = parse_archived_pages(records, read_body)
    tables = build_isun_tables(parsed, rejected, procedures)
    del parsed
    return screen_tables(tables) if screen else tables


def build_batch_arrow(
    records: list[RawResponse],
    read_body: Callable[[str], bytes],
    procedures: dict[str, str] | None = None,
) -> BatchTables:
    """`build_batch` as the pipeline's workers run it: parsed, normalised into row dicts and
    screened into Arrow tables (`pipelines.isun_batch_arrow`), no DataFrame on the way."""
    parsed, rejected = parse_archived_pages(records, read_body)
    rows = build_isun_rows(parsed, rejected, procedures)
    del parsed
    con = rules_connection()
    try:
        con.execute("SET threads = 1")  # a worker per core already
        return screen_rows(rows, con, ISUN_TABLES)
    finally:
        con.close()


def parse_and_build_in_batches(
    records: list[RawResponse],
    read_body,
    batch_contracts: int = BATCH_CONTRACTS,
    screen: bool = True,
) -> IsunTables:
    """All batches, concatenated in memory: for tests and small corpora (the pipeline stages them)."""
    procedures = procedure_names(records, read_body)
    records = _contract_pages(records)
    parts = [
        build_batch(batch, read_body, screen, procedures)
        for batch in contract_batches(records, batch_contracts)
    ]
    if not parts:
        return build_isun_tables([], [])
    return IsunTables(
        **{
            name: pd.concat([getattr(t, name) for t in parts], ignore_index=True)
            for name in ISUN_TABLES
        }
    )


def stage_isun_tables(
    records: list[RawResponse],
    read_body,
    staging_root: Path | str,
    *,
    batch_contracts: int = BATCH_CONTRACTS,
    workers: int = 1,
    log=None,
    extra_quarantine: list[dict] | None = None,
    code_version: str = "",
    force: bool = False,
    partitions: int = 1,
) -> StagedIsunTables:
    """Every batch built by `build_batch_arrow` and staged (`pipelines.isun_staging`); `workers` > 1
    runs batches in that many processes (`read_body` must then pickle, e.g. `RawArchive.read`)."""
    procedures = procedure_names(records, read_body)
    records = _contract_pages(records)
    return _stage_isun_tables(
        records,
        partial(build_batch_arrow, read_body=read_body, procedures=procedures),
        staging_root,
        batch_contracts=batch_contracts,
        workers=workers,
        log=log,
        extra_quarantine=extra_quarantine,
        code_version=parts_version(code_version, procedures),
        force=force,
        partitions=partitions,
    )


def _contract_pages(records: list[RawResponse]) -> list[RawResponse]:
    """The records that are a contract's pages: the project-proposals export only names procedures
    (`procedure_names`), it is no contract's."""
    return [r for r in records if not is_procedures_export(r.url)]


def parts_version(code_version: str, procedures: dict[str, str]) -> str:
    """What stored parts were made with besides their contracts' own pages: the code, and the
    procedure names read from other contracts' BasicData (another name, another version: the
    stores start again)."""
    named = json.dumps(sorted(procedures.items()), ensure_ascii=False)
    return f"{code_version}+{hashlib.sha256(named.encode()).hexdigest()[:16]}"


def stage_isun_partition(
    records: list[RawResponse],
    read_body,
    staging_root: Path | str,
    partition: int,
    partitions: int,
    **options,
):
    """One partition's contracts parsed into its parts store (`pipelines.isun_staging.stage_partition`),
    with the same `build_batch_arrow` as `stage_isun_tables`."""
    procedures = procedure_names(records, read_body)
    records = _contract_pages(records)
    options["code_version"] = parts_version(options.get("code_version", ""), procedures)
    return _stage_partition(
        records,
        partial(build_batch_arrow, read_body=read_body, procedures=procedures),
        staging_root,
        partition,
        partitions,
        **options,
    )
