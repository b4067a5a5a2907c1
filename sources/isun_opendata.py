"""ИСУН's open-data JSON API as a bulk source: the programme list, then one call per programme.

`GET /api/v1.0/opendata/criteria` -> `{"programmes": [{"id", "programmePeriodId", "name"}]}`;
`GET /api/v1.0/opendata?ProgrammeId=<id>&ProgrammePeriodId=<period>` -> `{"generatedAt",
"totalProjects", "projects": [...], "contracts": [...], "entities": [...]}`, the field names of
the site's open-data model (`ExportOpenDataXmlClasses.cs`) in camelCase. Amounts are in EUR
since 2026; the JSON states no currency.

What belongs here: the URLs, the night's order of calls, fetching them raw-first through
`PoliteClient` spaced far apart, recognising an HTML answer where JSON was expected (the
site's rate limit: treated like a WAF page, the run stops and the rest waits for the next
night), and reading an archived answer as a stream (`ijson`), never whole. Turning the
rows into tables is `transforms.isun_bulk`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import ijson

from sources.http_client import CrawlPolicy, FetchError, HostBlockedError, PoliteClient
from sources.isun_register_export import is_export_url
from sources.raw_archive import RawArchive, RawResponse, newest_first, newest_per_url

log = logging.getLogger(__name__)

API_PATH = "/api/v1.0/opendata"
CRITERIA_PATH = API_PATH + "/criteria"
# The site answers HTML instead of JSON after a few quick calls; a public reader that gets
# through waits 240 s between calls.
DEFAULT_API_INTERVAL_SECONDS = 240.0
# The largest programme (Иновации и конкурентоспособност, ~35 000 projects in 2026) is tens
# to a few hundred MB of JSON; the pages' 20 MiB cap would refuse it.
DEFAULT_API_MAX_BYTES = 768 * 1024 * 1024


class NotJsonError(HostBlockedError):
    """HTML (or anything that is not JSON) where the API should answer JSON: the rate limit."""


@dataclass(frozen=True)
class Programme:
    programme_id: str
    period_id: str
    name: str


def criteria_url(base_url: str) -> str:
    return urljoin(base_url.rstrip("/") + "/", CRITERIA_PATH.lstrip("/"))


def programme_url(base_url: str, programme: Programme) -> str:
    query = urlencode(
        {"ProgrammeId": programme.programme_id, "ProgrammePeriodId": programme.period_id}
    )
    return urljoin(base_url.rstrip("/") + "/", API_PATH.lstrip("/")) + "?" + query


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
    """The programmes the API offers; a changed shape is a loud error naming the field."""
    data = json.loads(body.decode("utf-8-sig"))
    if not isinstance(data, dict) or not isinstance(data.get("programmes"), list):
        raise ValueError(f"{source}: field 'programmes' missing or not a list")
    programmes = []
    for i, item in enumerate(data["programmes"]):
        for key in ("id", "programmePeriodId"):
            if item.get(key) in (None, ""):
                raise ValueError(f"{source}: programmes[{i}].{key} is {item.get(key)!r}")
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


def stream_header(path: Path | str) -> dict:
    """The scalar top-level fields (`generatedAt`, `totalProjects`), read without the arrays."""
    header: dict = {}
    with open(path, "rb") as fh:
        for prefix, event, value in ijson.parse(fh):
            if "." not in prefix and prefix and event in ("string", "number", "boolean", "null"):
                header[prefix] = value
    return header


# -- the night's calls --------------------------------------------------------------------


@dataclass
class OpenDataPlan:
    """What a night asks the API for, in order: the programme list, then the programmes
    fetched longest ago (never-fetched first), at most `max_programme_calls` of them."""

    criteria: str
    programmes: list[tuple[Programme, str, str | None]]  # (programme, url, last good fetch or None)
    programmes_known: (
        bool  # False: no archived programme list yet, so the night's calls follow the live one
    )

    @property
    def requests(self) -> int:
        return 1 + len(self.programmes)


def last_good_fetches(archive: RawArchive) -> dict[str, RawResponse]:
    """The newest archived JSON answer (200, or 304 to one) per API URL."""
    good: dict[str, RawResponse] = {}
    for record in archive.records():
        if (is_criteria_url(record.url) or programme_of_url(record.url)) and record.status in (
            200,
            304,
        ):
            if record.status == 304 or "html" not in (record.content_type or "").lower():
                good[record.url] = record
    return good


def archived_programmes(archive: RawArchive, base_url: str) -> list[Programme] | None:
    record = last_good_fetches(archive).get(criteria_url(base_url))
    if record is None:
        return None
    try:
        return parse_criteria(archive.read(record.sha256), record.url)
    except ValueError:
        return None


def order_programmes(
    programmes: list[Programme], base_url: str, good: dict[str, RawResponse], max_calls: int | None
) -> list[tuple[Programme, str, str | None]]:
    rows = []
    for p in programmes:
        url = programme_url(base_url, p)
        last = good[url].fetched_at if url in good else None
        rows.append((p, url, last))
    rows.sort(key=lambda r: (r[2] is not None, r[2] or "", r[0].programme_id))
    return rows if max_calls is None else rows[: max(max_calls, 0)]


def plan_night(
    archive: RawArchive, base_url: str, max_programme_calls: int | None = None
) -> OpenDataPlan:
    """The night's API calls from what the archive holds, without fetching anything."""
    programmes = archived_programmes(archive, base_url)
    good = last_good_fetches(archive)
    return OpenDataPlan(
        criteria_url(base_url),
        order_programmes(programmes or [], base_url, good, max_programme_calls),
        programmes_known=programmes is not None,
    )


