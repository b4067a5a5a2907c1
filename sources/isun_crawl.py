"""One crawl of ИСУН: listings -> plan -> contract pages, within a request budget, resumable.

1. Resume: an earlier run that stopped (killed, or blocked by the WAF) with items left in
   its queue is finished first; no new plan is made until it is.
2. Listings: Project/Search result pages (`showRes=True`, with their encrypted pager) and
   company pages give contract ids (encrypted tokens), row fingerprints and the link each
   was listed under; links to further listings on allowed hosts are followed, links to other
   hosts never are. The register export and the open-data API carry no page ids.
3. Plan: new contracts, then changed ones (listing row differs from when last fetched),
   then a rotating slice of the rest, oldest first, up to the night's request budget.
4. Fetch, conditionally, on the /bg/ path and `isHistoric` of the link it was listed under:
   PrintProject for every contract (every section but the procedure's name and the participants'
   ЕИК and legal/natural status); the project-proposals export once a night (`sources.isun_procedures`:
   every procedure's name in one request); BasicData once per procedure the export does not name (its
   name, shared by every contract of the procedure; again when older than `procedure_max_age_days`);
   Participants, which only adds who the listed participants are (ЕИК, legal or natural), once per
   contract whose PrintProject lists participants, and again only when that list of names changes:
   its own queue class (`identity`, after the backfill), one request each. So one request per
   contract a night (`contract_pages_for`); the crawl never requests an /en/ page.
A WAF page stops the run for that host at once; what is left stays queued for next time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlparse

from sources.charset import decode_body
from sources.crawl_state import CrawlState
from sources.http_client import (
    BudgetExhaustedError,
    CrawlPolicy,
    FetchError,
    ForeignHostError,
    HostBlockedError,
    PoliteClient,
)
from sources.isun import PARTICIPANT_ROLES, contract_tab_url, parse_isun_html
from sources.isun_discovery import (
    FOLLOW_PATH,
    Listing,
    bulgarian_url,
    is_english_url,
    listing_from_html,
    search_route,
)
from sources.isun_procedures import (
    ProceduresExportError,
    parse_procedures_export,
    procedures_export_url,
)
from sources.raw_archive import RawArchive, RawResponse
from transforms.codes import CodeError, parse_code

log = logging.getLogger(__name__)

ISUN_BASE_URL = "https://2020.eufunds.bg"
DEFAULT_LISTINGS = ("/bg/0/0/Project/Search?showRes=True",)
# The page fetched for every contract; BasicData once per procedure; Participants where needed.
CONTRACT_PAGES = ("PrintProject",)
PROCEDURE_PAGE = "BasicData"
PARTICIPANTS_PAGE = "Participants"
ALL_PAGES = (*CONTRACT_PAGES, PROCEDURE_PAGE, PARTICIPANTS_PAGE)  # what the 3-request plan fetched
# Roles whose listing in PrintProject needs the Participants tab: it alone prints their ЕИК and tells
# natural persons from legal entities (PrintProject prints names only). Every role, so the published
# tables are those of the three-page plan (tests/test_crawl_plan.py).
PARTICIPANT_ROLES_NEEDING_TAB = tuple(role for role, _singular in PARTICIPANT_ROLES.values())
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


def contract_page_urls(
    base_url: str, contract_id: str, listed_url: str | None = None, tabs=CONTRACT_PAGES
) -> list[str]:
    """The URLs of `tabs` for a contract: on the path and isHistoric of the link it was listed under
    (under /bg/, even if it was listed under /en/), else on the default `/bg/0/0/` path with
    isHistoric=False; the id URL-encoded."""
    page = bulgarian_url(listed_url) if listed_url else None
    page = page or urljoin(base_url.rstrip("/") + "/", "bg/0/0/Project/BasicData")
    return [contract_tab_url(page, tab, contract_id) for tab in tabs]


@dataclass
class PrintFacts:
    """What a PrintProject page tells the crawler about the other pages its contract needs."""

    procedure_code: str | None
    roles_listed: frozenset[str]
    participants_key: str | None = None  # the listed participants' roles and names, fingerprinted


def print_facts(body: bytes, url: str, content_type: str | None = None) -> PrintFacts:
    """The contract's procedure (from "Номер от ИСУН") and the participant roles PrintProject lists;
    an unreadable page tells nothing (it is quarantined when the tables are built)."""
    try:
        page = parse_isun_html(decode_body(body, content_type), url)
    except Exception:  # noqa: BLE001 - a page we cannot read asks for no further pages
        return PrintFacts(None, frozenset())
    try:
        procedure = parse_code(page.fields.get("contract_code") or "").procedure_code
    except CodeError:
        procedure = None
    needing = [
        (p["role"], p["name"])
        for p in page.participants or []
        if p["role"] in PARTICIPANT_ROLES_NEEDING_TAB
    ]
    roles = frozenset(p["role"] for p in page.participants or [])
    return PrintFacts(procedure, roles, participants_key(needing))


def participants_key(listed: list[tuple[str, str]]) -> str | None:
    """A fingerprint of the participants (role, name) PrintProject lists; None when it lists none."""
    if not listed:
        return None
    import hashlib

    return hashlib.sha256(repr(sorted(listed)).encode()).hexdigest()[:16]


def contract_pages_for(facts: PrintFacts, procedure_known: bool) -> list[str]:
    """The page a contract needs tonight after its PrintProject: BasicData if its procedure has no
    fresh BasicData yet (Participants comes in its own queue class, `identity`)."""
    return [PROCEDURE_PAGE] if facts.procedure_code and not procedure_known else []


@dataclass
class CrawlConfig:
    base_url: str = ISUN_BASE_URL
    listings: tuple[str, ...] = DEFAULT_LISTINGS
    requests_per_night: int = 2000
    # Project/Search lists 25 contracts a page: the whole register (~80 700) is ~3 230 pages, so
    # discovery alone would take more than a night's budget; a night reads at most this many.
    max_listing_pages: int = 200
    # Once every listing page has been read (discovery done), a night reads at most this many: the
    # searches' first pages (their totals) and the pages of searches found short, so the budget goes
    # to contract pages.
    max_rewalk_pages: int = 50
    interval_seconds: float | None = None  # None: the policy's per-host default (4 s for ИСУН)
    contact: str = "opendata@bgfunds.example"
    extra_hosts: tuple[str, ...] = ()
    read_timeout_seconds: float = 30.0
    backoff_base_seconds: float = 2.0
    # contract id -> a fingerprint of its bulk row (`sources.isun_bulk_crawl`): folded into the
    # listing fingerprint, so a change seen in the bulk row queues the contract as changed.
    row_fingerprints: dict[str, str] = field(default_factory=dict)

    # Programme ids (the `{op}` URL segment, as the open-data criteria list them): one search per
    # programme on the per-programme route `/bg/{op}/0/Project/Search?showRes=True` (the `prog=`
    # filter value is encrypted on the site), so no single listing pages through the whole register.
    programme_ids: tuple[str, ...] = ()
    # A procedure's BasicData (its name) is fetched again when older than this.
    procedure_max_age_days: int = 90
    # Requests a contract costs on average (PrintProject + its share of BasicData and Participants),
    # for planning a night; the crawl state's own history replaces it once it has one.
    requests_per_contract: float = 1.0
    # The project-proposals export (`sources.isun_procedures`): one request a night names every
    # procedure, so BasicData is fetched only for a procedure it does not name.
    fetch_procedures_export: bool = True
    # Contracts queued as `changed` a night while the backfill lasts (the longest fetched first; the
    # rest wait after the backfill and lead the next nights' changes): changes cannot stall the
    # backfill (80 700 contracts in <= 45 nights at 2 000 requests); once it is done, every change goes.
    max_changed_during_backfill: int = 30

    def listing_paths(self) -> tuple[str, ...]:
        if not self.programme_ids:
            return self.listings
        return tuple(
            f"/bg/{quote(str(p), safe='')}/0/Project/Search?showRes=True"
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
    requests_by_page: dict[str, int] = field(default_factory=dict)  # PrintProject, BasicData, ...
    procedures_named: int | None = None  # procedures the export named tonight (None: not read)
    changed_by_bulk: int = 0  # contracts queued as changed because their bulk row changed
    searches_short: list[str] = field(default_factory=list)  # searches to walk again (their totals)

    def lines(self) -> list[str]:
        h = self.http
        return [
            f"run {self.run_id}{' (resumed)' if self.resumed else ''}: "
            f"{self.listing_pages} listing pages, {self.contracts_listed} contracts listed, {self.planned} queued",
            f"contract pages: {self.fetched} fetched, {self.not_modified} unchanged (304), {self.failed} failed"
            f" ({', '.join(f'{k} {v}' for k, v in sorted(self.requests_by_page.items())) or 'none'})",
            f"requests {h.get('requests', 0)}, bytes {h.get('bytes', 0)}, 304s {h.get('not_modified', 0)}, "
            f"retries {h.get('retries', 0)}, blocks {h.get('blocks', 0)}, foreign links skipped "
            f"{self.foreign_links_skipped}",
            *(
                [f"procedures named by the project-proposals export: {self.procedures_named}"]
                if self.procedures_named is not None
                else []
            ),
            *(
                [f"changed in the bulk rows: {self.changed_by_bulk}"]
                if self.changed_by_bulk
                else []
            ),
            *(f"search short of its total: {s}" for s in self.searches_short),
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
        links = state.page_urls([cid for _, cid, _ in pending])
        fresh = state.fresh_procedures(config.procedure_max_age_days)
        for i, (position, contract_id, reason) in enumerate(pending):
            listed = links.get(contract_id)
            if reason == "identity":
                outcome = _fetch_participants(config, client, state, summary, contract_id, listed)
                last = None
            else:
                outcome, last = _fetch_contract(
                    config, client, state, summary, contract_id, listed, fresh
                )
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
    except BudgetExhaustedError as exc:
        # The night's requests are spent (a contract can cost more than planned: BasicData, Participants,
        # retries): the rest goes back to the pool, and tomorrow's plan takes it first by its class.
        summary.stopped = str(exc)
        deferred = state.defer_rest(run_id, f"deferred: {exc}"[:500])
        log.warning("crawl run %d: %s; %d contracts left for the next plan", run_id, exc, deferred)
        state.set_run_status(run_id, "done", f"budget spent, {deferred} deferred")
    except HostBlockedError as exc:
        summary.stopped = str(exc)
        log.error("crawl run %d stopped: %s", run_id, exc)
        state.set_run_status(run_id, "blocked", str(exc)[:500])
    finally:
        state.flush()
        summary.http = client.stats.as_dict()
        summary.foreign_links_skipped = client.stats.refused_foreign
    return summary


def _list_and_plan(
    config: CrawlConfig, client: PoliteClient, summary: CrawlSummary, state: CrawlState, run_id
) -> None:
    """A new run: read the listings, record what they list, and queue as many contracts as
    the night's request budget has pages for."""
    discovered = state.discovery_complete()  # before tonight's walk adds pages
    listed, links, routes = _crawl_listings(config, client, summary, state)
    state.record_listing(listed, links, routes, new=discovered)
    # A bulk row that changed queues its contract tonight, whether or not a listing page showed it.
    summary.changed_by_bulk = state.apply_row_fingerprints(config.row_fingerprints)
    summary.contracts_listed = len(listed)
    _check_search_totals(state, summary)
    if config.fetch_procedures_export:
        _fetch_procedure_names(config, client, state, summary)
    left = client.budget_left
    requests_left = left if left is not None else config.requests_per_night - summary.listing_pages
    # One item per request left: a contract costs at least one, and what the budget does not reach is
    # deferred to tomorrow's plan in its class order (`crawl --plan` estimates with the average cost).
    state.plan(
        run_id, requests_left, max_changed_during_backfill=config.max_changed_during_backfill
    )


