"""Find ИСУН contract ids in listings: the register export (XLSX), the open-data API (JSON),
and links on search and organisation pages (HTML).

contractIds are opaque, so they are only ever read from listings, never guessed. Each id
comes with a fingerprint of its listing row, so a later listing shows which contracts
changed (amounts, status) without fetching them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlparse

import lxml.html

from sources.charset import decode_body

_CONTRACT_ID_IN_URL = re.compile(r"contractId=([A-Za-z0-9-]+)", re.I)
# Listing pages worth following from a listing: search results, organisations, their pages.
FOLLOW_PATH = re.compile(r"/Project/Search|/Company/|/Beneficiary/|/Project/ExportToExcel|/api/v1\.0/opendata", re.I)


@dataclass
class Listing:
    contracts: dict[str, str] = field(default_factory=dict)  # contract_id -> row fingerprint
    links: list[str] = field(default_factory=list)  # further listing pages, absolute, any host


def _fingerprint(parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:16]


def contract_id_from_url(url: str) -> str | None:
    query = {k.lower(): v for k, v in parse_qs(urlparse(url).query).items()}
    return query.get("contractid", [None])[0]


def listing_from_html(body: bytes, url: str, content_type: str | None = None) -> Listing:
    """Contract links (with their table row as fingerprint) and links to further listings."""
    root = lxml.html.fromstring(decode_body(body, content_type))
    listing = Listing()
    host = urlparse(url).hostname
    for a in root.xpath("//a[@href]"):
        href = urljoin(url, a.get("href"))
        if urlparse(href).hostname != host:
            # Another host: handed on as a link, so the crawler's allow-list can refuse it.
            if href not in listing.links and urlparse(href).scheme in {"http", "https"}:
                listing.links.append(href)
            continue
        cid = contract_id_from_url(href)
        if cid:
            row = next(iter(a.xpath("ancestor::tr[1]")), a)
            cells = [" ".join(c.text_content().split()) for c in row.xpath("./td")] or [a.text_content().strip()]
            listing.contracts.setdefault(cid, _fingerprint(cells))
        elif FOLLOW_PATH.search(urlparse(href).path + "?" + urlparse(href).query) or "page=" in href.lower():
            if href not in listing.links:
                listing.links.append(href)
    return listing


def listing_from_json(body: bytes) -> Listing:
    """Open-data API: any object carrying a contract id (`contractId`, `ContractId`, or a URL with one)."""
    listing = Listing()

    def walk(node):
        if isinstance(node, dict):
            cid = None
            for key, value in node.items():
                if key.lower() in {"contractid", "contract_id"} and value not in (None, ""):
                    cid = str(value)
                elif isinstance(value, str) and (m := _CONTRACT_ID_IN_URL.search(value)):
                    cid = cid or m.group(1)
            if cid:
                listing.contracts.setdefault(cid, _fingerprint(node))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body.decode("utf-8-sig")))
    return listing


def listing_from_xlsx(body: bytes) -> Listing:
    """Register export: contract ids from cell hyperlinks or cell text; the row is the fingerprint."""
    from openpyxl import load_workbook  # imported here: only exports need it

    listing = Listing()
    workbook = load_workbook(io.BytesIO(body), read_only=False, data_only=True)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            cid = None
            for cell in row:
                target = cell.hyperlink.target if cell.hyperlink is not None else None
                for text in (target, cell.value if isinstance(cell.value, str) else None):
                    if text and (m := _CONTRACT_ID_IN_URL.search(text)):
                        cid = cid or m.group(1)
            if cid:
                listing.contracts.setdefault(cid, _fingerprint([c.value for c in row]))
    return listing
