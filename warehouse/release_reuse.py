"""What a release may take from the one before it: files whose content would come out the same.

A night in which 1 % of contracts changed leaves most published files as they were: the
reference tables, the documents' tables, most site downloads (a beneficiary's CSV and XLSX
list only that beneficiary's projects). Writing them again costs what a full release costs.

Each release records, for the next one, a digest of the rows behind each file it wrote
(`<publish>/.reuse/<release id>.json`, beside the releases, not in one: a release's files
are exactly those its SHA256SUMS lists):

- a table's exports (`<table>.parquet`, `.csv`, and `.xlsx` where there is one): the row
  count and two order-free sums of DuckDB's row hash over every column (`table_digest`);
- a site download (`site/downloads/<kind>/<file>.csv|.xlsx`): the SHA-256 of its CSV and its
  sheet as rendered (`warehouse.page_downloads.files_digest`).

A digest also covers the code that turns rows into bytes (`WRITER_VERSION`: the source of
the writers and the versions of DuckDB, pyarrow, XlsxWriter and openpyxl): a change there
makes every digest new, so nothing is reused. Where tonight's digest equals the previous
release's and its file is there, the file is hard-linked from the previous release (copied
where the file system cannot link); releases are never modified once published, so the
link is the same bytes a fresh write would give (files whose bytes carry a write time, the
tables' XLSX, keep the previous one's). No state, another code version, a missing file:
the file is written as in a full release. What was reused is in the quality report.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from importlib import metadata
from pathlib import Path

import duckdb

from registry.tables import Table
from shared.atomic import atomic_write

REUSE_DIR = ".reuse"
KEEP_STATES = 3  # states of the newest releases kept (a night reads only the latest's)
_WRITERS = ("export.py", "xlsx.py", "text_safety.py", "page_downloads.py", "release_reuse.py")
_LIBRARIES = ("duckdb", "pyarrow", "xlsxwriter", "openpyxl")


def _writer_version() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _WRITERS:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}=={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} missing".encode())
    return digest.hexdigest()[:16]


WRITER_VERSION = _writer_version()


def table_digest(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    """The rows of `table` (or view) in `con`, whatever their order: count and two sums of
    DuckDB's 64-bit row hash over every column (with and without a salt), with the columns'
    names and types and the table's declaration."""
    cols = ", ".join(f'"{c}"' for c in table.columns)
    types = con.execute(f"SELECT {cols} FROM {table.name} LIMIT 0").description
    count, first, second = con.execute(
        f"SELECT count(*), sum(hash({cols})::HUGEINT), sum(hash({cols}, 'bgfunds')::HUGEINT) "
        f"FROM {table.name}"
    ).fetchone()
    described = json.dumps([[d[0], str(d[1])] for d in types])
    # The declaration too: the XLSX's header rows are the fields' Bulgarian titles and units.
    return hashlib.sha256(
        f"{WRITER_VERSION}\n{table!r}\n{described}\n{count}\n{first}\n{second}".encode()
    ).hexdigest()


def state_path(publish_root: Path, release_id: str) -> Path:
    return Path(publish_root) / REUSE_DIR / f"{release_id}.json"


def load_state(publish_root: Path, previous: Path | None) -> tuple[dict, str]:
    """The previous release's digests, and why there are none (empty when there are)."""
    if previous is None:
        return {}, "no previous release"
    path = state_path(publish_root, previous.name)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, f"release {previous.name} left no reuse state"
    except ValueError:
        return {}, f"release {previous.name}'s reuse state is unreadable"
    if state.get("writer_version") != WRITER_VERSION:
        return {}, f"the writers changed since release {previous.name}"
    return state, ""


def save_state(publish_root: Path, release_id: str, state: dict) -> None:
    """Record this release's digests; keep the newest `KEEP_STATES` states only."""
    path = state_path(publish_root, release_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(
        path,
        json.dumps({**state, "writer_version": WRITER_VERSION}, sort_keys=True).encode(),
        durable=False,
        unique=True,
    )
    states = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    for old in states[:-KEEP_STATES]:
        old.unlink(missing_ok=True)


def link_files(pairs: list[tuple[Path, Path]]) -> bool:
    """Hard-link (or copy) each (previous file, new file); False, with nothing left behind,
    if a previous file is missing."""
    if not all(src.is_file() for src, _ in pairs):
        return False
    for src, dst in pairs:
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return True
