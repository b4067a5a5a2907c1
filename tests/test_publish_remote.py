"""Releases to object storage (`warehouse.remote_release`), against a real S3-compatible server
on loopback (moto's server mode, its own process): a release of the sample build round-trips
byte for byte, DuckDB reads a Parquet file in place over S3 (DuckDB 1.x with httpfs from a
wheel, in `.venv-duckdb1`: DuckDB 2.x has no httpfs that installs without a download), a
second release moves `latest` and clears what it dropped, and a file that arrives damaged
leaves `latest` where it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.s3_server import KEY_ID, REGION, SECRET, start_s3
from warehouse.remote_release import (
    RemotePublishError,
    publish_release_to,
    release_checksums,
    remote_latest,
)

REPO = Path(__file__).resolve().parent.parent
DUCKDB1 = Path(os.environ.get("BGFUNDS_DUCKDB1_PYTHON", REPO / ".venv-duckdb1" / "bin" / "python"))
BUCKET, PREFIX = "bgfunds-open-data", "bg/eu-funds"
URL = f"s3://{BUCKET}/{PREFIX}"


@pytest.fixture
def s3(tmp_path, monkeypatch):
    server = start_s3(tmp_path / "moto.log")
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    fs.mkdir(BUCKET)
    yield server, fs
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def _copy_release(release: Path, tmp_path: Path, release_id: str) -> Path:
    copy = tmp_path / "releases" / release_id
    shutil.copytree(release, copy, symlinks=False)
    return copy


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_release_round_trips_through_s3_and_duckdb_reads_it_in_place(sample_build, tmp_path, s3):
    server, fs = s3
    data_dir, summary = sample_build
    release = Path(summary.release)
    sums = release_checksums(release)
    assert "projects.parquet" in sums and "warehouse.duckdb" in sums and len(sums) > 10

    published = publish_release_to(release, URL)
    assert (published.release_id, published.uploaded) == (release.name, True)
    assert published.files == len(sums) and published.removed_from_latest == []
    assert remote_latest(URL) == release.name
    for base in (f"releases/{release.name}", "latest"):
        for name, digest in sums.items():
            assert _digest(fs.cat_file(f"{BUCKET}/{PREFIX}/{base}/{name}")) == digest, (base, name)

    # An analyst reads the release in place: pyarrow through fsspec (DuckDB 2.x's own engine) ...
    local_projects = duckdb.sql(f"SELECT * FROM '{release / 'projects.parquet'}' ORDER BY ALL")
    expected = local_projects.fetchall()
    import pyarrow.parquet as pq

    con = duckdb.connect()
    con.register(
        "remote_projects",
        pq.read_table(f"{BUCKET}/{PREFIX}/latest/projects.parquet", filesystem=fs),
    )
    assert con.execute("SELECT * FROM remote_projects ORDER BY ALL").fetchall() == expected

    # ... and DuckDB 1.x with httpfs straight from s3:// (the query the docs show).
    if not DUCKDB1.exists() and not os.environ.get("CI"):
        pytest.skip("no DuckDB 1.x environment: run `make setup`")
    script = (
        "import duckdb, duckdb_ext, pathlib, sys\n"
        "c = duckdb.connect()\n"
        "c.execute('SET autoinstall_known_extensions = false')\n"
        "c.execute('SET extension_directory = ?', "
        "[str(pathlib.Path(list(duckdb_ext.__path__)[0]) / 'extensions')])\n"
        "c.execute('LOAD httpfs')\n"
        f"c.execute(\"CREATE SECRET s3test (TYPE s3, KEY_ID '{KEY_ID}', SECRET '{SECRET}', "
        f"REGION '{REGION}', ENDPOINT '127.0.0.1:{server.port}', URL_STYLE 'path', USE_SSL false)\")\n"
        'print(c.execute("SELECT count(*), count(DISTINCT project_code) '
        f"FROM 's3://{BUCKET}/{PREFIX}/latest/projects.parquet'\").fetchone())\n"
    )
    out = subprocess.run([str(DUCKDB1), "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    counts = (
        duckdb.connect()
        .execute(
            f"SELECT count(*), count(DISTINCT project_code) FROM '{release / 'projects.parquet'}'"
        )
        .fetchone()
    )
    assert out.stdout.strip() == str(counts) and counts[0] == summary.projects


def test_the_same_release_is_not_sent_twice_and_a_damaged_copy_is_sent_again(
    sample_build, tmp_path, s3
):
    _, fs = s3
    release = Path(sample_build[1].release)
    publish_release_to(release, URL)
    again = publish_release_to(release, URL)
    assert not again.uploaded and remote_latest(URL) == release.name
    fs.pipe_file(f"{BUCKET}/{PREFIX}/releases/{release.name}/projects.csv", b"tampered\n")
    repaired = publish_release_to(release, URL)
    assert repaired.uploaded
    assert _digest(
        fs.cat_file(f"{BUCKET}/{PREFIX}/releases/{release.name}/projects.csv")
    ) == _digest((release / "projects.csv").read_bytes())


def test_a_second_release_moves_latest_and_clears_the_files_it_dropped(sample_build, tmp_path, s3):
    _, fs = s3
    release = Path(sample_build[1].release)
    publish_release_to(release, URL)
    second = _copy_release(release, tmp_path, "2099-01-01")
    (second / "projects.xlsx").unlink()
    sums = second / "SHA256SUMS"
    sums.write_text(
        "".join(
            line + "\n"
            for line in sums.read_text(encoding="utf-8").splitlines()
            if not line.endswith("  projects.xlsx")
        ),
        encoding="utf-8",
    )
    published = publish_release_to(second, URL)
    assert published.removed_from_latest == ["projects.xlsx"]
    assert remote_latest(URL) == "2099-01-01"
    assert not fs.exists(f"{BUCKET}/{PREFIX}/latest/projects.xlsx")
    assert fs.exists(f"{BUCKET}/{PREFIX}/releases/{release.name}/projects.xlsx")  # kept as it was
    assert fs.cat_file(f"{BUCKET}/{PREFIX}/latest/SHA256SUMS") == sums.read_bytes()


def test_a_file_damaged_in_transit_leaves_latest_on_the_previous_release(
    sample_build, tmp_path, s3, monkeypatch
):
    _, fs = s3
    release = Path(sample_build[1].release)
    publish_release_to(release, URL)
    second = _copy_release(release, tmp_path, "2099-01-01")
    import s3fs

    real_put = s3fs.S3FileSystem._put_file  # what the batched upload calls per file

    async def damaging_put(self, lpath, rpath, *args, **kwargs):
        if Path(lpath).name == "projects.parquet":
            damaged = tmp_path / "damaged.parquet"
            damaged.write_bytes(Path(lpath).read_bytes()[:-10])
            lpath = str(damaged)
        return await real_put(self, lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "_put_file", damaging_put)
    with pytest.raises(
        RemotePublishError, match=r"1 file\(s\) differ after upload \(first: projects.parquet\)"
    ):
        publish_release_to(second, URL)
    fs.invalidate_cache()
    assert remote_latest(URL) == release.name
    assert not fs.exists(f"{BUCKET}/{PREFIX}/releases/2099-01-01")
    assert _digest(fs.cat_file(f"{BUCKET}/{PREFIX}/latest/projects.parquet")) == _digest(
        (release / "projects.parquet").read_bytes()
    )


def test_a_release_changed_after_it_was_made_is_refused_before_any_upload(sample_build, tmp_path):
    release = _copy_release(Path(sample_build[1].release), tmp_path, "2099-01-02")
    (release / "projects.csv").write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(RemotePublishError, match="projects.csv: sha256 differs from SHA256SUMS"):
        publish_release_to(release, f"file://{tmp_path / 'remote'}")
    assert not (tmp_path / "remote").exists()


def test_bgfunds_publish_to_s3_uploads_the_release_and_says_where(
    sample_build, tmp_path, s3, capsys
):
    from pipelines.cli import main

    _, fs = s3
    data = tmp_path / "data"
    shutil.copytree(sample_build[0], data, symlinks=True)
    release_id = (data / "publish" / "latest").resolve().name
    assert main(["publish", "--data-dir", str(data), "--to", URL]) == 0
    out = capsys.readouterr().out
    assert f"published to:      release {release_id} uploaded and verified at {URL} (" in out
    assert remote_latest(URL) == release_id
    status = json.loads((data / "run_status.json").read_text(encoding="utf-8"))
    assert status["outcome"] == "unchanged" and status["publish_to"]["uploaded"]
    assert fs.exists(f"{BUCKET}/{PREFIX}/latest/projects.parquet")

    # Storage that refuses the upload (a bucket that does not exist): exit 1, one line, latest kept.
    missing = "s3://no-such-bucket/x"
    assert main(["publish", "--data-dir", str(data), "--to", missing]) == 1
    out = capsys.readouterr().out
    assert "FAILED step publish_to: " in out and "Traceback" not in out
    assert json.loads((data / "run_status.json").read_text())["outcome"] == "failed"
    assert (data / "publish" / "latest").resolve().name == release_id
