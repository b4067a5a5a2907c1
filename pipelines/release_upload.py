"""The `publish_to` setting (`publish --to s3://bucket/prefix`, `nightly --publish-to`, and the
Dagster daemon's nights through `pipelines.night_sensors`): the latest local release uploaded
where people fetch it (`warehouse.remote_release`), and the line that says so."""

from __future__ import annotations

from pathlib import Path


def publish_latest_to(data_dir: Path, url: str, unchanged: bool = False) -> dict:
    """Upload `<data_dir>/publish/latest` to `url`; on a night that changed nothing, only if
    `url`'s LATEST names another release (an earlier upload that failed is retried). Return
    what was done, for the run status; raise `RemotePublishError` when it failed."""
    from warehouse.remote_release import RemotePublishError, publish_release_to, remote_latest

    latest = data_dir / "publish" / "latest"
    if not latest.exists():
        raise RemotePublishError(f"{latest}: no release to upload")
    release_id = latest.resolve().name
    if unchanged and remote_latest(url) == release_id:
        return {"url": url, "release_id": release_id, "uploaded": False, "skipped": True}
    done = publish_release_to(latest, url)
    return {
        "url": url,
        "release_id": done.release_id,
        "uploaded": done.uploaded,
        "files": done.files,
        "bytes": done.bytes,
        "removed_from_latest": done.removed_from_latest,
    }


def upload_line(result: dict) -> str:
    if result.get("skipped"):
        return f"{result['url']} already has release {result['release_id']} as LATEST"
    sent = "uploaded and verified" if result["uploaded"] else "already there, verified"
    return (
        f"release {result['release_id']} {sent} at {result['url']} "
        f"({result['files']} files, {result['bytes'] / 1e6:.1f} MB); LATEST switched"
    )
