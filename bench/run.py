"""`make bench`: the real Dagster build job, offline, on synthetic corpora, timed per stage.

For each scale it generates (or reuses) a synthetic corpus, then in a fresh subprocess
runs the pipeline's own job (`pipelines.cli.run_build`, the same assets, checks and
resources as `make demo`) offline from that archive, with every table rebuilt. It prints
per stage the wall seconds (from the run's event log), pages per second per core, and
the peak memory: resident memory of the whole process tree (the build and its batch
workers) sampled every 50 ms. Then it times a second run with nothing changed (what a
quiet night costs), parses a sample of the same pages the naive way (BeautifulSoup
with html.parser plus pandas.read_html) against ours, and times two analyst queries on
the published warehouse. Results go to stdout and, for the default scales only, to
bench/results.md. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.isun_staging import BATCH_CONTRACTS
from registry import all_tables

NAIVE_SAMPLE = 1000
CORES = os.cpu_count() or 1
DEFAULT_SCALES = "1000,10000,50000"
# A table's asset is named as the table; the checks are `<table>_rules_<table>` steps.
_TABLES = set(all_tables())
_LINKING = {"linked_projects", "project_sources", "project_conflicts"}
# Stages of the report, by the Dagster steps in them (a step belongs to the first stage whose test it passes).
STAGES = [
    (
        "fetch job (raw_* steps; offline here, so only listing the archive)",
        lambda s: s.startswith("raw_"),
    ),
    (
        f"parse + normalise + row screening (batches of {BATCH_CONTRACTS:,} contracts)",
        lambda s: s == "_core_isun__tables",
    ),
    (
        "derive (organisations, places, documents, reference)",
        lambda s: s in _TABLES - _LINKING or s.startswith(("raw_", "_core_doc")),
    ),
    (
        "link (claims by code, fuzzy title + beneficiary)",
        lambda s: s == "_core_bgfunds__links" or s in _LINKING,
    ),
    (
        "validate (a blocking check per table: the registry's rules as DuckDB SQL)",
        lambda s: "_rules_" in s,
    ),
    ("warehouse (DuckDB from the staged Parquet)", lambda s: s == "out_bgfunds__warehouse"),
    (
        "release (quality report, Parquet, CSV, Data Package, catalogue)",
        lambda s: s.startswith(("_out_bgfunds__quality", "out_bgfunds__release")),
    ),
]


def _rss_tree_kib(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in KiB."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


class RssSampler(threading.Thread):
    """Samples the process tree's resident memory every `interval` seconds: [(time, KiB)]."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval, self.samples, self._stop_event = interval, [], threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            own = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0])
            self.samples.append((time.time(), _rss_tree_kib(os.getpid()), own))
            self._stop_event.wait(self.interval)

    def stop(self) -> list[tuple[float, int]]:
        self._stop_event.set()
        self.join()
        return self.samples

    def peak_mib(self, windows: list[tuple[float, float]], own: bool = False) -> float:
        """Peak over the windows: of the whole tree, or (`own`) of the build process alone."""
        inside = [
            sample[2 if own else 1]
            for sample in self.samples
            if any(a - self.interval <= sample[0] <= b + self.interval for a, b in windows)
        ]
        return round(max(inside, default=0) / 1024, 1)


def _stages(steps: dict[str, tuple[float, float]], sampler: RssSampler, pages: int) -> list[dict]:
    grouped: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in STAGES}
    for step, window in steps.items():
        name = next((name for name, belongs in STAGES if belongs(step)), None)
        if name:
            grouped[name].append(window)
    out = []
    for name, windows in grouped.items():
        seconds = sum(b - a for a, b in windows)
        out.append(
            {
                "stage": name,
                "seconds": round(seconds, 2),
                "pages_per_s_per_core": round(pages / seconds / CORES, 1) if seconds else None,
                "peak_rss_mib": sampler.peak_mib(windows),
                "peak_rss_mib_build_process": sampler.peak_mib(windows, own=True),
            }
        )
    return out