@dataclass
class OpenDataNight:
    programmes_listed: int = 0
    fetched: list[str] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    left_for_next_night: list[str] = field(default_factory=list)
    stopped: str | None = None
    records: list[RawResponse] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.records)

    def lines(self) -> list[str]:
        out = [
            f"open-data API: {self.programmes_listed} programmes listed, {len(self.fetched)} fetched, "
            f"{len(self.not_modified)} unchanged (304), {len(self.failed)} failed, "
            f"{len(self.left_for_next_night)} left for the next night"
        ]
        if self.stopped:
            out.append(f"STOPPED: {self.stopped}")
        return out


def api_policy(
    base_policy: CrawlPolicy,
    interval_seconds: float = DEFAULT_API_INTERVAL_SECONDS,
    max_bytes: int = DEFAULT_API_MAX_BYTES,
    read_timeout: float | None = None,
) -> CrawlPolicy:
    """The crawl's policy with the API's spacing between calls and a body cap sized for big programmes."""
    return CrawlPolicy(
        allowed_hosts=base_policy.allowed_hosts,
        contact=base_policy.contact,
        min_interval_seconds={h: interval_seconds for h in base_policy.allowed_hosts},
        default_interval_seconds=interval_seconds,
        connect_timeout=base_policy.connect_timeout,
        read_timeout=read_timeout
        if read_timeout is not None
        else max(base_policy.read_timeout, 300.0),
        max_retries=base_policy.max_retries,
        backoff_base_seconds=base_policy.backoff_base_seconds,
        backoff_max_seconds=base_policy.backoff_max_seconds,
        max_response_bytes=max_bytes,
        user_agent_product=base_policy.user_agent_product,
    )


def fetch_json(client: PoliteClient, url: str):
    """GET an API URL through the client (archived before anything reads it); an HTML answer
    marks the host blocked for the rest of the run, like a WAF page."""
    result = client.fetch(url)
    reason = not_json_reason(result.body, result.record.content_type)
    if reason:
        host = (urlparse(url).hostname or "").lower()
        client.blocked_hosts[host] = reason
        client.stats.blocks += 1
        log.warning("BLOCKED %s: %s; not requesting %s again in this run", url, reason, host)
        raise NotJsonError(url, reason)
    return result


def fetch_open_data(
    client: PoliteClient,
    base_url: str,
    max_programme_calls: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OpenDataNight:
    """The programme list, then the programmes fetched longest ago; stops at the first refusal."""
    night = OpenDataNight()
    try:
        criteria = fetch_json(client, criteria_url(base_url))
        night.records.append(criteria.record)
        programmes = parse_criteria(criteria.body, criteria.url)
        night.programmes_listed = len(programmes)
        planned = order_programmes(
            programmes, base_url, last_good_fetches(client.archive), max_programme_calls
        )
        night.left_for_next_night = [
            url for _, url, _ in order_programmes(programmes, base_url, {}, None)[len(planned) :]
        ]
        for i, (_programme, url, _last) in enumerate(planned):
            try:
                result = fetch_json(client, url)
            except FetchError as exc:
                night.failed.append(url)
                log.warning("%s", exc)
                continue
            except HostBlockedError:
                night.left_for_next_night = [
                    u for _, u, _ in planned[i:]
                ] + night.left_for_next_night
                raise
            night.records.append(result.record)
            (night.not_modified if result.not_modified else night.fetched).append(url)
            if progress:
                progress(i + 1, len(planned))
    except HostBlockedError as exc:
        night.stopped = str(exc)
        log.error("open-data API stopped: %s", exc)
    except FetchError as exc:
        night.stopped = str(exc)
        log.error("open-data API programme list failed: %s", exc)
    return night


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
