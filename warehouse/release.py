"""Releases: `data/publish/releases/<YYYY-MM-DD>/` and `data/publish/latest`, never half-written.

A release is assembled in a hidden staging directory next to `releases/`, validated
(the Data Package: frictionless and DuckDB), checksummed, and only then renamed into
place; `latest` is a symlink switched atomically (plus a `LATEST` file with the release id
for tools without symlinks). Anything that fails removes the staging directory and leaves
`latest` alone; a build killed mid-release leaves one behind, which the next release
removes (releases run under the data directory's build lock, `warehouse.data_lock`, so no
other build can still be writing it).
"""

from __future__ import annotations

import csv
import hashlib
import mimetypes
import os
import resource
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from registry.documents import DOCUMENT_TABLES
from registry.isun_bulk import BULK_TABLES
from registry.reference import REFERENCE_TABLES
from registry.tables import (
    HISTORY_ACTIVITIES,
    HISTORY_CONTRACTORS,
    HISTORY_PROJECTS,
    HISTORY_TABLES,
    PUBLISHED_TABLES,
    Table,
    create_table_sql,
)
from warehouse.catalogue import (
    LICENSE,
    SOURCE,
    TITLE_BG,
    TITLE_EN,
    datapackage,
    dictionary_markdown,
    dictionary_rows,
    index_html,
    quality_report_html,
    validate_datapackage,
    write_json,
)
from warehouse.changelog import changelog_markdown, compute_changelog
from warehouse.charts import grouped_bar_chart
from warehouse.contractors import create_contractors_view
from warehouse.dcat_ap import base_url as configured_base_url
from warehouse.dcat_ap import dcat_ap
from warehouse.duckdb_store import connect
from warehouse.export import export_tables
from warehouse.release_reuse import link_files, load_state, save_state, table_digest
from warehouse.site import build_site
from warehouse.text_safety import connect_text_safe, safe_text, unsafe_cells
from warehouse.views import ABSORPTION_VIEWS, create_release_views, view_table
from warehouse.xlsx import write_xlsx

MEDIA_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv",
    ".duckdb": "application/x-duckdb",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".md": "text/markdown",
    ".html": "text/html",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Tables people open in a spreadsheet get an XLSX too (besides every absorption view).
XLSX_TABLES = ("projects",)
# Processes writing the tables' Parquet and CSV at once (`warehouse.export.export_tables`): two
# cores' worth; each holds one sorted key range (about 200 MB of activities) at a time.
EXPORT_WORKERS = min(2, os.cpu_count() or 1)


class ReleaseError(RuntimeError):
    pass


def _cpu_seconds() -> float:
    """CPU seconds of this process (all its threads) and of its children that ended."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def latest_release(publish_root: Path) -> Path | None:
    link = publish_root / "latest"
    return link.resolve() if link.exists() else None


def _release_id(releases: Path, day: date) -> str:
    base = day.isoformat()
    if not (releases / base).exists():
        return base
    n = 2
    while (releases / f"{base}.{n}").exists():
        n += 1
    return f"{base}.{n}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_info(
    directory: Path, digests: dict[tuple[str, int, int], str], recursive: bool = False
) -> dict[str, dict]:
    """Size, checksum and media type of each file (with `recursive`, those in the site's folders
    too, by relative path); `digests` (one per release) remembers checksums by (name, size,
    mtime), since the release lists its files four times as it grows."""
    info = {}
    files = {}
    for p in sorted(directory.rglob("*") if recursive else directory.iterdir()):
        if not p.is_file() or p.name == "SHA256SUMS" or p.name.startswith("."):
            continue
        stat = p.stat()
        files[p] = (p.relative_to(directory).as_posix(), stat.st_size, stat.st_mtime_ns)
    missing = [p for p, key in files.items() if key not in digests]
    # hashlib lets go of the GIL while it hashes: one thread per core
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for p, digest in zip(missing, pool.map(_sha256, missing), strict=True):
            digests[files[p]] = digest
    for p, key in files.items():
        name, size = key[0], key[1]
        info[name] = {
            "bytes": size,
            "sha256": digests[key],
            "mediatype": MEDIA_TYPES.get(
                p.suffix, mimetypes.guess_type(p.name)[0] or "application/octet-stream"
            ),
        }
    return info


# Newest release first: by day, then by the `.N` suffix of a day's later releases (".10" after
# ".9"). Each term carries its own DESC: `ORDER BY day, n DESC` would put the oldest day first.
RELEASE_ORDER_NEWEST_FIRST = (
    "left(release_id, 10) DESC, "
    "coalesce(try_cast(split_part(release_id, '.', 2) AS INTEGER), 1) DESC"
)


def _history_row(table: Table, alias: str, is_removed: bool) -> str:
    """The select list of a history row for the release bound as `?`: `alias`'s values, `is_removed` set."""
    return ", ".join(
        "?::VARCHAR AS release_id"
        if c == "release_id"
        else f"{is_removed} AS is_removed"
        if c == "is_removed"
        else f"{alias}.{c}"
        for c in table.columns
    )


