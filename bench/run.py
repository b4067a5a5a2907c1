"""`make bench`: the offline build (parse -> normalise -> validate -> publish) timed per stage.

For each scale it generates (or reuses) a synthetic corpus, then runs each scale in a
fresh subprocess and prints per stage the wall seconds, pages per second per core and
the process's peak RSS so far (VmHWM from /proc/self/status, read after the stage).
It also parses a sample of the same pages the naive way (BeautifulSoup with html.parser
plus pandas.read_html) and prints the ratio, times the nothing-changed rebuild (the
inputs fingerprint check that the pipeline does first), and times two analyst queries.
Results go to stdout and to bench/results.md. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

NAIVE_SAMPLE = 1000
CORES = os.cpu_count() or 1


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stage(results: list, name: str, pages: int, fn):
    t = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t
    results.append({"stage": name, "seconds": round(wall, 2),
                    "pages_per_s_per_core": round(pages / wall / CORES, 1) if wall else None,
                    "peak_rss_mib": round(_peak_rss_mib(), 1)})
    return out


def run_scale(workdir: Path, n: int) -> dict:
    """One scale, in this process (call through a subprocess for a clean RSS)."""
    import duckdb
    import pandas as pd
    from bs4 import BeautifulSoup

    from bench.synthetic_corpus import generate
    from pipelines.assets import build_fingerprint, is_contract_page, parse_and_build_in_batches, parse_archived_pages
    from quality.suites import validate_table
    from sources.raw_archive import RawArchive
    from transforms.isun_location import project_places_table
    from warehouse.duckdb_store import write_warehouse
    from transforms.organisations import organisations_table
    from warehouse.metadata import (
        ACTIVITIES,
        ORGANISATIONS,
        PROJECT_ORGANISATIONS,
        PROJECT_PLACES,
        PROJECTS,
        QUARANTINE,
    )
    from transforms.gazetteer import places_table
    from transforms.programmes import programmes_table
    from warehouse.metadata_documents import DOCUMENT_TABLES
    from warehouse.metadata_reference import PLACES, PROGRAMMES
    from warehouse.release import build_release

    root = workdir / f"corpus-{n}"
    if not (root / "manifest.jsonl").exists():
        generate(n, root)
    archive = RawArchive(root)
    results: list[dict] = []
    records = [r for r in archive.records() if is_contract_page(r.url)]

    tables = _stage(results, "parse + normalise + row screening (batches of 2,000 contracts)", n,
                    lambda: parse_and_build_in_batches(records, archive.read))

    def link():
        from transforms.extracted_tables import extracted_tables
        from transforms.linking import claims_from_isun, link_claims

        return link_claims(claims_from_isun(tables.projects)), extracted_tables([])

    links, documents = _stage(results, "link (claims by code, fuzzy title + beneficiary)", n, link)

    def validate():
        return {"projects": validate_table(PROJECTS, tables.projects).as_dict(),
                "activities": validate_table(ACTIVITIES, tables.activities,
                                             {"project_code": tables.projects["project_code"].tolist()}).as_dict()}

    quality = _stage(results, "validate (Great Expectations)", n, validate)
    out = workdir / f"out-{n}"

    def publish():
        wh = write_warehouse(out / "warehouse.duckdb", [
            (PROJECTS, tables.projects), (ACTIVITIES, tables.activities), (QUARANTINE, tables.quarantine),
            (PROJECT_PLACES, project_places_table(tables.projects)),
            (PROJECT_ORGANISATIONS, tables.project_organisations),
            (ORGANISATIONS, organisations_table(tables.project_organisations)),
            *((DOCUMENT_TABLES[name], frame) for name, frame in documents.items()),
            (DOCUMENT_TABLES["linked_projects"], links.linked_projects),
            (DOCUMENT_TABLES["project_sources"], links.project_sources),
            (DOCUMENT_TABLES["project_conflicts"], links.project_conflicts),
            (PROGRAMMES, programmes_table()[PROGRAMMES.columns]),
            (PLACES, places_table()[PLACES.columns])])
        quality["inputs_fingerprint"] = build_fingerprint(records)
        return wh, build_release(out / "warehouse.duckdb", out / "publish", quality)

    _stage(results, "publish (DuckDB, Parquet, CSV, Data Package, release)", n, publish)
    full = sum(r["seconds"] for r in results)

    t = time.perf_counter()
    same = build_fingerprint([r for r in RawArchive(root).records() if is_contract_page(r.url)])
    unchanged = time.perf_counter() - t
    unchanged_detected = same == quality["inputs_fingerprint"]  # False only if the code changed mid-run

    sample = records[: min(NAIVE_SAMPLE, len(records))]
    t = time.perf_counter()
    parse_archived_pages(sample, archive.read)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    for record in sample:
        text = archive.read(record.sha256).decode("utf-8")
        soup = BeautifulSoup(text, "html.parser")
        {d.label.get_text(strip=True): d.get_text(" ", strip=True) for d in soup.select("div.list-item") if d.label}
        pd.read_html(io.StringIO(text))
    naive = time.perf_counter() - t

    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
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
    return {"contracts": n, "activities": len(tables.activities), "stages": results, "full_seconds": round(full, 2),
            "unchanged_seconds": round(unchanged, 3), "unchanged_detected": unchanged_detected, "unchanged_share": round(unchanged / full, 4),
            "naive_sample": len(sample), "ours_sample_seconds": round(ours, 2),
            "naive_sample_seconds": round(naive, 2), "speedup_vs_naive": round(naive / ours, 1), "query_ms": query_ms}


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal")) / 1024 / 1024
    return f"{model}, {CORES} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def markdown(results: list[dict]) -> str:
    lines = [f"Measured {datetime.now(UTC):%Y-%m-%d} on {_machine()}.", "",
             "| contracts | stage | seconds | pages/s/core | peak RSS MiB |", "| ---: | --- | ---: | ---: | ---: |"]
    for r in results:
        for s in r["stages"]:
            lines.append(f"| {r['contracts']:,} | {s['stage']} | {s['seconds']} | {s['pages_per_s_per_core']} | {s['peak_rss_mib']} |")
        lines.append(f"| {r['contracts']:,} | **full build** | **{r['full_seconds']}** | | |")
    lines += ["", "| contracts | activities | parse vs naive (same pages) | nothing-changed rebuild | "
              "absorption by municipality | top 20 beneficiaries |", "| ---: | ---: | --- | --- | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['contracts']:,} | {r['activities']:,} | {r['speedup_vs_naive']}× ({r['naive_sample_seconds']} s naive vs "
                     f"{r['ours_sample_seconds']} s, {r['naive_sample']} pages) | {r['unchanged_seconds']} s "
                     f"({r['unchanged_share']:.2%} of full) | {r['query_ms']['absorption by municipality']} ms | "
                     f"{r['query_ms']['top 20 beneficiaries']} ms |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--scales", default="1000,10000")
    parser.add_argument("--workdir", default=None, help="where corpora and outputs go (kept between runs)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or Path(tempfile.gettempdir()) / "bgfunds-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(run_scale(workdir, args.one)))
        return 0
    results = []
    for n in (int(x) for x in args.scales.split(",")):
        print(f"… {n:,} contracts", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", "bench.run", "--one", str(n), "--workdir", str(workdir)],
                              stdout=subprocess.PIPE, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(markdown(results[-1:]), flush=True)
    table = markdown(results)
    Path(__file__).with_name("results.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
