"""Recorded responses: the bundled sample corpus, replayed into the raw archive.

A recording is a directory with `manifest.json` (`responses`: url, file, status,
fetched_at, headers, sha256) and the bodies it names. Replaying one goes through the
same raw archive as a live crawl, so everything downstream reads only the archive.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sources.raw_archive import RawArchive, RawResponse

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "sample" / "isun"
SAMPLE_DOCUMENTS = Path(__file__).resolve().parent.parent / "sample" / "documents"
SAMPLE_BULK = Path(__file__).resolve().parent.parent / "sample" / "isun_bulk"


class RecordingError(ValueError):
    """A recording's manifest or bodies are not what they claim."""


def replay_recording(corpus_dir: Path | str, archive: RawArchive) -> list[RawResponse]:
    corpus_dir = Path(corpus_dir)
    manifest_path = corpus_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RecordingError(f"{manifest_path}: no manifest.json in the recording") from exc
    records = []
    for i, entry in enumerate(manifest["responses"]):
        body_path = corpus_dir / entry["file"]
        body = body_path.read_bytes()
        actual = hashlib.sha256(body).hexdigest()
        if entry.get("sha256") and entry["sha256"] != actual:
            raise RecordingError(
                f"{manifest_path}: responses[{i}].sha256 is {entry['sha256']} "
                f"but {body_path.name} hashes to {actual}"
            )
        records.append(
            archive.store(
                entry["url"],
                body,
                status=entry.get("status", 200),
                headers=entry.get("headers", {}),
                fetched_at=entry["fetched_at"],
            )
        )
    return records
