"""A polite HTTP client for public sites: allow-listed hosts, rate limits, retries, raw-first.

- Only hosts on the allow-list are ever requested; a link elsewhere raises ForeignHostError.
  Redirects are followed by hand: each hop is checked against the allow-list *before* it is
  requested, waits its turn, counts against the budget, and a loop or a chain longer than
  `max_redirects` is a failed fetch.
- robots.txt is read once per host and obeyed (a Disallow is a failed fetch, a Crawl-delay
  above our interval is kept); a 4xx robots.txt allows everything, a 5xx or unreachable
  one allows nothing for the run (RFC 9309).
- Per-host minimum interval between requests (default 4 s for 2020.eufunds.bg), counted
  from the end of the previous response, so the server sees at least that gap.
- A request budget (`request_budget`): every request counts (robots.txt, redirects,
  retries, listings); the one that would exceed it is never sent (BudgetExhaustedError).
- Timeouts per read and an overall deadline per response (a body trickling in byte by
  byte fails the fetch); retries with exponential backoff and full jitter only on 429,
  5xx, timeouts, connection resets and truncated bodies, honouring Retry-After; a
  Retry-After beyond `max_retry_after_seconds` stops that host for the run.
- A body shorter or longer than its Content-Length is a failed fetch, never archived.
- Conditional GET from the validators (ETag, Last-Modified) of the archived response.
- A response-size cap; an honest User-Agent with a contact address.
- Every response is written to the raw archive before anyone parses it; with `spool=True`
  (the open-data programmes, the register export) the body goes to the archive's
  `incoming/` file as it arrives and is never whole in memory (`FetchResult.body` is then
  its first 64 KiB).
- WAF pages (challenge or "Request Rejected", even with HTTP 200) and exports that should
  be XLSX but lack the `PK` signature mark the host blocked for the rest of the run.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import urllib.robotparser
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlparse

import requests

from sources.raw_archive import HEAD_BYTES, RawArchive, RawResponse, SpooledBody
from sources.waf import BlockedError, block_reason

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_INTERVALS = {"2020.eufunds.bg": 4.0}
XLSX_SIGNATURE = b"PK\x03\x04"


class ForeignHostError(ValueError):
    """A URL outside the allow-list: never requested."""


class HostBlockedError(BlockedError):
    """The host answered with a WAF page earlier in this run; we stay away until the next run."""


class FetchError(RuntimeError):
    """The request failed after every allowed retry, or failed in a way not worth retrying."""


class ResponseTooLargeError(FetchError):
    pass


class TruncatedBodyError(FetchError):
    """The body is shorter or longer than its Content-Length (retried; never archived)."""


class DeadlineError(FetchError):
    """The whole response took longer than `response_deadline_seconds` (a trickling body)."""


class RedirectError(FetchError):
    """A redirect loop, a chain longer than `max_redirects`, or a redirect without Location."""


class RobotsDisallowedError(FetchError):
    """robots.txt disallows the URL for our User-Agent: never requested."""


class BudgetExhaustedError(RuntimeError):
    """The run's request budget is spent: the request was not sent."""


class HostDeferredError(HostBlockedError):
    """The host asked us (Retry-After) to wait longer than we wait in one run: stay away until the next."""


@dataclass
class CrawlPolicy:
    allowed_hosts: frozenset[str]
    contact: str = "opendata@bgfunds.example"
    min_interval_seconds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    default_interval_seconds: float = 4.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 120.0
    max_response_bytes: int = 20 * 1024 * 1024
    user_agent_product: str = "bgfunds/0.1"
    response_deadline_seconds: float = 120.0  # the whole response, headers to last byte
    max_retry_after_seconds: float = 120.0  # longer: stop that host for the run
    max_redirects: int = 5
    request_budget: int | None = None  # every request of the run, None: unlimited
    obey_robots: bool = True

    @property
    def user_agent(self) -> str:
        return f"{self.user_agent_product} (open-data crawler; +mailto:{self.contact})"

    def interval_for(self, host: str) -> float:
        return self.min_interval_seconds.get(host, self.default_interval_seconds)


