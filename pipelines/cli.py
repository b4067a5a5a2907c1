"""The `bgfunds` command line: run the pipeline in-process and say what it produced."""

from __future__ import annotations

import argparse
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
from sources.isun_crawl import ISUN_BASE_URL
from sources.recorded import SAMPLE_CORPUS


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
                 "isun_pages": source or RecordedIsunPages(corpus_dir=str(corpus_dir))}
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
        summary.responses = len(raw["records"])
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


def serve_latest(data_dir: Path, port: int, host: str = "127.0.0.1") -> int:
    """Serve data/publish (`/` follows `latest`) until interrupted (`pipelines.serve`)."""
    from pipelines.serve import serve

    return serve(data_dir, host, port)


def extract_command(paths: list[str], kind: str, data_dir: str, out=None) -> int:
    """Print one JSON object per input; non-zero (and a message naming it) if any input is unreadable."""
    import json

    from sources.documents import html_to_text, read_document
    from sources.extract import extract

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
            chosen_text = text if (kind == "isun" or (kind == "auto" and "list-item" in text)) else (
                html_to_text(text) if is_html else text)
            record = extract(chosen_text, kind, is_html=is_html and chosen_text is text, url=path)
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
    crawl = sub.add_parser("crawl", help="crawl ИСУН (or a mirror) politely, then build from the archive")
    crawl.add_argument("--base-url", default=ISUN_BASE_URL, help=f"site or mirror to crawl (default {ISUN_BASE_URL})")
    crawl.add_argument("--budget", type=int, default=2000, help="requests per run, listings included")
    crawl.add_argument("--interval", type=float, default=None, help="seconds between requests (default 4)")
    crawl.add_argument("--contact", default="opendata@bgfunds.example", help="contact address in the User-Agent")
    crawl.add_argument("--data-dir", default=os.environ.get("BGFUNDS_DATA_DIR", "data"))
    for p in (demo, build, crawl, publish):
        p.add_argument("--log-level", default="WARNING", help="Dagster log level (default WARNING)")
        p.add_argument("--force", action="store_true", help="rebuild even if nothing changed since the last release")
        p.add_argument("--workers", type=int, default=int(os.environ.get("BGFUNDS_WORKERS", "0")),
                       help="processes parsing batches of contracts (default: one per core)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        return serve_latest(Path(args.data_dir), args.port, args.host)
    if args.command == "extract":
        return extract_command(args.paths, args.kind, args.data_dir)

    source = None
    corpus = SAMPLE_CORPUS if args.command != "build" else Path(args.corpus)
    if args.command == "demo":
        print(f"Building from the recorded sample corpus {corpus} (recorded pages, not live data)")
    documents = None
    if args.command == "publish":
        source, documents = ArchivedPagesOnly(), ArchivedDocumentsOnly()
    if args.command == "crawl":
        source = LiveIsunCrawler(base_url=args.base_url, requests_per_night=args.budget,
                                 interval_seconds=args.interval, contact=args.contact, show_progress=True)
    summary = run_build(args.data_dir, corpus, args.log_level, source=source, force_rebuild=args.force,
                        documents=documents, workers=args.workers)
    print_summary(summary)
    return 0 if summary.success else 1


if __name__ == "__main__":
    sys.exit(main())