def run_scale(workdir: Path, n: int, workers: int) -> dict:
    """One scale, in this process (call through a subprocess for a clean measurement)."""
    import duckdb
    import pandas as pd
    from bs4 import BeautifulSoup

    from bench.synthetic_corpus import generate
    from pipelines.cli import run_build
    from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly
    from sources.isun_pages import is_contract_page, parse_archived_pages
    from sources.raw_archive import RawArchive

    corpus = workdir / f"corpus-{n}"
    if not (corpus / "manifest.jsonl").exists():
        generate(n, corpus)
    data = workdir / f"out-{n}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    (data / "raw").symlink_to(
        corpus.resolve()
    )  # the pipeline reads <data>/raw; the corpus is not copied

    def build(force: bool):
        return run_build(
            data,
            source=ArchivedPagesOnly(),
            documents=ArchivedDocumentsOnly(),
            force_rebuild=force,
            workers=workers,
        )

    sampler = RssSampler()
    sampler.start()
    t = time.perf_counter()
    summary = build(force=True)
    full = time.perf_counter() - t
    sampler.stop()
    if not summary.success:
        raise SystemExit(f"the build failed at {n:,} contracts: checks {summary.checks}")
    stages = _stages(summary.steps, sampler, n)
    # Validation in all: the blocking checks (their own steps) and the Great Expectations
    # checkpoint, which runs inside the release step and reports its own wall time.
    report = json.loads((Path(summary.release) / "quality_report.json").read_text(encoding="utf-8"))
    checkpoint = float(report.get("great_expectations", {}).get("seconds") or 0)
    checks = next(s["seconds"] for s in stages if s["stage"].startswith("validate"))

    t = time.perf_counter()
    again = build(force=False)
    unchanged = time.perf_counter() - t

    archive = RawArchive(corpus)
    sample = [r for r in archive.records() if is_contract_page(r.url)][:NAIVE_SAMPLE]
    t = time.perf_counter()
    parse_archived_pages(sample, archive.read)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    for record in sample:
        text = archive.read(record.sha256).decode("utf-8")
        soup = BeautifulSoup(text, "html.parser")
        {
            d.label.get_text(strip=True): d.get_text(" ", strip=True)
            for d in soup.select("div.list-item")
            if d.label
        }
        try:
            pd.read_html(io.StringIO(text), flavor="lxml")
        except ValueError:  # "No tables found": BasicData has none
            pass
    naive = time.perf_counter() - t

    con = duckdb.connect(str(Path(summary.release) / "warehouse.duckdb"), read_only=True)
    queries = {
        "absorption by municipality": "SELECT * FROM absorption_by_municipality ORDER BY contracted_eur DESC",
        "top 20 beneficiaries": "SELECT beneficiary_name, projects, contracted_eur FROM absorption_by_beneficiary"
        " ORDER BY contracted_eur DESC LIMIT 20",
    }
    query_ms = {}
    for name, sql in queries.items():
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            con.execute(sql).fetchall()
            best = min(best, time.perf_counter() - t)
        query_ms[name] = round(best * 1000, 1)
    con.close()
    return {
        "contracts": n,
        "activities": summary.activities,
        "workers": workers,
        "stages": stages,
        "full_seconds": round(full, 2),
        "checkpoint_seconds": checkpoint,
        "validation_seconds": round(checks + checkpoint, 2),
        "peak_rss_mib": round(max(s[1] for s in sampler.samples) / 1024, 1),
        "unchanged_seconds": round(unchanged, 2),
        "unchanged_detected": again.unchanged,
        "unchanged_share": round(unchanged / full, 4),
        "naive_sample": len(sample),
        "ours_sample_seconds": round(ours, 2),
        "naive_sample_seconds": round(naive, 2),
        "speedup_vs_naive": round(naive / ours, 1),
        "query_ms": query_ms,
    }


def _machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = (
        next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        / 1024
        / 1024
    )
    return f"{model}, {CORES} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def markdown(results: list[dict]) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {_machine()}; the Dagster job `isun_build`, offline.",
        "",
        "| contracts | stage | seconds | contracts/s/core (3 pages each) | peak RSS MiB (process tree) |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for r in results:
        for s in r["stages"]:
            lines.append(
                f"| {r['contracts']:,} | {s['stage']} | {s['seconds']} | {s['pages_per_s_per_core']} | "
                f"{s['peak_rss_mib']} |"
            )
        lines.append(
            f"| {r['contracts']:,} | **full build, {r['workers']} worker{'s' if r['workers'] != 1 else ''}** "
            f"| **{r['full_seconds']}** | "
            f"{round(r['contracts'] / r['full_seconds'] / CORES, 1)} | **{r['peak_rss_mib']}** |"
        )
        if "validation_seconds" in r:
            lines.append(
                f"| {r['contracts']:,} | validation in all: the checks + the Great Expectations checkpoint "
                f"({r['checkpoint_seconds']} s, in the release step) | {r['validation_seconds']} "
                f"({r['validation_seconds'] / r['full_seconds']:.1%} of the build) | | |"
            )
    lines += [
        "",
        "| contracts | activities | parse vs naive (same pages) | nothing-changed run | "
        "absorption by municipality | top 20 beneficiaries |",
        "| ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['contracts']:,} | {r['activities']:,} | {r['speedup_vs_naive']}× ({r['naive_sample_seconds']}"
            f" s naive vs {r['ours_sample_seconds']} s, {r['naive_sample']} pages) | {r['unchanged_seconds']} s"
            f" ({r['unchanged_share']:.2%} of full{'' if r['unchanged_detected'] else ', NOT detected'}) | "
            f"{r['query_ms']['absorption by municipality']} ms | {r['query_ms']['top 20 beneficiaries']} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default=DEFAULT_SCALES)
    parser.add_argument(
        "--workers", type=int, default=CORES, help="batch workers (default: one per core)"
    )
    parser.add_argument(
        "--workdir", default=None, help="where corpora and outputs go (kept between runs)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or Path(tempfile.gettempdir()) / "bgfunds-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(run_scale(workdir, args.one, args.workers)))
        return 0
    results = []
    for n in (int(x) for x in args.scales.split(",")):
        print(f"… {n:,} contracts", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.run",
                "--one",
                str(n),
                "--workdir",
                str(workdir),
                "--workers",
                str(args.workers),
            ],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(markdown(results[-1:]), flush=True)
    table = markdown(results)
    if (
        args.scales == DEFAULT_SCALES
    ):  # a quick run at other scales never overwrites the committed table
        Path(__file__).with_name("results.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