def _fetch_procedure_names(
    config: CrawlConfig, client: PoliteClient, state: CrawlState, summary: CrawlSummary
) -> None:
    """The project-proposals export (one request, conditional): every procedure it names counts as
    having a fresh name tonight, so its contracts need no BasicData. A failed or unreadable export
    names nothing (BasicData per procedure, as before); a WAF page stops the run (HostBlockedError)."""
    url = procedures_export_url(config.base_url)
    try:
        result = client.fetch(url, expect="html")
    except (FetchError, ForeignHostError) as exc:
        log.warning("procedures export %s failed: %s; BasicData names the procedures", url, exc)
        return
    except BudgetExhaustedError:
        return
    summary.records.append(result.record)
    summary.requests_by_page["ProjectProposals"] = 1
    try:
        names = parse_procedures_export(result.body, result.record.content_type)
    except ProceduresExportError as exc:
        log.warning("%s (%s); BasicData names the procedures", exc, url)
        return
    state.mark_procedures_named(sorted(names))
    summary.procedures_named = len(names)


def _check_search_totals(state: CrawlState, summary: CrawlSummary) -> None:
    """A search whose walk is done but found fewer contracts than its summary states lost rows that
    moved between its pages while it was read (rows are sorted by beneficiary name, and new contracts
    shift them): its pages are read again first (a contract is never counted twice: ids are keys)."""
    for route, total, found in state.search_shortfalls(search_route):
        pages = state.rewalk(route, search_route)
        summary.searches_short.append(
            f"{route}: {found} of {total} found, {pages} pages to read again"
        )
        log.warning(
            "search %s lists %d contracts, %d found: reading its %d pages again",
            route,
            total,
            found,
            pages,
        )


