"""A polite HTTP client for public sites: allow-listed hosts, rate limits, retries, raw-first.

- Only hosts on the allow-list are ever requested; a link elsewhere raises ForeignHostError.
- Per-host minimum interval between requests (default 4 s for 2020.eufunds.bg).
- Timeouts; retries with exponential backoff and full jitter only on 429, 5xx, timeouts,
  connection resets and truncated bodies, honouring Retry-After.
- Conditional GET from the validators (ETag, Last-Modified) of the archived response.
- A response-size cap; an honest User-Agent with a contact address.
- Every response is written to the raw archive before anyone parses it.
- WAF pages (challenge or "Request Rejected", even with HTTP 200) and exports that should
  be XLSX but lack the `PK` signature mark the host blocked for the rest of the run.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

import requests

from sources.raw_archive import RawArchive, RawResponse
from sources.waf import BlockedError, block_reason

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
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

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class FetchResult:
    url: str
    record: RawResponse
    body: bytes
    not_modified: bool


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
        self._validators = {r.url: r for r in archive.latest().values() if r.status in (200, 304)}

    # -- public -------------------------------------------------------------------------
    def check_allowed(self, url: str) -> str:
        host = (urlparse(url).hostname or "").lower()
        if host not in self.policy.allowed_hosts:
            self.stats.refused_foreign += 1
            raise ForeignHostError(f"{url}: host {host!r} is not on the allow-list {sorted(self.policy.allowed_hosts)}")
        if host in self.blocked_hosts:
            raise HostBlockedError(url, f"host blocked earlier in this run: {self.blocked_hosts[host]}")
        return host

    def fetch(self, url: str, *, expect: str = "html", conditional: bool = True) -> FetchResult:
        """GET url politely; store the response in the archive; raise on WAF pages or failure."""
        host = self.check_allowed(url)
        headers = self._conditional_headers(url) if conditional else {}
        attempt = 0
        while True:
            self._wait_turn(host)
            try:
                response, body = self._get(url, headers)
            except ResponseTooLargeError:
                self.stats.errors += 1
                raise
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                if attempt >= self.policy.max_retries:
                    self.stats.errors += 1
                    raise FetchError(f"{url}: {type(exc).__name__} after {attempt + 1} attempts: {exc}") from exc
                attempt += 1
                self._backoff(url, attempt, None, type(exc).__name__)
                continue
            if response.status_code in RETRY_STATUSES:
                self._store(url, response, body)  # every response is archived, errors included
                if attempt >= self.policy.max_retries:
                    self.stats.errors += 1
                    raise FetchError(f"{url}: HTTP {response.status_code} after {attempt + 1} attempts")
                attempt += 1
                self._backoff(url, attempt, response.headers.get("Retry-After"), f"HTTP {response.status_code}")
                continue
            break

        if response.status_code == 304:
            self.stats.not_modified += 1
            previous = self._validators[url]
            record = self.archive.store_not_modified(previous, fetched_at=_now(), headers=dict(response.headers))
            return FetchResult(url, record, self.archive.read(previous.sha256), not_modified=True)

        record = self._store(url, response, body)  # raw first, even a WAF page (it is evidence)
        reason = block_reason(body) if response.status_code == 200 else None
        if reason is None and expect == "xlsx" and response.status_code == 200 and not body.startswith(XLSX_SIGNATURE):
            reason = "an XLSX export came back without the PK signature"
        if reason:
            self.stats.blocks += 1
            self.blocked_hosts[host] = reason
            log.warning("BLOCKED %s: %s; backing off and not requesting %s again in this run", url, reason, host)
            raise HostBlockedError(url, reason)
        if response.status_code != 200:
            self.stats.errors += 1
            raise FetchError(f"{url}: HTTP {response.status_code}")
        self._validators[url] = record
        return FetchResult(url, record, body, not_modified=False)

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
            wait = last + self.policy.interval_for(host) - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_request[host] = self.clock()

    def _get(self, url: str, headers: dict[str, str]) -> tuple[requests.Response, bytes]:
        self.stats.requests += 1
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        with self.session.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=True) as response:
            for hop in [*response.history, response]:
                self.check_allowed(hop.url)  # a redirect must not leave the allow-list
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.policy.max_response_bytes:
                raise ResponseTooLargeError(f"{url}: Content-Length {declared} exceeds cap {self.policy.max_response_bytes}")
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.policy.max_response_bytes:
                    raise ResponseTooLargeError(f"{url}: body exceeds cap {self.policy.max_response_bytes} bytes")
                chunks.append(chunk)
        body = b"".join(chunks)
        self.stats.bytes += len(body)
        return response, body

    def _store(self, url: str, response: requests.Response, body: bytes) -> RawResponse:
        return self.archive.store(url, body, status=response.status_code,
                                  headers=dict(response.headers), fetched_at=_now())

    def _backoff(self, url: str, attempt: int, retry_after: str | None, why: str) -> None:
        self.stats.retries += 1
        ceiling = min(self.policy.backoff_max_seconds, self.policy.backoff_base_seconds * 2 ** (attempt - 1))
        delay = self.rng.uniform(ceiling / 2, ceiling)  # jitter
        server_says = _retry_after_seconds(retry_after)
        if server_says is not None:
            delay = max(delay, min(server_says, self.policy.backoff_max_seconds))
        log.info("retry %d for %s after %s; waiting %.2f s", attempt, url, why, delay)
        self.sleep(delay)


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
