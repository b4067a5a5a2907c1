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
from sources.bulk_json import AnswerError, check_answer
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
            *([f"open-data API: {self.api.list_failed}"] if self.api.list_failed else []),
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
            result = client.fetch(export_url(config.base_url), expect="xlsx", spool=True)
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
        try:  # an answer that is not whole and of the API's shape steers nothing
            check_answer(archive.path_for(record.sha256), record.url)
        except AnswerError as exc:
            log.warning("bulk rows: %s; not used to steer the page crawl", exc)
            continue
        for project in stream_items(archive.path_for(record.sha256), "projects"):
            proposal = str(project.get("id") or "") if isinstance(project, dict) else ""
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
    procedures_export: int = 0  # the project-proposals export (procedure names): 1 request, or 0
    # The backfill's arithmetic (`backfill_nights`): discovery's listing pages not read yet (from the
    # searches' stated totals, 25 rows a page), a night's listing caps during and after discovery,
    # and the contracts a night's changes and new contracts take before the backfill.
    discovery_pages_left: int = 0
    max_listing_pages: int = 200
    max_rewalk_pages: int = 50
    changed_per_night: int = 0
    new_per_night: int = 0
    max_changed_during_backfill: int | None = None
    nights_run: int = 0  # crawl runs so far

    @property
    def bulk_requests(self) -> int:
        return len(self.api_calls) + len(self.export_calls)

    def _contracts_a_night(self, listing_pages: int) -> int:
        fixed = self.robots_requests + self.bulk_requests + self.procedures_export + listing_pages
        return int(max(self.budget - fixed, 0) / max(self.requests_per_contract, 1.0))

    def backfill_schedule(self, limit: int = 1000) -> list[tuple[int, int, int]]:
        """Night by night from tonight, until every contract is fetched once: (listing pages, contracts
        fetched for the backfill, contracts still without page detail). A night reads
        `max_listing_pages` listing pages while discovery has pages left (each lists 25 contracts),
        then `max_rewalk_pages`; of what its budget leaves for contracts (bulk sources, robots.txt and
        the procedures export first, at `requests_per_contract`), the changes (at most
        `max_changed_during_backfill`) and the new contracts go first, the backfill takes the rest."""
        known = self.backlog.get("new", 0) + self.backlog.get("backfill", 0)
        hidden = self.backlog.get("undiscovered", 0)
        pages_left = self.discovery_pages_left
        changes = self.changed_per_night
        if self.max_changed_during_backfill is not None:
            changes = min(changes, self.max_changed_during_backfill)
        out: list[tuple[int, int, int]] = []
        while (known > 0 or hidden > 0) and len(out) < limit:
            if pages_left > 0:
                listing = min(self.max_listing_pages, pages_left)
                pages_left -= listing
                found = min(hidden, 25 * listing) if pages_left else hidden
            else:  # discovery done: the night's re-walk cap (`_crawl_listings`)
                listing, found = min(self.max_listing_pages, self.max_rewalk_pages), hidden
            hidden -= found
            known += found + (self.new_per_night if out else 0)
            taken = max(self._contracts_a_night(listing) - changes, 0)
            if out:  # tonight's new contracts are in `known` already
                taken = max(taken - self.new_per_night, 0) + self.new_per_night
            fetched = min(taken, known)
            known -= fetched
            out.append((listing, fetched, known + hidden))
            if not fetched and not found and len(out) > 1:
                break  # no budget for the backfill: it never ends at this pace
        return out

    def backfill_nights(self) -> int:
        """Nights from tonight until every contract known or stated by the searches' totals has been
        fetched once (`backfill_schedule`); 0 when none is waiting."""
        return len(self.backfill_schedule())

    @property
    def contracts_tonight(self) -> int:
        return sum(self.contract_pages.values())

    @property
    def contract_requests(self) -> int:
        return round(self.requests_per_contract * self.contracts_tonight)

    @property
    def requests(self) -> int:
        return (
            self.robots_requests
            + self.bulk_requests
            + self.procedures_export
            + self.listing_pages
            + self.contract_requests
        )

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
            f"({', '.join(ALL_PAGES)}: PrintProject each, BasicData once per procedure the "
            "project-proposals export does not name, Participants where PrintProject lists participants)"
            + (", and the project-proposals export: 1 request" if self.procedures_export else "")
        )
        out.append(f"requests tonight: {self.requests} of a budget of {self.budget}")
        waiting = sum(self.backlog.get(k, 0) for k in ("new", "backfill", "undiscovered"))
        age = (
            f"{self.oldest_days:.0f} days now"
            if self.oldest_days is not None
            else "none fetched yet"
        )
        nights = self.backfill_nights()
        out.append(
            f"backfill: {waiting} contracts never fetched ({self.backlog.get('undiscovered', 0)} of them not listed "
            f"yet), done in {nights} nights at this pace"
            + (
                f" (night {self.nights_run + nights} of the crawl)"
                if nights and self.nights_run
                else ""
            )
            + f"; page detail age: oldest {age}, at most {MAX_AGE_DAYS} days once the backfill is done "
            f"(fetched longer than {ROTATION_DUE_DAYS} days ago goes before the backfill)"
        )
        if waiting:
            cap = self.max_changed_during_backfill
            out.append(
                f"  a night: {self.robots_requests + self.bulk_requests + self.procedures_export} requests for "
                f"robots.txt, bulk sources and the procedures export; {self.discovery_pages_left} listing "
                f"pages of discovery left, {self.max_listing_pages} a night, then "
                f"{min(self.max_listing_pages, self.max_rewalk_pages)} "
                f"(search totals and re-walks); contracts at {self.requests_per_contract:.2f} requests each: "
                f"changed first ({self.changed_per_night} waiting"
                + (
                    f", at most {cap} a night until the backfill is done, the rest after it"
                    if cap
                    else ""
                )
                + f"), new {self.new_per_night} (a night, the last week's), the backfill the rest"
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
            # Every listing page read once (or fewer left than the re-walk cap): the nightly re-walk cap.
            if state.discovery_complete() or (
                state.stated_total() > 0 and state.discovery_pages_left() <= config.max_rewalk_pages
            ):
                listing_pages = min(listing_pages, config.max_rewalk_pages)
        finally:
            state.close()
    robots = 1 + bool(
        api_calls or export_calls
    )  # every request counts, robots.txt too (one per client)
    remaining = max(
        config.requests_per_night - robots - len(api_calls) - len(export_calls) - listing_pages, 0
    )
    procedures_export = int(config.fetch_procedures_export)
    remaining = max(remaining - procedures_export, 0)
    counts: dict[str, int] = {}
    backlog: dict[str, int] = {}
    known, per_contract, oldest_days = 0, config.requests_per_contract, None
    pages_left, runs, new_a_night = 0, 0, 0
    if state_path.exists():
        state = CrawlState(state_path, clock=clock)
        try:
            known = state.counts().get("contracts", 0)
            per_contract = state.requests_per_contract(config.requests_per_contract)
            for _cid, reason in state.queue_order(
                int(remaining / per_contract),
                max_changed_during_backfill=config.max_changed_during_backfill,
            ):
                counts[reason] = counts.get(reason, 0) + 1
            backlog = state.class_counts()
            # Contracts the searches' totals state but discovery has not listed yet.
            backlog["undiscovered"] = max(state.stated_total() - known, 0)
            pages_left = state.discovery_pages_left()
            runs = state.runs_done()
            new_a_night = max(round(state.new_per_night()), backlog.get("new", 0))
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
        procedures_export,
        pages_left,
        config.max_listing_pages,
        config.max_rewalk_pages,
        backlog.get("changed", 0),
        new_a_night,
        config.max_changed_during_backfill,
        runs,
    )
