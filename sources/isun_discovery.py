"""Find ИСУН contract ids in the site's HTML listings: Project/Search results and company pages.

contractIds are the site's encrypted, URL-encoded Base64 tokens (`+`, `/`, `=` occur); they are
only ever read from links, never guessed, and kept decoded (`sources.isun.contract_id_and_tab`).
Only HTML listings carry them: Project/Search shows results only with `showRes=True`, 25 a page,
with an encrypted `page` in its pager links, each result linking to
`Project/BasicData?contractId=<enc>&isHistoric=…`; company pages (`Company?uin=<enc>&uinType=…`)
list an organisation's contracts the same way. The register export and the open-data API carry
no page ids (they are bulk data, read elsewhere). Each id comes with a fingerprint of its
listing row, so a later listing shows which contracts changed without fetching them, and with
the link it was listed under, which carries its `/{lang}/{op}/{pr}/` path and `isHistoric`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, parse_qsl, urlencode, urljoin, urlparse, urlunparse

import lxml.html

from sources.charset import decode_body
from sources.isun import contract_id_and_tab

# Listing pages worth following from a listing: search results (and their pager), company pages.
FOLLOW_PATH = re.compile(r"/Project/Search$|/Company(?:/Index)?$|/Beneficiary(?:/Index)?$", re.I)
# Every page's header links the same page in the other language ("English" -> /en/...): the crawler
# stays on /bg/; an /en/ link is never followed, and a contract linked under /en/ is the /bg/ one.
_LANGUAGE_PREFIX = re.compile(r"^/(en|bg)(?=/)", re.I)


def is_english_url(url: str) -> bool:
    m = _LANGUAGE_PREFIX.match(urlparse(url).path)
    return bool(m and m.group(1).lower() == "en")


def bulgarian_url(url: str) -> str:
    """The same ИСУН page under /bg/ (an /en/... URL rewritten; any other URL unchanged)."""
    parsed = urlparse(url)
    if not is_english_url(url):
        return url
    return urlunparse(parsed._replace(path=_LANGUAGE_PREFIX.sub("/bg", parsed.path, count=1)))


@dataclass
class Listing:
    contracts: dict[str, str] = field(
        default_factory=dict
    )  # contract_id (decoded) -> row fingerprint
    contract_links: dict[str, str] = field(
        default_factory=dict
    )  # contract_id -> absolute link it was listed under
    links: list[str] = field(default_factory=list)  # further listing pages, absolute, any host
    # The search's summary table (SummarizedSearchResult): how many contracts the whole search has.
    total_contracts: int | None = None


def _fingerprint(parts) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()[:16]


def contract_id_from_url(url: str) -> str | None:
    contract_id, _tab = contract_id_and_tab(url)
    return contract_id


def with_results_shown(url: str) -> str:
    """Project/Search lists results only with showRes=True: add it to a search link that lacks it."""
    parsed = urlparse(url)
    if not parsed.path.lower().endswith("/project/search"):
        return url
    query = parse_qs(parsed.query, keep_blank_values=True)
    if any(k.lower() == "showres" and v and v[0].lower() == "true" for k, v in query.items()):
        return url
    query = {k: v for k, v in query.items() if k.lower() != "showres"} | {"showRes": ["True"]}
    return urlunparse(parsed._replace(query=urlencode(query, doseq=True)))


# Texts.resx Project_Search_TotalContractsCount: the summary row stating the search's total.
TOTAL_CONTRACTS_LABEL = "Общ брой договори"


def search_route(url: str) -> str | None:
    """The search a results page belongs to: its path (`/bg/{op}/0/Project/Search`, one per programme)
    with its filters, without `page`; None for a page that is not a search."""
    parsed = urlparse(url)
    if not parsed.path.lower().endswith("/project/search"):
        return None
    query = [(k, v) for k, v in parse_qsl(parsed.query) if k.lower() not in {"page", "showres"}]
    return urlunparse(parsed._replace(query=urlencode(query), scheme="", netloc=""))


def _total_contracts(root) -> int | None:
    for td in root.xpath("//table//tr/td[1]"):
        if " ".join(td.text_content().split()) == TOTAL_CONTRACTS_LABEL:
            value = td.getnext()
            digits = re.sub(r"\D", "", value.text_content()) if value is not None else ""
            return int(digits) if digits else None
    return None


def listing_from_html(body: bytes, url: str, content_type: str | None = None) -> Listing:
    """Contract links (with their table row as fingerprint), links to further listings, and the
    search's stated total."""
    root = lxml.html.fromstring(decode_body(body, content_type))
    listing = Listing(total_contracts=_total_contracts(root))
    host = urlparse(url).hostname
    for a in root.xpath("//a[@href]"):
        href = urljoin(url, a.get("href"))
        parsed = urlparse(href)
        if parsed.hostname != host:
            # Another host: handed on as a link, so the crawler's allow-list can refuse it.
            if href not in listing.links and parsed.scheme in {"http", "https"}:
                listing.links.append(href)
            continue
        if is_english_url(href):
            if not contract_id_from_url(href):
                continue  # the header's "English" link: the page we are on, in English; never followed
            href = bulgarian_url(href)  # a contract linked under /en/: read it under /bg/
            parsed = urlparse(href)
        cid = contract_id_from_url(href) if "/project/" in parsed.path.lower() else None
        if cid:
            row = next(iter(a.xpath("ancestor::tr[1]")), a)
            cells = [" ".join(c.text_content().split()) for c in row.xpath("./td")] or [
                a.text_content().strip()
            ]
            listing.contracts.setdefault(cid, _fingerprint(cells))
            listing.contract_links.setdefault(cid, href)
        elif FOLLOW_PATH.search(parsed.path):
            follow = with_results_shown(href)
            if follow not in listing.links:
                listing.links.append(follow)
    return listing