def _fetch_contract(
    config: CrawlConfig,
    client: PoliteClient,
    state: CrawlState,
    summary: CrawlSummary,
    contract_id: str,
    listed: str | None,
    fresh_procedures: set[str],
) -> tuple[str, RawResponse | None]:
    """The pages one contract needs: PrintProject, then what it asks for (`contract_pages_for`);
    (outcome, the PrintProject record archived). `fresh_procedures` (their BasicData is fresh) grows
    with each BasicData fetched."""
    outcomes, last = [], None
    facts = PrintFacts(None, frozenset())
    urls = contract_page_urls(config.base_url, contract_id, listed)
    while urls:
        url = urls.pop(0)
        try:
            result = client.fetch(url)
        except (FetchError, ForeignHostError) as exc:
            summary.failed += 1
            outcomes.append(f"error: {exc}")
            log.warning("%s", exc)
            continue
        summary.records.append(result.record)
        summary.requests_by_page[_tab(url)] = summary.requests_by_page.get(_tab(url), 0) + 1
        if result.not_modified:
            summary.not_modified += 1
            outcomes.append("not_modified")
        else:
            summary.fetched += 1
            outcomes.append("fetched")
        if _tab(url) != CONTRACT_PAGES[0]:
            if _tab(url) == PROCEDURE_PAGE and facts.procedure_code:
                state.mark_procedure_fetched(facts.procedure_code, contract_id)
                fresh_procedures.add(facts.procedure_code)
            continue
        last = result.record
        facts = print_facts(result.body, url, result.record.content_type)
        state.note_participants_listed(contract_id, facts.participants_key)
        known = facts.procedure_code in fresh_procedures
        urls += contract_page_urls(
            config.base_url, contract_id, listed, contract_pages_for(facts, known)
        )
    state.note_contract_requests(contract_id, len(outcomes))
    outcome = "fetched" if "fetched" in outcomes else (outcomes[0] if outcomes else "error")
    return outcome, last


