"""A night costs what changed: parsed contracts are kept between builds, only changed ones re-parsed.

The parts store `<staging>/_isun_parts/` holds, for each ИСУН page table, the Parquet parts
the batches wrote (before the cross-batch duplicate set-aside), and `index.json`: for each
part, the contracts in it and each contract's signature (the digest of its archived
responses: URL, sha256, fetch time, status). A build groups tonight's records by contract and
compares signatures with the index (`plan_reuse`):

- a part whose contracts are all unchanged is reused as it is;
- a part holding a changed (or vanished) contract is copied without that contract's rows
  (by `source_url`: every row of a contract comes from one of its pages) into a new part;
- new and changed contracts are parsed, in batches, into new parts.

Parts are never modified in place: every write goes to a new part number, the index is
replaced atomically, and only then are superseded parts removed, so a build killed half way
leaves the store as the last index describes it. The index also records the code version the
parts were parsed with; another code version, or `force`, starts from an empty store. What the
pipeline stages is the store's parts, hard-linked into a fresh version directory per table
(`warehouse.staging`), so a rebuild from nothing and a night that re-parsed 1 % give the same
rows (a test compares them table by table).

Contracts are split into partitions by a hash of their key (`partition_of`), each with a
store of its own, so partitions can be brought up to date apart (Dagster runs of the
partitioned asset `_core_isun__partition`, in other processes or on other machines) and
the build then finds every contract's parts there and parses nothing again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from records.raw import RawResponse
from shared.atomic import atomic_path, atomic_write
from sources.isun import contract_id_and_tab
from warehouse.staging import sql_string

STORE = "_isun_parts"
INDEX = "index.json"


def partition_of(contract: str, partitions: int) -> int:
    """The partition (0-based) a contract belongs to: by a hash of its key, stable across nights."""
    return int(hashlib.sha256(contract.encode()).hexdigest()[:8], 16) % partitions


def partition_key(partition: int, partitions: int) -> str:
    """A partition's name, as Dagster's partition key: "1-of-4" ... "4-of-4"."""
    return f"{partition + 1}-of-{partitions}"


def partition_store(staging_root: Path | str, partition: int, partitions: int) -> Path:
    """One partition's own parts store (its own index: partitions never write each other's)."""
    return Path(staging_root) / STORE / partition_key(partition, partitions)


def remove_other_layouts(staging_root: Path | str, partitions: int) -> None:
    """Stores of another partition count: their contracts are split differently, so not reused."""
    suffix = f"-of-{partitions}"
    for path in (Path(staging_root) / STORE).glob("*-of-*"):
        if not path.name.endswith(suffix):
            shutil.rmtree(path, ignore_errors=True)


def contract_key(url: str) -> str:
    """The contract a page belongs to (its contractId), or the URL itself for anything else."""
    return contract_id_and_tab(url)[0] or url


def by_contract(records: Iterable[RawResponse]) -> dict[str, list[RawResponse]]:
    """Records grouped by contract, contracts in the order they first appear."""
    grouped: dict[str, list[RawResponse]] = {}
    for record in records:
        grouped.setdefault(contract_key(record.url), []).append(record)
    return grouped


def signature(records: list[RawResponse]) -> str:
    """What a contract's rows are made from: its archived responses (any new one changes it)."""
    lines = sorted(f"{r.url}\t{r.sha256}\t{r.fetched_at}\t{r.status}" for r in records)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


@dataclass
class PartsIndex:
    """Which contracts (with their signatures) each stored part holds, for one code version."""

    code_version: str
    next_part: int = 0
    parts: dict[int, dict[str, str]] = field(default_factory=dict)

    def new_part(self) -> int:
        self.next_part += 1
        return self.next_part - 1


def load_index(store: Path, code_version: str) -> PartsIndex:
    """The store's index, or an empty one (no store yet, or parts of another code version)."""
    path = store / INDEX
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("code_version") == code_version:
            return PartsIndex(
                code_version,
                data["next_part"],
                {int(k): v for k, v in data["parts"].items()},
            )
    return PartsIndex(code_version)


