"""Running the build in-process and reading what it did from the Dagster instance."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sources.recorded import SAMPLE_BULK, SAMPLE_CORPUS

# Pages and documents that fetch nothing: the raw archive as it is (`bgfunds publish`). A string,
# so that a command can say so without importing the resources (and Dagster) first.
ARCHIVE = "archive"


def _is_archive(value, kind: str) -> bool:
    if value == ARCHIVE:
        return True
    if value is None or isinstance(value, str):
        return False
    # An instance exists, so its module (and Dagster) is imported already.
    from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly

    return isinstance(value, ArchivedPagesOnly if kind == "pages" else ArchivedDocumentsOnly)


def recordings_of(corpus_dir, source, documents) -> list[Path] | None:
    """What the fetch job would replay: [] for a night that fetches nothing, the recordings'
    folders for a replay, None for a live fetch (or a source of unknown kind)."""
    from sources.recorded import SAMPLE_DOCUMENTS

    folders: list[Path] = []
    if source is None:
        folders.append(Path(corpus_dir))
        if Path(corpus_dir) == SAMPLE_CORPUS:
            folders.append(SAMPLE_BULK)
    elif not _is_archive(source, "pages"):
        return None
    if documents is None:
        folders.append(SAMPLE_DOCUMENTS)  # the profile's RecordedDocuments()
    elif not _is_archive(documents, "documents"):
        return None
    return folders


@dataclass
class BuildSummary:
    success: bool
    responses: int = 0  # responses this run fetched or replayed
    pages_read: int = 0  # archived contract pages the build read (all of them, not only this run's)
    pages_rejected: int = 0
    projects: int = 0  # every contract (bulk sources and pages)
    projects_with_pages: int = 0
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
    upload: dict | None = (
        None  # `--publish-to`: where the release went (`pipelines.release_upload`)
    )
    plan: str | None = None  # why nothing was rebuilt (`pipelines.quiet_night`)
    release_issued: str | None = None  # when the release `release` names was issued


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
        template = Path(__file__).resolve().parents[2] / "dagster.yaml"
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
    "_core_isun__project_pages",
    "projects",
    "activities",
    "_core_isun__page_quarantine",
    "_core_documents__records",
    "linked_projects",
    "project_conflicts",
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


def _disk_full_named(record: RunRecord, data_dir: Path) -> list[str]:
    """The failure lines, a full disk said as such with where (`pipelines.disk_full`)."""
    import tempfile

    from pipelines.disk_full import disk_full_line

    write_dirs = [data_dir, Path(tempfile.gettempdir())]
    return [
        disk_full_line(line.split(":", 1)[0], f"{line}\n{trace}", write_dirs) or line
        for line, trace in zip(record.failures, record.traces, strict=False)
    ]


def _summary_of(record: RunRecord, data_dir: Path | str, plan) -> BuildSummary:
    """The build's summary from the materialisations' metadata and the checks' results."""
    summary = BuildSummary(
        success=record.success,
        steps=record.steps,
        failures=_disk_full_named(record, Path(data_dir)),
        traces=record.traces,
        checks=record.checks,
    )
    summary.responses = record.value("raw_isun__contract_pages", "contract_page_responses", 0)
    summary.fetch_summary = record.value("raw_isun__contract_pages", "summary", "").splitlines()
    summary.pages_read = record.value("_core_isun__project_pages", "pages_read", 0)
    summary.pages_rejected = record.value("_core_isun__project_pages", "pages_rejected", 0)
    summary.projects_with_pages = record.value("_core_isun__project_pages", "rows", 0)
    summary.projects = record.value("projects", "rows", 0)
    summary.activities = record.value("activities", "rows", 0)
    summary.over_reported = record.value("activities", "over_reported", 0)
    summary.rows_rejected = record.value("_core_isun__page_quarantine", "rows", 0)
    summary.quarantine_by_rule = record.value("_core_isun__page_quarantine", "by_table_rule", {})
    summary.documents_by_kind = record.value("_core_documents__records", "by_kind", {})
    summary.linked_projects = record.value("linked_projects", "rows", 0)
    summary.multi_source_projects = record.value("linked_projects", "multi_source", 0)
    summary.conflicts = record.value("project_conflicts", "rows", 0)
    summary.warehouse = record.value("out_bgfunds__warehouse", "path")
    summary.release = record.value("out_bgfunds__release", "release")
    if summary.release:
        summary.published = [str(p) for p in sorted(Path(summary.release).iterdir())]
    summary.unchanged = record.success and plan is not None and not plan.rebuild
    latest = Path(data_dir) / "publish" / "latest"
    report = Path(summary.release or latest) / "quality_report.json"
    if (summary.release or summary.unchanged) and report.exists():
        recorded = json.loads(report.read_text(encoding="utf-8"))
        summary.coverage = (recorded.get("coverage") or {}).get("line")
        summary.release_issued = recorded.get("issued")
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
    from pipelines.resources import (
        ArchivedDocumentsOnly,
        ArchivedPagesOnly,
        RecordedIsunPages,
        Settings,
    )
    from pipelines.settings import resolve

    source = ArchivedPagesOnly() if source == ARCHIVE else source
    documents = ArchivedDocumentsOnly() if documents == ARCHIVE else documents
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

    A night that fetches nothing new (`source` and `documents` `ARCHIVE`, or recordings
    replayed before into this archive) with the same inputs and code as the last release is
    told before Dagster is imported (`pipelines.quiet_night.quiet_before_dagster`): no run, the
    summary says what stays `latest` and why. Every other night takes the Dagster way and
    leaves the stamp that tells the next one.
    """
    recordings = recordings_of(corpus_dir, source, documents)
    custom = tables is not None or bool(extra_assets)
    if not force_rebuild and not custom and recordings is not None:
        quiet = _quiet(data_dir, recordings)
        if quiet is not None:
            return quiet
    import dagster as dg

    from pipelines.definitions import build_assets, build_defs
    from pipelines.quiet_night import code_versions, remember_plan

    overrides = _overrides(data_dir, corpus_dir, source, documents, force_rebuild, workers)
    defs = build_defs(overrides, tables=tables, extra_assets=extra_assets)
    versions = code_versions(build_assets(defs))
    instance = (
        dg.DagsterInstance.from_config(str(dagster_home(data_dir)))
        if persistent_instance
        else dg.DagsterInstance.ephemeral()
    )
    with instance:
        run_ids, plan = _run_jobs(
            defs,
            overrides["settings"],
            instance,
            _run_config(progress, log_level),
            force_rebuild,
            versions,
        )
        summary = _summary_of(read_runs(instance, run_ids), data_dir, plan)
    summary.dagster_run_id = run_ids[-1]
    if not custom:
        # What the next night reads before Dagster; the replay is trusted only if the fetch ran whole.
        remember_plan(data_dir, versions, recordings if plan is not None else None)
    return summary


def _quiet(data_dir: Path | str, recordings: list[Path]) -> BuildSummary | None:
    """The quiet night told before Dagster, as a summary (None: let Dagster's plan decide)."""
    from pipelines.quiet_night import quiet_before_dagster
    from warehouse.data_lock import DataDirLockedError, data_dir_lock

    try:
        # Held by the CLI already (taken again freely); another build holding it: Dagster's way waits.
        with data_dir_lock(data_dir, 0.0):
            quiet = quiet_before_dagster(data_dir, recordings)
    except DataDirLockedError:
        return None
    if quiet is None:
        return None
    latest = Path(data_dir) / "publish" / "latest"
    return BuildSummary(
        success=True,
        unchanged=True,
        fetch_summary=[quiet.fetch_line],
        release=str(latest.resolve()),
        release_issued=quiet.issued,
        coverage=quiet.coverage,
        plan=quiet.reason,
    )


def _run_jobs(
    defs, settings, instance, run_config: dict, force_rebuild: bool, versions: dict[str, str]
):
    """The fetch job, then the plan (`pipelines.quiet_night`), then the build job or the part
    of it the plan names; return the run ids and the plan (None when the fetch failed)."""
    from pipelines.definitions import BUILD_JOB, FETCH_JOB
    from pipelines.quiet_night import FINGERPRINT_TAG, plan_build, selection

    fetch = defs.resolve_job_def(FETCH_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config
    )
    if not fetch.success:
        return [fetch.run_id], None
    plan = plan_build(settings, versions, force_rebuild)
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
