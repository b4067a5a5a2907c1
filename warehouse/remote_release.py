"""Copy the latest release to object storage (`s3://bucket/prefix`, or any fsspec URL), where
people read it in place: `FROM 's3://bucket/prefix/latest/projects.parquet'`.

Layout under the URL, like the local publish directory: `releases/<id>/…` (fixed, never
rewritten), `latest/…` (a copy of the newest release's files) and `LATEST` (its id).
Object storage has no symlink to switch, so the upload is ordered to be safe to read at any
moment:

1. every file of the release is uploaded under `releases/<id>/`;
2. every file is read back and its SHA-256 compared with the release's `SHA256SUMS` (a file
   missing or different removes the upload and stops here: `latest` is untouched);
3. the files are copied to `latest/` (server-side on S3), read back and checked the same way,
   and files of the previous release that this one no longer has are removed from `latest/`;
4. `LATEST` is written last.

Each object is replaced whole, so a reader of `latest/projects.parquet` never sees half a file;
while step 3 runs, `latest/` may hold files of two releases: readers who need one consistent
set read `releases/<LATEST>/`. A release already uploaded and intact is not sent again.
Credentials and the endpoint come from the usual environment of the filesystem (for S3:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL for a non-AWS service).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 1 << 20
BATCH_BYTES = 64 << 20  # read back at most this much at once


class RemotePublishError(RuntimeError):
    """The release could not be published to the URL; `latest` there is unchanged."""


@dataclass
class RemoteRelease:
    url: str
    release_id: str
    files: int
    bytes: int
    uploaded: bool  # False: the release was already there, intact
    removed_from_latest: list[str] = field(default_factory=list)


def _sha256_local(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _remote_digests(fs, paths: list[str], sizes: list[int]) -> list[str | None]:
    """SHA-256 of each remote object (None: missing), read back from the server: small objects
    fetched together in batches (concurrently, on async filesystems such as S3), large ones
    streamed one at a time, so memory stays under about `BATCH_BYTES`."""
    fs.invalidate_cache()
    digests: dict[str, str | None] = {}
    batch: list[str] = []
    batch_bytes = 0

    def flush() -> None:
        nonlocal batch, batch_bytes
        if batch:
            got = fs.cat(batch, on_error="return")
            for path in batch:
                value = got.get(path)
                digests[path] = (
                    hashlib.sha256(value).hexdigest() if isinstance(value, bytes) else None
                )
        batch, batch_bytes = [], 0

    for path, size in zip(paths, sizes, strict=True):
        if size > BATCH_BYTES:
            digests[path] = _streamed_digest(fs, path)
            continue
        if batch_bytes + size > BATCH_BYTES:
            flush()
        batch.append(path)
        batch_bytes += size
    flush()
    return [digests[path] for path in paths]


def _streamed_digest(fs, path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with fs.open(path, "rb", cache_type="none") as fh:
            for block in iter(lambda: fh.read(BLOCK), b""):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def release_checksums(release_dir: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file of a local release: `SHA256SUMS`, checked against
    the files (a release changed after it was made is refused), plus SHA256SUMS itself."""
    sums_path = release_dir / "SHA256SUMS"
    if not sums_path.is_file():
        raise RemotePublishError(f"{release_dir}: no SHA256SUMS; not a finished release")
    sums: dict[str, str] = {}
    for number, line in enumerate(sums_path.read_text(encoding="utf-8").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise RemotePublishError(
                f"{sums_path}: line {number}: not '<sha256>  <file>': {line!r}"
            )
        sums[name] = digest
    on_disk = {
        p.relative_to(release_dir).as_posix()
        for p in release_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name != "SHA256SUMS"
    }
    if on_disk != set(sums):
        extra, missing = sorted(on_disk - set(sums)), sorted(set(sums) - on_disk)
        raise RemotePublishError(
            f"{release_dir}: files and SHA256SUMS disagree (not listed: {extra[:5]}, missing: {missing[:5]})"
        )
    for name, digest in sums.items():
        if _sha256_local(release_dir / name) != digest:
            raise RemotePublishError(f"{release_dir / name}: sha256 differs from SHA256SUMS")
    sums["SHA256SUMS"] = _sha256_local(sums_path)
    return sums


def _mismatches(fs, base: str, sums: dict[str, str], sizes: dict[str, int]) -> list[str]:
    """The files under `base` whose content is not the release's (missing ones included)."""
    names = sorted(sums)
    got = _remote_digests(fs, [f"{base}/{n}" for n in names], [sizes[n] for n in names])
    return [name for name, digest in zip(names, got, strict=True) if digest != sums[name]]


def _remote_files(fs, base: str) -> set[str]:
    fs.invalidate_cache()
    if not fs.exists(base):
        return set()
    return {p[len(base) + 1 :] for p in fs.find(base) if p.startswith(base + "/")}


def publish_release_to(
    release_dir: Path | str, url: str, storage_options: dict | None = None
) -> RemoteRelease:
    """Publish one local release directory to `url` (steps in the module docstring)."""
    import fsspec

    release_dir = Path(release_dir).resolve()
    release_id = release_dir.name
    sums = release_checksums(release_dir)
    sizes = {name: (release_dir / name).stat().st_size for name in sums}
    names = sorted(sums)
    fs, root = fsspec.core.url_to_fs(url.rstrip("/"), **(storage_options or {}))
    root = root.rstrip("/")
    if "file" in fs.protocol or "local" in fs.protocol:
        fs.auto_mkdir = True  # a local target gets its folders made, as object storage needs none
    target, latest = f"{root}/releases/{release_id}", f"{root}/latest"

    # Already there? Only if its SHA256SUMS is this one's and every file reads back right.
    there = _remote_digests(fs, [f"{target}/SHA256SUMS"], [sizes["SHA256SUMS"]])[0]
    uploaded = there != sums["SHA256SUMS"] or bool(_mismatches(fs, target, sums, sizes))
    if uploaded:
        fs.put([str(release_dir / n) for n in names], [f"{target}/{n}" for n in names])
        bad = _mismatches(fs, target, sums, sizes)
        if bad:
            fs.rm(target, recursive=True)
            raise RemotePublishError(
                f"{url}: release {release_id}: {len(bad)} file(s) differ after upload "
                f"(first: {bad[0]}); upload removed, latest unchanged"
            )
    fs.copy([f"{target}/{n}" for n in names], [f"{latest}/{n}" for n in names])
    bad = _mismatches(fs, latest, sums, sizes)
    if bad:
        raise RemotePublishError(
            f"{url}: latest/{bad[0]} differs from release {release_id} after copying; "
            "LATEST still names the previous release"
        )
    stale = sorted(_remote_files(fs, latest) - set(sums))
    if stale:
        fs.rm([f"{latest}/{name}" for name in stale])
    fs.pipe_file(f"{root}/LATEST", f"{release_id}\n".encode())
    return RemoteRelease(url, release_id, len(sums), sum(sizes.values()), uploaded, stale)


def remote_latest(url: str, storage_options: dict | None = None) -> str | None:
    """The release id `LATEST` names at `url` (None: nothing published there yet)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url.rstrip("/"), **(storage_options or {}))
    fs.invalidate_cache()
    try:
        return fs.cat_file(f"{root.rstrip('/')}/LATEST").decode().strip() or None
    except FileNotFoundError:
        return None
