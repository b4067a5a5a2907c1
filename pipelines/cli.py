"""The `bgfunds` command line: run the pipeline in-process and say what it produced.

Heavy libraries (Dagster, Great Expectations, DuckDB) are imported only by the commands
that use them, so `bgfunds --help` and `bgfunds extract FILE` start in a moment.

Exit codes: 0 released (or nothing changed), 1 the build ran and published nothing (a
failed step or quality check; `latest` is unchanged), 2 bad arguments, 3 another build
holds the data directory, 4 an input or the data directory is unusable (or a guard
refused), 130 interrupted. `extract`: 0 every input gave a record, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sources.recorded import SAMPLE_BULK, SAMPLE_CORPUS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
PROFILE_MARKER = ".profile"  # "sample" or "live": what a data directory holds


@dataclass
class BuildSummary:
    success: bool
    responses: int = 0  # responses this run fetched or replayed
    pages_read: int = 0  # archived contract pages the build read (all of them, not only this run's)
    pages_rejected: int = 0
    projects: int = 0
    activities: int = 0
    over_reported: int = 0
    rows_rejected: int = 0
    quarantine_by_rule: dict[str, int] = field(default_factory=dict)
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
    coverage: str | None = None  # the release's coverage of ИСУН's open data (`warehouse.coverage`)
    steps: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # step -> (start, end), epoch seconds
    failures: list[str] = field(
        default_factory=list
    )  # one line per failed step: "step: Error: message"
    traces: list[str] = field(default_factory=list)  # the full errors, for --debug
    dagster_run_id: str | None = None
    plan: str | None = None  # why nothing was rebuilt (`pipelines.quiet_night`)


def step_times(instance, run_id: str) -> dict[str, tuple[float, float]]:
    """When each step of a run started and ended, from the run's event log."""
    import dagster as dg

    starts, ends = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.STEP_SKIPPED,
        ):
            ends[event.step_key] = entry.timestamp
    return {key: (start, ends.get(key, start)) for key, start in starts.items()}


def dagster_home(data_dir: Path | str) -> Path:
    """The Dagster instance of a data directory (`<data_dir>/dagster`): the CLI's runs and
    `make dev`'s UI share it, so CLI runs show in the UI."""
    home = Path(data_dir) / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        template = Path(__file__).resolve().parent.parent / "dagster.yaml"
        config.write_text(
            template.read_text(encoding="utf-8")
            if template.exists()
            else "telemetry:\n  enabled: false\n",
            encoding="utf-8",
        )
    return home


def _run_events(instance, run_ids: list[str], event_type) -> list:
    """The event log entries of one type of the given runs, in order."""
    return [e for run_id in run_ids for e in instance.all_logs(run_id, of_type=event_type)]


