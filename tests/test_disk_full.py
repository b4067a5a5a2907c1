""" "disk full" said as such, with where (issue 27): the failed step's line names the file and
the file system, whatever words DuckDB or Python used; a real build on a small tmpfs (when
this machine lets the tests mount one) ends with that line and 'latest' untouched."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from pipelines.cli import run_build
from pipelines.disk_full import disk_full_line

DUCKDB_DETACH = (
    "out_bgfunds__warehouse: TransactionException: TransactionContext Error: Failed to commit: "
    "CHECKPOINT during DETACH failed"
)
DUCKDB_WRITE = (
    "FatalException: FATAL Error: Failed to create checkpoint because of error: Could not write file "
    '"/srv/data/.warehouse.duckdb.tmp": No space left on device'
)
PYTHON_WRITE = (
    "OSError: [Errno 28] No space left on device: '/srv/data/publish/.staging-x/projects.csv'"
)


def _usage(free_mib: float):
    return lambda path: (path, 512 * 2**20, int(free_mib * 2**20))


@pytest.mark.unit
def test_each_wording_of_a_full_disk_is_named_with_where():
    line = disk_full_line("out_bgfunds__warehouse", DUCKDB_WRITE, [Path("/srv/data")], _usage(300))
    assert line.startswith(
        "out_bgfunds__warehouse: disk full (writing /srv/data/.warehouse.duckdb.tmp;"
    )
    assert "file system of /srv/data: 512.0 MiB, 300.0 MiB free now" in line
    assert "'latest' is unchanged" in line
    line = disk_full_line("release_exports", PYTHON_WRITE, [Path("/srv/data")], _usage(300))
    assert "writing /srv/data/publish/.staging-x/projects.csv" in line
    # DuckDB's DETACH wording says nothing of space: a disk full only when space is short.
    line = disk_full_line("out_bgfunds__warehouse", DUCKDB_DETACH, [Path("/srv/data")], _usage(3))
    assert line.startswith(
        "out_bgfunds__warehouse: disk full (file system of /srv/data: 512.0 MiB, 3.0 MiB"
    )
    assert (
        disk_full_line("out_bgfunds__warehouse", DUCKDB_DETACH, [Path("/srv")], _usage(300)) is None
    )
    assert disk_full_line("x", "ValueError: not an amount", [Path("/srv")], _usage(1)) is None


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True)
    if shutil.which("mount") is None:
        return False
    done = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={size}",
            f"bgfunds-{uuid.uuid4().hex[:6]}",
            str(where),
        ],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.mark.integration
def test_a_build_on_a_full_disk_says_disk_full_and_where(tmp_path):
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "6M"):
        pytest.skip("cannot mount a tmpfs here (needs root); the wording is tested above")
    try:
        summary = run_build(small / "data")
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
    assert not summary.success and summary.release is None
    full = [f for f in summary.failures if "disk full" in f]
    assert full, summary.failures
    assert (
        f"file system of {small / 'data'}" in full[0]
        and "writing " + str(small / "data") in full[0]
    )
