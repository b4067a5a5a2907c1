"""The Dagster way's night outcome (`pipelines.night_sensors`) on real runs: the fetch job on a
broken recording fails, `night_failed` evaluated on that run's failure event (Dagster's
`build_run_status_sensor_context`) writes `nightly_status.json` naming the failed step, keeps
the last good night's time, and POSTs the webhook on loopback; a quiet night's fetch run,
with `publish_to` set, uploads the release once (file:// storage, through fsspec as for S3) and
a refused upload fails the night."""

from __future__ import annotations

import json
import shutil

import dagster as dg

from pipelines.definitions import FETCH_JOB, build_defs
from pipelines.night_sensors import FAILED_SENSOR, SUCCEEDED_SENSOR
from pipelines.resources import RecordedIsunPages, Settings
from sources.recorded import SAMPLE_BULK, SAMPLE_CORPUS
from tests.webhook_receiver import WebhookReceiver
from warehouse.remote_release import remote_latest


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


def test_a_quiet_night_run_by_the_daemon_uploads_the_release_once_and_a_refused_upload_fails_it(
    sample_build, tmp_path
):
    data = tmp_path / "data"
    shutil.copytree(sample_build[0], data, symlinks=True)
    release = data / "publish" / "latest"
    remote = f"file://{tmp_path / 'remote'}"
    pages = RecordedIsunPages(corpus_dir=str(SAMPLE_CORPUS), bulk_corpus_dir=str(SAMPLE_BULK))

    def night(publish_to: str) -> dict:
        defs = build_defs(
            {"settings": Settings(data_dir=str(data), publish_to=publish_to), "isun_pages": pages}
        )
        sensor = next(s for s in defs.sensors if s.name == SUCCEEDED_SENSOR)
        sensor(
            dg.build_run_status_sensor_context(
                sensor_name=SUCCEEDED_SENSOR,
                dagster_event=result.get_run_success_event(),
                dagster_instance=instance,
                dagster_run=result.dagster_run,
            )
        )
        return json.loads((data / "nightly_status.json").read_text(encoding="utf-8"))

    instance = dg.DagsterInstance.ephemeral()
    defs = build_defs(
        {"settings": Settings(data_dir=str(data), publish_to=remote), "isun_pages": pages}
    )
    result = defs.resolve_job_def(FETCH_JOB).execute_in_process(instance=instance)
    assert result.success

    status = night(remote)
    assert status["outcome"] == "unchanged" and status["publish_to"]["uploaded"], status
    assert remote_latest(remote) == release.resolve().name
    assert (tmp_path / "remote" / "latest" / "projects.csv").read_bytes() == (
        release / "projects.csv"
    ).read_bytes()
    assert "LATEST switched" in status["line"]

    again = night(remote)  # the remote already has this release: nothing sent
    assert again["outcome"] == "unchanged" and again["publish_to"]["skipped"]

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    refused = night(f"file://{blocker}/remote")
    assert refused["outcome"] == "failed" and refused["reason"].startswith("publish_to: "), refused
    assert str(blocker) in refused["reason"] and "\n" not in refused["reason"]
    assert refused["last_good_at"] == again["last_good_at"]  # a failed upload confirms nothing
