"""ИСУН's open-data API answers as archived: which they are, the programme list, the rows as a stream.

What the staging of the bulk sources reads (`pipelines.isun_bulk_staging`), apart from the
fetching in `sources.isun_opendata` (which re-exports all of this): no HTTP client is
imported here, so the staging does not load one (~10 MiB of its peak at 80 700 projects).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import ijson

from sources.bulk_json import AnswerError, load_bounded
from sources.isun_register_export import is_export_url
from sources.raw_archive import (
    RawArchive,
    RawResponse,
    by_fetched_at,
    newest_first,
    newest_per_url,
)

API_PATH = "/api/v1.0/opendata"
CRITERIA_PATH = API_PATH + "/criteria"


@dataclass(frozen=True)
class Programme:
    programme_id: str
    period_id: str
    name: str


def is_criteria_url(url: str) -> bool:
    return urlparse(url).path.rstrip("/").lower() == CRITERIA_PATH.lower()


def programme_of_url(url: str) -> tuple[str, str] | None:
    """(programme id, period id) of a per-programme API URL, else None."""
    parsed = urlparse(url)
    if parsed.path.rstrip("/").lower() != API_PATH.lower():
        return None
    query = {k.lower(): v[0] for k, v in parse_qs(parsed.query).items()}
    if "programmeid" not in query:
        return None
    return query["programmeid"], query.get("programmeperiodid", "")


def not_json_reason(body: bytes, content_type: str | None) -> str | None:
    """Why this answer is not the API's JSON (an HTML page, say), or None if it looks like JSON."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "an empty answer where JSON was expected"
    if head[:1] in (b"{", b"["):
        return None
    kind = (content_type or "").split(";")[0].strip() or "no content type"
    return f"HTML instead of JSON ({kind}, starts {head[:40]!r})"


def parse_criteria(body: bytes, source: str = "criteria") -> list[Programme]:
    """The programmes the API offers; a changed shape is a loud error naming the field (an
    AnswerError, a ValueError), never a RecursionError: the depth is checked first."""
    reason = not_json_reason(body, None)
    if reason:
        raise AnswerError(source, reason)
    data = load_bounded(body, source)
    if not isinstance(data, dict) or not isinstance(data.get("programmes"), list):
        raise AnswerError(
            source, "the API's shape changed: field 'programmes' missing or not a list"
        )
    programmes = []
    for i, item in enumerate(data["programmes"]):
        if not isinstance(item, dict):
            raise AnswerError(source, f"programmes[{i}] is {item!r}, not an object")
        for key in ("id", "programmePeriodId"):
            if item.get(key) in (None, ""):
                raise AnswerError(source, f"programmes[{i}].{key} is {item.get(key)!r}")
        programmes.append(
            Programme(str(item["id"]), str(item["programmePeriodId"]), str(item.get("name") or ""))
        )
    return programmes


# -- reading an archived answer as a stream ---------------------------------------------


def stream_items(path: Path | str, array: str) -> Iterator[dict]:
    """Each element of the top-level array `array` ("projects", "contracts", "entities"),
    parsed one at a time from the file (numbers as Decimal, so cents stay exact)."""
    with open(path, "rb") as fh:
        yield from ijson.items(fh, f"{array}.item")


def bulk_candidates(
    archive: RawArchive,
) -> tuple[list[RawResponse], dict[str, list[RawResponse]], list[RawResponse]]:
    """(programme lists, {programme URL: answers}, exports): every archived 200/304 answer of
    each, newest first (by `fetched_at`). The staging uses the newest one that reads whole
    and sets the newer bad ones aside; this only finds them."""
    criteria: list[RawResponse] = []
    programmes: dict[str, list[RawResponse]] = {}
    exports: list[RawResponse] = []
    for record in by_fetched_at(archive.records()):
        if record.status not in (200, 304):
            continue
        if is_criteria_url(record.url):
            criteria.append(record)
        elif programme_of_url(record.url):
            programmes.setdefault(record.url, []).append(record)
        elif is_export_url(record.url):
            exports.append(record)
    criteria.reverse()
    exports.reverse()
    for answers in programmes.values():
        answers.reverse()
    return criteria, programmes, exports


def newest_bulk_responses(
    archive: RawArchive,
) -> tuple[RawResponse | None, dict[str, RawResponse], RawResponse | None]:
    """(criteria, {programme URL: answer}, export): the newest good answer of each, by fetch time.

    An HTML answer (the rate limit) or a WAF page is never data: the previous good answer
    of that URL stays in use.
    """

    def is_data(record: RawResponse) -> bool:
        if record.status not in (200, 304):
            return False
        with open(archive.path_for(record.sha256), "rb") as fh:
            if is_export_url(record.url):
                return fh.read(4) == b"PK\x03\x04"
            return not not_json_reason(fh.read(512), record.content_type)

    bulk = [
        r
        for r in archive.records()
        if is_criteria_url(r.url) or programme_of_url(r.url) or is_export_url(r.url)
    ]
    newest = newest_per_url(bulk, is_data)
    criteria = newest_first(r for url, r in newest.items() if is_criteria_url(url))
    exports = newest_first(r for url, r in newest.items() if is_export_url(url))
    programmes = {url: r for url, r in newest.items() if programme_of_url(url)}
    return (criteria or [None])[0], programmes, (exports or [None])[0]
