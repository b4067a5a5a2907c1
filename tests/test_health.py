"""Freshness (`pipelines.health`), `/health` of `bgfunds serve` on loopback, and the webhook
called when the data turns stale, against a loopback receiver."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from pipelines.health import DEFAULT_MAX_AGE_HOURS, health, notify
from pipelines.serve import make_server, watch_staleness
from pipelines.settings import BY_NAME
from tests.webhook_receiver import WebhookReceiver

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
COVERAGE = "Coverage: 4 of 5 contracts ИСУН lists (80.0 %)"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _release(data_dir: Path, release_id: str, issued: datetime) -> Path:
    """A release directory with the quality report a real release has, and `latest` at it."""
    publish = data_dir / "publish"
    release = publish / "releases" / release_id
    release.mkdir(parents=True, exist_ok=True)
    (release / "index.html").write_text("<p>release</p>", encoding="utf-8")
    report = {"release_id": release_id, "issued": _iso(issued), "coverage": {"line": COVERAGE}}
    (release / "quality_report.json").write_text(json.dumps(report), encoding="utf-8")
    tmp = publish / ".latest-tmp"
    os.symlink(Path("releases") / release_id, tmp)
    os.replace(tmp, publish / "latest")
    return release


def _night(data_dir: Path, outcome: str, ended: datetime, last_good_at: datetime | None) -> None:
    status = {
        "outcome": outcome,
        "line": f"{outcome}: something",
        "ended": _iso(ended),
        "last_good_at": last_good_at and _iso(last_good_at),
    }
    (data_dir / "nightly_status.json").write_text(json.dumps(status), encoding="utf-8")


def test_the_default_age_limit_is_the_settings():
    assert BY_NAME["max_release_age_hours"].default == DEFAULT_MAX_AGE_HOURS


def test_no_release_is_not_healthy(tmp_path):
    state = health(tmp_path, 48, NOW)
    assert (state["status"], state["fresh"], state["release"], state["age_hours"]) == (
        "no release",
        False,
        None,
        None,
    )


def test_a_release_within_the_limit_is_fresh_and_past_it_is_stale(tmp_path):
    _release(tmp_path, "2026-12-07", NOW - timedelta(hours=10))
    state = health(tmp_path, 48, NOW)
    assert state["fresh"] and state["status"] == "ok" and state["age_hours"] == 10.0
    assert state["release"] == {
        "id": "2026-12-07",
        "issued": "2026-12-07T02:00:00+00:00",
        "age_hours": 10.0,
    }
    assert state["coverage"] == COVERAGE and state["last_night"] is None
    state = health(tmp_path, 48, NOW + timedelta(hours=39))
    assert not state["fresh"] and state["status"] == "stale" and state["age_hours"] == 49.0


def test_a_quiet_week_stays_fresh_but_failed_nights_do_not_count(tmp_path):
    _release(tmp_path, "2026-11-30", NOW - timedelta(days=7))
    _night(tmp_path, "unchanged", NOW - timedelta(hours=9), NOW - timedelta(hours=9))
    state = health(tmp_path, 48, NOW)
    assert state["fresh"] and state["age_hours"] == 9.0 and state["release"]["age_hours"] == 168.0
    assert state["current_since"] == "2026-12-07T03:00:00+00:00"
    assert state["last_night"]["outcome"] == "unchanged"
    # Three failed nights since the last good one: the last good night is what counts.
    _night(tmp_path, "failed", NOW - timedelta(hours=1), NOW - timedelta(hours=73))
    state = health(tmp_path, 48, NOW)
    assert not state["fresh"] and state["age_hours"] == 73.0
    assert state["last_night"] == {
        "outcome": "failed",
        "line": "failed: something",
        "ended": "2026-12-07T11:00:00+00:00",
    }


@pytest.fixture
def served(tmp_path):
    srv = make_server(tmp_path / "publish", "127.0.0.1", 0, max_age_hours=24)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_health_answers_200_when_fresh_and_503_when_the_release_is_made_stale(tmp_path, served):
    now = datetime.now(UTC)
    release = _release(tmp_path, "2026-12-06", now - timedelta(hours=3))
    _night(tmp_path, "released", now - timedelta(hours=3), now - timedelta(hours=3))
    answer = requests.get(f"{served}/health", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["status"] == "ok" and body["release"]["id"] == "2026-12-06"
    assert 2.9 <= body["release"]["age_hours"] <= 3.1 and body["max_age_hours"] == 24
    assert body["last_night"]["outcome"] == "released" and body["coverage"] == COVERAGE

    # The release (and the night that made it) is now 30 hours old: past the 24 h limit.
    report = json.loads((release / "quality_report.json").read_text())
    report["issued"] = _iso(now - timedelta(hours=30))
    (release / "quality_report.json").write_text(json.dumps(report), encoding="utf-8")
    _night(tmp_path, "failed", now - timedelta(hours=1), now - timedelta(hours=30))
    answer = requests.get(f"{served}/health", timeout=10)
    assert answer.status_code == 503
    assert answer.json()["status"] == "stale" and 29.9 <= answer.json()["age_hours"] <= 30.1
    head = requests.head(f"{served}/health", timeout=10)
    assert head.status_code == 503 and head.content == b""
    # The files are still served as before.
    assert requests.get(f"{served}/index.html", timeout=10).text == "<p>release</p>"


def test_the_watcher_posts_once_when_stale_and_once_when_fresh_again(tmp_path):
    now = datetime.now(UTC)
    release = _release(tmp_path, "2026-12-06", now - timedelta(hours=3))
    with WebhookReceiver() as receiver:
        stop = watch_staleness(tmp_path, 24, receiver.url, every_seconds=0.05)
        try:
            time.sleep(0.5)
            assert receiver.received == []  # fresh: nothing to say
            report = json.loads((release / "quality_report.json").read_text())
            report["issued"] = _iso(now - timedelta(hours=30))
            (release / "quality_report.json").write_text(json.dumps(report), encoding="utf-8")
            got = receiver.wait_for(1)
            time.sleep(0.5)  # several more checks: still one message
            assert len(receiver.received) == 1
            stale = got[0]
            assert stale["event"] == "stale" and stale["path"] == "/hooks/bgfunds"
            assert stale["type"] == "application/json"
            assert stale["health"]["status"] == "stale" and stale["health"]["release"]["id"] == (
                "2026-12-06"
            )
            assert stale["text"].startswith("bgfunds: STALE: release 2026-12-06")
            _release(tmp_path, "2026-12-07", datetime.now(UTC))
            got = receiver.wait_for(2)
            assert [m["event"] for m in got] == ["stale", "recovered"]
        finally:
            stop.set()


def test_a_webhook_that_fails_is_one_line_and_never_raises(tmp_path, capsys):
    state = health(tmp_path, 48)
    with WebhookReceiver(fail=True) as receiver:
        error = notify(receiver.url, "failed", state)
        assert receiver.wait_for(1)[0]["event"] == "failed"
    assert error and "500" in error and error in capsys.readouterr().err
    # Nothing listens on the port any more: refused, still one line.
    error = notify(receiver.url, "failed", state, timeout_seconds=2)
    assert error and error.startswith(f"notify {receiver.url}: failed not delivered:")
