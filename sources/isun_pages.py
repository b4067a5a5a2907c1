"""Which archived ИСУН responses are contract pages, and the newest usable one per URL, parsed.

Page selection only: a WAF page, an HTTP error or an empty body is never parsed as data
and never replaces an older good response; a page that does not parse goes to quarantine
with its reason. Typing the parsed texts into rows is `transforms.isun`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from records.isun_page import ParsedIsunPage
from records.raw import RawResponse
from sources.charset import decode_body, detect_charset
from sources.isun import (
    CONTRACT_TABS,
    PageStructureError,
    contract_id_and_tab,
    parse_isun_html,
    parse_isun_text,
)
from sources.isun_procedures import (
    ProceduresExportError,
    is_procedures_export,
    parse_procedures_export,
)
from sources.raw_archive import newest_first
from sources.waf import block_reason
from transforms.codes import CodeError, parse_code
from transforms.isun import quarantine_row

# `<?xml version="1.0" encoding="..."?>` before an XHTML page: the bytes are decoded already,
# and lxml refuses a str that still declares an encoding.
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>", re.I)


def is_page_data(url: str) -> bool:
    """A response the page tables are built from: a contract page, or the project-proposals export
    (procedure names, `procedure_names`)."""
    return is_contract_page(url) or is_procedures_export(url)


def is_contract_page(url: str) -> bool:
    contract_id, tab = contract_id_and_tab(url)
    return contract_id is not None and tab in CONTRACT_TABS


def page_rejection(record: RawResponse, body: bytes) -> dict | None:
    """Why an archived response is not data (WAF page, HTTP error), as a quarantine row."""
    reason = block_reason(body)
    if reason:
        return quarantine_row(
            "pages",
            record.url,
            "blocked_by_waf",
            None,
            None,
            f"{record.url}: firewall page instead of content ({reason}); not parsed",
            record,
        )
    if record.status not in (200, 304):
        return quarantine_row(
            "pages",
            record.url,
            "http_status",
            "status",
            str(record.status),
            f"{record.url}: HTTP status {record.status}; not parsed",
            record,
        )
    if not body or body.isspace():  # blank (isspace stops at the first other byte; strip copied it)
        return quarantine_row(
            "pages",
            record.url,
            "empty_body",
            "body",
            f"{len(body)} bytes",
            f"{record.url}: HTTP {record.status} with an empty body; not parsed",
            record,
        )
    return None


def _newest_usable(
    versions: list[RawResponse], read_body: Callable[[str], bytes]
) -> tuple[tuple[RawResponse, bytes] | None, dict | None]:
    """The newest (record, body) of one URL that is data, else the newest rejection."""
    first_rejection = None
    for record in newest_first(versions):
        body = read_body(record.sha256)
        rejection = page_rejection(record, body)
        if rejection is None:
            return (record, body), None
        first_rejection = first_rejection or rejection
    return None, first_rejection


def _valid_utf8(body: bytes, record: RawResponse) -> bytes | None:
    """The body, where it is sent as (or found to be) UTF-8, decodes strictly and has no XML
    declaration; else None (decoded the general way, `sources.charset`)."""
    if detect_charset(body, record.content_type) != "utf-8":
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _XML_DECLARATION.match(text) else body


def parse_page(record: RawResponse, body: bytes) -> tuple[ParsedIsunPage | None, dict | None]:
    """One archived page parsed, or the quarantine row saying why it could not be."""
    try:
        if "text/plain" not in record.content_type and (valid := _valid_utf8(body, record)):
            # Valid UTF-8 without an XML declaration: the bytes are what decoding and encoding
            # again would give, so they are parsed as they are.
            return parse_isun_html(valid, record.url, utf8=True), None
        text = _XML_DECLARATION.sub("", decode_body(body, record.content_type), count=1)
        if "text/plain" in record.content_type:
            return parse_isun_text(text, record.url), None
        return parse_isun_html(text, record.url), None
    except PageStructureError as exc:
        return None, quarantine_row(
            "pages", record.url, "page_structure", None, None, str(exc), record
        )
    except Exception as exc:  # noqa: BLE001 - one unreadable page must not stop the night
        return None, quarantine_row(
            "pages",
            record.url,
            "unparseable",
            "body",
            type(exc).__name__,
            f"{record.url}: not parsed: {type(exc).__name__}: {exc}"[:1000],
            record,
        )


def parse_archived_pages(
    records: list[RawResponse], read_body: Callable[[str], bytes]
) -> tuple[list[tuple[ParsedIsunPage, RawResponse]], list[dict]]:
    """Parse the newest usable response per URL (newest by `fetched_at`, not by storage order).

    A WAF page, an HTTP error or an empty body never replaces an older good response; where
    a URL has no good response at all, its newest one goes to quarantine with the reason.
    A page that fails to parse for any reason goes to quarantine; the batch goes on.
    """
    by_url: dict[str, list[RawResponse]] = {}
    for record in records:
        by_url.setdefault(record.url, []).append(record)
    parsed, rejected = [], []
    for versions in by_url.values():
        chosen, rejection = _newest_usable(versions, read_body)
        if chosen is None:
            rejected.append(rejection)
            continue
        record, body = chosen
        page, failure = parse_page(record, body)
        if page is None:
            rejected.append(failure)
        else:
            parsed.append((page, record))
    return parsed, rejected


def procedure_names(
    records: list[RawResponse], read_body: Callable[[str], bytes]
) -> dict[str, str]:
    """procedure code -> name, from the archived project-proposals export (`sources.isun_procedures`:
    one response names every procedure) and BasicData pages (the crawler fetches one per procedure the
    export does not name: PrintProject prints no procedure). The newest usable response of each URL
    is read, and for a procedure named by both the newest response wins; a page that does not parse
    names nothing here (`parse_archived_pages` quarantines it)."""
    names: dict[str, tuple[str, str]] = {}  # code -> (fetched_at, name): the newest response wins
    exports: dict[str, list[RawResponse]] = {}
    for record in records:
        if is_procedures_export(record.url):
            exports.setdefault(record.url, []).append(record)
    for versions in exports.values():
        chosen, _ = _newest_usable(versions, read_body)
        if chosen is None:
            continue
        try:
            named = parse_procedures_export(chosen[1], chosen[0].content_type)
        except ProceduresExportError:
            continue
        for code, name in named.items():
            if chosen[0].fetched_at >= names.get(code, ("", ""))[0]:
                names[code] = (chosen[0].fetched_at, name)
    basic = [r for r in records if contract_id_and_tab(r.url)[1] == "BasicData"]
    by_url: dict[str, list[RawResponse]] = {}
    for record in basic:
        by_url.setdefault(record.url, []).append(record)
    for versions in by_url.values():
        chosen, _ = _newest_usable(versions, read_body)
        if chosen is None:
            continue
        page, _ = parse_page(*chosen)
        text = (page.fields.get("procedure") or "") if page else ""
        first, _, name = text.partition(" ")
        try:
            code = parse_code(first).procedure_code
        except CodeError:
            continue
        if code and name.strip() and chosen[0].fetched_at >= names.get(code, ("", ""))[0]:
            names[code] = (chosen[0].fetched_at, name.strip())
    return {code: name for code, (_, name) in names.items()}


def contract_batches(
    records: list[RawResponse], batch_contracts: int
) -> Iterator[list[RawResponse]]:
    """The records in batches of whole contracts (every tab of a contract in the same batch)."""
    by_contract: dict[str, list[RawResponse]] = {}
    for record in records:
        if is_procedures_export(record.url):
            continue  # names procedures (`procedure_names`), is no contract's page
        by_contract.setdefault(contract_id_and_tab(record.url)[0] or record.url, []).append(record)
    keys = list(by_contract)
    for start in range(0, len(keys), batch_contracts):
        yield [r for key in keys[start : start + batch_contracts] for r in by_contract[key]]