def _failures(instance, run_ids: list[str]) -> tuple[list[str], list[str]]:
    """One line per failed step (the innermost error's class and first line) and the full traces."""
    import dagster as dg

    from pipelines.progress import error_line, innermost

    lines, traces = [], []
    for entry in _run_events(instance, run_ids, dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        error = innermost(event.step_failure_data.error)
        lines.append(
            f"{event.step_key}: {error_line(error)}" if error else f"{event.step_key}: failed"
        )
        traces.append(event.step_failure_data.error.to_string())
    return lines, traces


@dataclass
class RunRecord:
    """What the runs of one build left in the Dagster instance: status, materialisations, checks."""

    success: bool
    materialised: dict[str, dict] = field(default_factory=dict)  # asset -> its metadata values
    checks: dict[str, bool] = field(default_factory=dict)
    steps: dict[str, tuple[float, float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)

    def value(self, asset: str, key: str, default=None):
        return self.materialised.get(asset, {}).get(key, default)


# The assets whose materialisation metadata the build summary reads.
SUMMARY_ASSETS = (
    "raw_isun__contract_pages",
    "core_isun__projects",
    "core_isun__activities",
    "_core_isun__page_quarantine",
    "_core_documents__records",
    "core_bgfunds__linked_projects",
    "core_bgfunds__project_conflicts",
)


def _keep(record: RunRecord, materialisation) -> None:
    record.materialised[materialisation.asset_key.to_user_string()] = {
        key: getattr(value, "value", value) for key, value in materialisation.metadata.items()
    }


def read_runs(instance, run_ids: list[str]) -> RunRecord:
    """The runs' outcome as the instance recorded it (the CLI reads nothing from in-process outputs)."""
    import dagster as dg

    runs = [instance.get_run_by_id(run_id) for run_id in run_ids]
    record = RunRecord(success=all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs))
    for entry in _run_events(instance, run_ids, dg.DagsterEventType.ASSET_MATERIALIZATION):
        _keep(record, entry.asset_materialization)
    # A partial rebuild did not materialise every table this summary counts: their latest
    # materialisation (an earlier run's) is what the release holds.
    for asset in SUMMARY_ASSETS:
        if asset not in record.materialised:
            latest = instance.get_latest_materialization_event(dg.AssetKey(asset))
            if latest is not None and latest.asset_materialization is not None:
                _keep(record, latest.asset_materialization)
    for entry in _run_events(instance, run_ids, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        record.checks[evaluation.check_name] = evaluation.passed
    for run_id in run_ids:
        record.steps.update(step_times(instance, run_id))
    record.failures, record.traces = _failures(instance, run_ids)
    return record


def _summary_of(record: RunRecord, data_dir: Path | str, plan) -> BuildSummary:
    """The build's summary from the materialisations' metadata and the checks' results."""
    summary = BuildSummary(
        success=record.success,
        steps=record.steps,
        failures=record.failures,
        traces=record.traces,
        checks=record.checks,
    )
    summary.responses = record.value("raw_isun__contract_pages", "contract_page_responses", 0)
    summary.fetch_summary = record.value("raw_isun__contract_pages", "summary", "").splitlines()
    summary.pages_read = record.value("core_isun__projects", "pages_read", 0)
    summary.pages_rejected = record.value("core_isun__projects", "pages_rejected", 0)
    summary.projects = record.value("core_isun__projects", "rows", 0)
    summary.activities = record.value("core_isun__activities", "rows", 0)
    summary.over_reported = record.value("core_isun__activities", "over_reported", 0)
    summary.rows_rejected = record.value("_core_isun__page_quarantine", "rows", 0)
    summary.quarantine_by_rule = record.value("_core_isun__page_quarantine", "by_table_rule", {})
    summary.documents_by_kind = record.value("_core_documents__records", "by_kind", {})
    summary.linked_projects = record.value("core_bgfunds__linked_projects", "rows", 0)
    summary.multi_source_projects = record.value("core_bgfunds__linked_projects", "multi_source", 0)
    summary.conflicts = record.value("core_bgfunds__project_conflicts", "rows", 0)
    summary.warehouse = record.value("out_bgfunds__warehouse", "path")
    summary.release = record.value("out_bgfunds__release", "release")
    if summary.release:
        summary.published = [str(p) for p in sorted(Path(summary.release).iterdir())]
    summary.unchanged = record.success and plan is not None and not plan.rebuild
    latest = Path(data_dir) / "publish" / "latest"
    report = Path(summary.release or latest) / "quality_report.json"
    if (summary.release or summary.unchanged) and report.exists():
        summary.coverage = (
            json.loads(report.read_text(encoding="utf-8")).get("coverage") or {}
        ).get("line")
    summary.success = (
        record.success
        and all(record.checks.values())
        and (bool(summary.published) or summary.unchanged)
    )
    if summary.unchanged:
        summary.release = str(latest.resolve()) if latest.exists() else None
        summary.plan = plan.reason
    return summary


def _overrides(data_dir, corpus_dir, source, documents, force_rebuild: bool, workers: int) -> dict:
    from pipelines.resources import RecordedIsunPages, Settings
    from pipelines.settings import resolve

    configured = resolve(os.environ)["settings"]  # the settings no argument here names
    configured.update(data_dir=str(data_dir), force_rebuild=force_rebuild, workers=workers)
    overrides = {
        "settings": Settings(**configured),
        "isun_pages": source
        or RecordedIsunPages(
            corpus_dir=str(corpus_dir),
            bulk_corpus_dir=str(SAMPLE_BULK) if Path(corpus_dir) == SAMPLE_CORPUS else "",
        ),
    }
    if documents is not None:
        overrides["documents"] = documents
    return overrides


def _run_config(progress: bool, log_level: str | None) -> dict:
    from pipelines.progress import PROGRESS_LOGGER

    loggers = {}
    if progress:
        loggers[PROGRESS_LOGGER] = {"config": {"log_level": "INFO"}}
    if log_level or not progress:
        loggers["console"] = {"config": {"log_level": (log_level or "WARNING").upper()}}
    return {"loggers": loggers}


def run_build(
    data_dir: Path | str = "data",
    corpus_dir: Path | str = SAMPLE_CORPUS,
    log_level: str | None = None,
    source=None,
    force_rebuild: bool = False,
    documents=None,
    workers: int = 0,
    progress: bool = False,
    persistent_instance: bool = False,
    tables=None,
    extra_assets=(),
) -> BuildSummary:
    """Run the fetch job, then the build job if the plan says so (`pipelines.quiet_night`), in-process;
    never raises on a failed step or check.

    Pages come from `source` (a live crawler, say) or else from the recording `corpus_dir`;
    documents from `documents` or else the bundled sample documents. `progress` prints a
    line per step and per message of the pipeline (stderr); `log_level` adds Dagster's own
    console log at that level. `persistent_instance` records the runs in the data
    directory's Dagster instance (`dagster_home`), where `make dev`'s UI shows them; the
    summary is read from the instance either way. `tables` and `extra_assets` (a table
    registry and the assets of tables not in the code) go to `build_defs`.
    """
    import dagster as dg

    from pipelines.definitions import build_defs

    overrides = _overrides(data_dir, corpus_dir, source, documents, force_rebuild, workers)
    defs = build_defs(overrides, tables=tables, extra_assets=extra_assets)
    instance = (
        dg.DagsterInstance.from_config(str(dagster_home(data_dir)))
        if persistent_instance
        else dg.DagsterInstance.ephemeral()
    )
    with instance:
        run_ids, plan = _run_jobs(
            defs, overrides["settings"], instance, _run_config(progress, log_level), force_rebuild
        )
        summary = _summary_of(read_runs(instance, run_ids), data_dir, plan)
    summary.dagster_run_id = run_ids[-1]
    return summary


def _run_jobs(defs, settings, instance, run_config: dict, force_rebuild: bool):
    """The fetch job, then the plan (`pipelines.quiet_night`), then the build job or the part
    of it the plan names; return the run ids and the plan (None when the fetch failed)."""
    from pipelines.definitions import BUILD_JOB, FETCH_JOB, build_assets
    from pipelines.quiet_night import FINGERPRINT_TAG, code_versions, plan_build, selection

    fetch = defs.resolve_job_def(FETCH_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config
    )
    if not fetch.success:
        return [fetch.run_id], None
    plan = plan_build(settings, code_versions(build_assets(defs)), force_rebuild)
    if not plan.rebuild:
        return [fetch.run_id], plan
    chosen = selection(plan, defs.resolve_asset_graph())
    # A partial rebuild runs a subset of all assets (its inputs come from the earlier runs'
    # stored outputs); a full one runs the build job as it is.
    job = (
        defs.resolve_implicit_global_asset_job_def() if chosen else defs.resolve_job_def(BUILD_JOB)
    )
    build = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=run_config,
        tags={FINGERPRINT_TAG: plan.fingerprint},
        asset_selection=chosen,
    )
    return [fetch.run_id, build.run_id], plan


def print_summary(summary: BuildSummary, out=None, debug: bool = False) -> None:
    """What a build did: the fetch, the tables (unless nothing was rebuilt), checks, failures
    and where the release is (or why there is none)."""
    out = out or sys.stdout
    p = lambda s="": print(s, file=out)  # noqa: E731
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
    if debug:
        for trace in summary.traces:
            p(trace)
    _print_outcome(summary, p, failed, debug)


def _print_tables(summary: BuildSummary, p) -> None:
    p(
        f"  pages read:        {summary.pages_read} ({summary.pages_rejected} rejected: WAF, HTTP error, empty "
        f"or unparseable; {summary.responses} fetched or replayed in this run)"
    )
    p(f"  projects:          {summary.projects}")
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


def serve_latest(data_dir: Path, port: int, host: str = "127.0.0.1") -> int:
    """Serve data/publish (`/` follows `latest`) until interrupted (`pipelines.serve`)."""
    from pipelines.serve import serve

    return serve(data_dir, host, port)


# Fields of an extracted record that say nothing about a project.
_RECORD_BOOKKEEPING = {"kind", "source", "format", "url", "source_url", "text_chars", "flags"}


def _is_empty_record(record: dict) -> bool:
    return not any(
        value not in (None, "", [], {})
        for key, value in record.items()
        if key not in _RECORD_BOOKKEEPING
    )


def _read_input(path: str, data_dir: str) -> tuple[str, str]:
    """(text, format) of a file, or of a URL fetched politely into the data dir's raw archive."""
    from sources.documents import read_document

    if not path.startswith(("http://", "https://")):
        return read_document(path)
    from urllib.parse import urlparse

    from sources.http_client import CrawlPolicy, PoliteClient
    from sources.raw_archive import RawArchive

    client = PoliteClient(
        CrawlPolicy(allowed_hosts=frozenset({urlparse(path).hostname or ""})),
        RawArchive(Path(data_dir) / "raw"),
    )
    fetched = client.fetch(path)
    return read_document(
        Path(urlparse(path).path or "page"), fetched.body, fetched.record.content_type
    )


def _extract_one(path: str, kind: str, data_dir: str, out, per_project: bool) -> bool:
    """Print the records of one input; False (with a warning on stderr) when it gave nothing."""
    from sources.documents import html_to_text
    from sources.extract import extract, extract_projects

    text, fmt = _read_input(path, data_dir)
    is_html = fmt == "html"
    is_isun_page = "list-item" in text or "Номер от ИСУН" in text
    chosen_text = (
        text
        if (kind == "isun" or (kind == "auto" and is_isun_page))
        else (html_to_text(text) if is_html else text)
    )
    as_html = is_html and chosen_text is text
    if per_project:
        for record in extract_projects(chosen_text, kind, is_html=as_html, url=path):
            record["source"], record["format"] = path, fmt
            print(json.dumps(record, ensure_ascii=False, default=str), file=out)
        return True
    record = extract(chosen_text, kind, is_html=as_html, url=path)
    record["source"] = path
    record["format"] = fmt
    print(json.dumps(record, ensure_ascii=False, default=str), file=out)
    if not chosen_text.strip():
        print(
            f"bgfunds extract: warning: {path}: no text in this {fmt} input (scanned image, empty file?)",
            file=sys.stderr,
        )
        return False
    if _is_empty_record(record):
        print(
            f"bgfunds extract: warning: {path}: nothing extracted from {len(chosen_text)} characters of "
            f"{fmt} (kind {record.get('kind', kind)}); not a page this extractor knows?",
            file=sys.stderr,
        )
        return False
    return True


def extract_command(
    paths: list[str], kind: str, data_dir: str, out=None, per_project: bool = False
) -> int:
    """Print one JSON object per input (with `per_project`: one per project the input speaks of, none where it
    names none); non-zero (and a message naming it) if any input is unreadable or gave nothing (a warning on
    stderr says which and why)."""
    out = out or sys.stdout
    failed = 0
    for path in paths:
        try:
            failed += not _extract_one(path, kind, data_dir, out, per_project)
        except Exception as exc:  # noqa: BLE001 - every failure is reported with the input's name
            failed += 1
            print(f"bgfunds extract: {path}: {exc}", file=sys.stderr)
    return 1 if failed else 0


# -- arguments ----------------------------------------------------------------------------


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum of {minimum}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds >= 0")
    return value


def _port(text: str) -> int:
    value = _count(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def _http_url(text: str) -> str:
    from urllib.parse import urlparse

    parts = urlparse(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL with a host")
    return text


def _contact(text: str) -> str:
    if "@" not in text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an e-mail address")
    return text


def _corpus(text: str) -> str:
    if not (Path(text) / "manifest.json").is_file():
        raise argparse.ArgumentTypeError(f"{text}: not a recording (no manifest.json in it)")
    return text


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"bgfunds {version('bgfunds')}"
    except PackageNotFoundError:
        return "bgfunds (not installed: run from a source tree)"


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _setting_flag(parser: argparse.ArgumentParser, name: str, **kw) -> None:
    """The flag of a setting (`pipelines.settings`): `--<name>` and its older aliases, its env
    var's value as the default, the env var named in the help."""
    from pipelines.settings import BY_NAME, initial

    setting = BY_NAME[name]
    parser.add_argument(
        setting.option,
        *setting.aliases,
        dest=setting.name,
        default=initial(setting, os.environ, cli=True),
        help=f"{setting.help} (env {setting.env})",
        **kw,
    )


def _parent_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The flags every command has, and those of the commands that build."""
    common = argparse.ArgumentParser(add_help=False)
    _setting_flag(common, "data_dir")
    common.add_argument(
        "--debug", action="store_true", help="print full error traces and Dagster's debug log"
    )
    building = argparse.ArgumentParser(add_help=False)
    building.add_argument(
        "--log-level",
        default=None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="also show Dagster's own log at this level; unset: progress lines only",
    )
    _setting_flag(building, "force_rebuild", action="store_const", const=True)
    _setting_flag(building, "workers", type=_count(0))
    _setting_flag(building, "lock_wait_seconds", type=_seconds)
    return common, building


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bgfunds", description=__doc__, formatter_class=_HelpFormatter
    )
    parser.add_argument("--version", action="version", version=_version())
    common, building = _parent_parsers()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, details: str, parents) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=f"{summary}.\n\n{details}",
            parents=parents,
            formatter_class=_HelpFormatter,
        )

    _add_build_commands(command, common, building)
    _add_serve_and_extract(command, common)
    _add_crawl(command, common, building)
    return parser


def _add_build_commands(command, common, building) -> None:
    """demo, build and publish."""
    command(
        "demo",
        "build everything from the bundled recorded sample corpus",
        "Replays the sample recording (recorded pages, not live data) into the data dir and builds, checks and "
        "releases it. Refuses a data dir that holds live (crawled) data.",
        [common, building],
    )
    build = command(
        "build",
        "build from a recording (a directory with manifest.json)",
        "Replays the recording into the raw archive, then builds, checks and releases. Manifest entries "
        "that cannot be trusted go to quarantine.",
        [common, building],
    )
    build.add_argument(
        "--corpus", type=_corpus, default=str(SAMPLE_CORPUS), help="the recording to replay"
    )
    command(
        "publish",
        "rebuild and release offline from the raw archive (no fetching)",
        "Reads only what the raw archive already holds.",
        [common, building],
    )


def _add_serve_and_extract(command, common) -> None:
    serve = command(
        "serve",
        "serve the releases over HTTP: / follows 'latest', /releases/<id>/ is fixed",
        "Serves <data-dir>/publish until interrupted, with Range requests (remote DuckDB reads "
        "only what it needs).",
        [common],
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 for all)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (0: any free port)")
    ext = command(
        "extract",
        "extract normalised project records from files or URLs, as JSON lines",
        "One JSON object per input on stdout; unreadable or empty inputs are named on stderr and make "
        "the exit code 1. Text files may be UTF-8, UTF-16 (with a BOM) or windows-1251.",
        [common],
    )
    ext.add_argument(
        "paths", nargs="+", metavar="PATH", help="files (HTML, text, PDF, DOCX) or http(s) URLs"
    )
    ext.add_argument(
        "--kind",
        default="auto",
        choices=["auto", "isun", "municipal-news", "ngo-project", "ngo-event", "strategy"],
        help="what the inputs are; auto guesses per input",
    )
    ext.add_argument(
        "--per-project",
        action="store_true",
        help="one line per project the text speaks of (none where it names none), with evidence",
    )


def _add_crawl(command, common, building) -> None:
    crawl = command(
        "crawl",
        "crawl ИСУН (or a mirror) politely, then build from the archive",
        "Listings, then new, changed and a rotating slice of known contracts, within the request budget "
        "(every request counts: robots.txt, listings, redirects, retries). A firewall page or a long "
        "Retry-After stops the night for that host; what is left stays queued.",
        [common, building],
    )
    _setting_flag(crawl, "isun_base_url", type=_http_url)
    _setting_flag(crawl, "requests_per_night", type=_count(1))
    _setting_flag(crawl, "interval_seconds", type=_seconds)
    _setting_flag(crawl, "contact", type=_contact)
    _setting_flag(crawl, "api_interval_seconds", type=_seconds)
    _setting_flag(crawl, "max_programme_calls", type=_count(0))
    crawl.add_argument(
        "--no-bulk", action="store_true", help="skip the open-data API and the register export"
    )
    crawl.add_argument(
        "--plan",
        action="store_true",
        help="print what tonight's crawl would fetch and its request count; fetch nothing",
    )


# -- guards and status ----------------------------------------------------------------------


class UnusableError(RuntimeError):
    """The data directory or an input cannot be used; the message says which and why."""


def check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UnusableError(
            f"data dir {data_dir}: cannot write there: {exc.strerror or exc}"
        ) from None


def data_profile(data_dir: Path) -> str | None:
    """'live' or 'sample': what the data directory holds (None: nothing yet)."""
    marker = data_dir / PROFILE_MARKER
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip() or None
    if (data_dir / "crawl_state.duckdb").exists():
        return "live"  # crawled before the marker existed
    return None


def guard_profile(data_dir: Path, wanted: str) -> None:
    """Refuse the sample's fake contracts in a data directory that holds live data."""
    held = data_profile(data_dir)
    if wanted == "sample" and held == "live":
        raise UnusableError(
            f"data dir {data_dir} holds live (crawled) data; the sample corpus would mix its "
            "made-up contracts into it. Use another --data-dir for the demo."
        )
    if held is None or (held == "sample" and wanted == "live"):
        (data_dir / PROFILE_MARKER).write_text(wanted + "\n", encoding="utf-8")


def _last_crawl(data_dir: Path, since: float) -> dict:
    path = data_dir / "last_crawl.json"
    if path.exists() and path.stat().st_mtime >= since:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return {}
    return {}


def write_run_status(data_dir: Path, status: dict) -> Path | None:
    """`<data_dir>/runs/<start>-<command>/run_status.json`, and a copy as `<data_dir>/run_status.json`."""
    try:
        run_dir = data_dir / "runs" / f"{status['started'].replace(':', '')}-{status['command']}"
        run_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(status, ensure_ascii=False, indent=1, default=str)
        for path in (run_dir / "run_status.json", data_dir / "run_status.json"):
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        return run_dir / "run_status.json"
    except OSError:
        return None


def _status(
    args,
    started: float,
    outcome: str,
    exit_code: int,
    summary: BuildSummary | None = None,
    error: str | None = None,
) -> dict:
    when = lambda t: datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")  # noqa: E731
    status = {
        "command": args.command,
        "argv": sys.argv[1:],
        "started": when(started),
        "ended": when(time.time()),
        "seconds": round(time.time() - started, 1),
        "outcome": outcome,
        "exit_code": exit_code,
        "error": error,
    }
    if summary is not None:
        status.update(
            {
                "counts": {
                    "responses_this_run": summary.responses,
                    "pages_read": summary.pages_read,
                    "pages_rejected": summary.pages_rejected,
                    "projects": summary.projects,
                    "activities": summary.activities,
                    "quarantined": summary.rows_rejected,
                    "documents": sum(summary.documents_by_kind.values()),
                    "linked_projects": summary.linked_projects,
                },
                "quarantine_by_rule": summary.quarantine_by_rule,
                "checks": summary.checks,
                "failures": summary.failures,
                "release": summary.release,
                "unchanged": summary.unchanged,
                "fetch": summary.fetch_summary,
                "dagster_run_id": summary.dagster_run_id,
                "steps_seconds": {k: round(e - s, 2) for k, (s, e) in summary.steps.items()},
            }
        )
    status["requests"] = _last_crawl(Path(args.data_dir), started).get("http", {})
    return status


def _build(args, data_dir: Path) -> BuildSummary:
    """Check the data dir, take its lock and run the build the command asks for."""
    from warehouse.data_lock import data_dir_lock

    check_writable(data_dir)
    corpus = SAMPLE_CORPUS if args.command != "build" else Path(args.corpus)
    if args.command in ("demo", "build") and corpus.resolve() == SAMPLE_CORPUS.resolve():
        guard_profile(data_dir, "sample")
    elif args.command == "crawl":
        guard_profile(data_dir, "live")
    with data_dir_lock(
        data_dir,
        args.lock_wait_seconds,
        on_wait=lambda m: print(m, file=sys.stderr, flush=True),
    ):
        source = documents = None
        if args.command == "demo":
            print(
                f"Building from the recorded sample corpus {corpus} (recorded pages, not live data)"
            )
        if args.command == "publish":
            from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly

            source, documents = ArchivedPagesOnly(), ArchivedDocumentsOnly()
        if args.command == "crawl":
            source = _crawler(args, show_progress=True)
        return run_build(
            data_dir,
            corpus,
            "DEBUG" if args.debug else args.log_level,
            source=source,
            force_rebuild=args.force_rebuild,
            documents=documents,
            workers=args.workers,
            progress=True,
            persistent_instance=True,
        )


def _build_command(args) -> int:
    """A building command (demo, build, publish, crawl): the build, its summary and run status;
    every way it can end gets an exit code and a run_status.json."""
    from warehouse.data_lock import DataDirLockedError

    data_dir = Path(args.data_dir)
    started = time.time()
    summary = None
    try:
        summary = _build(args, data_dir)
    except DataDirLockedError as exc:
        print(f"bgfunds {args.command}: {exc}", file=sys.stderr)
        write_run_status(data_dir, _status(args, started, "locked", EXIT_LOCKED, error=str(exc)))
        return EXIT_LOCKED
    except UnusableError as exc:
        print(f"bgfunds {args.command}: {exc}", file=sys.stderr)
        if data_dir.is_dir() and os.access(data_dir, os.W_OK):
            write_run_status(
                data_dir, _status(args, started, "refused", EXIT_UNUSABLE, error=str(exc))
            )
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print(
            f"bgfunds {args.command}: interrupted; 'latest' still points at the last good release",
            file=sys.stderr,
        )
        write_run_status(data_dir, _status(args, started, "interrupted", EXIT_INTERRUPTED, summary))
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line naming what failed; the trace with --debug
        if args.debug:
            raise
        print(
            f"bgfunds {args.command}: {type(exc).__name__}: {exc} (run again with --debug for the trace)",
            file=sys.stderr,
        )
        write_run_status(
            data_dir, _status(args, started, "failed", EXIT_FAILED, summary, error=str(exc))
        )
        return EXIT_FAILED
    print_summary(summary, debug=args.debug)
    code = EXIT_OK if summary.success else EXIT_FAILED
    outcome = "unchanged" if summary.unchanged else "released" if summary.success else "failed"
    path = write_run_status(
        data_dir,
        _status(args, started, outcome, code, summary, error="; ".join(summary.failures) or None),
    )
    if path:
        print(f"  run status:        {path}")
    return code


def _crawler(args, show_progress: bool = False):
    """The live crawler configured by the crawl command's settings (`pipelines.settings`)."""
    from pipelines.resources import LiveIsunCrawler
    from pipelines.settings import resolve

    return LiveIsunCrawler(
        **resolve(os.environ, args)["isun_pages"],
        show_progress=show_progress,
        bulk=not args.no_bulk,
    )


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import SettingError

    try:
        parser = build_parser()
    except SettingError as exc:  # an env var that cannot be read: name it, its value and why
        print(f"bgfunds: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve_latest(Path(args.data_dir), args.port, args.host)
    if args.command == "extract":
        return extract_command(args.paths, args.kind, args.data_dir, per_project=args.per_project)
    if args.command == "crawl" and args.plan:
        return print_plan(_crawler(args), Path(args.data_dir))
    return _build_command(args)


if __name__ == "__main__":
    sys.exit(main())
