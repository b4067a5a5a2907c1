""" "disk full" said as such: a step that failed because a file system ran out of space.

DuckDB, pyarrow and Python each word it their own way (`No space left on device`,
`[Errno 28]`, `CHECKPOINT during DETACH failed`, `Could not write all bytes`); the
operator should read "disk full", where (the file, and the file system with its free
space) and that `latest` is untouched. `disk_full_line` turns a failed step's line into
that when its error (or the free space left where the build writes) says so.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

# Words an error uses when the device is full.
ENOSPC = re.compile(r"No space left on device|\[Errno 28\]|ENOSPC|disk (?:is )?full", re.I)
# Words of a failed write that may be a full device (then the free space decides).
WRITE_FAILED = re.compile(
    r"CHECKPOINT during DETACH failed|Failed to create checkpoint|Could not write|"
    r"could not write all bytes|Failed to (?:write|flush|sync)",
    re.I,
)
_PATH = re.compile(r"""["'](/[^"'\n]+)["']|(?<![\w.])(/(?:[\w.+-]+/)*[\w.+-]+)""")
LOW_FREE_BYTES = 64 * 1024 * 1024


def _usage(path: Path) -> tuple[Path, int, int] | None:
    """(the nearest existing directory, its file system's size and free bytes)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                usage = shutil.disk_usage(candidate)
            except OSError:
                return None
            return candidate, usage.total, usage.free
    return None


def disk_full_line(step: str, error_text: str, write_dirs: list[Path], usage=_usage) -> str | None:
    """`<step>: disk full (…)` for a failed step whose error says the device is full (or a failed write
    where one of `write_dirs` has under 64 MiB free), naming the file and the free space; else None."""
    said = ENOSPC.search(error_text) is not None
    usages = [u for u in map(usage, write_dirs) if u is not None]
    low = [u for u in usages if u[2] < LOW_FREE_BYTES]
    if not said and not (WRITE_FAILED.search(error_text) and low):
        return None
    files = []
    for m in _PATH.finditer(error_text):
        found = m.group(1) or m.group(2)
        if found and found not in files and not found.endswith(".py"):
            files.append(found)
    where = [f"writing {files[0]}"] if files else []
    where += [
        f"file system of {d}: {total / 2**20:,.1f} MiB, {free / 2**20:,.1f} MiB free now"
        for d, total, free in (low or usages[:1])
    ]
    return (
        f"{step}: disk full ({'; '.join(where) or 'no space left'}); "
        "free some space and run again ('latest' is unchanged)"
    )