def _fetch_participants(
    config: CrawlConfig,
    client: PoliteClient,
    state: CrawlState,
    summary: CrawlSummary,
    contract_id: str,
    listed: str | None,
) -> str:
    """An `identity` item: the Participants tab of a contract whose PrintProject lists participants
    not read there yet (their ЕИК and legal/natural status); one request."""
    (url,) = contract_page_urls(config.base_url, contract_id, listed, (PARTICIPANTS_PAGE,))
    try:
        result = client.fetch(url)
    except (FetchError, ForeignHostError) as exc:
        summary.failed += 1
        log.warning("%s", exc)
        return f"error: {exc}"
    summary.records.append(result.record)
    summary.requests_by_page[PARTICIPANTS_PAGE] = (
        summary.requests_by_page.get(PARTICIPANTS_PAGE, 0) + 1
    )
    if result.not_modified:
        summary.not_modified += 1
    else:
        summary.fetched += 1
    state.mark_participants_fetched(contract_id)
    return "not_modified" if result.not_modified else "fetched"


def _tab(url: str) -> str:
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def _crawl_listings(
    config: CrawlConfig,
    client: PoliteClient,
    summary: CrawlSummary,
    state: CrawlState | None = None,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Fetch listings breadth-first: contract -> fingerprint, link, search route. HostBlockedError
    propagates and stops the run.

    The configured listings come first, then the listing pages found on earlier nights that were
    never fetched or are the longest unfetched (`state`'s frontier), then the links found tonight.
    With at most `max_listing_pages` a night, discovery of the whole register (~3 230 search
    pages) goes on over several nights instead of starting over each night.

    Any other failure of a listing (HTTP error, redirect off the allow-list, robots.txt,
    unparseable body, the budget spent) only means that listing adds nothing new.
    """
    contracts: dict[str, str] = {}
    links: dict[str, str] = {}
    routes: dict[str, str] = {}
    seeds = [
        urljoin(config.base_url.rstrip("/") + "/", p.lstrip("/")) for p in config.listing_paths()
    ]
    queue, cap = list(seeds), config.max_listing_pages
    complete = True
    if state is not None:
        # The configured searches are listing pages like the others: during discovery they wait their
        # turn in the frontier (never-read pages first); once every page has been read, they open each
        # night (their totals say whether a search grew) within `max_rewalk_pages`.
        state.add_listing_pages([u for u in seeds if _same_host(u, config.base_url)])
        complete = state.discovery_complete()
        # Once discovery has read (nearly) every page the searches' totals need, a search that grows by
        # a page (new contracts) does not bring back the discovery cap: the night keeps the re-walk cap.
        if complete or (
            state.stated_total() > 0 and state.discovery_pages_left() <= config.max_rewalk_pages
        ):
            cap = min(cap, config.max_rewalk_pages)
        else:
            queue = [u for u in seeds if not _same_host(u, config.base_url)]
        frontier = state.listing_frontier(cap, unread_only=not complete)
        queue += [u for u in frontier if u not in queue]
    # While discovery lasts, a page read on an earlier night is not read again because a pager links
    # to it (the pager links every page near the one read), and pages never read — the frontier's and
    # those found tonight, as the pager reveals them (at most 10 numbers) — go before the re-walk of a
    # search found short (`again`): the night's listing requests go to pages never read first.
    read_before, again = set(), []
    if state is not None and not complete:
        read_before, ever_read = state.listing_pages_read(), state.listing_pages_read(True)
        again = [u for u in queue if u in ever_read]
        queue = [u for u in queue if u not in ever_read]
    seen: set[str] = set()
    while (queue or again) and summary.listing_pages < cap:
        url = queue.pop(0) if queue else again.pop(0)
        if url in seen or is_english_url(url):
            continue  # an /en/ page is never requested (the header links every page in English)
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
        route = search_route(url)
        if state is not None and route and listing.total_contracts is not None:
            state.note_search_total(route, listing.total_contracts)
        for cid, fingerprint in listing.contracts.items():
            contracts.setdefault(cid, fingerprint)
            links.setdefault(cid, listing.contract_links[cid])
            if route:
                routes[cid] = route
        found = [link for link in listing.links if link not in seen and link not in read_before]
        if state is not None:
            state.add_listing_pages([link for link in found if _same_host(link, config.base_url)])
        if state is not None and not complete:
            again += [link for link in found if link in ever_read]
            found = [link for link in found if link not in ever_read]
        queue.extend(found)
    return contracts, links, routes


def _same_host(url: str, base_url: str) -> bool:
    return urlparse(url).hostname == urlparse(base_url).hostname
