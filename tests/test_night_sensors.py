"""The Dagster way's night outcome (`pipelines.night_sensors`) on a real failed run: the fetch
job on a broken recording fails, `night_failed` evaluated on that run's failure event (Dagster's
`build_run_status_sensor_context`) writes `nightly_status.json` naming the failed step, keeps
the last good night's time, and POSTs the webhook on loopback."""

from __future__ import annotations

import json

import dagster as dg

from pipelines.definitions import FETCH_JOB, build_defs
from pipelines.night_sensors import FAILED_SENSOR
from pipelines.resources import RecordedIsunPages, Settings
from tests.webhook_receiver import WebhookReceiver


def test_a_failed_fetch_run_is_recorded_and_told(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "nightly_status.json").write_text(
        json.dumps({"outcome": "unchanged", "last_good_at": "2026-12-01T01:40:00+00:00"}),
        encoding="utf-8",
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"responses": "not a list"}', encoding="utf-8")
    with WebhookReceiver() as hook:
        settings = Settings(data_dir=str(data), notify_url=hook.url, max_release_age_hours=48)
        defs = build_defs(
            {"settings": settings, "isun_pages": RecordedIsunPages(corpus_dir=str(broken))}
        )
        instance = dg.DagsterInstance.ephemeral()
        result = defs.resolve_job_def(FETCH_JOB).execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not result.success
        sensor = next(s for s in defs.sensors if s.name == FAILED_SENSOR)
        context = dg.build_run_status_sensor_context(
            sensor_name=FAILED_SENSOR,
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        sensor(context)
        sent = hook.wait_for(1)
    status = json.loads((data / "nightly_status.json").read_text(encoding="utf-8"))
    assert status["outcome"] == "failed" and status["dagster_run_id"] == result.run_id
    assert status["reason"] == (
        f"raw_isun__contract_pages: RecordingError: {broken / 'manifest.json'}: "
        "field 'responses' is missing or not a list"
    )
    assert status["last_good_at"] == "2026-12-01T01:40:00+00:00"  # a failed night confirms nothing
    # No release at all: the data is not fresh, so the webhook says "stale".
    assert [m["event"] for m in sent] == ["stale"]
    assert sent[0]["health"]["last_night"]["outcome"] == "failed"
