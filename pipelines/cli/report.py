"""Printing a build's summary and the crawl plan for the operator."""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.cli.runs import BuildSummary


def quiet_line(summary: BuildSummary, command: str = "build") -> str:
    """A night that changed nothing, in one line: the release that stays, since when, and why."""
    release = Path(summary.release).name if summary.release else None
    issued = f", issued {summary.release_issued}" if summary.release_issued else ""
    return (
        f"bgfunds {command}: nothing changed since the last release: latest stays release "
        f"{release}{issued} ({summary.plan}); pass --force to rebuild anyway"
    )


def print_summary(
    summary: BuildSummary, out=None, debug: bool = False, command: str = "build"
) -> None:
    """What a build did: the fetch, the tables (unless nothing was rebuilt), checks, failures
    and where the release is (or why there is none); a night that changed nothing is one
    line (`quiet_line`), and a second when the release was uploaded."""
    out = out or sys.stdout
    p = lambda s="": print(s, file=out)  # noqa: E731
    if summary.unchanged and summary.success and not debug:
        p(quiet_line(summary, command))
        if summary.upload and summary.upload.get("line"):
            p(f"  published to:      {summary.upload['line']}")
        return
    p("bgfunds build " + ("succeeded" if summary.success else "FAILED"))
    for line in summary.fetch_summary:
        p(f"  fetch: {line}")
    if not summary.unchanged:
        _print_tables(summary, p)
    if summary.coverage:
        p(f"  coverage:          {summary.coverage}")
    failed = sorted(name for name, passed in summary.checks.items() if not passed)
    if summary.checks:
        p(
            f"  quality checks:    {len(summary.checks) - len(failed)} of {len(summary.checks)} passed"
            + (f"; FAILED: {', '.join(failed)}" if failed else "")
        )
    for line in summary.failures:
        p(f"  FAILED step {line}")
    if summary.upload and summary.upload.get("line"):
        p(f"  published to:      {summary.upload['line']}")
    if debug:
        for trace in summary.traces:
            p(trace)
    _print_outcome(summary, p, failed, debug)


def _print_tables(summary: BuildSummary, p) -> None:
    p(
        f"  pages read:        {summary.pages_read} ({summary.pages_rejected} rejected: WAF, HTTP error, empty "
        f"or unparseable; {summary.responses} fetched or replayed in this run)"
    )
    p(f"  projects:          {summary.projects} ({summary.projects_with_pages} with page detail)")
    p(
        f"  activities:        {summary.activities} ({summary.over_reported} reported above contracted, flagged)"
    )
    p(
        f"  rows rejected:     {summary.rows_rejected} (table 'quarantine', with rule, field and value)"
    )
    if summary.quarantine_by_rule:
        p(
            "  quarantined by rule: "
            + ", ".join(f"{k} {n}" for k, n in summary.quarantine_by_rule.items())
        )
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.documents_by_kind.items()))
    p(f"  documents:         {sum(summary.documents_by_kind.values())} ({kinds})")
    p(
        f"  linked projects:   {summary.linked_projects} ({summary.multi_source_projects} from several sources,"
        f" {summary.conflicts} field conflicts in 'project_conflicts')"
    )


def _print_outcome(summary: BuildSummary, p, failed: list[str], debug: bool) -> None:
    if summary.unchanged:
        p(f"  nothing to rebuild: {summary.plan}")
        p(
            f"  nothing changed since the last release (same archived pages, same code): kept {summary.release}"
        )
        p("  (pass --force to rebuild anyway)")
    elif summary.release:
        release = Path(summary.release).resolve()
        p(f"  warehouse:         {Path(summary.warehouse).resolve()}")
        p(f"  release:           {release}/")
        p(f"  latest:            {release.parent.parent / 'latest'} -> releases/{release.name}")
        p(
            f"  catalogue page:    {release / 'index.html'}  (bgfunds serve shows it on http://127.0.0.1:8000/)"
        )
        p("  files:             " + ", ".join(Path(f).name for f in summary.published))
    else:
        why = (
            "a step failed (above)"
            if summary.failures
            else f"quality checks failed: {', '.join(failed)}"
            if failed
            else "the release step did not run"
        )
        p(f"  nothing published: {why}; 'latest' still points at the last good release")
        if summary.failures and not debug:
            p("  (run again with --debug for the full error)")


def print_plan(source, data_dir: Path, out=None) -> int:
    """`bgfunds crawl --plan`: tonight's fetches and request count, from the archive and the crawl state."""
    from pipelines.resources import Settings
    from sources.isun_bulk_crawl import BulkConfig, night_plan, page_listings

    settings = Settings(data_dir=str(data_dir))
    config = source.crawl_config()
    bulk = (
        source.bulk_config()
        if source.bulk
        else BulkConfig(fetch_export=False, max_programme_calls=0)
    )
    if source.bulk:
        config.listings = page_listings(config)
    plan = night_plan(config, bulk, settings.raw_archive, settings.crawl_state_path)
    if not source.bulk:
        plan.api_calls = []
    for line in plan.lines():
        print(line, file=out or sys.stdout)
    return 0
