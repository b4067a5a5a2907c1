"""ИСУН's open-data JSON API as a bulk source: the programme list, then one call per programme.

`GET /api/v1.0/opendata/criteria` -> `{"programmes": [{"id", "programmePeriodId", "name"}]}`;
`GET /api/v1.0/opendata?ProgrammeId=<id>&ProgrammePeriodId=<period>` -> `{"generatedAt",
"totalProjects", "projects": [...], "contracts": [...], "entities": [...]}`, the field names of
the site's open-data model (`ExportOpenDataXmlClasses.cs`) in camelCase. Amounts are in EUR
since 2026; the JSON states no currency.

What belongs here: the URLs, the night's order of calls, fetching them raw-first through
`PoliteClient` spaced far apart (each programme's answer streamed into the archive),
recognising an HTML answer where JSON was expected (the site's rate limit: treated like a
WAF page, the run stops and the rest waits for the next night), and reading an archived
answer as a stream (`ijson`), never whole; `sources.bulk_json` checks it whole first. Turning the
rows into tables is `transforms.isun_bulk`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlparse

from sources.http_client import CrawlPolicy, FetchError, HostBlockedError, PoliteClient
from sources.isun_opendata_read import (  # re-exported: the archived answers' side
    API_PATH,
    CRITERIA_PATH,
    Programme,
    is_criteria_url,
    not_json_reason,
    parse_criteria,
    programme_of_url,
)
from sources.isun_opendata_read import (
    bulk_candidates as bulk_candidates,
)
from sources.isun_opendata_read import (
    newest_bulk_responses as newest_bulk_responses,
)
from sources.isun_opendata_read import (
    stream_items as stream_items,
)
from sources.raw_archive import RawArchive, RawResponse

log = logging.getLogger(__name__)

# The site answers HTML instead of JSON after a few quick calls; a public reader that gets
# through waits 240 s between calls.
DEFAULT_API_INTERVAL_SECONDS = 240.0
# The largest programme (Иновации и конкурентоспособност, ~35 000 projects in 2026) is tens
# to a few hundred MB of JSON; the pages' 20 MiB cap would refuse it.
DEFAULT_API_MAX_BYTES = 768 * 1024 * 1024


class NotJsonError(HostBlockedError):
    """HTML (or anything that is not JSON) where the API should answer JSON: the rate limit."""


def criteria_url(base_url: str) -> str:
    return urljoin(base_url.rstrip("/") + "/", CRITERIA_PATH.lstrip("/"))


def programme_url(base_url: str, programme: Programme) -> str:
    query = urlencode(
        {"ProgrammeId": programme.programme_id, "ProgrammePeriodId": programme.period_id}
    )
    return urljoin(base_url.rstrip("/") + "/", API_PATH.lstrip("/")) + "?" + query


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
    stopped: str | None = None  # a refusal (WAF page, HTML answer): no more requests tonight
    list_failed: str | None = None  # the programme list failed: what was used instead
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
        if self.list_failed:
            out.append(f"open-data API: {self.list_failed}")
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


def fetch_json(client: PoliteClient, url: str, spool: bool = False):
    """GET an API URL through the client (archived before anything reads it); an HTML answer
    marks the host blocked for the rest of the run, like a WAF page. `spool`: the body goes
    to the archive as it arrives (a programme's answer: hundreds of MB), `result.body` is its head."""
    result = client.fetch(url, spool=spool)
    reason = not_json_reason(result.body, result.record.content_type)
    if reason:
        host = (urlparse(url).hostname or "").lower()
        client.blocked_hosts[host] = reason
        client.stats.blocks += 1
        log.warning("BLOCKED %s: %s; not requesting %s again in this run", url, reason, host)
        raise NotJsonError(url, reason)
    return result


def _programme_list(client: PoliteClient, base_url: str, night: OpenDataNight) -> list[Programme]:
    """Tonight's programme list; if it failed (HTTP 500, a changed shape), the last archived
    good one, so the programmes are still fetched (a refusal, HostBlockedError, propagates)."""
    try:
        criteria = fetch_json(client, criteria_url(base_url))
        night.records.append(criteria.record)
        return parse_criteria(criteria.body, criteria.url)
    except (FetchError, ValueError) as exc:
        programmes = archived_programmes(client.archive, base_url)
        night.list_failed = f"programme list failed ({exc})" + (
            f"; using the last archived list ({len(programmes)} programmes)"
            if programmes
            else "; no archived list to fall back on, no programme fetched tonight"
        )
        log.error("open-data API %s", night.list_failed)
        return programmes or []


def fetch_open_data(
    client: PoliteClient,
    base_url: str,
    max_programme_calls: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OpenDataNight:
    """The programme list, then the programmes fetched longest ago; stops at the first refusal.

    A failure (HTTP 500 after the retries, an unreadable answer) is not a refusal: it is
    logged and counted, and the night goes on (`stopped` stays None, so pages are crawled)."""
    night = OpenDataNight()
    try:
        programmes = _programme_list(client, base_url, night)
        night.programmes_listed = len(programmes)
        planned = order_programmes(
            programmes, base_url, last_good_fetches(client.archive), max_programme_calls
        )
        night.left_for_next_night = [
            url for _, url, _ in order_programmes(programmes, base_url, {}, None)[len(planned) :]
        ]
        for i, (_programme, url, _last) in enumerate(planned):
            try:
                result = fetch_json(client, url, spool=True)
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
    return night
