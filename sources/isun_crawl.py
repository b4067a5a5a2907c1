"""One crawl of ИСУН: listings -> plan -> contract pages, within a request budget, resumable.

1. Resume: an earlier run that stopped (killed, or blocked by the WAF) with items left in
   its queue is finished first; no new plan is made until it is.
2. Listings: Project/Search result pages (`showRes=True`, with their encrypted pager) and
   company pages give contract ids (encrypted tokens), row fingerprints and the link each
   was listed under; links to further listings on allowed hosts are followed, links to other
   hosts never are. The register export and the open-data API carry no page ids.
3. Plan: new contracts, then changed ones (listing row differs from when last fetched),
   then a rotating slice of the rest, oldest first, up to the night's request budget.
4. Fetch: `CONTRACT_PAGES` per contract, conditionally, on the path and `isHistoric` of the
   link it was listed under. PrintProject holds every section but the procedure and the
   participants' ЕИК and legal/natural status, which only BasicData and Participants print:
   3 requests per contract.
A WAF page stops the run for that host at once; what is left stays queued for next time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlparse

from sources.crawl_state import CrawlState
from sources.http_client import (
    BudgetExhaustedError,
    CrawlPolicy,
    FetchError,
    ForeignHostError,
    HostBlockedError,
    PoliteClient,
)
from sources.isun import contract_tab_url
from sources.isun_discovery import FOLLOW_PATH, Listing, listing_from_html
from sources.raw_archive import RawArchive, RawResponse

log = logging.getLogger(__name__)

ISUN_BASE_URL = "https://2020.eufunds.bg"
DEFAULT_LISTINGS = ("/bg/0/0/Project/Search?showRes=True",)
# Pages fetched per contract, in this order (see the module docstring for why these three).
CONTRACT_PAGES = ("PrintProject", "BasicData", "Participants")
# The public module's routes are /{lang}/{op}/{pr}/{controller}/{action}; /bg/0/0/ is only the default.
ISUN_PATH = re.compile(r"^/(?:bg|en)/\d+/\d+/", re.I)
# Bulk sources of the public module (no page ids; read as data by their own modules).
BULK_PATH = re.compile(r"/Project/ExportToExcel|/api/v1\.0/opendata", re.I)


def is_isun_url(url: str) -> bool:
    """Whether `url` is an ИСУН page (by its path, so a mirror's pages count too): the public
    module's pages, and every listing the crawler follows (`sources.isun_discovery.FOLLOW_PATH`,
    the open-data API among them)."""
    path = urlparse(url).path
    return bool(ISUN_PATH.match(path) or FOLLOW_PATH.search(path) or BULK_PATH.search(path))


def contract_page_urls(base_url: str, contract_id: str, listed_url: str | None = None) -> list[str]:
    """The URLs of `CONTRACT_PAGES` for a contract: on the path and isHistoric of the link it was
    listed under, else on the default `/bg/0/0/` path with isHistoric=False; the id URL-encoded."""
    page = listed_url or urljoin(base_url.rstrip("/") + "/", "bg/0/0/Project/BasicData")
    return [contract_tab_url(page, tab, contract_id) for tab in CONTRACT_PAGES]


@dataclass
class CrawlConfig:
    base_url: str = ISUN_BASE_URL
    listings: tuple[str, ...] = DEFAULT_LISTINGS
    requests_per_night: int = 2000
    # Project/Search lists 25 contracts a page: the whole register (~80 700) is ~3 230 pages, so
    # discovery alone would take more than a night's budget; a night reads at most this many.
    max_listing_pages: int = 200
    interval_seconds: float | None = None  # None: the policy's per-host default (4 s for ИСУН)
    contact: str = "opendata@bgfunds.example"
    extra_hosts: tuple[str, ...] = ()
    read_timeout_seconds: float = 30.0
    backoff_base_seconds: float = 2.0
    # contract id -> a fingerprint of its bulk row (`sources.isun_bulk_crawl`): folded into the
    # listing fingerprint, so a change seen in the bulk row queues the contract as changed.
    row_fingerprints: dict[str, str] = field(default_factory=dict)

    # Programme ids (the `{op}` URL segment, as the open-data criteria list them): one search per
    # programme (`prog=<id>`), so no single listing has to page through the whole register.
    programme_ids: tuple[str, ...] = ()

    def listing_paths(self) -> tuple[str, ...]:
        if not self.programme_ids:
            return self.listings
        return tuple(
            f"/bg/0/0/Project/Search?prog={quote(str(p), safe='')}&showRes=True"
            for p in self.programme_ids
        )

    def policy(self) -> CrawlPolicy:
        host = urlparse(self.base_url).hostname or ""
        policy = CrawlPolicy(
            allowed_hosts=frozenset({host, *self.extra_hosts}),
            contact=self.contact,
            read_timeout=self.read_timeout_seconds,
            backoff_base_seconds=self.backoff_base_seconds,
            request_budget=self.requests_per_night,
        )  # every request: listings, robots, retries
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
            f"retries {h.get('retries', 0)}, blocks {h.get('blocks', 0)}, foreign links skipped "
            f"{self.foreign_links_skipped}",
            *([f"STOPPED: {self.stopped}"] if self.stopped else []),
        ]


def _parse_listing(url: str, body: bytes, content_type: str) -> Listing:
    if (
        body.startswith(b"PK\x03\x04")
        or "json" in (content_type or "")
        or BULK_PATH.search(urlparse(url).path)
    ):
        return Listing()  # bulk data: no page ids in it
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
    try:
        if run_id is None:
            summary.run_id = run_id = state.start_run()
            _list_and_plan(config, client, summary, state, run_id)
        else:
            state.set_run_status(run_id, "running", "resumed")
            log.info("resuming crawl run %d", run_id)
        pending = state.pending(run_id)
        summary.planned = len(pending)
        for i, (position, contract_id, _reason) in enumerate(pending):
            outcome, last = _fetch_contract(config, client, state, summary, contract_id)
            state.mark_done(
                run_id,
                position,
                contract_id,
                outcome[:500],
                sha256=last.sha256 if last else None,
                status=last.status if last else None,
            )
            if progress:
                progress(i + 1, len(pending))
        state.set_run_status(run_id, "done")
    except BudgetExhaustedError as exc:  # retries and redirects spent it: the rest stays queued
        summary.stopped = str(exc)
        log.warning(
            "crawl run %d stopped: %s; the rest of its queue is kept for the next run", run_id, exc
        )
        state.set_run_status(run_id, "blocked", str(exc)[:500])
    except HostBlockedError as exc:
        summary.stopped = str(exc)
        log.error("crawl run %d stopped: %s", run_id, exc)
        state.set_run_status(run_id, "blocked", str(exc)[:500])
    finally:
        summary.http = client.stats.as_dict()
        summary.foreign_links_skipped = client.stats.refused_foreign
    return summary


def _list_and_plan(
    config: CrawlConfig, client: PoliteClient, summary: CrawlSummary, state: CrawlState, run_id
) -> None:
    """A new run: read the listings, record what they list, and queue as many contracts as
    the night's request budget has pages for."""
    listed, links = _crawl_listings(config, client, summary, state)
    listed = {
        cid: f"{fp}+{config.row_fingerprints[cid]}" if cid in config.row_fingerprints else fp
        for cid, fp in listed.items()
    }
    state.record_listing(listed, links)
    summary.contracts_listed = len(listed)
    left = client.budget_left
    requests_left = left if left is not None else config.requests_per_night - summary.listing_pages
    state.plan(run_id, requests_left // len(CONTRACT_PAGES))


def _fetch_contract(
    config: CrawlConfig,
    client: PoliteClient,
    state: CrawlState,
    summary: CrawlSummary,
    contract_id: str,
) -> tuple[str, RawResponse | None]:
    """Every page of one contract; (outcome, the last record archived)."""
    outcomes, last = [], None
    for url in contract_page_urls(config.base_url, contract_id, state.page_url(contract_id)):
        try:
            result = client.fetch(url)
        except (FetchError, ForeignHostError) as exc:
            summary.failed += 1
            outcomes.append(f"error: {exc}")
            log.warning("%s", exc)
            continue
        summary.records.append(result.record)
        last = result.record
        if result.not_modified:
            summary.not_modified += 1
            outcomes.append("not_modified")
        else:
            summary.fetched += 1
            outcomes.append("fetched")
    outcome = "fetched" if "fetched" in outcomes else (outcomes[0] if outcomes else "error")
    return outcome, last


def _crawl_listings(
    config: CrawlConfig,
    client: PoliteClient,
    summary: CrawlSummary,
    state: CrawlState | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Fetch listings breadth-first; HostBlockedError propagates and stops the run.

    The configured listings come first, then the listing pages found on earlier nights that were
    never fetched or are the longest unfetched (`state`'s frontier), then the links found tonight.
    With at most `max_listing_pages` a night, discovery of the whole register (~3 230 search
    pages) goes on over several nights instead of starting over each night.

    Any other failure of a listing (HTTP error, redirect off the allow-list, robots.txt,
    unparseable body, the budget spent) only means that listing adds nothing new.
    """
    contracts: dict[str, str] = {}
    links: dict[str, str] = {}
    queue = [
        urljoin(config.base_url.rstrip("/") + "/", p.lstrip("/")) for p in config.listing_paths()
    ]
    if state is not None:
        queue += [u for u in state.listing_frontier(config.max_listing_pages) if u not in queue]
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
        try:
            result = client.fetch(url, expect="html")
        except (FetchError, ForeignHostError) as exc:
            log.warning("listing %s failed: %s", url, exc)
            continue
        except BudgetExhaustedError as exc:
            log.warning("listings stopped at %s: %s", url, exc)
            break
        summary.listing_pages += 1
        if state is not None:
            state.mark_listing_fetched(url)
        try:
            listing = _parse_listing(url, result.body, result.record.content_type)
        except Exception as exc:  # noqa: BLE001 - a listing we cannot read adds nothing; the night goes on
            log.warning(
                "listing %s unreadable, nothing taken from it: %s: %s", url, type(exc).__name__, exc
            )
            continue
        for cid, fingerprint in listing.contracts.items():
            contracts.setdefault(cid, fingerprint)
            links.setdefault(cid, listing.contract_links[cid])
        found = [link for link in listing.links if link not in seen]
        if state is not None:
            state.add_listing_pages([link for link in found if _same_host(link, config.base_url)])
        queue.extend(found)
    return contracts, links


def _same_host(url: str, base_url: str) -> bool:
    return urlparse(url).hostname == urlparse(base_url).hostname
