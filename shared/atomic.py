"""The one atomic-write helper: write beside the target under a temporary name, then rename over it.

`os.replace` is atomic on one file system, so a reader (or a crash) sees the old file or
the new one, never a half-written one. Use `atomic_path` when a library writes the file
(DuckDB `COPY`, a Parquet writer, openpyxl), `atomic_write` for bytes or text in hand.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path | str, *, unique: bool = False) -> Iterator[Path]:
    """A temporary name beside `path` to write to; on leaving the block it replaces `path`,
    and on an error it is removed and `path` is left as it was.

    The name is `.<name>.tmp`; `unique=True` makes a fresh one per call, for targets that
    several writers may write at once (content-addressed files).
    """
    path = Path(path)
    if unique:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        os.close(fd)
        tmp = Path(name)
    else:
        tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(
    path: Path | str, data: bytes | str, *, durable: bool = False, unique: bool = False
) -> None:
    """Write `data` (text as UTF-8) to `path` atomically; `durable=True` fsyncs before the rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, unique=unique) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
