"""Replaying a recording: every entry that cannot be trusted goes to quarantine (table `inputs`)
with its rule, field and value, and nothing outside the recording's folder is read."""

import hashlib
import json

import pytest

from sources.raw_archive import RawArchive
from sources.recorded import RecordingError, replay_recording

URL = "https://2020.eufunds.bg/bg/0/0/Project/BasicData?contractId=1&isHistoric=False"
BODY = b'<div class="list-item"><label>x</label></div>'


def _entry(**extra) -> dict:
    return {
        "url": URL,
        "file": "pages/good.html",
        "status": 200,
        "fetched_at": "2025-03-15T10:00:00Z",
        "headers": {"Content-Type": "text/html; charset=utf-8"},
        "sha256": hashlib.sha256(BODY).hexdigest(),
        **extra,
    }


@pytest.fixture
def recording(tmp_path):
    folder = tmp_path / "recording"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "good.html").write_bytes(BODY)
    (tmp_path / "secret.txt").write_text("SECRET")
    entries = [
        _entry(),
        _entry(url=None),
        _entry(file="../secret.txt"),
        _entry(file=str(tmp_path / "secret.txt")),
        _entry(file="pages/missing.html"),
        _entry(sha256="0" * 64),
        _entry(status=999),
    ]
    (folder / "manifest.json").write_text(json.dumps({"responses": entries}))
    return folder


def test_each_untrusted_entry_is_quarantined_with_rule_field_and_value(recording, tmp_path):
    rejected: list[dict] = []
    stored = replay_recording(recording, RawArchive(tmp_path / "raw"), rejected)
    assert [r.url for r in stored] == [URL]
    assert [(r["rule"], r["field"], r["value"]) for r in rejected] == [
        ("manifest_entry", "url", None),
        ("path_outside_recording", "file", "../secret.txt"),
        ("path_outside_recording", "file", str(tmp_path / "secret.txt")),
        ("missing_body", "file", "pages/missing.html"),
        ("sha256_mismatch", "sha256", "0" * 64),
        ("manifest_entry", "status", "999"),
    ]
    assert all(r["table_name"] == "inputs" for r in rejected)
    assert rejected[1]["message"].startswith(f"{recording / 'manifest.json'}: responses[2].file")
    objects = (tmp_path / "raw" / "objects").rglob("*")
    assert not any(b"SECRET" in p.read_bytes() for p in objects if p.is_file())


def test_without_a_quarantine_list_the_first_untrusted_entry_raises(recording, tmp_path):
    with pytest.raises(RecordingError, match=r"responses\[1\]\.url"):
        replay_recording(recording, RawArchive(tmp_path / "raw"))


def test_a_manifest_that_is_not_json_names_the_file(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(RecordingError, match="manifest.json: not JSON"):
        replay_recording(tmp_path, RawArchive(tmp_path / "raw"))
