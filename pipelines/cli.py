"""The `bgfunds` command line: run the pipeline in-process and say what it produced."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.definitions import BUILD_JOB, build_defs
from pipelines.resources import (
    ArchivedDocumentsOnly,
    ArchivedPagesOnly,
    DocumentSource,
    IsunPageSource,
    LiveIsunCrawler,
    RecordedIsunPages,
    Settings,
)
from sources.isun_bulk_crawl import is_bulk_url
from sources.isun_crawl import ISUN_BASE_URL
from sources.isun_opendata import DEFAULT_API_INTERVAL_SECONDS
from sources.recorded import SAMPLE_BULK, SAMPLE_CORPUS


@dataclass
class BuildSummary:
    success: bool
    responses: int = 0
    pages_rejected: int = 0
    projects: int = 0
    activities: int = 0
    over_reported: int = 0
    rows_rejected: int = 0
    checks: dict[str, bool] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    warehouse: str | None = None
    fetch_summary: list[str] = field(default_factory=list)
    release: str | None = None
    unchanged: bool = False
    documents_by_kind: dict[str, int] = field(default_factory=dict)
    linked_projects: int = 0
    multi_source_projects: int = 0
    conflicts: int = 0
    coverage: str | None = None
    steps: dict[str, tuple[float, float]] = field(default_factory=dict)  # step -> (start, end), epoch seconds


def step_times(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """When each step of a run started and ended, from the run's event log."""
    starts, ends = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE,
                                  dg.DagsterEventType.STEP_SKIPPED):
            ends[event.step_key] = entry.timestamp
    return {key: (start, ends.get(key, start)) for key, start in starts.items()}


def run_build(data_dir: Path | str = "data", corpus_dir: Path | str = SAMPLE_CORPUS,
              log_level: str = "WARNING", source: IsunPageSource | None = None,
              force_rebuild: bool = False, documents: DocumentSource | None = None,
              workers: int = 0) -> BuildSummary:
    """Run the whole build job in-process; never raises on a failed check.

    Pages come from `source` (a live crawler, say) or else from the recording `corpus_dir`;
    documents from `documents` or else the bundled sample documents.
    """
    overrides = {"settings": Settings(data_dir=str(data_dir), force_rebuild=force_rebuild, workers=workers),
                 "isun_pages": source or RecordedIsunPages(
                     corpus_dir=str(corpus_dir),
                     bulk_corpus_dir=str(SAMPLE_BULK) if Path(corpus_dir) == SAMPLE_CORPUS else "")}
    if documents is not None:
        overrides["documents"] = documents
    job = build_defs(overrides).resolve_job_def(BUILD_JOB)
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    summary = BuildSummary(success=result.success, steps=step_times(instance, result.run_id))
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    summary.checks = checks
    executed = {step.step_key for step in result.get_step_success_events()}

    def output(node: str):
        if node not in executed:
            return None
        try:
            return result.output_for_node(node)
        except dg.DagsterInvariantViolationError:  # the step ran and chose not to produce output
            return None

    raw = output("raw_isun__contract_pages")
    tables = output("_core_isun__tables")
    if raw is not None:
        summary.responses = sum(1 for r in raw["records"] if not is_bulk_url(r["url"]))
        summary.fetch_summary = raw["summary"]
    if tables is not None:
        summary.projects = tables.projects.rows
        summary.activities = tables.activities.rows
        summary.over_reported = tables.over_reported
        summary.rows_rejected = tables.quarantine.rows
        summary.pages_rejected = tables.pages_rejected
    records = output("_core_documents__records")
    if records is not None:
        summary.documents_by_kind = dict(Counter(r["kind"] for r in records))
    linked, conflicts = output("core_bgfunds__linked_projects"), output("core_bgfunds__project_conflicts")
    if linked is not None:
        summary.linked_projects = linked.rows
        summary.multi_source_projects = int((linked.to_pandas(["n_sources"])["n_sources"] > 1).sum())
    if conflicts is not None:
        summary.conflicts = conflicts.rows
    summary.warehouse = output("out_bgfunds__warehouse")
    release = output("out_bgfunds__release")
    if release:
        summary.release = release
        summary.published = [str(p) for p in sorted(Path(release).iterdir())]
    summary.unchanged = result.success and raw is not None and output("_core_bgfunds__inputs") is None
    report = Path(summary.release or Path(data_dir) / "publish" / "latest") / "quality_report.json"
    if summary.release or summary.unchanged:
        if report.exists():
            summary.coverage = (json.loads(report.read_text(encoding="utf-8")).get("coverage") or {}).get("line")
    summary.success = result.success and all(checks.values()) and (bool(summary.published) or summary.unchanged)
    if summary.unchanged:
        latest = Path(data_dir) / "publish" / "latest"
        summary.release = str(latest.resolve()) if latest.exists() else None
    return summary


