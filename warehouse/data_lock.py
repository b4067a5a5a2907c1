"""One build at a time per data directory: an advisory lock on `<data_dir>/.build.lock`.

The lock is `flock`ed, so the kernel releases it when its holder exits however it exits
(kill -9 included): a dead build never leaves a stale lock. The file names the holder
(pid, start time, command) so a second build can say who it waits for or why it refuses.
A process that already holds the lock for a directory takes it again freely (the CLI
takes it, then the Dagster run it starts in-process asks for it too).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".build.lock"
_held: dict[str, int] = {}  # resolved data dir -> how many times this process holds it


class DataDirLockedError(RuntimeError):
    """Another build holds the data directory."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    return f"pid {info.get('pid', '?')} (started {info.get('started', '?')}: {info.get('command', '?')})"


@contextmanager
def data_dir_lock(
    data_dir: Path | str, wait_seconds: float = 0.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """Hold the build lock of `data_dir`; wait up to `wait_seconds` for another build to finish,
    then raise DataDirLockedError naming it."""
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    key = str(root.resolve())
    path = root / LOCK_NAME
    if _held.get(key):
        _held[key] += 1
        try:
            yield path
        finally:
            _held[key] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise DataDirLockedError(
                        f"{root}: another build is writing this data directory: {holder}; "
                        "try again when it has finished"
                    ) from None
                if on_wait and not told:
                    on_wait(f"{root}: waiting for the build of {holder} to finish")
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "started": datetime.now(UTC).isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv)[:300],
                }
            ).encode(),
        )
        _held[key] = 1
        try:
            yield path
        finally:
            _held.pop(key, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
