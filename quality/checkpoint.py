"""Great Expectations where the user sees it: one checkpoint per build, its Data Docs in the release.

The suites are generated from the same registry rules as the SQL engine
(`registry.tables.table_rules`), one suite per table registered by name
(`bgfunds.<table>`), one validation definition per table, and ONE checkpoint that
validates them all and updates the Data Docs site the release publishes in
`<release>/quality/`. The checkpoint's result is the release's quality report
(`report_tables`), in the shape `warehouse.release` and `warehouse.catalogue` read.

What each table is validated on: its staged Parquet narrowed by DuckDB to the columns
its rules read (amounts as DOUBLE; text that is only required, its first character),
plus one column per rule that spans columns or tables, named after the rule: the gap of a sum or of EUR = BGN / 1.95583
(`grant_plus_own_equals_total__amount_total`, at most the rule's tolerance) and the
value of a child row whose parent is missing (`parent_row_exists__project_code`, null
where the parent exists). Those frames are written once per build next to the Data Docs
work directory and read by a pandas filesystem data source.

Great Expectations is imported only inside `run_checkpoint`: loading the Dagster
definitions, the CLI and the batch workers never pay for it.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from quality.data_docs_assets import localise
from quality.rule_kinds import Context, derived_column, expectation, gap_sql
from quality.rules_sql import rules_connection
from registry.tables import Table, table_rules
from warehouse.staging import quote

SITE = "release"
EXAMPLES = 5


@dataclass
class TableToValidate:
    """A table, the DuckDB expression that reads it, and its parents' (by table name)."""

    table: Table
    source: str
    parents: dict[str, str]
    previous_rows: int | None = None


def rule_frame_sql(item: TableToValidate) -> str:
    """The table's rule columns (DECIMAL as DOUBLE) and its rules' derived columns, from DuckDB."""
    table, rules = item.table, table_rules(item.table)
    wanted = {c for r in rules if r.test not in ("row_drop",) for c in r.columns}
    # Text read only for its presence (titles, URLs, digests) is cut to its first character:
    # null stays null, and the frame stays small to read and to fingerprint.
    valued = {c for r in rules if r.test != "not_null" for c in r.columns}

    def column(f) -> str:
        c = quote(f.name)
        if f.type.startswith("DECIMAL"):
            return f"CAST(c.{c} AS DOUBLE) AS {c}"
        if f.type == "VARCHAR" and f.name not in valued:
            return f"left(c.{c}, 1) AS {c}"
        return f"c.{c}"

    select = [column(f) for f in table.fields if f.name in wanted]
    joins = []
    for i, rule in enumerate(rules):
        if rule.test in ("sum", "rate"):
            select.append(f"{gap_sql(rule, 'c.')} AS {quote(derived_column(rule))}")
        elif rule.test == "parent" and rule.parent in item.parents:
            p = quote(rule.parent_column)
            joins.append(
                f"LEFT JOIN (SELECT DISTINCT {p} AS k FROM {item.parents[rule.parent]}) p{i} "
                f"ON p{i}.k = c.{quote(rule.field)}"
            )
            select.append(
                f"CASE WHEN p{i}.k IS NULL THEN c.{quote(rule.field)} END AS {quote(derived_column(rule))}"
            )
    return f"SELECT {', '.join(select) or '1 AS _'} FROM {item.source} c {' '.join(joins)}"


def expectations(item: TableToValidate, default_drop_share: float) -> list:
    """The suite's expectations, one per registry rule, each from its kind (`quality.rule_kinds`)
    and tagged with the rule's name."""
    import great_expectations as gx

    out = []
    for rule in table_rules(item.table):
        ctx = Context(rule.parent in item.parents, item.previous_rows, default_drop_share)
        e = expectation(rule, gx.expectations, ctx)
        if e is not None:
            out.append(e)
    return out


def _context(docs_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            # Validation pages only (each lists its expectations and their results): the
            # suite pages would say the same again, at the cost of rendering them.
            "site_section_builders": {"expectations": "0", "profiling": "0"},
        },
    )
    return context


def _write_frames(items: list[TableToValidate], frames_dir: Path) -> None:
    frames_dir.mkdir(parents=True, exist_ok=True)
    con = rules_connection()
    try:
        for item in items:
            # Fetched as Arrow and written by pyarrow: several times faster here than DuckDB's
            # COPY under the connection's memory cap.
            frame = con.sql(rule_frame_sql(item)).to_arrow_table()
            pq.write_table(frame, frames_dir / f"{item.table.name}.parquet")
    finally:
        con.close()


def _validation_definition(gx, context, source, item: TableToValidate, default_drop_share: float):
    """The table's suite (`bgfunds.<table>`), registered, on its frame's Parquet file."""
    name = item.table.name
    suite = context.suites.add(
        gx.ExpectationSuite(
            name=f"bgfunds.{name}", expectations=expectations(item, default_drop_share)
        )
    )
    batch = source.add_parquet_asset(name=name).add_batch_definition_path(
        name="build", path=f"{name}.parquet"
    )
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=f"bgfunds.{name}", data=batch, suite=suite)
    )


