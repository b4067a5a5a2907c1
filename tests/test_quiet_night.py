"""The quiet night told before Dagster (`pipelines.quiet_night.quiet_before_dagster`): from the
stamp a build run leaves, the raw archive and the last release, and only when all three agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.quiet_night import (
    STAMP,
    fingerprint_of,
    quiet_before_dagster,
    remember_plan,
    source_digest,
)
from sources.raw_archive import RawArchive

pytestmark = pytest.mark.unit

VERSIONS = {"projects": "aaaa", "organisations": "bbbb"}


def _data_dir(tmp_path: Path) -> tuple[Path, Path]:
    """A data directory with one archived page, a release built from it and a recording."""
    data = tmp_path / "data"
    archive = RawArchive(data / "raw", durable=False)
    archive.store(
        "https://2020.eufunds.bg/a", b"<html>a</html>", status=200, headers={},
        fetched_at="2026-12-01T01:00:00Z",
    )  # fmt: skip
    release = data / "publish" / "releases" / "2026-12-01"
    release.mkdir(parents=True)
    (release / "quality_report.json").write_text(
        json.dumps(
            {
                "release_id": "2026-12-01",
                "issued": "2026-12-01T01:30:00+00:00",
                "inputs_fingerprint": fingerprint_of(archive),
                "code_versions": VERSIONS,
                "coverage": {"line": "1 of 1 contracts"},
            }
        ),
        encoding="utf-8",
    )
    (data / "publish" / "latest").symlink_to(Path("releases") / "2026-12-01")
    recording = tmp_path / "recording"
    recording.mkdir()
    (recording / "manifest.json").write_text('{"responses": []}', encoding="utf-8")
    remember_plan(data, VERSIONS, [recording])
    return data, recording


def test_a_night_with_nothing_new_is_told_from_the_stamp_archive_and_release(tmp_path):
    data, recording = _data_dir(tmp_path)
    quiet = quiet_before_dagster(data, [recording])
    assert quiet is not None and quiet.release_id == "2026-12-01"
    assert quiet.issued == "2026-12-01T01:30:00+00:00" and quiet.coverage == "1 of 1 contracts"
    assert quiet.reason.startswith("inputs unchanged since release 2026-12-01 (")
    assert "nothing replayed" in quiet.fetch_line
    offline = quiet_before_dagster(data, [])
    assert offline is not None and offline.fetch_line.startswith("offline:")
    # A live fetch is never told before it ran.
    assert quiet_before_dagster(data, None) is None


def test_any_change_leaves_the_decision_to_dagster(tmp_path):
    data, recording = _data_dir(tmp_path)
    # The recording changed: its replay would store something new.
    (recording / "manifest.json").write_text('{"responses": [1]}', encoding="utf-8")
    assert quiet_before_dagster(data, [recording]) is None
    assert quiet_before_dagster(data, []) is not None  # offline: the archive is the same

    data, recording = _data_dir(tmp_path / "2")
    RawArchive(data / "raw", durable=False).store(
        "https://2020.eufunds.bg/b", b"b", status=200, headers={}, fetched_at="2026-12-02T01:00:00Z"
    )
    # The archive grew since the replay (and since the release): both ways say "ask Dagster".
    assert quiet_before_dagster(data, [recording]) is None
    assert quiet_before_dagster(data, []) is None

    data, recording = _data_dir(tmp_path / "3")
    remember_plan(data, {**VERSIONS, "projects": "cccc"}, [recording])
    assert quiet_before_dagster(data, [recording]) is None  # an asset's code changed

    data, recording = _data_dir(tmp_path / "4")
    remember_plan(data, VERSIONS, [recording], source="another tree")
    assert quiet_before_dagster(data, [recording]) is None  # the source tree changed

    data, recording = _data_dir(tmp_path / "5")
    (data / STAMP).unlink()
    assert quiet_before_dagster(data, [recording]) is None


def test_the_source_digest_sees_every_module_and_seed_but_not_caches(tmp_path):
    package = tmp_path / "pkg"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("X = 1\n")
    (package / "data" / "seed.csv").write_text("a\n1\n")
    before = source_digest(tmp_path)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (package / "notes.txt").write_text("not code")
    assert source_digest(tmp_path) == before
    (package / "data" / "seed.csv").write_text("a\n2\n")
    seed_changed = source_digest(tmp_path)
    (package / "mod.py").write_text("X = 2\n")
    assert len({before, seed_changed, source_digest(tmp_path)}) == 3


def test_the_command_line_and_the_plan_import_no_dagster():
    # The last release's report is read by `quality.last_release`, the reader the checks use
    # too: neither the rules' SQL engine nor Great Expectations comes with it.
    code = (
        "import sys, pipelines.cli, pipelines.quiet_night, pipelines.cli.runs;"
        "print(sorted(m for m in ('dagster', 'duckdb', 'pandas', 'great_expectations',"
        " 'quality.rules_sql') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
