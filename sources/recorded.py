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


def _entry_problem(i: int, entry, corpus_dir: Path) -> tuple[str, str, str | None] | None:
    """(rule, field, value) of what is wrong with manifest entry `i` before its body is read."""
    if not isinstance(entry, dict):
        return "manifest_entry", f"responses[{i}]", type(entry).__name__
    for name in ("url", "file", "fetched_at"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            return (
                "manifest_entry",
                name,
                None if entry.get(name) is None else str(entry[name])[:200],
            )
    file = entry["file"]
    if Path(file).is_absolute() or not _inside(corpus_dir / file, corpus_dir):
        return "path_outside_recording", "file", file[:200]
    status = entry.get("status", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        return "manifest_entry", "status", str(status)[:50]
    if not isinstance(entry.get("headers", {}), dict):
        return "manifest_entry", "headers", str(entry["headers"])[:200]
    return None


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, symlinks resolved, lies inside `folder`."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _manifest_responses(manifest_path: Path) -> list:
    """The manifest's `responses` list, else RecordingError naming the file and field."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RecordingError(f"{manifest_path}: no manifest.json in the recording") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{manifest_path}: not JSON: {exc}") from exc
    responses = manifest.get("responses") if isinstance(manifest, dict) else None
    if not isinstance(responses, list):
        raise RecordingError(f"{manifest_path}: field 'responses' is missing or not a list")
    return responses


def _entry_body(i: int, entry, corpus_dir: Path) -> tuple[bytes | None, tuple | None]:
    """The entry's body, or (rule, field, value, why) saying why it cannot be trusted."""
    problem = _entry_problem(i, entry, corpus_dir)
    if problem:
        rule, field_name, value = problem
        why = (
            "outside the recording's folder"
            if rule == "path_outside_recording"
            else "missing or invalid"
        )
        return None, (rule, field_name, value, why)
    body_path = corpus_dir / entry["file"]
    try:
        body = body_path.read_bytes()
    except OSError as exc:
        why = f"cannot read the body: {exc.strerror or exc}"
        return None, ("missing_body", "file", entry["file"], why)
    actual = hashlib.sha256(body).hexdigest()
    if entry.get("sha256") and entry["sha256"] != actual:
        why = f"{body_path.name} hashes to {actual}"
        return None, ("sha256_mismatch", "sha256", str(entry["sha256"]), why)
    return body, None


def _rejected_entry(manifest_path: Path, i: int, entry, problem: tuple) -> dict:
    """An untrusted manifest entry as a quarantine row (table `inputs`)."""
    rule, field_name, value, why = problem
    url = (
        entry.get("url") if isinstance(entry, dict) and isinstance(entry.get("url"), str) else None
    )
    return {
        "table_name": "inputs",
        "record_key": f"{manifest_path}#responses[{i}]",
        "rule": rule,
        "field": field_name,
        "value": value,
        "message": f"{manifest_path}: responses[{i}].{field_name} = {value!r}: {why}; not replayed",
        "source_url": url,
        "fetched_at": None,
        "content_sha256": None,
    }


def replay_recording(
    corpus_dir: Path | str, archive: RawArchive, rejected: list[dict] | None = None
) -> list[RawResponse]:
    """Store every response of the recording in `archive`; return the records stored.

    An entry that cannot be trusted (no url, file or fetched_at; a file outside the
    recording's folder, `..` or absolute or through a symlink; a missing body; a body
    whose sha256 differs from the manifest's) is not stored: it is appended to `rejected`
    (quarantine rows: rule, field, value, message) and the rest of the recording goes on.
    Without `rejected`, the first such entry raises RecordingError.
    """
    corpus_dir = Path(corpus_dir)
    manifest_path = corpus_dir / "manifest.json"
    records = []
    for i, entry in enumerate(_manifest_responses(manifest_path)):
        body, problem = _entry_body(i, entry, corpus_dir)
        if problem:
            row = _rejected_entry(manifest_path, i, entry, problem)
            if rejected is None:
                raise RecordingError(row["message"])
            rejected.append(row)
            continue
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