@dataclass
class FetchStats:
    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    retries: int = 0
    blocks: int = 0
    errors: int = 0
    refused_foreign: int = 0
    redirects: int = 0
    robots_disallowed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class FetchResult:
    url: str
    record: RawResponse
    body: bytes
    not_modified: bool


_RETRIED_ERRORS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    TruncatedBodyError,
    TimeoutError,
    ConnectionError,
)


def _not_data_reason(status: int, body: bytes, expect: str) -> str | None:
    """Why a 200 answer is not data (a WAF page, an XLSX without its signature), else None."""
    if status != 200:
        return None
    reason = block_reason(body)
    if reason is None and expect == "xlsx" and not body.startswith(XLSX_SIGNATURE):
        reason = "an XLSX export came back without the PK signature"
    return reason


class PoliteClient:
    def __init__(
        self,
        policy: CrawlPolicy,
        archive: RawArchive,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.policy = policy
        self.archive = archive
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = policy.user_agent
        self.sleep, self.clock = sleep, clock
        self.rng = rng or random.Random()
        self.stats = FetchStats()
        self.blocked_hosts: dict[str, str] = {}
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._validators = {r.url: r for r in archive.latest().values() if r.status in (200, 304)}

    # -- public -------------------------------------------------------------------------
    def check_allowed(self, url: str) -> str:
        host = (urlparse(url).hostname or "").lower()
        if host not in self.policy.allowed_hosts:
            self.stats.refused_foreign += 1
            raise ForeignHostError(
                f"{url}: host {host!r} is not on the allow-list {sorted(self.policy.allowed_hosts)}"
            )
        if urlparse(url).scheme not in ("http", "https"):
            self.stats.refused_foreign += 1
            raise ForeignHostError(f"{url}: scheme {urlparse(url).scheme!r} is not http(s)")
        if host in self.blocked_hosts:
            raise HostBlockedError(
                url, f"host blocked earlier in this run: {self.blocked_hosts[host]}"
            )
        return host

    @property
    def budget_left(self) -> int | None:
        if self.policy.request_budget is None:
            return None
        return max(self.policy.request_budget - self.stats.requests, 0)

    def fetch(
        self, url: str, *, expect: str = "html", conditional: bool = True, spool: bool = False
    ) -> FetchResult:
        """GET url politely; store the response in the archive; raise on WAF pages or failure.

        `spool`: stream the body into the archive as it arrives (`body` is then its head)."""
        host = self.check_allowed(url)
        headers = self._conditional_headers(url) if conditional else {}
        response, body = self._get_with_retries(url, host, headers, spool)
        if response.status_code == 304:
            self.stats.not_modified += 1
            previous = self._validators[url]
            record = self.archive.store_not_modified(
                previous, fetched_at=_now(), headers=dict(response.headers)
            )
            if spool:
                with open(self.archive.path_for(previous.sha256), "rb") as fh:
                    return FetchResult(url, record, fh.read(HEAD_BYTES), not_modified=True)
            return FetchResult(url, record, self.archive.read(previous.sha256), not_modified=True)

        record = self._store(url, response, body)  # raw first, even a WAF page (it is evidence)
        if isinstance(body, SpooledBody):
            body = body.head
        reason = _not_data_reason(response.status_code, body, expect)
        if reason:
            self.stats.blocks += 1
            self.blocked_hosts[host] = reason
            log.warning(
                "BLOCKED %s: %s; backing off and not requesting %s again in this run",
                url,
                reason,
                host,
            )
            raise HostBlockedError(url, reason)
        if response.status_code != 200:
            self.stats.errors += 1
            raise FetchError(f"{url}: HTTP {response.status_code}")
        self._validators[url] = record
        return FetchResult(url, record, body, not_modified=False)

    def _get_with_retries(self, url: str, host: str, headers: dict[str, str], spool: bool = False):
        """(response, body) of the first answer that is not retried: timeouts, dropped
        connections and RETRY_STATUSES back off and retry up to `max_retries` times."""
        attempt = 0
        while True:
            try:
                response, body = self._get(url, headers, spool)
            except (ResponseTooLargeError, DeadlineError, RedirectError, RobotsDisallowedError):
                self.stats.errors += 1
                raise
            except _RETRIED_ERRORS as exc:
                if attempt >= self.policy.max_retries:
                    self.stats.errors += 1
                    raise FetchError(
                        f"{url}: {type(exc).__name__} after {attempt + 1} attempts: {exc}"
                    ) from exc
                attempt += 1
                self._backoff(url, host, attempt, None, type(exc).__name__)
                continue
            if response.status_code not in RETRY_STATUSES:
                return response, body
            self._store(url, response, body)  # every response is archived, errors included
            if attempt >= self.policy.max_retries:
                self.stats.errors += 1
                raise FetchError(f"{url}: HTTP {response.status_code} after {attempt + 1} attempts")
            attempt += 1
            self._backoff(
                url,
                host,
                attempt,
                response.headers.get("Retry-After"),
                f"HTTP {response.status_code}",
            )

    # -- internals ----------------------------------------------------------------------
    def _conditional_headers(self, url: str) -> dict[str, str]:
        previous = self._validators.get(url)
        if previous is None:
            return {}
        lowered = {k.lower(): v for k, v in previous.headers.items()}
        headers = {}
        if "etag" in lowered:
            headers["If-None-Match"] = lowered["etag"]
        if "last-modified" in lowered:
            headers["If-Modified-Since"] = lowered["last-modified"]
        return headers

    def _wait_turn(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = last + self._interval(host) - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_request[host] = self.clock()

    def _interval(self, host: str) -> float:
        interval = self.policy.interval_for(host)
        robots = self._robots.get(host)
        delay = robots.crawl_delay(self.policy.user_agent_product) if robots is not None else None
        return max(interval, float(delay)) if delay else interval

    def _spend(self, host: str) -> None:
        """Wait for the host's turn and count one request against the budget (or refuse it)."""
        if self.budget_left == 0:
            raise BudgetExhaustedError(f"request budget of {self.policy.request_budget} spent")
        self._wait_turn(host)
        self.stats.requests += 1

    def _check_robots(self, url: str, host: str) -> None:
        if not self.policy.obey_robots:
            return
        if host not in self._robots:
            self._robots[host] = self._read_robots(url, host)
        robots = self._robots[host]
        if robots is None or not robots.can_fetch(self.policy.user_agent_product, url):
            self.stats.robots_disallowed += 1
            why = (
                "robots.txt could not be read (5xx or unreachable): nothing allowed"
                if robots is None
                else "robots.txt disallows it"
            )
            raise RobotsDisallowedError(f"{url}: {why}")

    def _read_robots(self, url: str, host: str) -> urllib.robotparser.RobotFileParser | None:
        parts = urlparse(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        self._spend(host)
        try:
            with self.session.get(
                robots_url,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                stream=True,
                allow_redirects=False,
            ) as response:
                status = response.status_code
                body = self._read_body(
                    robots_url, response, self.clock() + self.policy.response_deadline_seconds
                )
        except (requests.RequestException, FetchError, OSError) as exc:
            log.warning("robots.txt of %s unreadable (%s): not crawling it in this run", host, exc)
            return None
        finally:
            self._drop_connections()
            self._last_request[host] = self.clock()
        if status >= 500 or status == 429:
            log.warning(
                "robots.txt of %s answered HTTP %d: not crawling it in this run", host, status
            )
            return None
        if status >= 300:  # 3xx (not followed) and 4xx: no rules, everything allowed
            parser.parse([])
        else:
            parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return parser

    def _get(
        self, url: str, headers: dict[str, str], spool: bool = False
    ) -> tuple[requests.Response, bytes | SpooledBody]:
        """One GET, redirects followed by hand: each hop allow-listed, robots-checked and counted first."""
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        current, seen = url, {url}
        for _hop in range(self.policy.max_redirects + 1):
            host = self.check_allowed(current)  # before the request, never after
            self._check_robots(current, host)
            self._spend(host)
            deadline = self.clock() + self.policy.response_deadline_seconds
            try:
                with self.session.get(
                    current,
                    headers={**headers, "Connection": "close"},
                    timeout=timeout,
                    stream=True,
                    allow_redirects=False,
                ) as response:
                    if response.status_code in REDIRECT_STATUSES:
                        location = response.headers.get("Location")
                        if not location:
                            raise RedirectError(
                                f"{current}: HTTP {response.status_code} without a Location header"
                            )
                        self.stats.redirects += 1
                        target = urljoin(current, location)
                        log.info("redirect %d: %s -> %s", response.status_code, current, target)
                        if target in seen:
                            raise RedirectError(f"{url}: redirect loop at {target}")
                        seen.add(target)
                        current, headers = target, {}
                        continue
                    body = (
                        b""
                        if response.status_code == 304
                        else self._read_body(current, response, deadline, spool)
                    )
            finally:
                self._drop_connections()
                self._last_request[host] = (
                    self.clock()
                )  # the interval runs from the end of this response
            self.stats.bytes += len(body)
            return response, body
        raise RedirectError(f"{url}: more than {self.policy.max_redirects} redirects")

    def _drop_connections(self) -> None:
        """Every request asks `Connection: close`: never hand a connection the server is closing
        to the next request (a pooled one can look alive a moment longer, then fail)."""
        for adapter in self.session.adapters.values():
            adapter.close()

    def _read_body(
        self, url: str, response: requests.Response, deadline: float, spool: bool = False
    ) -> bytes | SpooledBody:
        """The whole body within the deadline and the size cap, exactly Content-Length bytes long
        (with `spool`, written to the archive's incoming file as it arrives, decoded on the way)."""
        if not spool:
            return self._read_chunks(url, response, deadline, None)
        sink = self.archive.spool()
        try:
            return self._read_chunks(url, response, deadline, sink)
        except BaseException:
            sink.discard()
            raise

    def _read_chunks(self, url: str, response: requests.Response, deadline: float, sink):
        declared_text = response.headers.get("Content-Length", "")
        declared = int(declared_text) if declared_text.strip().isdigit() else None
        if declared is not None and declared > self.policy.max_response_bytes:
            raise ResponseTooLargeError(
                f"{url}: Content-Length {declared} exceeds cap {self.policy.max_response_bytes}"
            )
        raw = response.raw._fp  # http.client.HTTPResponse: read it ourselves, chunk by chunk
        chunked = bool(getattr(raw, "chunked", False))
        if declared is not None and not chunked:
            raw.length = None  # read to the end of the connection (we sent Connection: close) to see extra bytes
        chunks, size = [], 0
        decoder = (
            _StreamDecoder(
                url, response.headers.get("Content-Encoding", ""), self.policy.max_response_bytes
            )
            if sink is not None
            else None
        )
        while True:
            if self.clock() > deadline:
                raise DeadlineError(
                    f"{url}: response not complete after {self.policy.response_deadline_seconds:g} s "
                    f"({size} bytes so far)"
                )
            if declared is not None and not chunked and size >= declared:
                extra = _extra_bytes(raw)
                if extra:
                    raise TruncatedBodyError(
                        f"{url}: body longer than its Content-Length {declared}"
                    )
                break
            try:
                chunk = raw.read1(64 * 1024)
            except TimeoutError as exc:
                raise requests.Timeout(f"{url}: read timed out after {size} bytes") from exc
            except Exception as exc:  # http.client.IncompleteRead, a reset mid-body
                raise TruncatedBodyError(f"{url}: body cut off after {size} bytes: {exc}") from exc
            if not chunk:
                break
            size += len(chunk)
            if size > self.policy.max_response_bytes:
                raise ResponseTooLargeError(
                    f"{url}: body exceeds cap {self.policy.max_response_bytes} bytes"
                )
            if sink is None:
                chunks.append(chunk)
            else:
                sink.write(decoder.feed(chunk))
        if declared is not None and not chunked and size != declared:
            raise TruncatedBodyError(f"{url}: body of {size} bytes, Content-Length says {declared}")
        if sink is not None:
            sink.write(decoder.finish())
            return sink
        return _decode_content(
            url,
            b"".join(chunks),
            response.headers.get("Content-Encoding", ""),
            self.policy.max_response_bytes,
        )

    def _store(
        self, url: str, response: requests.Response, body: bytes | SpooledBody
    ) -> RawResponse:
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-encoding"}
        if isinstance(body, SpooledBody):
            return self.archive.store_spooled(
                url, body, status=response.status_code, headers=headers, fetched_at=_now()
            )
        return self.archive.store(
            url, body, status=response.status_code, headers=headers, fetched_at=_now()
        )

    def _backoff(
        self, url: str, host: str, attempt: int, retry_after: str | None, why: str
    ) -> None:
        self.stats.retries += 1
        ceiling = min(
            self.policy.backoff_max_seconds, self.policy.backoff_base_seconds * 2 ** (attempt - 1)
        )
        delay = self.rng.uniform(ceiling / 2, ceiling)  # jitter
        server_says = _retry_after_seconds(retry_after)
        if server_says is not None:
            if server_says > self.policy.max_retry_after_seconds:
                reason = (
                    f"Retry-After {server_says:.0f} s exceeds our maximum of "
                    f"{self.policy.max_retry_after_seconds:.0f} s: not requesting {host} again in this run"
                )
                self.blocked_hosts[host] = reason
                log.warning("DEFERRED %s: %s", url, reason)
                raise HostDeferredError(url, reason)
            delay = max(delay, server_says)
        log.info("retry %d for %s after %s; waiting %.2f s", attempt, url, why, delay)
        self.sleep(delay)


def _extra_bytes(raw) -> bytes:
    """Bytes after the declared end of a body (a server that sent more than Content-Length);
    waits briefly for the close our `Connection: close` asked for."""
    sock = getattr(getattr(getattr(raw, "fp", None), "raw", None), "_sock", None)
    if sock is None:
        return b""
    try:
        sock.settimeout(0.2)
        return raw.read1(1)
    except (OSError, ValueError, AttributeError):  # timed out (kept alive, nothing more) or closed
        return b""


def _decode_content(url: str, body: bytes, encoding: str, cap: int) -> bytes:
    """A gzip/deflate body decompressed, never beyond `cap` bytes (a compression bomb fails)."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return body
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    try:
        decoder = zlib.decompressobj(wbits)
        out = decoder.decompress(body, cap + 1)
    except zlib.error:
        if encoding == "deflate":  # raw deflate without the zlib header, as some servers send
            decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            out = decoder.decompress(body, cap + 1)
        else:
            raise TruncatedBodyError(f"{url}: {encoding} body does not decompress") from None
    if len(out) > cap or decoder.unconsumed_tail:
        raise ResponseTooLargeError(f"{url}: decompressed body exceeds cap {cap} bytes")
    return out


class _StreamDecoder:
    """gzip/deflate decoded chunk by chunk, never beyond `cap` bytes (identity otherwise)."""

    def __init__(self, url: str, encoding: str, cap: int):
        self.url, self.cap, self.size = url, cap, 0
        encoding = encoding.strip().lower()
        self.encoding = encoding if encoding in ("gzip", "x-gzip", "deflate") else None
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        self.decoder = zlib.decompressobj(wbits) if self.encoding else None

    def feed(self, chunk: bytes) -> bytes:
        if self.decoder is None:
            return chunk
        try:
            out = self.decoder.decompress(chunk, self.cap + 1 - self.size)
        except zlib.error:
            raise TruncatedBodyError(
                f"{self.url}: {self.encoding} body does not decompress"
            ) from None
        self.size += len(out)
        if self.size > self.cap or self.decoder.unconsumed_tail:
            raise ResponseTooLargeError(
                f"{self.url}: decompressed body exceeds cap {self.cap} bytes"
            )
        return out

    def finish(self) -> bytes:
        if self.decoder is None:
            return b""
        out = self.decoder.flush()
        self.size += len(out)
        if self.size > self.cap:
            raise ResponseTooLargeError(
                f"{self.url}: decompressed body exceeds cap {self.cap} bytes"
            )
        return out


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
