"""`bgfunds nightly` end to end on the sample recording: a night that releases (and uploads to
an fsspec URL), a night with nothing new, nights that fail (a broken recording, a data dir
another build holds) while the data is fresh (exit 0, webhook "failed") and when it is not
(exit 1, webhook "stale"); `/health` on the same data directory; the status file each leaves."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import requests

from pipelines.cli import main
from pipelines.serve import make_server
from sources.recorded import SAMPLE_CORPUS
from tests.webhook_receiver import WebhookReceiver

REPO = Path(__file__).resolve().parent.parent


def _status(data: Path) -> dict:
    return json.loads((data / "nightly_status.json").read_text(encoding="utf-8"))


def _last_line(capsys) -> str:
    out = capsys.readouterr().out
    return out.strip().splitlines()[-1]


def _health(data: Path, max_age_hours: float) -> requests.Response:
    srv = make_server(data / "publish", "127.0.0.1", 0, max_age_hours=max_age_hours)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        return requests.get(f"http://127.0.0.1:{srv.server_address[1]}/health", timeout=10)
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_night_releases_then_finds_nothing_new_then_fails_fresh_then_fails_stale(
    tmp_path, capsys
):
    data, remote = tmp_path / "data", tmp_path / "remote"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"responses": "not a list"}', encoding="utf-8")
    with WebhookReceiver() as hook:
        night = ["nightly", "--data-dir", str(data), "--notify-url", hook.url]

        # 1. The first night releases and uploads.
        assert main([*night, "--corpus", str(SAMPLE_CORPUS), "--to", f"file://{remote}"]) == 0
        release_id = (data / "publish" / "latest").resolve().name
        line = _last_line(capsys)
        assert line.startswith(f"bgfunds nightly: released {release_id} (")
        assert f"release {release_id} uploaded and verified at file://{remote}" in line
        first = _status(data)
        assert (first["outcome"], first["exit_code"], first["fresh"]) == ("released", 0, True)
        assert first["last_good_at"] == first["ended"] and first["release"]["id"] == release_id
        assert first["publish_to"]["uploaded"] and first["line"] == line.split(": ", 1)[1]
        assert (remote / "LATEST").read_text() == release_id + "\n"
        assert (remote / "latest" / "projects.parquet").read_bytes() == (
            data / "publish" / "latest" / "projects.parquet"
        ).read_bytes()
        report = json.loads((data / "publish" / "latest" / "quality_report.json").read_text())
        assert first["coverage"] == report["coverage"]["line"] and first["coverage"]

        # 2. Nothing new: no release, the data confirmed current, nothing uploaded again.
        assert main([*night, "--corpus", str(SAMPLE_CORPUS), "--to", f"file://{remote}"]) == 0
        line = _last_line(capsys)
        assert line.startswith(f"bgfunds nightly: nothing changed; latest stays {release_id}")
        assert line.endswith(f"file://{remote} already has release {release_id} as LATEST")
        second = _status(data)
        assert second["outcome"] == "unchanged" and second["last_good_at"] == second["ended"]
        assert second["publish_to"]["skipped"] and hook.received == []

        # 3. A broken recording: the night fails, the data is still fresh: exit 0, webhook.
        assert main([*night, "--corpus", str(broken)]) == 0
        line = _last_line(capsys)
        assert line.startswith(
            "bgfunds nightly: failed: raw_isun__contract_pages: RecordingError: "
            f"{broken / 'manifest.json'}: field 'responses' is missing or not a list "
            f"(latest stays {release_id}, data "
        )
        assert line.endswith("h old, within the 48.0 h limit)")
        third = _status(data)
        assert (third["outcome"], third["exit_code"], third["fresh"]) == ("failed", 0, True)
        assert third["last_good_at"] == second["last_good_at"]  # a failed night confirms nothing
        sent = hook.wait_for(1)
        assert [m["event"] for m in sent] == ["failed"]
        assert sent[0]["health"]["last_night"]["line"] == third["line"]

        # 4. The same failure past the age limit: exit 1, webhook "stale".
        assert main([*night, "--corpus", str(broken), "--max-release-age-hours", "0"]) == 1
        assert "OVER the 0.0 h limit" in _last_line(capsys)
        fourth = _status(data)
        assert (fourth["exit_code"], fourth["fresh"], fourth["notified"]["event"]) == (
            1,
            False,
            "stale",
        )
        assert [m["event"] for m in hook.wait_for(2)] == ["failed", "stale"]
        assert (data / "publish" / "latest").resolve().name == release_id  # latest kept
        runs = sorted(p.parent.name for p in (data / "runs").glob("*-nightly/run_status.json"))
        assert len(runs) == 4

    # /health on the same data dir: the failed night shows, the data is fresh within 48 h.
    answer = _health(data, 48)
    body = answer.json()
    assert answer.status_code == 200 and body["release"]["id"] == release_id
    assert (
        body["last_night"]["outcome"] == "failed" and body["coverage"] == report["coverage"]["line"]
    )
    assert body["current_since"] == second["last_good_at"]
    assert datetime.fromisoformat(body["checked"]) >= datetime.fromisoformat(fourth["ended"])
    assert _health(data, 0).status_code == 503


def test_a_night_that_finds_the_data_dir_locked_fails_with_one_line(tmp_path, capsys):
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from warehouse.data_lock import data_dir_lock\n"
            f"with data_dir_lock({str(data)!r}):\n    print('held', flush=True); time.sleep(30)",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main(
            ["nightly", "--data-dir", str(data), "--corpus", str(SAMPLE_CORPUS), "--wait", "0.3"]
        )
    finally:
        holder.kill()
        holder.wait()
    line = _last_line(capsys)
    # No release ever: nothing is fresh, so a night that could not run is an error.
    assert code == 1
    assert line.startswith("bgfunds nightly: failed: DataDirLockedError: ") and (
        f"pid {holder.pid}" in line and line.endswith("(no release yet)")
    )
    assert _status(data)["outcome"] == "failed" and not (data / "publish").exists()


def test_the_night_waits_for_the_lock_and_the_other_commands_still_do_not(monkeypatch):
    from pipelines.cli import build_parser

    monkeypatch.delenv("BGFUNDS_LOCK_WAIT_SECONDS", raising=False)
    parser = build_parser()
    assert parser.parse_args(["nightly"]).lock_wait_seconds == 3600.0
    for command in ("demo", "publish", "crawl"):
        assert parser.parse_args([command]).lock_wait_seconds == 0.0, command
    assert parser.parse_args(["nightly", "--wait", "5"]).lock_wait_seconds == 5.0
    monkeypatch.setenv("BGFUNDS_LOCK_WAIT_SECONDS", "120")
    assert build_parser().parse_args(["nightly"]).lock_wait_seconds == 120.0
