"""A night links what changed: the link tables of the project keys whose claims did not change
are taken from the previous build's staged tables (`transforms.linking.splice_links`).

The linking step stages its three tables itself and records, in `staging/_links/state.json`,
which staged versions they are, the code version they were made with, and beside it
(`digests.parquet`) a digest of each project key's claims (`transforms.linking.key_digests`).
The next build keys tonight's claims (all of them: the proposal a contract extends and the
fuzzy match of an uncoded claim look at every project), compares the digests, and computes
the sources, conflicts and linked row only for the keys whose claims changed, came or went;
every other key's rows are read back from the previous staged tables. A missing or other
state (another code version, a staged version gone, `--force`) links everything.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from registry.tables import Table
from shared.atomic import atomic_path, atomic_write
from transforms.linking import (
    LINK_TABLE_NAMES,
    RESPONSE_COLUMNS,
    changed_keys,
    key_digests,
    link_keyed,
    response_of,
)
from warehouse.duckdb_store import connect
from warehouse.staging import (
    StagedTable,
    finish,
    new_version_dir,
    quote,
    sql_string,
    write_part,
)

STORE = "_links"
# Project keys linked at once on a full link (`_link_in_chunks`), and rows per Parquet part.
KEYS_PER_CHUNK = 2_000
PART_ROWS = 50_000


def _store(staging_dir: Path | str) -> Path:
    return Path(staging_dir) / STORE


def previous_links(
    staging_dir: Path | str, version: str
) -> tuple[dict[str, str], dict[str, str]] | None:
    """The previous build's staged link tables (name -> directory) and key digests, if made
    by this code and still staged; else None."""
    store = _store(staging_dir)
    try:
        state = json.loads((store / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    staged = state.get("staged") or {}
    if state.get("version") != version or set(staged) != set(LINK_TABLE_NAMES):
        return None
    if not all(Path(path).is_dir() for path in staged.values()):
        return None
    digests = pq.read_table(store / state["digests"]).to_pandas()
    return staged, dict(zip(digests["project_key"], digests["digest"], strict=True))


def stage_links(
    staging_dir: Path | str,
    tables: dict[str, Table],
    claims: pd.DataFrame,
    version: str,
    force: bool = False,
    log=None,
    keys_per_chunk: int | None = None,
) -> dict[str, StagedTable]:
    """Stage the link tables of keyed `claims` (`transforms.linking.key_claims`), reusing the
    previous build's rows for the keys whose claims did not change; `tables` are the three
    tables by name. The staged rows are those of linking everything, in the same order."""
    digests = key_digests(claims)
    responses = response_of(claims)
    previous = None if force or responses is None else previous_links(staging_dir, version)
    if previous is None:
        staged = _link_in_chunks(staging_dir, tables, claims, keys_per_chunk)
        if log is not None:
            log.info(f"linking: all {len(digests)} project keys (no previous links to reuse)")
    else:
        paths, old_digests = previous
        replaced = changed_keys(digests, old_digests)
        fresh = link_keyed(claims[claims["project_key"].isin(replaced)].reset_index(drop=True))
        sources = tables["project_sources"]
        staged = {
            name: _splice(
                staging_dir,
                tables[name],
                paths[name],
                getattr(fresh, name),
                replaced,
                # the sources' response columns: tonight's response of each row's URL
                responses if name == sources.name else None,
            )
            for name in LINK_TABLE_NAMES
        }
        if log is not None:
            log.info(
                f"linking: {len(replaced)} of {len(digests)} project keys changed, came or "
                "went; the others' rows reused from the previous build"
            )
    _remember(staging_dir, version, staged, digests)
    return staged


def _link_in_chunks(
    staging_dir: Path | str,
    tables: dict[str, Table],
    claims: pd.DataFrame,
    keys_per_chunk: int | None = None,
) -> dict[str, StagedTable]:
    """The three tables of linking every key, made `keys_per_chunk` project keys at a time in
    key order and written part by part: each table's rows depend only on their own key's
    claims and are in key order (`link_keyed`), so the parts read in order are the tables of
    linking everything at once, without holding all of them (at 10 000 contracts linking
    whole took +230 MiB, and project_sources alone is ~2.2 million rows at 80 700)."""
    keys_per_chunk = keys_per_chunk or KEYS_PER_CHUNK
    keys = sorted(set(claims["project_key"]))  # the order of `by_key` and of the groupbys
    directories = {name: new_version_dir(staging_dir, tables[name]) for name in LINK_TABLE_NAMES}
    parts = dict.fromkeys(LINK_TABLE_NAMES, 0)
    con = duckdb.connect(config={"threads": 1})
    try:
        for start in range(0, len(keys), keys_per_chunk):
            chunk = set(keys[start : start + keys_per_chunk])
            result = link_keyed(claims[claims["project_key"].isin(chunk)].reset_index(drop=True))
            for name in LINK_TABLE_NAMES:
                frame = getattr(result, name)
                for i in range(0, len(frame), PART_ROWS):
                    write_part(
                        tables[name],
                        directories[name],
                        parts[name],
                        frame.iloc[i : i + PART_ROWS],
                        con,
                    )
                    parts[name] += 1
            del result
    finally:
        con.close()
    return {name: finish(staging_dir, tables[name], directories[name]) for name in LINK_TABLE_NAMES}


def _splice(
    staging_dir: Path | str,
    table: Table,
    previous: str,
    fresh: pd.DataFrame,
    replaced: set[str],
    responses: pd.DataFrame | None = None,
) -> StagedTable:
    """A new staged version of `table`: the previous version's rows of the keys not in
    `replaced` (typed already: read and written by DuckDB, never through pandas; with
    `responses`, their response columns replaced by those of their URL) and the `fresh` rows,
    in key order, each key's rows in their order (as `transforms.linking.by_key`)."""
    scratch = Path(staging_dir) / f".{table.name}-fresh-{uuid.uuid4().hex[:8]}"
    directory = new_version_dir(staging_dir, table)
    directory.mkdir(parents=True)
    cols = ", ".join(quote(c) for c in table.columns)
    refreshed = set(RESPONSE_COLUMNS) if responses is not None else set()
    kept_cols = ", ".join(
        f"_responses.{quote(c)}" if c in refreshed else f"_kept.{quote(c)}" for c in table.columns
    )

    def rows(glob: str, source: int, select: str, joins: str = "") -> str:
        return (
            f"SELECT {select}, {source} AS _source, _kept.filename AS _file, "
            f"_kept.file_row_number AS _row FROM read_parquet({sql_string(glob)}, "
            f"filename = true, file_row_number = true) AS _kept{joins}"
        )

    # The warehouse's memory cap: the ORDER BY over every kept row spills past it instead of
    # holding project_sources whole (~2.2 million rows at the register's size).
    con = connect()
    try:
        write_part(table, scratch, 0, fresh, con)
        joins = ""
        if responses is not None:
            # Typed as the table types them (the same text and CAST as staging the claims' rows).
            write_part(_responses_table(table), scratch / "responses", 0, responses, con)
            glob = sql_string(str(scratch / "responses" / "*.parquet"))
            joins = (
                f" LEFT JOIN read_parquet({glob}) AS _responses"
                " ON _kept.source_url = _responses.source_url"
            )
        joins += " WHERE _kept.project_key NOT IN (SELECT project_key FROM _replaced)"
        con.register(
            "_replaced", pa.table({"project_key": pa.array(sorted(replaced), pa.string())})
        )
        parts = [rows(str(Path(previous) / "*.parquet"), 0, kept_cols, joins)]
        if any(scratch.glob("*.parquet")):  # fresh rows
            parts.append(rows(str(scratch / "*.parquet"), 1, cols))
        with atomic_path(directory / "part-000000.parquet") as tmp:
            con.execute(
                f"COPY (SELECT {cols} FROM ({' UNION ALL '.join(parts)}) "
                f"ORDER BY project_key, _source, _file, _row) "
                f"TO {sql_string(tmp)} (FORMAT parquet, COMPRESSION zstd)"
            )
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return finish(staging_dir, table, directory)


def _responses_table(table: Table) -> Table:
    """The source URL and the response columns, with `table`'s types."""
    fields = {f.name: f for f in table.fields}
    return Table(
        f"{table.name}_responses",
        "",
        "",
        (),
        tuple(fields[c] for c in ["source_url", *RESPONSE_COLUMNS]),
    )


def _remember(
    staging_dir: Path | str, version: str, staged: dict[str, StagedTable], digests: dict[str, str]
) -> None:
    store = _store(staging_dir)
    store.mkdir(parents=True, exist_ok=True)
    name = "digests.parquet"
    table = pa.table({"project_key": list(digests), "digest": list(digests.values())})
    tmp = store / f".{name}.tmp"
    pq.write_table(table, tmp)
    tmp.replace(store / name)
    state = {
        "version": version,
        "digests": name,
        "staged": {n: t.path for n, t in sorted(staged.items())},
    }
    atomic_write(store / "state.json", json.dumps(state, indent=1).encode(), durable=False)