def print_summary(summary: BuildSummary, out=None) -> None:
    out = out or sys.stdout
    p = lambda s="": print(s, file=out)  # noqa: E731
    p("bgfunds build " + ("succeeded" if summary.success else "FAILED"))
    for line in summary.fetch_summary:
        p(f"  fetch: {line}")
    if not summary.unchanged:
        p(f"  pages read:        {summary.responses} ({summary.pages_rejected} rejected: WAF, HTTP error or unparseable)")
        p(f"  projects:          {summary.projects}")
        p(f"  activities:        {summary.activities} ({summary.over_reported} reported above contracted, flagged)")
        p(f"  rows rejected:     {summary.rows_rejected} (table 'quarantine', with rule, field and value)")
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.documents_by_kind.items()))
        p(f"  documents:         {sum(summary.documents_by_kind.values())} ({kinds})")
        p(f"  linked projects:   {summary.linked_projects} ({summary.multi_source_projects} from several sources,"
          f" {summary.conflicts} field conflicts in 'project_conflicts')")
    if summary.coverage:
        p(f"  coverage:          {summary.coverage}")
    failed = sorted(name for name, passed in summary.checks.items() if not passed)
    if summary.checks:
        p(f"  quality checks:    {len(summary.checks) - len(failed)} of {len(summary.checks)} passed"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    if summary.unchanged:
        p(f"  nothing changed since the last release (same archived pages, same code): kept {summary.release}")
        p("  (pass --force to rebuild anyway)")
    elif summary.release:
        release = Path(summary.release).resolve()
        p(f"  warehouse:         {Path(summary.warehouse).resolve()}")
        p(f"  release:           {release}/")
        p(f"  latest:            {release.parent.parent / 'latest'} -> releases/{release.name}")
        p(f"  catalogue page:    {release / 'index.html'}  (bgfunds serve shows it on http://127.0.0.1:8000/)")
        p("  files:             " + ", ".join(Path(f).name for f in summary.published))
    else:
        p("  nothing published: a check or the release step failed; 'latest' still points at the last good release")


def print_plan(source: LiveIsunCrawler, data_dir: Path, out=None) -> int:
    """`bgfunds crawl --plan`: tonight's fetches and request count, from the archive and the crawl state."""
    from sources.isun_bulk_crawl import BulkConfig, night_plan, page_listings

    settings = Settings(data_dir=str(data_dir))
    config = source.crawl_config()
    bulk = source.bulk_config() if source.bulk else BulkConfig(fetch_export=False, max_programme_calls=0)
    if source.bulk:
        config.listings = page_listings(config)
    plan = night_plan(config, bulk, settings.raw_archive, settings.crawl_state_path)
    if not source.bulk:
        plan.api_calls = []
    for line in plan.lines():
        print(line, file=out or sys.stdout)
    return 0


def serve_latest(data_dir: Path, port: int, host: str = "127.0.0.1") -> int:
    """Serve data/publish (`/` follows `latest`) until interrupted (`pipelines.serve`)."""
    from pipelines.serve import serve

    return serve(data_dir, host, port)


def extract_command(paths: list[str], kind: str, data_dir: str, out=None, per_project: bool = False) -> int:
    """Print one JSON object per input (with `per_project`: one per project the input speaks of, none where it
    names none); non-zero (and a message naming it) if any input is unreadable."""
    import json

    from sources.documents import html_to_text, read_document
    from sources.extract import extract, extract_projects

    out = out or sys.stdout
    failed = 0
    for path in paths:
        try:
            if path.startswith(("http://", "https://")):
                from urllib.parse import urlparse

                from sources.http_client import CrawlPolicy, PoliteClient
                from sources.raw_archive import RawArchive

                client = PoliteClient(CrawlPolicy(allowed_hosts=frozenset({urlparse(path).hostname or ""})),
                                      RawArchive(Path(data_dir) / "raw"))
                fetched = client.fetch(path)
                text, fmt = read_document(Path(urlparse(path).path or "page"), fetched.body, fetched.record.content_type)
            else:
                text, fmt = read_document(path)
            is_html = fmt == "html"
            chosen_text = text if (kind == "isun" or (kind == "auto" and ("list-item" in text or "Номер от ИСУН" in text))) else (
                html_to_text(text) if is_html else text)
            chosen = extract_projects if per_project else extract
            found = chosen(chosen_text, kind, is_html=is_html and chosen_text is text, url=path)
            for record in found if per_project else [found]:
                record["source"] = path
                record["format"] = fmt
                print(json.dumps(record, ensure_ascii=False, default=str), file=out)
        except Exception as exc:  # noqa: BLE001 - every failure is reported with the input's name
            failed += 1
            print(f"bgfunds extract: {path}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bgfunds", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build everything from the bundled recorded sample corpus")
    demo.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"))
    build = sub.add_parser("build", help="build from a recording (a directory with manifest.json)")
    build.add_argument("--corpus", default=str(SAMPLE_CORPUS))
    build.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"))
    publish = sub.add_parser("publish", help="rebuild and release offline from the raw archive (no fetching)")
    publish.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"))
    serve = sub.add_parser("serve", help="serve the releases over HTTP: / follows 'latest', /releases/<id>/ is fixed")
    serve.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"))
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 for all)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    ext = sub.add_parser("extract", help="extract normalised project records from files or URLs, as JSON lines")
    ext.add_argument("paths", nargs="+", metavar="PATH")
    ext.add_argument("--kind", default="auto",
                     choices=["auto", "isun", "municipal-news", "ngo-project", "ngo-event", "strategy"])
    ext.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"), help="raw archive for URLs fetched")
    ext.add_argument("--per-project", action="store_true",
                     help="one line per project the text speaks of (none where it names none), with evidence")
    crawl = sub.add_parser("crawl", help="crawl ИСУН (or a mirror) politely, then build from the archive")
    crawl.add_argument("--base-url", default=ISUN_BASE_URL, help=f"site or mirror to crawl (default {ISUN_BASE_URL})")
    crawl.add_argument("--budget", type=int, default=2000, help="requests per run, listings included")
    crawl.add_argument("--interval", type=float, default=None, help="seconds between requests (default 4)")
    crawl.add_argument("--contact", default="opendata@bgfunds.example", help="contact address in the User-Agent")
    crawl.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"))
    crawl.add_argument("--api-interval", type=float, default=DEFAULT_API_INTERVAL_SECONDS,
                       help=f"seconds between open-data API calls (default {DEFAULT_API_INTERVAL_SECONDS:.0f})")
    crawl.add_argument("--max-programme-calls", type=int, default=None,
                       help="open-data programmes fetched per night, longest-unfetched first (default: all)")
    crawl.add_argument("--no-bulk", action="store_true", help="skip the open-data API and the register export")
    crawl.add_argument("--plan", action="store_true",
                       help="print what tonight's crawl would fetch and its request count; fetch nothing")
    for p in (demo, build, crawl, publish):
        p.add_argument("--log-level", default="WARNING", help="Dagster log level (default WARNING)")
        p.add_argument("--force", action="store_true", help="rebuild even if nothing changed since the last release")
        p.add_argument("--workers", type=int, default=int(os.environ.get("BGFUNDS_WORKERS", "0")),
                       help="processes parsing batches of contracts (default: one per core)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        return serve_latest(Path(args.data_dir), args.port, args.host)
    if args.command == "extract":
        return extract_command(args.paths, args.kind, args.data_dir, per_project=args.per_project)

    source = None
    corpus = SAMPLE_CORPUS if args.command != "build" else Path(args.corpus)
    if args.command == "demo":
        print(f"Building from the recorded sample corpus {corpus} (recorded pages, not live data)")
    documents = None
    if args.command == "publish":
        source, documents = ArchivedPagesOnly(), ArchivedDocumentsOnly()
    if args.command == "crawl":
        source = LiveIsunCrawler(base_url=args.base_url, requests_per_night=args.budget,
                                 interval_seconds=args.interval, contact=args.contact, show_progress=True,
                                 bulk=not args.no_bulk, api_interval_seconds=args.api_interval,
                                 max_programme_calls=args.max_programme_calls)
        if args.plan:
            return print_plan(source, Path(args.data_dir))
    summary = run_build(args.data_dir, corpus, args.log_level, source=source, force_rebuild=args.force,
                        documents=documents, workers=args.workers)
    print_summary(summary)
    return 0 if summary.success else 1


if __name__ == "__main__":
    sys.exit(main())
