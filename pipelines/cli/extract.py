"""`bgfunds extract FILE...`: facts from free-text pages, one JSON record per input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Fields of an extracted record that say nothing about a project.
_RECORD_BOOKKEEPING = {"kind", "source", "format", "url", "source_url", "text_chars", "flags"}


def _is_empty_record(record: dict) -> bool:
    return not any(
        value not in (None, "", [], {})
        for key, value in record.items()
        if key not in _RECORD_BOOKKEEPING
    )


def _read_input(path: str, data_dir: str) -> tuple[str, str]:
    """(text, format) of a file, or of a URL fetched politely into the data dir's raw archive."""
    from sources.documents import read_document

    if not path.startswith(("http://", "https://")):
        return read_document(path)
    from urllib.parse import urlparse

    from sources.http_client import CrawlPolicy, PoliteClient
    from sources.raw_archive import RawArchive

    client = PoliteClient(
        CrawlPolicy(allowed_hosts=frozenset({urlparse(path).hostname or ""})),
        RawArchive(Path(data_dir) / "raw"),
    )
    fetched = client.fetch(path)
    return read_document(
        Path(urlparse(path).path or "page"), fetched.body, fetched.record.content_type
    )


def _extract_one(path: str, kind: str, data_dir: str, out, per_project: bool) -> bool:
    """Print the records of one input; False (with a warning on stderr) when it gave nothing."""
    from sources.documents import html_to_text
    from sources.extract import extract, extract_projects

    text, fmt = _read_input(path, data_dir)
    is_html = fmt == "html"
    is_isun_page = "list-item" in text or "Номер от ИСУН" in text
    chosen_text = (
        text
        if (kind == "isun" or (kind == "auto" and is_isun_page))
        else (html_to_text(text) if is_html else text)
    )
    as_html = is_html and chosen_text is text
    if per_project:
        for record in extract_projects(chosen_text, kind, is_html=as_html, url=path):
            record["source"], record["format"] = path, fmt
            print(json.dumps(record, ensure_ascii=False, default=str), file=out)
        return True
    record = extract(chosen_text, kind, is_html=as_html, url=path)
    record["source"] = path
    record["format"] = fmt
    print(json.dumps(record, ensure_ascii=False, default=str), file=out)
    if not chosen_text.strip():
        print(
            f"bgfunds extract: warning: {path}: no text in this {fmt} input (scanned image, empty file?)",
            file=sys.stderr,
        )
        return False
    if _is_empty_record(record):
        print(
            f"bgfunds extract: warning: {path}: nothing extracted from {len(chosen_text)} characters of "
            f"{fmt} (kind {record.get('kind', kind)}); not a page this extractor knows?",
            file=sys.stderr,
        )
        return False
    return True


def extract_command(
    paths: list[str], kind: str, data_dir: str, out=None, per_project: bool = False
) -> int:
    """Print one JSON object per input (with `per_project`: one per project the input speaks of, none where it
    names none); non-zero (and a message naming it) if any input is unreadable or gave nothing (a warning on
    stderr says which and why)."""
    out = out or sys.stdout
    failed = 0
    for path in paths:
        try:
            failed += not _extract_one(path, kind, data_dir, out, per_project)
        except Exception as exc:  # noqa: BLE001 - every failure is reported with the input's name
            failed += 1
            print(f"bgfunds extract: {path}: {exc}", file=sys.stderr)
    return 1 if failed else 0
