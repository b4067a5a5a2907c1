"""The Dagster way's night outcome: after the daemon's runs, the same `nightly_status.json` (and
webhook) that `bgfunds nightly` leaves, so `/health` counts a quiet night and a failed one is told.

- a fetch run succeeded and the plan (`pipelines.quiet_night`) rebuilds nothing: "unchanged";
- a build run succeeded and released: "released";
- a fetch or build run failed: "failed", POSTed to the `notify_url` setting when there is one.

A fetch whose plan asks for a build records nothing: the build's own run ends that night.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from pipelines.health import NIGHTLY_STATUS, health, notify, read_json
from pipelines.progress import error_line, innermost
from pipelines.quiet_night import code_versions, plan_build
from pipelines.resources import Settings
from shared.atomic import atomic_write

SUCCEEDED_SENSOR, FAILED_SENSOR = "night_succeeded", "night_failed"


def record_night(
    settings: Settings, outcome: str, line: str, reason: str | None = None, **extra
) -> dict:
    """Write `nightly_status.json` for a night that ended now; a failed night keeps the last
    good night's time (it confirms nothing)."""
    import json

    ended = datetime.now(UTC).isoformat(timespec="seconds")
    previous = read_json(settings.root / NIGHTLY_STATUS)
    status = {
        "command": "dagster",
        "ended": ended,
        "outcome": outcome,
        "reason": reason,
        "line": line,
        "last_good_at": ended if outcome != "failed" else previous.get("last_good_at"),
        **extra,
    }
    atomic_write(settings.root / NIGHTLY_STATUS, json.dumps(status, ensure_ascii=False, indent=1))
    return status


def _released_by(run: dg.DagsterRun, settings: Settings) -> str | None:
    """The release id a run made (`latest` issued after the run was created), else None."""
    state = health(settings.root, settings.max_release_age_hours)
    release = state["release"]
    if not release or not release["issued"]:
        return None
    issued = datetime.fromisoformat(release["issued"]).timestamp()
    return release["id"] if run.create_timestamp and issued >= run.create_timestamp - 1 else None


def night_sensors(
    settings: Settings,
    build_assets: list[dg.AssetsDefinition],
    fetch_job: str,
    default_status: dg.DefaultSensorStatus,
) -> list[dg.SensorDefinition]:
    versions = code_versions(build_assets)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name=SUCCEEDED_SENSOR,
        default_status=default_status,
        description="After a successful fetch that changed nothing, or a build that released: "
        "the night's outcome in nightly_status.json (what /health reads).",
    )
    def succeeded(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        if run.job_name == fetch_job:
            plan = plan_build(settings, versions)
            if plan.rebuild:
                return dg.SkipReason(f"a build follows: {plan.reason}")
            record_night(
                settings, "unchanged", f"nothing changed ({plan.reason})", dagster_run_id=run.run_id
            )
            return None
        release = _released_by(run, settings)
        if release is None:
            return dg.SkipReason(f"run {run.run_id} released nothing")
        record_night(settings, "released", f"released {release}", dagster_run_id=run.run_id)
        return None

    @dg.run_failure_sensor(
        name=FAILED_SENSOR,
        default_status=default_status,
        description="A failed fetch or build: the night's outcome in nightly_status.json, and "
        "the webhook (notify_url) told.",
    )
    def failed(context: dg.RunFailureSensorContext):
        steps = []
        for event in context.get_step_failure_events():
            error = innermost(event.step_failure_data.error)
            steps.append(f"{event.step_key}: {error_line(error) if error else 'failed'}")
        reason = "; ".join(steps) or context.failure_event.message or "the run failed"
        record_night(
            settings,
            "failed",
            f"failed: {reason}",
            reason,
            dagster_run_id=context.dagster_run.run_id,
        )
        if settings.notify_url:
            state = health(settings.root, settings.max_release_age_hours)
            notify(settings.notify_url, "failed" if state["fresh"] else "stale", state)

    return [succeeded, failed]
