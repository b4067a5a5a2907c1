"""One crawl of ИСУН: listings -> plan -> contract pages, within a request budget, resumable.

1. Resume: an earlier run that stopped (killed, or blocked by the WAF) with items left in
   its queue is finished first; no new plan is made until it is.
2. Listings: the register export, the open-data API and search/organisation pages give
   contract ids and row fingerprints; links to further listings on allowed hosts are
   followed, links to other hosts never are.
3. Plan: new contracts, then changed ones (listing row differs from when last fetched),
   then a rotating slice of the rest, oldest first, up to the night's request budget.
4. Fetch: one PrintProject page per contract (it holds all six tabs), conditionally.
A WAF page stops the run for that host at once; what is left stays queued for next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

from sources.crawl_state import CrawlState
from sources.http_client import (
    BudgetExhaustedError,
    CrawlPolicy,
    FetchError,
    ForeignHostError,
    HostBlockedError,
    PoliteClient,
)
from sources.isun_discovery import (
    FOLLOW_PATH,
    Listing,
    listing_from_html,
    listing_from_json,
    listing_from_xlsx,
)
from sources.raw_archive import RawArchive, RawResponse

log = logging.getLogger(__name__)

ISUN_BASE_URL = "https://2020.eufunds.bg"
DEFAULT_LISTINGS = (
    "/bg/0/0/Project/ExportToExcel",
    "/api/v1.0/opendata",
    "/bg/0/0/Project/Search",
)
CONTRACT_PAGE = "/bg/0/0/Project/PrintProject?contractId={contract_id}&isHistoric=False"
# Paths of everything the crawler fetches from ИСУН (listings, exports, contract tabs,
# organisation pages: the public module lives under /bg/0/0/ and /en/0/0/), on ИСУН itself
# or on a mirror of it.
ISUN_PATH_PREFIXES = ("/bg/0/0/", "/en/0/0/")


def is_isun_url(url: str) -> bool:
    """Whether `url` is an ИСУН page (by its path, so a mirror's pages count too): the public
    module's pages, and every listing the crawler follows (`sources.isun_discovery.FOLLOW_PATH`,
    the open-data API among them)."""
    path = urlparse(url).path
    return path.startswith(ISUN_PATH_PREFIXES) or bool(FOLLOW_PATH.search(path))


def contract_page_url(base_url: str, contract_id: str) -> str:
    return urljoin(base_url.rstrip("/") + "/", CONTRACT_PAGE.format(contract_id=contract_id).lstrip("/"))


@dataclass
class CrawlConfig:
    base_url: str = ISUN_BASE_URL
    listings: tuple[str, ...] = DEFAULT_LISTINGS
    requests_per_night: int = 2000
    max_listing_pages: int = 200
    interval_seconds: float | None = None  # None: the policy's per-host default (4 s for ИСУН)
    contact: str = "opendata@bgfunds.example"
    extra_hosts: tuple[str, ...] = ()
    read_timeout_seconds: float = 30.0
    backoff_base_seconds: float = 2.0

    def policy(self) -> CrawlPolicy:
        host = urlparse(self.base_url).hostname or ""
        policy = CrawlPolicy(allowed_hosts=frozenset({host, *self.extra_hosts}), contact=self.contact,
                             read_timeout=self.read_timeout_seconds, backoff_base_seconds=self.backoff_base_seconds,
                             request_budget=self.requests_per_night)  # every request: listings, robots, retries
        if self.interval_seconds is not None:
            policy.min_interval_seconds = {h: self.interval_seconds for h in policy.allowed_hosts}
            policy.default_interval_seconds = self.interval_seconds
        return policy


@dataclass
class CrawlSummary:
    run_id: int
    resumed: bool = False
    listing_pages: int = 0
    contracts_listed: int = 0
    planned: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    foreign_links_skipped: int = 0
    stopped: str | None = None
    records: list[RawResponse] = field(default_factory=list)
    http: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        h = self.http
        return [
            f"run {self.run_id}{' (resumed)' if self.resumed else ''}: "
            f"{self.listing_pages} listing pages, {self.contracts_listed} contracts listed, {self.planned} queued",
            f"contract pages: {self.fetched} fetched, {self.not_modified} unchanged (304), {self.failed} failed",
            f"requests {h.get('requests', 0)}, bytes {h.get('bytes', 0)}, 304s {h.get('not_modified', 0)}, "
            f"retries {h.get('retries', 0)}, blocks {h.get('blocks', 0)}, foreign links skipped {self.foreign_links_skipped}",
            *([f"STOPPED: {self.stopped}"] if self.stopped else []),
        ]


def _parse_listing(url: str, body: bytes, content_type: str) -> Listing:
    path = urlparse(url).path.lower()
    if body.startswith(b"PK\x03\x04"):
        return listing_from_xlsx(body)
    if "json" in content_type or path.startswith("/api/"):
        return listing_from_json(body)
    return listing_from_html(body, url, content_type)


def run_crawl(
    config: CrawlConfig,
    archive: RawArchive,
    state: CrawlState,
    client: PoliteClient | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CrawlSummary:
    client = client or PoliteClient(config.policy(), archive)
    run_id = state.unfinished_run()
    summary = CrawlSummary(run_id=run_id or 0, resumed=run_id is not None)
    budget = config.requests_per_night
    try:
        if run_id is None:
            summary.run_id = run_id = state.start_run()
            listed = _crawl_listings(config, client, summary)
            state.record_listing(listed)
            summary.contracts_listed = len(listed)
            left = client.budget_left
            state.plan(run_id, left if left is not None else budget - summary.listing_pages)
        else:
            state.set_run_status(run_id, "running", "resumed")
            log.info("resuming crawl run %d", run_id)
        pending = state.pending(run_id)
        summary.planned = len(pending)
        for i, (position, contract_id, _reason) in enumerate(pending):
            url = contract_page_url(config.base_url, contract_id)
            try:
                result = client.fetch(url)
            except (FetchError, ForeignHostError) as exc:
                summary.failed += 1
                state.mark_done(run_id, position, contract_id, f"error: {exc}"[:500])
                log.warning("%s", exc)
                continue
            summary.records.append(result.record)
            if result.not_modified:
                summary.not_modified += 1
            else:
                summary.fetched += 1
            state.mark_done(run_id, position, contract_id,
                            "not_modified" if result.not_modified else "fetched",
                            sha256=result.record.sha256, status=result.record.status)
            if progress:
                progress(i + 1, len(pending))
        state.set_run_status(run_id, "done")
    except BudgetExhaustedError as exc:  # retries and redirects spent it: the rest stays queued
        summary.stopped = str(exc)
        log.warning("crawl run %d stopped: %s; the rest of its queue is kept for the next run", run_id, exc)
        state.set_run_status(run_id, "blocked", str(exc)[:500])
    except HostBlockedError as exc:
        summary.stopped = str(exc)
        log.error("crawl run %d stopped: %s", run_id, exc)
        state.set_run_status(run_id, "blocked", str(exc)[:500])
    finally:
        summary.http = client.stats.as_dict()
        summary.foreign_links_skipped = client.stats.refused_foreign
    return summary


def _crawl_listings(config: CrawlConfig, client: PoliteClient, summary: CrawlSummary) -> dict[str, str]:
    """Fetch listings breadth-first; HostBlockedError propagates and stops the run.

    Any other failure of a listing (HTTP error, redirect off the allow-list, robots.txt,
    unparseable body, the budget spent) only means that listing adds nothing new.
    """
    contracts: dict[str, str] = {}
    queue = [urljoin(config.base_url.rstrip("/") + "/", p.lstrip("/")) for p in config.listings]
    seen: set[str] = set()
    while queue and summary.listing_pages < config.max_listing_pages:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            client.check_allowed(url)
        except ForeignHostError:
            continue  # counted in the client's stats; never requested
        expect = "xlsx" if "exporttoexcel" in url.lower() else "html"
        try:
            result = client.fetch(url, expect=expect)
        except (FetchError, ForeignHostError) as exc:
            log.warning("listing %s failed: %s", url, exc)
            continue
        except BudgetExhaustedError as exc:
            log.warning("listings stopped at %s: %s", url, exc)
            break
        summary.listing_pages += 1
        try:
            listing = _parse_listing(url, result.body, result.record.content_type)
        except Exception as exc:  # noqa: BLE001 - a listing we cannot read adds nothing; the night goes on
            log.warning("listing %s unreadable, nothing taken from it: %s: %s", url, type(exc).__name__, exc)
            continue
        for cid, fingerprint in listing.contracts.items():
            contracts.setdefault(cid, fingerprint)
        queue.extend(link for link in listing.links if link not in seen)
    return contracts
