"""A night's bulk fetch from ИСУН, before any contract page: the open-data API, then the register export.

Every night: the API's programme list and the programmes fetched longest ago (all of them
when the night allows, `max_programme_calls` otherwise), spaced `api_interval_seconds` apart,
then the export. A refusal (an HTML answer, a WAF page) stops the night for the host, as
for pages; the programmes not fetched come first the next night (the order is read from the
raw archive, so nothing else needs to remember it).

Changes seen in the bulk rows steer the page crawl: a project whose API row (status,
amounts, dates, name) differs from the last release's gives its crawled contracts a new
listing fingerprint, so the crawler queues their pages as changed, the next night.

`night_plan` says what a night will fetch and how many requests, without fetching.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlparse

from registry.isun_bulk import ISUN_API_PROJECTS
from registry.tables import PROJECTS
from sources.crawl_state import MAX_AGE_DAYS, QUEUE_CLASSES, ROTATION_DUE_DAYS, CrawlState
from sources.http_client import FetchError, HostBlockedError, PoliteClient
from sources.isun_crawl import ALL_PAGES, CrawlConfig
from sources.isun_discovery import FOLLOW_PATH
from sources.isun_opendata import (
    DEFAULT_API_INTERVAL_SECONDS,
    DEFAULT_API_MAX_BYTES,
    OpenDataNight,
    api_policy,
    fetch_open_data,
    is_criteria_url,
    plan_night,
    programme_of_url,
    stream_items,
)
from sources.isun_register_export import EXPORT_PATH, is_export_url
from sources.raw_archive import RawArchive, RawResponse
from warehouse.duckdb_store import read_columns

log = logging.getLogger(__name__)

BULK_LISTINGS = (
    "/api/v1.0/opendata",
    EXPORT_PATH,
)  # fetched here as data, never as listings of page ids


@dataclass
class BulkConfig:
    api_interval_seconds: float = DEFAULT_API_INTERVAL_SECONDS
    api_max_bytes: int = DEFAULT_API_MAX_BYTES
    max_programme_calls: int | None = None  # None: every programme the API lists
    fetch_export: bool = True


@dataclass
class BulkNight:
    api: OpenDataNight = field(default_factory=OpenDataNight)
    export: str = "not fetched"
    stopped: str | None = None
    requests: int = 0
    records: list[RawResponse] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            *self.api.lines()[:1],
            f"register export: {self.export}",
            f"bulk requests: {self.requests}",
        ]
        if self.stopped:
            out.append(f"STOPPED: {self.stopped}")
        return out


def is_bulk_url(url: str) -> bool:
    """An open-data API call or the register export (not a page)."""
    return is_criteria_url(url) or programme_of_url(url) is not None or is_export_url(url)


def export_url(base_url: str) -> str:
    return urljoin(base_url.rstrip("/") + "/", EXPORT_PATH.lstrip("/"))


def page_listings(config: CrawlConfig) -> tuple[str, ...]:
    """The crawl's listings without the bulk sources (they carry no page ids)."""
    return tuple(p for p in config.listings if p.split("?", 1)[0].rstrip("/") not in BULK_LISTINGS)


def fetch_bulk(
    config: CrawlConfig, bulk: BulkConfig, archive: RawArchive, client: PoliteClient | None = None
) -> BulkNight:
    """The API, then the export, each response archived before anything reads it."""
    client = client or PoliteClient(
        api_policy(config.policy(), bulk.api_interval_seconds, bulk.api_max_bytes), archive
    )
    night = BulkNight()
    night.api = fetch_open_data(client, config.base_url, bulk.max_programme_calls)
    night.records.extend(night.api.records)
    night.stopped = night.api.stopped
    if bulk.fetch_export and not night.stopped:
        try:
            result = client.fetch(export_url(config.base_url), expect="xlsx")
            night.records.append(result.record)
            night.export = (
                "unchanged (304)"
                if result.not_modified
                else f"fetched, {result.record.bytes} bytes"
            )
        except HostBlockedError as exc:
            night.stopped = str(exc)
            night.export = "refused"
        except FetchError as exc:
            night.export = f"failed: {exc}"
            log.warning("%s", exc)
    night.requests = client.stats.requests
    return night


