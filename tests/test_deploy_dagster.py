"""The Dagster way to run the night: `dagster-daemon` and `dagster-webserver` on the
PostgreSQL-backed instance of deploy/dagster/dagster.yaml, against a real PostgreSQL on loopback.

The daemon (a real process) fires the `nightly_refresh` schedule once (its cron set to every
minute through BGFUNDS_NIGHTLY_CRON), the queued run is launched and runs the fetch job on the
sample recording; the test then finds the run, its status and the schedule's tick in the
PostgreSQL tables, and the same run through the webserver's GraphQL API (what the UI shows).
The timer's way (`bgfunds nightly`) records its runs in the same instance.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.pg_server import free_port, missing_reason, start_postgres

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "dagster"
RUNS_QUERY = (
    "{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"
)


@pytest.fixture
def postgres():
    reason = missing_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {reason}")
    if reason:
        pytest.skip(reason)
    server = start_postgres()
    try:
        server.create_database(DATABASE)
        yield server
    finally:
        server.stop()


def _environment(tmp_path: Path, port: int) -> dict[str, str]:
    home = tmp_path / "data" / "dagster"
    home.mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "dagster" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "BGFUNDS_DATA_DIR": str(tmp_path / "data"),
        "BGFUNDS_PROFILE": "sample",
        "BGFUNDS_NIGHTLY_CRON": "* * * * *",
        "BGFUNDS_PG_HOST": "127.0.0.1",
        "BGFUNDS_PG_PORT": str(port),
        "BGFUNDS_PG_USER": "bgfunds",
        "BGFUNDS_PG_PASSWORD": "",
        "BGFUNDS_PG_DB": DATABASE,
    }


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


def _finished_run(postgres, deadline: float) -> tuple[str, str, str] | None:
    """(run_id, job, status) of the schedule's run once it has ended, else None at the deadline."""
    while time.monotonic() < deadline:
        rows = postgres.query(
            DATABASE,
            "SELECT r.run_id, r.pipeline_name, r.status FROM runs r JOIN run_tags t "
            "ON t.run_id = r.run_id WHERE t.key = 'dagster/schedule_name' AND t.value = %s",
            ("nightly_refresh",),
        )
        ended = [row for row in rows if row[2] in ("SUCCESS", "FAILURE", "CANCELED")]
        if ended:
            return ended[0]
        time.sleep(2)
    return None


def _graphql_runs(url: str, deadline: float) -> list[dict]:
    while True:
        try:
            answer = requests.post(url, json={"query": RUNS_QUERY}, timeout=30)
            return answer.json()["data"]["runsOrError"]["results"]
        except (requests.ConnectionError, requests.Timeout, KeyError, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def _start(env: dict, kind: str, name: str) -> None:
    started = subprocess.run(
        [str(BIN / "dagster"), kind, "start", name, "-m", "pipelines.definitions"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode == 0, started.stdout + started.stderr


def _night_status(data: Path, run_id: str, deadline: float) -> dict:
    path = data / "nightly_status.json"
    while time.monotonic() < deadline:
        if path.exists():
            status = json.loads(path.read_text(encoding="utf-8"))
            if status.get("dagster_run_id") == run_id:
                return status
        time.sleep(2)
    return {}


def test_the_daemon_fires_the_schedule_on_the_postgres_instance_and_the_ui_shows_the_run(
    tmp_path, postgres, sample_build
):
    # Last night's release is there: tonight's fetch replays the same recording, so nothing changed.
    shutil.copytree(sample_build[0], tmp_path / "data", symlinks=True)
    env = _environment(tmp_path, postgres.port)
    _start(env, "schedule", "nightly_refresh")
    _start(env, "sensor", "night_succeeded")
    # The schedule's state is in PostgreSQL's schedule storage, not in files under DAGSTER_HOME.
    states = postgres.query(
        DATABASE,
        "SELECT status FROM jobs WHERE job_type = 'SCHEDULE' AND job_body LIKE %s",
        ('%"nightly_refresh"%',),
    )
    assert states == [("RUNNING",)], states
    assert not list((tmp_path / "data" / "dagster").glob("**/*.db"))

    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-m", "pipelines.definitions"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ui_port = free_port()
    webserver = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            *("-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(ui_port)),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run = _finished_run(postgres, time.monotonic() + 360)
        daemon_log = "" if run else _stop(daemon)
        assert run is not None, (
            "no run of the schedule ended within 6 minutes:\n" + daemon_log[-4000:]
        )
        run_id, job, status = run
        assert (job, status) == ("isun_fetch", "SUCCESS"), run
        # The schedule's tick that launched it, in the schedule storage.
        ticks = postgres.query(
            DATABASE,
            "SELECT t.status FROM job_ticks t JOIN jobs j ON j.job_origin_id = t.job_origin_id "
            "WHERE j.job_body LIKE %s AND t.tick_body LIKE %s",
            ('%"nightly_refresh"%', f"%{run_id}%"),
        )
        assert ticks == [("SUCCESS",)], ticks
        # The run's events are in PostgreSQL's event log too.
        events = postgres.query(
            DATABASE,
            "SELECT dagster_event_type FROM event_logs WHERE run_id = %s",
            (run_id,),
        )
        kinds = {kind for (kind,) in events}
        # (Stored under their older names: PIPELINE_START is a run start.)
        assert {"PIPELINE_START", "PIPELINE_SUCCESS", "ASSET_MATERIALIZATION"} <= kinds, kinds

        # The night's outcome, as `bgfunds nightly` would leave it, for /health.
        status = _night_status(tmp_path / "data", run_id, time.monotonic() + 180)
        assert status.get("outcome") == "unchanged", status
        assert status["line"].startswith("nothing changed (inputs unchanged since release ")
        assert status["last_good_at"] == status["ended"]

        shown = _graphql_runs(f"http://127.0.0.1:{ui_port}/graphql", time.monotonic() + 180)
        assert {(r["runId"], r["jobName"], r["status"]) for r in shown} >= {
            (run_id, "isun_fetch", "SUCCESS")
        }
    finally:
        _stop(webserver)
        if daemon.poll() is None:
            _stop(daemon)


def test_the_timers_nights_are_recorded_in_the_postgres_instance_too(
    tmp_path, postgres, monkeypatch
):
    """With deploy/dagster/dagster.yaml in the data dir, `bgfunds nightly` (the timer's way)
    records its runs in PostgreSQL, where the deployed UI shows them."""
    from pipelines.cli import main
    from sources.recorded import SAMPLE_CORPUS

    env = _environment(tmp_path, postgres.port)
    for key in ("BGFUNDS_PG_HOST", "BGFUNDS_PG_PORT", "BGFUNDS_PG_USER", "BGFUNDS_PG_PASSWORD"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("BGFUNDS_PG_DB", DATABASE)
    data = tmp_path / "data"
    assert main(["nightly", "--data-dir", str(data), "--corpus", str(SAMPLE_CORPUS)]) == 0
    runs = postgres.query(
        DATABASE, "SELECT pipeline_name, status FROM runs ORDER BY create_timestamp"
    )
    assert runs == [("isun_fetch", "SUCCESS"), ("isun_build", "SUCCESS")], runs
    status = json.loads((data / "nightly_status.json").read_text(encoding="utf-8"))
    assert status["outcome"] == "released"
    run_id = json.loads((data / "run_status.json").read_text(encoding="utf-8"))["dagster_run_id"]
    assert postgres.query(DATABASE, "SELECT status FROM runs WHERE run_id = %s", (run_id,)) == [
        ("SUCCESS",)
    ]
    assert not list((data / "dagster").glob("**/*.db"))  # nothing went to SQLite