def _add_history(con: duckdb.DuckDBPyConnection, release_id: str, previous: Path | None) -> None:
    """Carry the history tables forward and add a row for each project or activity that is
    new, whose tracked values changed since its latest history row, or that is gone.

    History grows with what changes, not with the number of releases times the corpus:
    the state as of release R is each key's latest row at or before R, unless that row
    says `is_removed` (a key gone from R keeps its last known values on that row).
    """
    create_contractors_view(con)
    snapshots = {
        HISTORY_PROJECTS: "projects",
        HISTORY_ACTIVITIES: "activities",
        HISTORY_CONTRACTORS: "project_contractors",
    }
    for table, source in snapshots.items():
        con.execute(create_table_sql(table))
        prev = previous / f"{table.name}.parquet" if previous else None
        if prev and prev.exists():
            had = {
                r[0]
                for r in con.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(prev)]
                ).fetchall()
            }
            carried = ", ".join(
                c
                if c in had
                else f"FALSE AS {c}"
                if c == "is_removed"
                else f"NULL::{table.field(c).type} AS {c}"
                for c in table.columns
            )  # releases before is_removed, or before a column was tracked
            con.execute(
                f"INSERT INTO {table.name} SELECT {carried} FROM read_parquet(?) WHERE release_id <> ?",
                [str(prev), release_id],
            )
        key = [c for c in table.primary_key if c != "release_id"]
        tracked = [c for c in table.columns if c not in table.primary_key and c != "is_removed"]
        latest = (
            f"(SELECT * FROM {table.name} QUALIFY row_number() OVER (PARTITION BY {', '.join(key)} "
            f"ORDER BY {RELEASE_ORDER_NEWEST_FIRST}) = 1)"
        )
        same = " AND ".join(
            [
                *(f"l.{c} = s.{c}" for c in key),
                *(f"l.{c} IS NOT DISTINCT FROM s.{c}" for c in tracked),
                "NOT l.is_removed",
            ]
        )
        in_source = " AND ".join(f"s.{c} = l.{c}" for c in key)
        # Keys gone from this release first (judged on the history before this release's rows).
        con.execute(
            f"""
            INSERT INTO {table.name}
            SELECT {_history_row(table, "l", True)} FROM {latest} l
            WHERE NOT l.is_removed AND NOT EXISTS (SELECT 1 FROM {source} s WHERE {in_source})""",
            [release_id],
        )
        con.execute(
            f"""
            INSERT INTO {table.name}
            SELECT {_history_row(table, "s", False)} FROM {source} s
            WHERE NOT EXISTS (SELECT 1 FROM {latest} l WHERE {same})""",
            [release_id],
        )


def _charts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Absorption charts from the warehouse's views."""

    def rows(sql: str):
        return [
            (
                str(label or "не е посочена / not stated"),
                {"contracted": float(c or 0), "reported": float(r or 0), "paid": float(p or 0)},
            )
            for label, c, r, p in con.execute(sql).fetchall()
        ]

    return [
        grouped_bar_chart(
            "По програми / By programme",
            rows(
                "SELECT programme_code, contracted_eur, reported_eur, paid_eur FROM absorption_by_programme"
                " ORDER BY contracted_eur DESC NULLS LAST LIMIT 15"
            ),
        ),
        grouped_bar_chart(
            "По области / By district",
            rows(
                "SELECT district_name || ' (' || district_code || ')', contracted_eur, reported_eur, paid_eur"
                " FROM absorption_by_district ORDER BY contracted_eur DESC NULLS LAST LIMIT 28"
            ),
        ),
    ]


