"""Assemble the Dagster `Definitions`; `dagster dev -m pipelines.definitions` loads `defs`.

Two jobs (the fetch, `isun_fetch`; the build, `isun_build`), the nightly schedule of the
fetch, the sensor that decides whether to build (`pipelines.quiet_night`), the resources
chosen by settings (`pipelines.settings`) and the IO manager. `build_defs` takes the table
registry as data (`tables=`, `extra_assets=`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from pipelines import assets, checks, document_assets, isun_bulk_assets
from pipelines.io_managers import StagingIOManager
from pipelines.night_sensors import night_sensors
from pipelines.progress import PROGRESS_LOGGER, progress_logger
from pipelines.quiet_night import inputs_changed_sensor
from pipelines.resources import LiveIsunCrawler, RecordedDocuments, RecordedIsunPages, Settings
from pipelines.settings import PROFILE_ENV, resolve
from registry import all_tables, tables_by_asset
from registry.tables import Table
from sources.recorded import SAMPLE_BULK

FETCH_JOB = "isun_fetch"
BUILD_JOB = "isun_build"
INPUTS_SENSOR = "inputs_changed"
# The fetch: what the night adds to the raw archive. The build job is everything else; the
# plan between the two (`pipelines.quiet_night`) decides whether it runs at all.
RAW_ASSETS = ("raw_isun__contract_pages", "raw_documents__pages")
NIGHTLY_SCHEDULE = "nightly_refresh"
# When the schedule fires (cron, Europe/Sofia). A deployment may move it; a test makes it every minute.
NIGHTLY_CRON_ENV = "BGFUNDS_NIGHTLY_CRON"
NIGHTLY_CRON = "30 1 * * *"


def profile_resources(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Resources chosen by settings, not code edits (`pipelines.settings`: one name per setting).

    BGFUNDS_PROFILE=sample (default): replay the bundled recorded sample corpus.
    BGFUNDS_PROFILE=live: crawl BGFUNDS_ISUN_BASE_URL (default https://2020.eufunds.bg)
    within BGFUNDS_REQUESTS_PER_NIGHT requests, as BGFUNDS_CONTACT.
    """
    values = resolve(env)
    settings = Settings(**values["settings"])
    if env.get(PROFILE_ENV, "sample") == "live":
        source = LiveIsunCrawler(**values["isun_pages"])
    else:
        source = RecordedIsunPages(bulk_corpus_dir=str(SAMPLE_BULK))
    return {"settings": settings, "isun_pages": source, "documents": RecordedDocuments()}


def build_assets(defs: dg.Definitions) -> list[dg.AssetsDefinition]:
    """The assets of the build job (all but the fetch's `RAW_ASSETS`)."""
    raw = {dg.AssetKey(name) for name in RAW_ASSETS}
    return [
        a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) and not set(a.keys) & raw
    ]


def registry_assets(
    tables: Mapping[str, Table], extra_assets: Sequence[dg.AssetsDefinition] = ()
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """Every asset and check of a build over the table registry `tables` (name -> table).

    The assets that take every table in (the warehouse and the release) and the checks are
    made from `tables`; `extra_assets` are the functions that produce tables the modules
    here do not (a new table is one `Table(..., asset=...)` plus its asset function).
    """
    loaded = [
        a
        for a in dg.load_assets_from_modules([assets, document_assets, isun_bulk_assets])
        if isinstance(a, dg.AssetsDefinition)
    ]
    return (
        [
            *loaded,
            *extra_assets,
            assets.warehouse_asset(dict(tables)),
            assets.quality_asset(dict(tables)),
            assets.release_asset(dict(tables)),
        ],
        checks.table_checks(tables_by_asset(dict(tables))),
    )


def build_defs(
    resource_overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] = os.environ,
    tables: Mapping[str, Table] | None = None,
    extra_assets: Sequence[dg.AssetsDefinition] = (),
) -> dg.Definitions:
    """Definitions with the profile's resources, overridable per key (tests, CLI), over the
    table registry `tables` (default: `registry.tables.registry()`) and `extra_assets`."""
    resources = profile_resources(env)
    resources.update(resource_overrides or {})
    resources.setdefault("io_manager", StagingIOManager(settings=resources["settings"]))
    live = env.get(PROFILE_ENV, "sample") == "live"
    all_assets, all_checks = registry_assets(
        all_tables() if tables is None else tables, extra_assets
    )
    raw = {dg.AssetKey(name) for name in RAW_ASSETS}
    built = [a for a in all_assets if not set(a.keys) & raw]
    running = dg.DefaultScheduleStatus.RUNNING if live else dg.DefaultScheduleStatus.STOPPED
    return dg.Definitions(
        # One process per run: every step of a run shares the imports (Great Expectations
        # alone takes seconds) and the data directory's build lock; batches of contracts
        # still run in parallel inside their step (`pipelines.isun_batches`).
        executor=dg.in_process_executor,
        loggers={PROGRESS_LOGGER: progress_logger, "console": dg.colored_console_logger},
        assets=all_assets,
        asset_checks=all_checks,
        jobs=[
            dg.define_asset_job(
                FETCH_JOB,
                selection=dg.AssetSelection.assets(*RAW_ASSETS),
                description="Fetch ИСУН pages, bulk sources and documents into the raw archive.",
            ),
            dg.define_asset_job(
                BUILD_JOB,
                selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*RAW_ASSETS),
                description="Parse, normalise, validate and publish what the raw archive holds.",
            ),
        ],
        schedules=[
            dg.ScheduleDefinition(
                name=NIGHTLY_SCHEDULE,
                job_name=FETCH_JOB,
                cron_schedule=env.get(NIGHTLY_CRON_ENV) or NIGHTLY_CRON,
                execution_timezone="Europe/Sofia",
                default_status=running,
                description="Nightly fetch: listings, new/changed contracts and a rotating slice; "
                "the sensor inputs_changed then builds if anything changed.",
            )
        ],
        sensors=[
            inputs_changed_sensor(
                resources["settings"],
                built,
                all_assets,
                BUILD_JOB,
                dg.DefaultSensorStatus.RUNNING if live else dg.DefaultSensorStatus.STOPPED,
            ),
            *night_sensors(
                resources["settings"],
                built,
                FETCH_JOB,
                dg.DefaultSensorStatus.RUNNING if live else dg.DefaultSensorStatus.STOPPED,
            ),
        ],
        resources=resources,
    )


defs = build_defs()
