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
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from registry.tables import Table
from shared.atomic import atomic_write
from transforms.linking import (
    LINK_TABLE_NAMES,
    changed_keys,
    key_digests,
    link_keyed,
    splice_links,
)
from warehouse.staging import StagedTable, stage_frame

STORE = "_links"


def _store(staging_dir: Path | str) -> Path:
    return Path(staging_dir) / STORE


def previous_links(
    staging_dir: Path | str, version: str
) -> tuple[dict[str, pd.DataFrame], dict[str, str]] | None:
    """The previous build's link tables (by name) and key digests, if made by this code and
    still staged; else None."""
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
    tables = {name: StagedTable(name, path, 0).to_pandas() for name, path in sorted(staged.items())}
    return tables, dict(zip(digests["project_key"], digests["digest"], strict=True))


def stage_links(
    staging_dir: Path | str,
    tables: dict[str, Table],
    claims: pd.DataFrame,
    version: str,
    force: bool = False,
    log=None,
) -> dict[str, StagedTable]:
    """Stage the link tables of keyed `claims` (`transforms.linking.key_claims`), reusing the
    previous build's rows for the keys whose claims did not change; `tables` are the three
    tables by name."""
    digests = key_digests(claims)
    previous = None if force else previous_links(staging_dir, version)
    if previous is None:
        result = link_keyed(claims)
        frames = {name: getattr(result, name) for name in LINK_TABLE_NAMES}
        if log is not None:
            log.info(f"linking: all {len(digests)} project keys (no previous links to reuse)")
    else:
        old_tables, old_digests = previous
        replaced = changed_keys(digests, old_digests)
        frames = splice_links(old_tables, claims, replaced)
        if log is not None:
            log.info(
                f"linking: {len(replaced)} of {len(digests)} project keys changed, came or "
                f"went; the others' rows reused from the previous build"
            )
    staged = {name: stage_frame(staging_dir, tables[name], frames[name]) for name in frames}
    _remember(staging_dir, version, staged, digests)
    return staged


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