def run_checkpoint(
    items: list[TableToValidate], work_dir: Path, docs_dir: Path, default_drop_share: float = 1.0
) -> dict:
    """Validate every table with one checkpoint; Data Docs go to `docs_dir`.

    Returns {"tables": the report per table, "seconds": wall time, "success": all passed};
    `seconds_by_step`: "frames" (the frames written, Great Expectations imported meanwhile),
    "setup" (suites and definitions), "validate" and "data_docs"."""
    started = time.monotonic()
    work_dir, docs_dir = Path(work_dir).resolve(), Path(docs_dir).resolve()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # Great Expectations takes seconds to import: in a thread while DuckDB writes the frames
    # (which lets go of the GIL as it runs), so the two share the wall time where a core is free.
    importing = threading.Thread(target=importlib.import_module, args=("great_expectations",))
    importing.start()
    try:
        _write_frames(items, work_dir / "frames")
    finally:
        importing.join()
    steps = {"frames": time.monotonic() - started}
    import great_expectations as gx

    context = _context(docs_dir)
    source = context.data_sources.add_pandas_filesystem(
        name="bgfunds_staged", base_directory=work_dir / "frames"
    )
    definitions = [
        _validation_definition(gx, context, source, item, default_drop_share) for item in items
    ]
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="bgfunds_build",
            validation_definitions=definitions,
            result_format={"result_format": "BASIC", "partial_unexpected_count": EXAMPLES},
        )
    )
    steps["setup"] = time.monotonic() - started - sum(steps.values())
    result = checkpoint.run()
    steps["validate"] = time.monotonic() - started - sum(steps.values())
    # The Data Docs once for the whole checkpoint (an UpdateDataDocsAction rebuilds the site
    # after each validation definition: 25 times the index for one build).
    context.build_data_docs(site_names=[SITE])
    localise(docs_dir)  # their scripts, styles and fonts shipped, not from CDNs
    steps["data_docs"] = time.monotonic() - started - sum(steps.values())
    rows = {
        item.table.name: _row_count(work_dir / "frames" / f"{item.table.name}.parquet")
        for item in items
    }
    tables = {
        r.suite_name.removeprefix("bgfunds."): report_table(r, rows)
        for r in result.run_results.values()
    }
    return {
        "tables": {item.table.name: tables[item.table.name] for item in items},
        "success": bool(result.success),
        "seconds": round(time.monotonic() - started, 2),
        "seconds_by_step": {step: round(t, 2) for step, t in steps.items()},
    }


def _row_count(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def report_table(result, rows: dict[str, int]) -> dict:
    """One table's validation result in the quality report's shape (per failed rule: count, examples)."""
    name = result.suite_name.removeprefix("bgfunds.")
    failed = []
    for r in result.results:
        if r.success:
            continue
        config = r.expectation_config
        kwargs = config.kwargs
        failed.append(
            {
                "rule": (config.meta or {}).get("rule"),
                "expectation": config.type,
                "column": kwargs.get("column")
                or kwargs.get("column_A")
                or str(kwargs.get("column_list")),
                "unexpected_count": int(r.result.get("unexpected_count") or 0)
                or int(r.result.get("observed_value") is not None),
                "examples": [
                    str(e) for e in (r.result.get("partial_unexpected_list") or [])[:EXAMPLES]
                ]
                or ([str(r.result["observed_value"])] if "observed_value" in r.result else []),
            }
        )
    return {
        "table": name,
        "success": bool(result.success),
        "rows": rows[name],
        "expectations_evaluated": len(result.results),
        "expectations_failed": failed,
    }


class CheckpointError(RuntimeError):
    """The checkpoint could not run: the error of its process, whole (type, message, traceback)."""


def _run_reporting_errors(*args) -> dict:
    """`run_checkpoint` in the spawned process; any error comes back as its formatted traceback
    (an exception that does not pickle would reach the build only as `BrokenProcessPool`)."""
    try:
        return run_checkpoint(*args)
    except BaseException:  # noqa: BLE001 - reported whole to the parent, which raises it
        return {"error": traceback.format_exc()}


def run_checkpoint_apart(
    items: list[TableToValidate], work_dir: Path, docs_dir: Path, default_drop_share: float = 1.0
) -> dict:
    """`run_checkpoint` in a process of its own, which ends with it: Great Expectations is
    imported only there, and the memory it and its frames take (about 0.7 GiB at 50 000
    contracts) is given back before the release's exports and site run in the build's process.

    An error there is raised here as `CheckpointError` with the child's whole traceback; a
    process that dies (killed, out of memory) says so, with its exit code."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn: a fresh interpreter, never a fork of a threaded Dagster process
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            result = pool.submit(
                _run_reporting_errors, items, work_dir, docs_dir, default_drop_share
            ).result()
    except BrokenProcessPool as exc:
        raise CheckpointError(
            f"the Great Expectations checkpoint's process ended without a result ({exc}); "
            "killed, or out of memory?"
        ) from None
    if "error" in result:
        raise CheckpointError(
            "the Great Expectations checkpoint failed in its process:\n" + result["error"]
        )
    return result