def _last_release_fingerprints(warehouse_path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """From the last warehouse: proposal -> API row fingerprint, and proposal -> crawled contract ids."""
    fingerprints: dict[str, str] = {}
    for proposal, value in read_columns(
        warehouse_path, ISUN_API_PROJECTS, ["proposal_code", "row_fingerprint"]
    ):
        if value is not None:
            fingerprints[proposal] = min(value, fingerprints.get(proposal, value))
    contracts: dict[str, list[str]] = {}
    for proposal, contract_id in read_columns(
        warehouse_path, PROJECTS, ["proposal_code", "isun_contract_id"]
    ):
        if contract_id is not None:
            contracts.setdefault(proposal, []).append(contract_id)
    return fingerprints, contracts


def bulk_row_fingerprints(
    archive: RawArchive, records: list[RawResponse], warehouse_path: Path
) -> dict[str, str]:
    """contract id -> the API row fingerprint of its proposal, for the crawl's listing fingerprints.

    Computed from tonight's API answers (streamed), for the contracts the last release joined
    to a proposal; a proposal whose row changed since then gives its contracts a new value.
    """
    from transforms.isun_bulk import api_row_fingerprint

    previous, contracts = _last_release_fingerprints(warehouse_path)
    if not contracts:
        return {}
    out: dict[str, str] = {}
    changed: set[str] = set()
    for record in records:
        if record.status not in (200, 304) or programme_of_url(record.url) is None:
            continue
        for project in stream_items(archive.path_for(record.sha256), "projects"):
            proposal = str(project.get("id") or "")
            if proposal not in contracts:
                continue
            value = api_row_fingerprint(project)
            if previous.get(proposal) not in (None, value):
                changed.add(proposal)
            for contract_id in contracts[proposal]:
                out[contract_id] = value
    log.info(
        "bulk rows: %d crawled contracts have an API row; %d of their proposals changed since the last "
        "release",
        len(out),
        len(changed),
    )
    return out


# -- the plan, without fetching ---------------------------------------------------------------


@dataclass
class NightPlan:
    api_calls: list[str]
    api_programmes_known: bool
    export_calls: list[str]
    listings: tuple[str, ...]
    listing_pages: int  # the configured listings and the pages they linked to last time
    contract_pages: dict[str, int]  # queue class -> contracts tonight (`crawl_state.QUEUE_CLASSES`)
    contracts_known: int
    budget: int
    api_interval_seconds: float
    robots_requests: int = 0  # robots.txt, read once a night by each client (bulk sources, pages)
    requests_per_contract: float = 1.0  # PrintProject + its share of BasicData and Participants
    backlog: dict[str, int] = field(
        default_factory=dict
    )  # queue class -> contracts waiting, all told
    oldest_days: float | None = None  # the age of the oldest page detail fetched so far

    @property
    def bulk_requests(self) -> int:
        return len(self.api_calls) + len(self.export_calls)

    @property
    def contracts_tonight(self) -> int:
        return sum(self.contract_pages.values())

    @property
    def contract_requests(self) -> int:
        return round(self.requests_per_contract * self.contracts_tonight)

    @property
    def requests(self) -> int:
        return (
            self.robots_requests + self.bulk_requests + self.listing_pages + self.contract_requests
        )

    def backfill_nights(self) -> int:
        """Nights until every known contract has been fetched once, at tonight's pace."""
        left = sum(self.backlog.get(k, 0) for k in ("new", "backfill", "undiscovered"))
        return -(-left // max(self.contracts_tonight, 1)) if left else 0

    def lines(self) -> list[str]:
        pages = self.contracts_tonight
        hours = (len(self.api_calls) + len(self.export_calls)) * self.api_interval_seconds / 3600
        out = [
            f"bulk: {len(self.api_calls)} open-data API calls"
            + (
                ""
                if self.api_programmes_known
                else " (programme list not archived yet: criteria plus every programme it lists)"
            )
            + f", {len(self.export_calls)} register export; {self.api_interval_seconds:.0f} s apart "
            f"(about {hours:.1f} h)"
        ]
        out += [f"  {url}" for url in [*self.api_calls, *self.export_calls]]
        out.append(
            f"listing pages: {self.listing_pages} ({', '.join(self.listings)} and the pages they linked to "
            "last time)"
        )
        by_class = ", ".join(f"{c} {self.contract_pages.get(c, 0)}" for c in QUEUE_CLASSES)
        out.append(
            f"contract pages: {self.contract_requests} requests for {pages} of {self.contracts_known} known "
            f"contracts ({by_class}); {self.requests_per_contract:.2f} requests a contract "
            f"({', '.join(ALL_PAGES)}: PrintProject each, BasicData once per procedure, Participants "
            "where PrintProject lists participants)"
        )
        out.append(f"requests tonight: {self.requests} of a budget of {self.budget}")
        waiting = sum(self.backlog.get(k, 0) for k in ("new", "backfill", "undiscovered"))
        age = (
            f"{self.oldest_days:.0f} days now"
            if self.oldest_days is not None
            else "none fetched yet"
        )
        out.append(
            f"backfill: {waiting} contracts never fetched ({self.backlog.get('undiscovered', 0)} of them not listed "
            f"yet), done in {self.backfill_nights()} nights at this pace; "
            f"page detail age: oldest {age}, at most {MAX_AGE_DAYS} days once the backfill is done "
            f"(fetched longer than {ROTATION_DUE_DAYS} days ago goes before the backfill)"
        )
        return out


def night_plan(
    config: CrawlConfig,
    bulk: BulkConfig,
    archive: RawArchive,
    state_path: Path,
    clock: Callable[[], datetime] | None = None,
) -> NightPlan:
    """What the next crawl will fetch, from the raw archive and the crawl state; nothing is requested.
    `clock`: when "tonight" is (a simulated state's next night); the real time by default."""
    clock = clock or (lambda: datetime.now(UTC))
    api = plan_night(archive, config.base_url, bulk.max_programme_calls)
    api_calls = [api.criteria, *(url for _, url, _ in api.programmes)]
    export_calls = [export_url(config.base_url)] if bulk.fetch_export else []
    listings = page_listings(config)
    # Listing pages: the configured ones and those they linked to last time (from the archive).
    archived_listings = {
        r.url
        for r in archive.records()
        if FOLLOW_PATH.search(urlparse(r.url).path) and not is_bulk_url(r.url)
    }
    listing_pages = min(max(len(listings), len(archived_listings)), config.max_listing_pages)
    if state_path.exists():
        state = CrawlState(state_path, clock=clock)
        try:
            if state.discovery_complete():  # every listing page read once: the nightly re-walk cap
                listing_pages = min(listing_pages, config.max_rewalk_pages)
        finally:
            state.close()
    robots = 1 + bool(
        api_calls or export_calls
    )  # every request counts, robots.txt too (one per client)
    remaining = max(
        config.requests_per_night - robots - len(api_calls) - len(export_calls) - listing_pages, 0
    )
    counts: dict[str, int] = {}
    backlog: dict[str, int] = {}
    known, per_contract, oldest_days = 0, config.requests_per_contract, None
    if state_path.exists():
        state = CrawlState(state_path, clock=clock)
        try:
            known = state.counts().get("contracts", 0)
            per_contract = state.requests_per_contract(config.requests_per_contract)
            for _cid, reason in state.queue_order(int(remaining / per_contract)):
                counts[reason] = counts.get(reason, 0) + 1
            backlog = state.class_counts()
            # Contracts the searches' totals state but discovery has not listed yet.
            backlog["undiscovered"] = max(state.stated_total() - known, 0)
            oldest = state.oldest_fetch()
            if oldest is not None:
                oldest_days = (clock() - oldest).total_seconds() / 86400
        finally:
            state.close()
    return NightPlan(
        api_calls,
        api.programmes_known,
        export_calls,
        listings,
        listing_pages,
        counts,
        known,
        config.requests_per_night,
        bulk.api_interval_seconds,
        robots,
        per_contract,
        backlog,
        oldest_days,
    )
