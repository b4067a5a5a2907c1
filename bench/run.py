"""`make bench`: the real Dagster build job, offline, on synthetic corpora, timed per stage.

For each scale it generates (or reuses) a synthetic corpus (`bench.synthetic_corpus`: what a
night archives under the one-request-per-contract plan, with the bulk sources for every
contract), then in a fresh subprocess runs the pipeline's own job (`pipelines.cli.run_build`,
the same assets, checks and resources as `make demo`) offline from that archive, with every
table rebuilt. It prints per stage the wall seconds (from the run's event log), contracts per
second per core and the peak memory (resident memory of the whole process tree, the build and
its batch workers, sampled every 50 ms), and the sizes of what was published (Parquet, CSV,
the site). Then it times a second run with nothing changed (a quiet night) and a run after a
night in which 1 % of contracts got new pages and 2.5 % new bulk rows
(`bench.synthetic_corpus.change_night`), parses a sample of the same pages with our parser,
with lxml alone (parse and walk every element: the floor any lxml-based parser pays) and
the naive way (BeautifulSoup + pandas.read_html), and times two analyst queries on the
published warehouse. Results go to stdout and, for a run that includes the real register's
size (80 700), to bench/results.md. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.synthetic_corpus import GENERATOR_VERSION
from pipelines.isun_staging import BATCH_CONTRACTS
from registry import all_tables

NAIVE_SAMPLE = 1000
CORES = os.cpu_count() or 1
DEFAULT_SCALES = "1000,10000,80700,160000"
REAL_REGISTER = 80700  # a run with this scale writes bench/results.md
RELEASE_STEPS = ("_out_bgfunds__quality", "out_bgfunds__release")
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
        f"parse + normalise + row screening (pages; batches of {BATCH_CONTRACTS:,} contracts)",
        lambda s: s == "_core_isun__tables",
    ),
    ("bulk sources (open-data API answers, register export)", lambda s: s == "_core_isun__bulk"),
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
        "release without the site (GX checkpoint, history, Parquet, CSV, XLSX, Data Package, catalogue)",
        lambda s: s.startswith(RELEASE_STEPS) and not s.endswith("release_site"),
    ),
    ("site (static HTML pages of the release)", lambda s: s.endswith("release_site")),
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


def corpus_dir(cache: Path, n: int, seed: int = 7) -> Path:
    """Where the corpus of `n` contracts is kept: keyed on scale, seed and generator version, so a
    cache directory shared between runs (and worktrees) reuses it until the generator changes."""
    return cache / (f"corpus-{GENERATOR_VERSION}-{n}" + ("" if seed == 7 else f"-seed{seed}"))


def _prepare(workdir: Path, n: int, cache: Path | None = None) -> tuple[Path, Path]:
    """The corpus (generated once per scale and generator version, in `cache`) and a fresh data
    directory whose raw archive is the corpus's: its objects linked, its manifest copied (a
    night's responses go on the copy)."""
    corpus = corpus_dir(cache or workdir, n)
    if not (corpus / "manifest.jsonl").exists():
        # Written beside, then renamed: a killed generator never leaves a corpus that looks whole.
        partial = corpus.with_name(corpus.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
        t = time.perf_counter()
        # In a process of its own: the generator's memory is not the build's.
        subprocess.run(
            [sys.executable, "-m", "bench.synthetic_corpus", str(n), str(partial)],
            check=True,
            stdout=sys.stderr,
        )
        partial.rename(corpus)
        print(f"  corpus generated in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    data = workdir / f"out-{n}"
    shutil.rmtree(data, ignore_errors=True)
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "objects").symlink_to((corpus / "objects").resolve())
    shutil.copyfile(corpus / "manifest.jsonl", data / "raw" / "manifest.jsonl")
    return corpus, data


def output_sizes(release: Path) -> dict:
    """Files and MB of what the release publishes, by kind."""

    def of(paths) -> dict:
        paths = [p for p in paths if p.is_file()]
        return {"files": len(paths), "mb": round(sum(p.stat().st_size for p in paths) / 1e6, 1)}

    return {
        "parquet": of(release.glob("*.parquet")),
        "csv": of(release.glob("*.csv")),
        "xlsx": of(release.glob("*.xlsx")),
        "duckdb": of(release.glob("*.duckdb")),
        "site": of((release / "site").rglob("*")),
        "all": of(release.rglob("*")),
    }


def compare_parsers(archive, records, repeats: int = 3) -> dict:
    """The same pages through our parser, through lxml alone (parse, then read every element's
    text and tail: the floor of any lxml-based parser) and the naive way (bs4 + read_html).

    Ours and the floor are timed in CPU seconds of this process, alternately, best of `repeats`:
    on a machine shared with other jobs, wall time measures the queue for a core as much as
    the parser, and the two would be measured under different load."""
    import lxml.html
    import pandas as pd
    from bs4 import BeautifulSoup

    from sources.isun_pages import parse_archived_pages

    bodies = {r.sha256: archive.read(r.sha256) for r in records}
    read = bodies.__getitem__

    def ours() -> None:
        parse_archived_pages(records, read)

    def floor() -> None:
        for record in records:
            for element in lxml.html.fromstring(bodies[record.sha256]).iter():
                element.text, element.tail  # noqa: B018 - the walk is the point

    best = {"ours": float("inf"), "floor": float("inf")}
    for _ in range(repeats):
        for name, run in (("ours", ours), ("floor", floor)):
            t = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - t)
    t = time.process_time()
    for record in records:
        text = bodies[record.sha256].decode("utf-8")
        soup = BeautifulSoup(text, "html.parser")
        {
            d.label.get_text(strip=True): d.get_text(" ", strip=True)
            for d in soup.select("div.list-item")
            if d.label
        }
        try:
            pd.read_html(io.StringIO(text), flavor="lxml")
        except ValueError:  # "No tables found"
            pass
    naive = time.process_time() - t
    return {
        "parse_sample": len(records),
        "ours_sample_seconds": round(best["ours"], 3),
        "lxml_floor_seconds": round(best["floor"], 3),
        "naive_sample_seconds": round(naive, 2),
        "ratio_to_lxml_floor": round(best["ours"] / best["floor"], 2),
        "speedup_vs_naive": round(naive / best["ours"], 1),
    }


