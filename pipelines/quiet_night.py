"""The quiet night: before a build, decide from the archive and the code what needs rebuilding.

Two things shape a release: what the raw archive holds (the newest good response per
URL) and the code (each asset's `code_version`, `pipelines.code_versions`, plus the
installed libraries). The last release's `quality_report.json` records both: the inputs
fingerprint (archive + libraries) and the code version of every asset it was built with.

- inputs changed (or no release yet, or `force`): build everything;
- inputs unchanged, some assets' code changed: rebuild those assets and what is downstream
  of them (the others' outputs are read from the data directory, `pipelines.io_managers`);
- nothing changed: skip, with a reason naming the release that stays `latest`.

The same plan drives `bgfunds build` (after the fetch job, in-process) and the Dagster
sensor `inputs_changed` (which requests a build run or returns a `SkipReason`). The fetch
(`raw_*` assets) is a job of its own, so the decision is taken between the two runs rather
than inside a build that would have to yield nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import dagster as dg

from pipelines.code_versions import library_versions
from pipelines.resources import Settings
from quality.rules_sql import last_quality_report
from sources.raw_archive import inputs_fingerprint

FINGERPRINT_TAG = "bgfunds/inputs_fingerprint"


def archive_fingerprint(settings: Settings) -> str:
    """The fingerprint of what a build reads: the archive's newest good responses and the libraries."""
    extra = "\n".join(library_versions())
    archive = settings.raw_archive
    return archive.memo(
        "inputs-fingerprint-" + hashlib.sha256(extra.encode()).hexdigest()[:16],
        lambda: inputs_fingerprint(list(archive.records()), extra=extra),
    )


def code_versions(assets: Iterable[dg.AssetsDefinition]) -> dict[str, str]:
    """Asset name -> its code version, for every asset with one."""
    return {
        key.to_user_string(): version
        for assets_def in assets
        for key, version in assets_def.code_versions_by_key.items()
        if version is not None
    }


def last_release_report(settings: Settings) -> dict:
    return last_quality_report(settings.publish_dir)


@dataclass(frozen=True)
class BuildPlan:
    fingerprint: str
    reason: str
    rebuild: bool
    changed_code: tuple[
        str, ...
    ] = ()  # assets whose code changed (inputs unchanged); () with rebuild: all
    previous_release: str | None = None
    code_versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def run_key(self) -> str:
        """One build per (inputs, code) state: the sensor's run key."""
        codes = json.dumps(dict(sorted(self.code_versions.items())))
        return hashlib.sha256((self.fingerprint + codes).encode()).hexdigest()[:24]


def plan_build(settings: Settings, versions: Mapping[str, str], force: bool = False) -> BuildPlan:
    """What tonight's build must do, given the assets' current code versions."""
    fingerprint = archive_fingerprint(settings)
    report = last_release_report(settings)
    previous = report.get("release_id")
    common = {
        "fingerprint": fingerprint,
        "previous_release": previous,
        "code_versions": dict(versions),
    }
    if force:
        return BuildPlan(reason="rebuild forced (--force)", rebuild=True, **common)
    if not report:
        return BuildPlan(reason="no release yet", rebuild=True, **common)
    if report.get("inputs_fingerprint") != fingerprint:
        return BuildPlan(reason=f"inputs changed since release {previous}", rebuild=True, **common)
    released = report.get("code_versions") or {}
    changed = tuple(sorted(name for name, v in versions.items() if released.get(name) != v))
    stored = settings.staging_dir / ".outputs"
    if changed and not all((stored / f"{name}.pickle").exists() for name in versions):
        return BuildPlan(
            reason=f"code changed since release {previous} ({len(changed)} assets); "
            "no stored outputs to reuse",
            rebuild=True,
            **common,
        )
    if changed:
        return BuildPlan(
            reason=f"inputs unchanged since release {previous}; code changed: {', '.join(changed)}",
            rebuild=True,
            changed_code=changed,
            **common,
        )
    return BuildPlan(
        reason=f"inputs unchanged since release {previous} ({fingerprint[:12]}), code unchanged",
        rebuild=False,
        **common,
    )


def selection(plan: BuildPlan, all_assets) -> list[dg.AssetKey] | None:
    """The assets the plan rebuilds (None: the whole build job); `all_assets` is every asset
    definition (or the asset graph), the fetch's included, so that every input resolves."""
    if not plan.changed_code:
        return None
    chosen = dg.AssetSelection.assets(*plan.changed_code).downstream()
    return sorted(chosen.resolve(all_assets), key=lambda k: k.to_user_string())


def inputs_changed_sensor(
    settings: Settings,
    build_assets: list[dg.AssetsDefinition],
    all_assets: list[dg.AssetsDefinition],
    job_name: str,
    default_status: dg.DefaultSensorStatus,
) -> dg.SensorDefinition:
    """Requests a build when the archive or the code changed since the last release; else says why not."""
    versions = code_versions(build_assets)

    @dg.sensor(
        name="inputs_changed",
        job_name=job_name,
        minimum_interval_seconds=300,
        default_status=default_status,
        description="After the nightly fetch: a build when the archive's newest responses or an "
        "asset's code changed since the last release, else a skip reason naming it.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        plan = plan_build(settings, versions)
        if not plan.rebuild:
            return dg.SkipReason(plan.reason)
        context.log.info(plan.reason)
        return dg.RunRequest(
            run_key=plan.run_key,
            asset_selection=selection(plan, all_assets),
            tags={FINGERPRINT_TAG: plan.fingerprint},
        )

    return _sensor
