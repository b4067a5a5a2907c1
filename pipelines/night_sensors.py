"""The Dagster way's night outcome: after the daemon's runs, the same `nightly_status.json` (and
webhook) that `bgfunds nightly` leaves, so `/health` counts a quiet night and a failed one is told.

- a fetch run succeeded and the plan (`pipelines.quiet_night`) rebuilds nothing: "unchanged";
- a build run succeeded and released: "released";
- a fetch or build run failed: "failed", POSTed to the `notify_url` setting when there is one.

With the `publish_to` setting, a released night uploads the release there and a night that
changed nothing re-sends it only when the remote LATEST names another release (an upload that
failed before is retried), as `bgfunds nightly --publish-to` does (`pipelines.release_upload`);
a failed upload makes the night "failed", naming why, and is told like any failure.

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


def _upload(settings: Settings, unchanged: bool) -> tuple[dict | None, str | None]:
    """(what the upload did, None) or (None, why it failed); (None, None) without `publish_to`."""
    from pipelines.release_upload import publish_latest_to
    from warehouse.remote_release import RemotePublishError

    if not settings.publish_to:
        return None, None
    try:
        return publish_latest_to(settings.root, settings.publish_to, unchanged=unchanged), None
    except (RemotePublishError, OSError) as exc:
        return None, f"publish_to: {exc}"


def _record_with_upload(
    settings: Settings, outcome: str, line: str, run_id: str, unchanged: bool
) -> None:
    """Upload when configured, then record the night: a failed upload fails the night."""
    from pipelines.release_upload import upload_line

    uploaded, error = _upload(settings, unchanged)
    if error is not None:
        record_night(settings, "failed", f"failed: {error}", error, dagster_run_id=run_id)
        _tell_failure(settings)
        return
    if uploaded is not None:
        line = f"{line}; {upload_line(uploaded)}"
    record_night(settings, outcome, line, dagster_run_id=run_id, publish_to=uploaded)


def _tell_failure(settings: Settings) -> None:
    if settings.notify_url:
        state = health(settings.root, settings.max_release_age_hours)
        notify(settings.notify_url, "failed" if state["fresh"] else "stale", state)


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
        "the upload to publish_to when set, and the night's outcome in nightly_status.json "
        "(what /health reads).",
    )
    def succeeded(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        if run.job_name == fetch_job:
            plan = plan_build(settings, versions)
            if plan.rebuild:
                return dg.SkipReason(f"a build follows: {plan.reason}")
            _record_with_upload(
                settings, "unchanged", f"nothing changed ({plan.reason})", run.run_id, True
            )
            return None
        release = _released_by(run, settings)
        if release is None:
            return dg.SkipReason(f"run {run.run_id} released nothing")
        _record_with_upload(settings, "released", f"released {release}", run.run_id, False)
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
        _tell_failure(settings)

    return [succeeded, failed]
