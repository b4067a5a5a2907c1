"""Assemble the Dagster `Definitions`; `dagster dev -m pipelines.definitions` loads `defs`."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from pipelines import assets, checks, document_assets, isun_bulk_assets
from pipelines.progress import PROGRESS_LOGGER, progress_logger
from pipelines.resources import LiveIsunCrawler, RecordedDocuments, RecordedIsunPages, Settings
from sources.isun_crawl import ISUN_BASE_URL
from sources.recorded import SAMPLE_BULK

BUILD_JOB = "isun_build"
NIGHTLY_SCHEDULE = "nightly_refresh"


class SkippedCheckNotice(logging.Filter):
    """Drops Dagster's "blocking asset check ... emitted no result" warning.

    Every check here returns a result whenever it runs, so the warning only appears when a
    check was skipped with its asset: on a quiet night, when the input gate yields nothing.
    Its steps downstream are skipped too, whatever the warning says ("will proceed").
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "emitted no result in step" not in record.getMessage()


_PLAN_LOG = logging.getLogger("dagster._core.execution.plan.active")
if not any(isinstance(f, SkippedCheckNotice) for f in _PLAN_LOG.filters):
    _PLAN_LOG.addFilter(SkippedCheckNotice())


def profile_resources(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Resources chosen by settings, not code edits.

    BGFUNDS_PROFILE=sample (default): replay the bundled recorded sample corpus.
    BGFUNDS_PROFILE=live: crawl BGFUNDS_ISUN_BASE_URL (default https://2020.eufunds.bg)
    within BGFUNDS_REQUESTS_PER_NIGHT requests, as BGFUNDS_CONTACT.
    """
    settings = Settings(
        data_dir=env.get("BGFUNDS_DATA_DIR", "data"), workers=int(env.get("BGFUNDS_WORKERS", "0"))
    )
    if env.get("BGFUNDS_PROFILE", "sample") == "live":
        source = LiveIsunCrawler(
            base_url=env.get("BGFUNDS_ISUN_BASE_URL", ISUN_BASE_URL),
            requests_per_night=int(env.get("BGFUNDS_REQUESTS_PER_NIGHT", "2000")),
            contact=env.get("BGFUNDS_CONTACT", "opendata@bgfunds.example"),
        )
    else:
        source = RecordedIsunPages(bulk_corpus_dir=str(SAMPLE_BULK))
    return {"settings": settings, "isun_pages": source, "documents": RecordedDocuments()}


def build_defs(
    resource_overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] = os.environ
) -> dg.Definitions:
    """Definitions with the profile's resources, overridable per key (tests, CLI)."""
    resources = profile_resources(env)
    resources.update(resource_overrides or {})
    live = env.get("BGFUNDS_PROFILE", "sample") == "live"
    all_assets = dg.load_assets_from_modules([assets, document_assets, isun_bulk_assets])
    return dg.Definitions(
        # One process per run: every step of a run shares the imports (Great Expectations
        # alone takes seconds) and the data directory's build lock; batches of contracts
        # still run in parallel inside their step (`pipelines.isun_batches`).
        executor=dg.in_process_executor,
        loggers={PROGRESS_LOGGER: progress_logger, "console": dg.colored_console_logger},
        assets=all_assets,
        asset_checks=checks.ALL_CHECKS,
        jobs=[
            dg.define_asset_job(
                BUILD_JOB,
                selection=dg.AssetSelection.all(),
                description="Fetch, parse, normalise, validate and publish ИСУН contracts.",
            )
        ],
        schedules=[
            dg.ScheduleDefinition(
                name=NIGHTLY_SCHEDULE,
                job_name=BUILD_JOB,
                cron_schedule="30 1 * * *",
                execution_timezone="Europe/Sofia",
                default_status=dg.DefaultScheduleStatus.RUNNING
                if live
                else dg.DefaultScheduleStatus.STOPPED,
                description="Nightly incremental refresh: listings, new/changed contracts and a rotating slice.",
            )
        ],
        resources=resources,
    )


defs = build_defs()