def coverage_line(projects: int, listed_contracts: int | None) -> str:
    """How much of ИСУН the release holds: its contracts of those ИСУН's listings name."""
    if listed_contracts:
        return (
            f"Покритие / coverage: {projects} договора в изданието от {listed_contracts}, изброени в ИСУН "
            f"({100 * projects / listed_contracts:.1f} %). / {projects} of the {listed_contracts} contracts "
            "ИСУН lists are in this release."
        )
    return (
        f"Покритие / coverage: {projects} договора в изданието; списъците на ИСУН не са четени при това "
        f"изграждане (записан корпус). / {projects} contracts; ИСУН's listings were not read in this build "
        "(a recorded corpus)."
    )


def listed_contracts(crawl_state_path: Path) -> int | None:
    """Contracts ИСУН's listings have named so far (the crawler's state), or None without a crawl."""
    if not Path(crawl_state_path).exists():
        return None
    try:
        con = duckdb.connect(str(crawl_state_path), read_only=True)
        try:
            return con.execute("SELECT count(*) FROM crawl_contracts").fetchone()[0] or None
        finally:
            con.close()
    except duckdb.Error:
        return None


def remove_leftovers(publish_root: Path) -> list[str]:
    """Staging directories and temporary `latest` links left by a killed build; return their names."""
    removed = []
    for leftover in [
        *publish_root.glob(".staging-*"),
        *publish_root.glob(".latest-*"),
        *publish_root.glob(".LATEST.tmp"),
    ]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    return removed