def save_index(store: Path, index: PartsIndex) -> None:
    data = {"code_version": index.code_version, "next_part": index.next_part, "parts": index.parts}
    store.mkdir(parents=True, exist_ok=True)  # a night with no contract pages has written no part
    atomic_write(store / INDEX, json.dumps(data).encode("utf-8"), durable=True)


@dataclass
class ReusePlan:
    """What tonight's records mean for the stored parts."""

    reused: list[int]  # parts kept as they are
    pruned: dict[int, set[str]]  # part -> its contracts to drop (changed or gone)
    to_parse: list[str]  # contracts to parse: new or changed, in first-seen order


def plan_reuse(index: PartsIndex, signatures: dict[str, str]) -> ReusePlan:
    """Compare tonight's contract signatures with the stored parts'."""
    reused, pruned, kept = [], {}, set()
    for part, contracts in sorted(index.parts.items()):
        stale = {c for c, sig in contracts.items() if signatures.get(c) != sig}
        if stale:
            pruned[part] = stale
        else:
            reused.append(part)
        kept.update(set(contracts) - stale)
    return ReusePlan(reused, pruned, [c for c in signatures if c not in kept])


def part_name(part: int) -> str:
    return f"part-{part:06d}.parquet"


def copy_without(
    con: duckdb.DuckDBPyConnection, source: Path, target: Path, drop_urls: list[str]
) -> int:
    """Copy a part without the rows whose `source_url` is one of `drop_urls`; the rows kept."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _drop AS SELECT unnest(?::VARCHAR[]) AS url", [drop_urls]
    )
    kept_rows = con.execute(
        f"SELECT count(*) FROM read_parquet({sql_string(source)}) "
        "WHERE source_url IS NULL OR source_url NOT IN (SELECT url FROM _drop)"
    ).fetchone()[0]
    if kept_rows:
        with atomic_path(target) as tmp:
            con.execute(
                f"COPY (SELECT * FROM read_parquet({sql_string(source)}) WHERE source_url IS NULL "
                f"OR source_url NOT IN (SELECT url FROM _drop)) TO {sql_string(tmp)} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
    return kept_rows


def prune_parts(
    store: Path,
    tables: Iterable[str],
    index: PartsIndex,
    pruned: dict[int, set[str]],
    urls_of: dict[str, set[str]],
) -> list[int]:
    """Each pruned part copied without its stale contracts' rows into a new part (the index
    updated, not yet saved); return the superseded part numbers, to remove once it is."""
    superseded = []
    con = duckdb.connect(config={"threads": 1})
    try:
        for part, stale in sorted(pruned.items()):
            drop = sorted({u for c in stale for u in urls_of.get(c, ())})
            new = index.new_part()
            for table in tables:
                source = store / table / part_name(part)
                if source.exists():
                    copy_without(con, source, store / table / part_name(new), drop)
            kept = {c: s for c, s in index.parts.pop(part).items() if c not in stale}
            if kept:
                index.parts[new] = kept
            superseded.append(part)
    finally:
        con.close()
    return superseded


def remove_orphans(store: Path, tables: Iterable[str], index: PartsIndex) -> None:
    """Remove part files the index does not name (left by a build killed before its index)."""
    known = {part_name(p) for p in index.parts}
    for table in tables:
        for path in (store / table).glob("part-*.parquet"):
            if path.name not in known:
                path.unlink(missing_ok=True)


def remove_parts(store: Path, tables: Iterable[str], parts: Iterable[int]) -> None:
    for part in parts:
        for table in tables:
            (store / table / part_name(part)).unlink(missing_ok=True)


def link_parts(store: Path, table: str, directory: Path) -> int:
    """Hard-link (copy where links fail) every stored part of `table` into `directory`, named
    after the store (`<store>-part-N.parquet`: the parts of several stores never collide)."""
    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for part in sorted((store / table).glob("part-*.parquet")):
        target = directory / f"{store.name}-{part.name}"
        try:
            os.link(part, target)
        except OSError:
            shutil.copyfile(part, target)
        n += 1
    return n


def clear_store(store: Path) -> None:
    shutil.rmtree(store, ignore_errors=True)
