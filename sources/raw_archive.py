"""The raw archive: every response stored before it is parsed.

Bodies are content-addressed (`objects/<sha256[:2]>/<sha256>`), written atomically and
never modified; a large body (an open-data programme, the register export) is streamed to
`incoming/` as it arrives, hashed on the way, and renamed into place (`SpooledBody`,
`store_spooled`), so it is never whole in memory; each fetch appends one line to `manifest.jsonl` with the URL, time,
status, headers, hash, content type and size. Re-parsing reads only this archive, so
every build can be re-run offline and every published fact traces back to its bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from records.raw import RawResponse
from shared.atomic import atomic_write
from transforms.dates import parse_timestamp


class RawArchive:
    def __init__(self, root: Path | str, durable: bool = True):
        """`durable=False` skips fsync (bulk loads you can redo, e.g. benchmark corpora)."""
        self.root = Path(root)
        self.durable = durable
        self.objects = self.root / "objects"
        self.manifest_path = self.root / "manifest.jsonl"

    def store(
        self, url: str, body: bytes, *, status: int, headers: dict[str, str], fetched_at: str
    ) -> RawResponse:
        """Write the body (if new) and append its manifest line; return the record."""
        digest = hashlib.sha256(body).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, body, self.durable)
        record = RawResponse(
            url=url,
            fetched_at=fetched_at,
            status=status,
            sha256=digest,
            content_type=headers.get("Content-Type", headers.get("content-type", "")),
            bytes=len(body),
            headers=dict(headers),
        )
        self._append(record)
        return record

    def spool(self) -> SpooledBody:
        """A file to write a body into as it arrives (then `store_spooled` or `discard`)."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        return SpooledBody(incoming)

    def store_spooled(
        self, url: str, body: SpooledBody, *, status: int, headers: dict[str, str], fetched_at: str
    ) -> RawResponse:
        """Move a spooled body into place (if new) and append its manifest line."""
        digest = body.close()
        path = self.path_for(digest)
        if path.exists():
            body.discard()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.durable:
                with open(body.path, "rb") as fh:
                    os.fsync(fh.fileno())
            os.replace(body.path, path)
        record = RawResponse(
            url=url,
            fetched_at=fetched_at,
            status=status,
            sha256=digest,
            content_type=headers.get("Content-Type", headers.get("content-type", "")),
            bytes=body.size,
            headers=dict(headers),
        )
        self._append(record)
        return record

    def _append(self, record: RawResponse) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
        with open(self.manifest_path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            if self.durable:
                os.fsync(fh.fileno())

    def store_not_modified(
        self, previous: RawResponse, *, fetched_at: str, headers: dict[str, str]
    ) -> RawResponse:
        """Record a 304: a manifest line that points at the unchanged body already archived."""
        record = RawResponse(
            url=previous.url,
            fetched_at=fetched_at,
            status=304,
            sha256=previous.sha256,
            content_type=previous.content_type,
            bytes=previous.bytes,
            headers={**previous.headers, **headers},
        )
        self._append(record)
        return record

    def path_for(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def read(self, sha256: str) -> bytes:
        body = self.path_for(sha256).read_bytes()
        if hashlib.sha256(body).hexdigest() != sha256:
            raise ValueError(f"{self.path_for(sha256)}: content does not match its sha256")
        return body

    def records(self) -> Iterator[RawResponse]:
        """Every manifest line, oldest first; a torn last line (killed writer) is skipped."""
        if not self.manifest_path.exists():
            return
        with open(self.manifest_path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    yield RawResponse(**json.loads(line))
                except (json.JSONDecodeError, TypeError):
                    continue

    def memo(self, name: str, compute: Callable[[], object]) -> object:
        """`compute()` (a JSON value), kept in `.memo/<name>.json` until the manifest changes.

        The manifest is only ever appended to, so its (size, mtime, inode) names what it holds:
        a quiet night reads these answers instead of every manifest line (hundreds of thousands
        at the register's size). A missing or unreadable memo is computed again."""
        try:
            stat = self.manifest_path.stat()
        except FileNotFoundError:
            return compute()
        key = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        path = self.root / ".memo" / f"{name}.json"
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            if kept["manifest"] == key:
                return kept["value"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            pass
        value = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(
            path,
            json.dumps({"manifest": key, "value": value}, ensure_ascii=False).encode(),
            durable=False,
            unique=True,
        )
        return value

    def latest(self) -> dict[str, RawResponse]:
        """The newest record per URL: the latest `fetched_at`, not the line stored last (a
        replayed old recording never overrides a newer response); on a tie, the later line."""
        return newest_per_url(self.records())


HEAD_BYTES = 64 * 1024


class SpooledBody:
    """A response body written to a file chunk by chunk, hashed as it goes; `head` keeps its
    first 64 KiB (enough to tell a WAF page, HTML or a missing XLSX signature)."""

    def __init__(self, directory: Path):
        self._fh = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in close()
            dir=directory, prefix=".body-", delete=False
        )
        self.path = Path(self._fh.name)
        self.size = 0
        self.head = b""
        self._sha = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._fh.write(chunk)
        self._sha.update(chunk)
        self.size += len(chunk)

    def close(self) -> str:
        """Close the file; its sha256."""
        if not self._fh.closed:
            self._fh.close()
        return self._sha.hexdigest()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return self.size


def fetched_order(record: RawResponse) -> datetime:
    """`fetched_at` as an aware datetime, for ordering (`Z`, offsets and naive UTC alike)."""
    try:
        when = parse_timestamp(record.fetched_at)
    except (AttributeError, ValueError):
        return datetime.min.replace(
            tzinfo=UTC
        )  # an unreadable time is older than every readable one
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def by_fetched_at(records: Iterable[RawResponse]) -> list[RawResponse]:
    """Oldest first by `fetched_at` (stable: equal times keep their stored order)."""
    return sorted(records, key=fetched_order)


def newest_first(versions: Iterable[RawResponse]) -> list[RawResponse]:
    """Newest first by `fetched_at`, not by storage order (a replayed 2025 recording stored
    after a 2026 response comes after it); on a tie, the one stored later first.

    The one ordering every reader of the archive chooses a URL's response by: ИСУН pages
    (`sources.isun_pages`), the open-data API and export (`sources.isun_opendata`), the
    documents, the conditional-request validators and the inputs fingerprint."""
    return by_fetched_at(versions)[::-1]


def newest_per_url(
    records: Iterable[RawResponse], keep: Callable[[RawResponse], bool] = lambda r: True
) -> dict[str, RawResponse]:
    """The newest record per URL (`newest_first`) among those `keep` accepts.

    `keep` is asked newest first and only until it accepts one, so it may read the body (an
    HTML refusal or a WAF page is never data and never hides an older good response)."""
    by_url: dict[str, list[RawResponse]] = {}
    for record in records:
        by_url.setdefault(record.url, []).append(record)
    chosen = {}
    for url, versions in by_url.items():
        record = next((r for r in newest_first(versions) if keep(r)), None)
        if record is not None:
            chosen[url] = record
    return chosen


def inputs_fingerprint(records: list[RawResponse], extra: str = "") -> str:
    """A digest of what a build reads: the newest 200/304 body per URL (plus `extra`, e.g. a code version).

    Equal fingerprints mean a rebuild would read exactly the same bytes.
    """
    latest = {
        url: r.sha256
        for url, r in newest_per_url(records, lambda r: r.status in (200, 304)).items()
    }
    digest = hashlib.sha256(extra.encode())
    for url in sorted(latest):
        digest.update(f"{url}\t{latest[url]}\n".encode())
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    atomic_write(path, data, durable=durable, unique=True)