@dataclass
class ReleaseDraft:
    """A release being assembled in its staging directory, handed from one step to the next.

    The steps, in order: `start_release` (a staging directory and a copy of the warehouse,
    already in the storage format DuckDB 1.x reads), `add_history` (history tables, views,
    counts, charts, into that copy), `export_files` (Parquet, CSV, XLSX), `site_files` (the static site),
    `document_release` (changelog, dictionary, the Data Package validated: its descriptor by
    frictionless, its rows by DuckDB; the quality report), `catalogue_release` (DCAT, the
    catalogue page, SHA256SUMS) and
    `publish_release` (the rename into `releases/` and the `latest` switch). Each is a plain
    function; Dagster runs them as the ops of the graph-backed asset `out_bgfunds__release`.
    A step that fails discards the staging directory, so `latest` is switched only when every
    step passed.
    """

    publish_root: Path
    release_id: str
    issued: str
    base: str
    previous: Path | None
    staging: Path
    tables: list[Table]
    quality: dict
    listed: int | None = None
    digests: dict[tuple[str, int, int], str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    quarantine: list[tuple[str, int]] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    coverage: str = ""
    view_tables: list[Table] = field(default_factory=list)
    site: dict = field(default_factory=dict)
    text_safety: dict[str, int] = field(default_factory=dict)  # table.column -> cells made safe
    unsafe: dict[str, dict[str, int]] = field(default_factory=dict)  # the same, by table
    changelog: dict = field(default_factory=dict)
    dictionary: list[dict] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    # `warehouse.release_reuse`: the previous release's digests (empty: write everything, for
    # `reuse_reason`), this release's, and what was linked rather than written.
    reuse_before: dict = field(default_factory=dict)
    reuse_reason: str = ""
    reuse_now: dict = field(default_factory=dict)
    reused: dict = field(default_factory=dict)
    # Wall and CPU seconds of each step and sub-step (`timed`), kept with the reuse state for
    # the bench (`bench.run`): step -> [wall, CPU of this process and its ended children].
    seconds: dict[str, list[float]] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.staging / "warehouse.duckdb"

    def files(self, recursive: bool = False) -> dict[str, dict]:
        return _file_info(self.staging, self.digests, recursive=recursive)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the wall and CPU seconds of the block to `seconds[step]`."""
        started, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            wall, used = self.seconds.get(step, [0.0, 0.0])
            self.seconds[step] = [
                round(wall + time.perf_counter() - started, 3),
                round(used + _cpu_seconds() - cpu, 3),
            ]

    @contextmanager
    def discarded_on_error(self) -> Iterator[ReleaseDraft]:
        """Run a step; if it fails, remove the staging directory (`latest` was never touched)."""
        try:
            yield self
        except BaseException:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise


def default_tables() -> list[Table]:
    """Every table of the registry, then the history tables."""
    return [
        *PUBLISHED_TABLES.values(),
        *BULK_TABLES.values(),
        *DOCUMENT_TABLES.values(),
        *REFERENCE_TABLES.values(),
        *HISTORY_TABLES.values(),
    ]


def start_release(
    warehouse_path: Path | str,
    publish_root: Path | str,
    quality: dict,
    *,
    release_date: date | None = None,
    base_url: str | None = None,
    listed: int | None = None,
    tables: list[Table] | None = None,
    reuse: bool = True,
) -> ReleaseDraft:
    """A staging directory for the next release id, with a copy of the warehouse; unless
    `reuse` is off (a forced rebuild), the previous release's digests to reuse its files
    (`warehouse.release_reuse`)."""
    publish_root = Path(publish_root)
    releases = publish_root / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    remove_leftovers(publish_root)
    release_id = _release_id(releases, release_date or datetime.now(UTC).date())
    draft = ReleaseDraft(
        publish_root=publish_root,
        release_id=release_id,
        issued=datetime.now(UTC).isoformat(timespec="seconds"),
        base=configured_base_url(base_url),
        previous=latest_release(publish_root),
        staging=publish_root / f".staging-{release_id}-{uuid.uuid4().hex[:8]}",
        tables=list(tables or default_tables()),
        quality=quality,
        listed=listed,
    )
    draft.reuse_before, draft.reuse_reason = (
        load_state(publish_root, draft.previous) if reuse else ({}, "rebuild forced")
    )
    with draft.discarded_on_error(), draft.timed("start: copy the warehouse"):
        draft.staging.mkdir()
        if quality.get("data_docs_dir"):  # the checkpoint's Data Docs, published in the release
            shutil.copytree(quality["data_docs_dir"], draft.staging / "quality")
        # The warehouse is written in the storage format DuckDB 1.x reads (`warehouse.duckdb_store`):
        # the release's DuckDB file is a copy of it, with the history and views added.
        shutil.copyfile(warehouse_path, draft.database)
    return draft


def add_history(draft: ReleaseDraft) -> ReleaseDraft:
    """History rows and views in the release's copy of the warehouse; counts and charts."""
    with draft.discarded_on_error(), draft.timed("history: history, views, counts, charts"):
        con = connect(draft.database)
        try:
            _add_history(con, draft.release_id, draft.previous)
            create_release_views(con)
            draft.view_tables = [
                view_table(con, name) for name in (*ABSORPTION_VIEWS, "totals_over_releases")
            ]
            draft.counts = {
                t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
                for t in draft.tables
            }
            draft.quarantine = con.execute(
                "SELECT table_name || ':' || rule, count(*) FROM quarantine GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            draft.charts = _charts(con)
            api_coverage = draft.quality.get("coverage") or {}
            draft.coverage = coverage_line(draft.counts["projects"], draft.listed)
            if api_coverage.get("line"):
                draft.coverage += f" ИСУН open data: {api_coverage['line']}."
            con.execute("CHECKPOINT")
        finally:
            con.close()
        draft.database.with_name(draft.database.name + ".wal").unlink(missing_ok=True)
        draft.tables = [*draft.tables, *draft.view_tables]
    return draft


def export_files(draft: ReleaseDraft) -> ReleaseDraft:
    """Every table as Parquet and CSV, the spreadsheet tables as XLSX.

    The text-safety boundary (`warehouse.text_safety`): Parquet and the DuckDB file keep the
    text as read; the CSV batches, and the XLSX, the site and its feeds (which read the
    database through `connect_text_safe`), have control and non-characters, bidi overrides
    and zero-width characters removed, in the columns one scan found them in."""
    with draft.discarded_on_error():
        with draft.timed("exports: table digests, unchanged linked"):
            unchanged = _link_unchanged_tables(draft)
        with draft.timed("exports: unsafe text scan"):
            con = connect(draft.database, read_only=True)
            try:
                unsafe = unsafe_cells(con)  # the one scan for them: CSV and the XLSX/site views
            finally:
                con.close()
        draft.unsafe = unsafe
        draft.text_safety = {f"{t}.{c}": n for t, cols in unsafe.items() for c, n in cols.items()}

        def spreadsheets() -> None:
            with draft.timed("exports: XLSX (while the Parquet + CSV workers write)"):
                con = connect_text_safe(draft.database, unsafe)
                try:
                    for t in draft.view_tables:
                        count = con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
                        draft.counts[t.name] = count
                    for t in draft.tables:
                        if _has_xlsx(draft, t) and t.name not in unchanged:
                            write_xlsx(con, t, draft.staging / f"{t.name}.xlsx")
                finally:
                    con.close()

        with draft.timed("exports: Parquet + CSV, XLSX meanwhile"):
            export_tables(
                draft.database,
                draft.staging,
                [t for t in draft.tables if t.name not in unchanged],
                copy_db=False,
                # every table named: a column not listed holds nothing to remove
                unsafe_columns={t.name: set(unsafe.get(t.name, {})) for t in draft.tables},
                workers=EXPORT_WORKERS,
                meanwhile=spreadsheets,
            )
    return draft


def _link_unchanged_tables(draft: ReleaseDraft) -> set[str]:
    """Each table's digest (`warehouse.release_reuse.table_digest`); the files of a table whose
    digest is the previous release's linked from it. Returns the names of those tables."""
    before = draft.reuse_before.get("tables") or {}
    now = draft.reuse_now.setdefault("tables", {})
    unchanged = set()
    con = connect(draft.database, read_only=True)
    try:
        for t in draft.tables:
            now[t.name] = table_digest(con, t)
            suffixes = [".parquet", ".csv", *([".xlsx"] if _has_xlsx(draft, t) else [])]
            if (
                draft.previous is not None
                and before.get(t.name) == now[t.name]
                and link_files(
                    [
                        (draft.previous / f"{t.name}{x}", draft.staging / f"{t.name}{x}")
                        for x in suffixes
                    ]
                )
            ):
                unchanged.add(t.name)
    finally:
        con.close()
    draft.reused["tables"] = sorted(unchanged)
    return unchanged


def _has_xlsx(draft: ReleaseDraft, table: Table) -> bool:
    return table.name in XLSX_TABLES or table in draft.view_tables


def site_files(draft: ReleaseDraft) -> ReleaseDraft:
    """The static site of the release (`warehouse.site`), reading its text safe."""
    downloads = {"before": draft.reuse_before.get("downloads") or {}}
    with draft.discarded_on_error(), draft.timed("site"):
        con = connect_text_safe(draft.database, draft.unsafe)
        try:
            draft.site = build_site(
                con,
                draft.staging / "site",
                draft.release_id,
                safe_text(draft.coverage),
                draft.base,
                draft.previous,
                reuse=downloads,
            )
            draft.reuse_now["downloads"] = downloads["now"]
            draft.reused["site_downloads"] = downloads.get("reused", 0)
        finally:
            con.close()
    return draft


def document_release(draft: ReleaseDraft) -> ReleaseDraft:
    """Changelog, dictionary, the Data Package (validated: an invalid one fails the release)
    and the quality report."""
    with draft.discarded_on_error():
        staging, previous = draft.staging, draft.previous
        with draft.timed("documents: changelog, dictionary"):
            _known_checksums(draft)
            draft.changelog = compute_changelog(
                previous / "projects.parquet" if previous else None,
                staging / "projects.parquet",
                contractor_history=staging / "history_contractors.parquet",
                release_id=draft.release_id,
            )
            write_json(staging / "changelog.json", draft.changelog)
            (staging / "changelog.md").write_text(
                changelog_markdown(
                    draft.changelog, draft.release_id, previous.name if previous else None
                ),
                encoding="utf-8",
            )
            draft.dictionary = dictionary_rows(draft.tables)
            with open(staging / "data_dictionary.csv", "w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(draft.dictionary[0]))
                writer.writeheader()
                writer.writerows(draft.dictionary)
            (staging / "data_dictionary.md").write_text(
                dictionary_markdown(draft.tables), encoding="utf-8"
            )
        with draft.timed("documents: checksums for the Data Package"):
            files = draft.files()
        write_json(staging / "datapackage.json", datapackage(draft.release_id, draft.tables, files))
        with draft.timed("documents: Data Package validation"):
            frictionless = validate_datapackage(
                staging / "datapackage.json",
                checked_elsewhere=frozenset(
                    (t.name, fk.column) for t in draft.tables for fk in t.foreign_keys if fk.checked
                ),
                # linked from the previous release, which validated the same bytes
                unchanged=frozenset(draft.reused.get("tables", ())),
                # the declared hashes were computed from these very files just before
                hashes=False,
            )
        draft.report = quality_report(draft, frictionless)
        write_json(staging / "quality_report.json", draft.report)
        (staging / "quality_report.html").write_text(
            quality_report_html(draft.report), encoding="utf-8"
        )
        if not frictionless["valid"]:
            raise ReleaseError(
                f"release {draft.release_id}: the Data Package does not validate: "
                f"{frictionless['errors'][:5]}"
            )
    return draft


def _known_checksums(draft: ReleaseDraft) -> None:
    """The checksums of the files linked from the previous release, from its SHA256SUMS: a
    file that is the same inode as the previous release's, not modified since its SHA256SUMS
    was written, has the checksum listed there (the rest are hashed as they are listed)."""
    if draft.previous is None or not (draft.previous / "SHA256SUMS").is_file():
        return
    sums = draft.previous / "SHA256SUMS"
    written = sums.stat().st_mtime_ns
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        staged, before = draft.staging / name, draft.previous / name
        try:
            now, then = staged.stat(), before.stat()
        except FileNotFoundError:
            continue
        if now.st_ino == then.st_ino and now.st_dev == then.st_dev and then.st_mtime_ns <= written:
            draft.digests[(name, now.st_size, now.st_mtime_ns)] = digest


def quality_report(draft: ReleaseDraft, frictionless: dict) -> dict:
    """The release's `quality_report.json`."""
    quality, counts = draft.quality, draft.counts
    api_coverage = quality.get("coverage") or {}
    return {
        "release_id": draft.release_id,
        "issued": draft.issued,
        "tables": quality.get("tables", {}),
        "great_expectations": quality.get("great_expectations", {}),
        "inputs_fingerprint": quality.get("inputs_fingerprint"),
        "code_versions": quality.get("code_versions", {}),
        "row_counts": counts,
        "coverage": {
            **api_coverage,
            "projects": counts["projects"],
            "listed_by_isun": draft.listed,
            "line": api_coverage.get("line") or draft.coverage,
            "site_line": draft.coverage,
        },
        "site": draft.site,
        "quarantine": {
            "total": sum(n for _, n in draft.quarantine),
            "by_table_rule": dict(draft.quarantine),
        },
        "frictionless": frictionless,
        "previous_release": draft.previous.name if draft.previous else None,
        "reuse": {
            "path": "incremental" if draft.reuse_before else "full",
            "why_full": draft.reuse_reason or None,
            **draft.reused,
        },
    }


def catalogue_release(draft: ReleaseDraft) -> ReleaseDraft:
    """The DCAT-AP catalogue, the catalogue page and SHA256SUMS over every file."""
    with draft.discarded_on_error():
        staging = draft.staging
        with draft.timed("catalogue: checksums of the top-level files"):
            files = draft.files()
        write_json(
            staging / "dcat.jsonld",
            dcat_ap(
                release_id=draft.release_id,
                issued=draft.issued,
                files=files,
                title_bg=TITLE_BG,
                title_en=TITLE_EN,
                licence_url=LICENSE["path"],
                source_url=SOURCE["path"],
                base=draft.base,
            ),
        )
        (staging / "index.html").write_text(
            index_html(
                release_id=draft.release_id,
                issued=draft.issued,
                tables=draft.tables,
                files=draft.files(),  # dcat.jsonld's now too
                counts=draft.counts,
                quality=draft.report,
                changelog=draft.changelog,
                charts=draft.charts,
                dictionary=draft.dictionary,
            ),
            encoding="utf-8",
        )
        with draft.timed("catalogue: checksums of every file (the site's too)"):
            every = draft.files(recursive=True)
        (staging / "SHA256SUMS").write_text(
            "".join(f"{info['sha256']}  {name}\n" for name, info in every.items()),
            encoding="utf-8",
        )
    return draft


def publish_release(draft: ReleaseDraft) -> Path:
    """Rename the finished release into `releases/` and switch `latest` to it."""
    with draft.discarded_on_error():
        final = draft.publish_root / "releases" / draft.release_id
        os.replace(draft.staging, final)
    _point_latest(draft.publish_root, draft.release_id)
    save_state(draft.publish_root, draft.release_id, {**draft.reuse_now, "seconds": draft.seconds})
    return final


def _point_latest(publish_root: Path, release_id: str) -> None:
    tmp = publish_root / f".latest-{uuid.uuid4().hex[:8]}"
    os.symlink(Path("releases") / release_id, tmp)
    os.replace(tmp, publish_root / "latest")
    marker = publish_root / ".LATEST.tmp"
    marker.write_text(release_id + "\n", encoding="utf-8")
    os.replace(marker, publish_root / "LATEST")