def _cpu_seconds() -> float:
    """CPU seconds of this process (every thread) and of its children that ended (the batch,
    export and checkpoint workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def release_substeps(summary) -> dict:
    """Wall and CPU seconds of the release's sub-steps (`warehouse.release.ReleaseDraft.timed`,
    kept in the release's reuse state) and of the checkpoint's (its quality report)."""
    release = Path(summary.release)
    state = release.parent.parent / ".reuse" / f"{release.name}.json"
    steps = (
        json.loads(state.read_text(encoding="utf-8")).get("seconds", {}) if state.exists() else {}
    )
    report = json.loads((release / "quality_report.json").read_text(encoding="utf-8"))
    checkpoint = report.get("great_expectations", {}).get("seconds_by_step") or {}
    return {
        **{f"GX checkpoint: {k}": [v, None] for k, v in checkpoint.items()},
        **steps,
        "reused": report.get("reuse", {}),
    }


def _timed_build(build, n: int, force: bool) -> tuple:
    sampler = RssSampler()
    sampler.start()
    t, cpu = time.perf_counter(), _cpu_seconds()
    summary = build(force=force)
    seconds = time.perf_counter() - t
    cpu = round(_cpu_seconds() - cpu, 1)
    sampler.stop()
    if not summary.success:
        raise SystemExit(f"the build failed at {n:,} contracts: checks {summary.checks}")
    return summary, seconds, cpu, sampler


def _queries(release: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(release / "warehouse.duckdb"), read_only=True)
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
    return query_ms


def run_scale(
    workdir: Path, n: int, workers: int, cache: Path | None = None, full_only: bool = False
) -> dict:
    """One scale, in this process (call through a subprocess for a clean measurement);
    `full_only`: the full build, the parser comparison and the queries, without the nights."""
    from bench.synthetic_corpus import change_night
    from pipelines.cli import run_build
    from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly
    from sources.isun_pages import is_contract_page
    from sources.raw_archive import RawArchive

    corpus, data = _prepare(workdir, n, cache)

    def build(force: bool):
        return run_build(
            data,
            source=ArchivedPagesOnly(),
            documents=ArchivedDocumentsOnly(),
            force_rebuild=force,
            workers=workers,
            progress=True,  # a line per step on stderr as it ends: a long run shows where it is
        )

    load_before = os.getloadavg()
    summary, full, full_cpu, sampler = _timed_build(build, n, force=True)
    stages = _stages(summary.steps, sampler, n)
    release = Path(summary.release)
    # Validation in all: the blocking checks (their own steps) and the Great Expectations
    # checkpoint, which runs inside the quality step and reports its own wall time.
    report = json.loads((release / "quality_report.json").read_text(encoding="utf-8"))
    checkpoint = float(report.get("great_expectations", {}).get("seconds") or 0)
    checks = next(s["seconds"] for s in stages if s["stage"].startswith("validate"))
    sizes = output_sizes(release)
    query_ms = _queries(release)

    archive = RawArchive(corpus)
    sample = [r for r in archive.records() if is_contract_page(r.url)][:NAIVE_SAMPLE]
    # The parser against lxml right after the build, on the same pages: the ratio of the same run.
    parsers = compare_parsers(archive, sample)
    result = {
        "contracts": n,
        "activities": summary.activities,
        "workers": workers,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "stages": stages,
        "steps": {k: round(b - a, 2) for k, (a, b) in summary.steps.items()},
        "full_seconds": round(full, 2),
        "full_cpu_seconds": full_cpu,
        "release_substeps": release_substeps(summary),
        "checkpoint_seconds": checkpoint,
        "validation_seconds": round(checks + checkpoint, 2),
        "peak_rss_mib": round(max(s[1] for s in sampler.samples) / 1024, 1),
        "sizes": sizes,
        **parsers,
        "query_ms": query_ms,
    }
    # Kept as soon as known: a night that runs out of time leaves the full build's figures.
    (workdir / f"result-{n}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if full_only:
        return result

    t = time.perf_counter()
    again = build(force=False)
    unchanged = time.perf_counter() - t

    changed = change_night(n, data / "raw")
    night, night_seconds, night_cpu, night_sampler = _timed_build(build, n, force=False)
    result.update(
        {
            "unchanged_seconds": round(unchanged, 2),
            "unchanged_detected": again.unchanged,
            "unchanged_share": round(unchanged / full, 4),
            "night": changed,
            "night_seconds": round(night_seconds, 2),
            "night_cpu_seconds": night_cpu,
            "night_release_substeps": release_substeps(night),
            "night_share": round(night_seconds / full, 4),
            "night_peak_rss_mib": round(max(s[1] for s in night_sampler.samples) / 1024, 1),
            "night_stages": _stages(night.steps, night_sampler, n),
        }
    )
    return result


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


def _load(load) -> str:
    return "/".join(f"{x:.1f}" for x in load) if load else "?"


def _mb(size: dict) -> str:
    return f"{size['mb']:,} MB ({size['files']:,} files)"


def release_share(r: dict) -> float:
    """The release step without the site (quality step, exports, documents, catalogue), of the build."""
    seconds = next(s["seconds"] for s in r["stages"] if s["stage"].startswith("release without"))
    return seconds / r["full_seconds"]


def markdown(results: list[dict]) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {_machine()}; the Dagster job `isun_build`, offline.",
        "Load average (1/5/15 min) as each full build started and ended: "
        + "; ".join(
            f"{r['contracts']:,}: {_load(r.get('load_before'))} → {_load(r.get('load_after'))}"
            for r in results
        )
        + ".",
        "",
        "| contracts | stage | seconds | share of the build | contracts/s/core | peak RSS MiB (process tree) |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for s in r["stages"]:
            lines.append(
                f"| {r['contracts']:,} | {s['stage']} | {s['seconds']} | "
                f"{s['seconds'] / r['full_seconds']:.1%} | {s['pages_per_s_per_core']} | {s['peak_rss_mib']} |"
            )
        lines.append(
            f"| {r['contracts']:,} | **full build, {r['workers']} worker{'s' if r['workers'] != 1 else ''}** "
            f"| **{r['full_seconds']}** | 100% | "
            f"{round(r['contracts'] / r['full_seconds'] / CORES, 1)} | **{r['peak_rss_mib']}** |"
        )
        lines.append(
            f"| {r['contracts']:,} | validation in all: the checks + the Great Expectations checkpoint "
            f"({r['checkpoint_seconds']} s, in the release step) | {r['validation_seconds']} | "
            f"{r['validation_seconds'] / r['full_seconds']:.1%} | | |"
        )
    lines += [
        "",
        "| contracts | activities | quiet night | night, 1 % of contracts changed | parse vs lxml floor "
        "(same pages) | parse vs naive | Parquet | CSV | site | release in all |",
        "| ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if "night" in r:
            night = r["night"]
            quiet = (
                f"{r['unchanged_seconds']} s ({r['unchanged_share']:.2%}"
                f"{'' if r['unchanged_detected'] else ', NOT detected'})"
            )
            changed = (
                f"{r['night_seconds']} s ({r['night_share']:.1%} of the full build; "
                f"{night['contracts_with_new_pages']:,} new PrintProject, {night['bulk_rows_changed']:,} "
                f"bulk rows; peak {r['night_peak_rss_mib']} MiB)"
            )
        else:
            quiet = changed = "not run (--full-only)"
        lines.append(
            f"| {r['contracts']:,} | {r['activities']:,} | {quiet} | {changed} | "
            f"{r['ratio_to_lxml_floor']}× ({r['ours_sample_seconds']} s vs {r['lxml_floor_seconds']} s CPU, "
            f"best of 3, {r['parse_sample']} pages) | "
            f"{r['speedup_vs_naive']}× faster ({r['naive_sample_seconds']} s naive) | "
            f"{_mb(r['sizes']['parquet'])} | {_mb(r['sizes']['csv'])} | {_mb(r['sizes']['site'])} | "
            f"{_mb(r['sizes']['all'])} |"
        )
    lines += [
        "",
        "| contracts | stage | full build s | night (1 % changed) s | night, of the stage's full |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for r in results:
        for full, night in zip(r["stages"], r.get("night_stages", []), strict=False):
            lines.append(
                f"| {r['contracts']:,} | {full['stage'].split(' (')[0]} | {full['seconds']} | "
                f"{night['seconds']} | "
                f"{night['seconds'] / full['seconds']:.0%} |"
                if full["seconds"]
                else f"| {r['contracts']:,} | {full['stage'].split(' (')[0]} | 0 | {night['seconds']} | |"
            )
    lines += [
        "",
        "| contracts | release sub-step | full build wall s | CPU s | night (1 % changed) wall s | CPU s |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        full, night = r.get("release_substeps", {}), r.get("night_release_substeps", {})
        for step in [k for k in {**full, **night} if k != "reused"]:
            a, b = full.get(step, ["", ""]), night.get(step, ["", ""])
            lines.append(
                f"| {r['contracts']:,} | {step} | {a[0]} | {a[1] if a[1] is not None else ''} | "
                f"{b[0]} | {b[1] if b[1] is not None else ''} |"
            )
        lines.append(
            f"| {r['contracts']:,} | **whole build (CPU: the process tree)** | {r['full_seconds']} | "
            f"{r.get('full_cpu_seconds', '')} | {r.get('night_seconds', '')} | "
            f"{r.get('night_cpu_seconds', '')} |"
        )
    lines += [
        "",
        "| contracts | release without the site, of the build | absorption by municipality | top 20 beneficiaries |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['contracts']:,} | {release_share(r):.1%} | {r['query_ms']['absorption by municipality']} ms | "
            f"{r['query_ms']['top 20 beneficiaries']} ms |"
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
    parser.add_argument(
        "--cache",
        default=os.environ.get("BGFUNDS_BENCH_CACHE"),
        help="where corpora are kept between runs, by scale and generator version "
        "(default $BGFUNDS_BENCH_CACHE, else the work directory)",
    )
    parser.add_argument(
        "--full-only",
        action="store_true",
        default=os.environ.get("BENCH_FULL_ONLY") == "1",
        help="only the full build, the parser comparison and the queries (no quiet or 1 %% night)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or Path(tempfile.gettempdir()) / "bgfunds-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache) if args.cache else workdir
    cache.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(run_scale(workdir, args.one, args.workers, cache, args.full_only)))
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
                "--cache",
                str(cache),
                *(["--full-only"] if args.full_only else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(markdown(results[-1:]), flush=True)
    table = markdown(results)
    # Only a run at the real register's size updates the committed table (a quick run never does).
    if any(r["contracts"] == REAL_REGISTER for r in results):
        Path(__file__).with_name("results.md").write_text(table, encoding="utf-8")
    (workdir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
