"""Dagster resources: where data lives, and where ИСУН pages come from.

`IsunPageSource` has a recorded implementation (replays a recording, such as the bundled
sample corpus, into the raw archive) and a live one (the polite crawler, pointed at ИСУН
or at a mirror); settings, tests and the CLI choose through
`build_defs(resource_overrides=...)` rather than by editing code.
"""

import json
import os
import time
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
from pydantic import PrivateAttr

from pipelines.code_versions import code_version
from pipelines.isun_batches import BATCH_CONTRACTS
from sources.crawl_state import CrawlState
from sources.isun_bulk_crawl import BulkConfig, bulk_row_fingerprints, fetch_bulk, page_listings
from sources.isun_crawl import ISUN_BASE_URL, CrawlConfig, is_isun_url, run_crawl
from sources.isun_opendata import DEFAULT_API_INTERVAL_SECONDS, DEFAULT_API_MAX_BYTES
from sources.raw_archive import RawArchive, RawResponse
from sources.recorded import SAMPLE_CORPUS, SAMPLE_DOCUMENTS, replay_recording


class Settings(dg.ConfigurableResource):
    """Paths and knobs of the build; relative paths are taken from the working directory.

    Each field is a setting of `pipelines.settings` (env `BGFUNDS_<FIELD>`, flag `--<field>`)."""

    data_dir: str = "data"
    max_row_drop_share: float = (
        0.2  # a table losing more rows than this since the last release blocks it
    )
    force_rebuild: bool = False  # rebuild and release even when the inputs equal the last release's
    workers: int = 0  # processes that parse batches of contracts; 0: one per core
    batch_contracts: int = (
        BATCH_CONTRACTS  # contracts per batch (all of a contract's tabs in one batch)
    )
    isun_partitions: int = 1  # partitions of the contracts, each with its own parts store
    lock_wait_seconds: float = 3600.0  # how long a run waits for another build of the same data dir
    public_url: str = "http://127.0.0.1:8000/"  # where the releases are published (DCAT, feeds)
    # The deployment's (`bgfunds nightly`, `bgfunds serve`, `pipelines.health`):
    publish_to: str = ""  # fsspec URL each release is uploaded to (s3://bucket/prefix); "": none
    notify_url: str = ""  # webhook POSTed on a failed night and on stale data; "": none
    max_release_age_hours: float = 48.0  # older than this since last confirmed current: stale

    _lock: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context) -> None:
        """Every run holds the data directory's build lock (`warehouse.data_lock`) from start to end."""
        from warehouse.data_lock import data_dir_lock

        self._lock = ExitStack()
        self._lock.enter_context(
            data_dir_lock(
                self.root,
                self.lock_wait_seconds,
                on_wait=lambda message: context.log.warning(message),
            )
        )

    def teardown_after_execution(self, context) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def raw_archive(self) -> RawArchive:
        return RawArchive(self.root / "raw")

    @property
    def staging_dir(self) -> Path:
        """Tables between assets, as Parquet parts (`warehouse.staging`)."""
        return self.root / "staging"

    @property
    def worker_count(self) -> int:
        """`workers`, else one per CPU this process may run on (its affinity, not the host's count)."""
        if self.workers:
            return self.workers
        return (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.root / "publish"

    @property
    def crawl_state_path(self) -> Path:
        return self.root / "crawl_state.duckdb"

    @property
    def rejected_inputs_dir(self) -> Path:
        """Recorded responses refused on replay (quarantine rows, one JSON file per source)."""
        return self.root / "rejected_inputs"

    def save_rejected_inputs(self, source: str, rows: list[dict]) -> None:
        """Replace `source`'s refused inputs (each replay states them afresh)."""
        self.rejected_inputs_dir.mkdir(parents=True, exist_ok=True)
        path = self.rejected_inputs_dir / f"{source}.jsonl"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        tmp.replace(path)

    def rejected_inputs(self) -> list[dict]:
        if not self.rejected_inputs_dir.is_dir():
            return []
        return [
            json.loads(line)
            for path in sorted(self.rejected_inputs_dir.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]


class IsunPageSource(dg.ConfigurableResource):
    """Where ИСУН contract pages come from. Subclasses store every response in the archive."""

    def fetch_into(
        self, settings: Settings, log
    ) -> tuple[list[RawResponse], list[str]]:  # pragma: no cover
        """Store responses in `settings.raw_archive`; return them and summary lines."""
        raise NotImplementedError


class ArchivedPagesOnly(IsunPageSource):
    """Fetches nothing: the build re-runs offline from what the raw archive already holds."""

    def fetch_into(self, settings: Settings, log) -> tuple[list[RawResponse], list[str]]:
        line = (
            f"offline: rebuilding from the raw archive {settings.raw_archive.root} without fetching"
        )
        log.info(line)
        return [], [line]


class RecordedIsunPages(IsunPageSource):
    """Replays a recording (`manifest.json` + bodies) into the raw archive; no network.

    `bulk_corpus_dir`, if set, is a recording of the open-data API and the register export
    (the bundled `sample/isun_bulk`), replayed too."""

    corpus_dir: str = str(SAMPLE_CORPUS)
    bulk_corpus_dir: str = ""

    def fetch_into(self, settings: Settings, log) -> tuple[list[RawResponse], list[str]]:
        rejected: list[dict] = []
        records = replay_recording(self.corpus_dir, settings.raw_archive, rejected)
        lines = [f"replayed {len(records)} recorded responses from {self.corpus_dir}"]
        if self.bulk_corpus_dir:
            bulk = replay_recording(self.bulk_corpus_dir, settings.raw_archive, rejected)
            records += bulk
            lines.append(
                f"replayed {len(bulk)} recorded open-data API and register export responses "
                f"from {self.bulk_corpus_dir}"
            )
        settings.save_rejected_inputs("isun_pages", rejected)
        if rejected:
            lines[0] += f"; {len(rejected)} manifest entries refused (quarantine, table 'inputs')"
            for row in rejected:
                log.warning(row["message"])
        for line in lines:
            log.info(line)
        return records, lines


class LiveIsunCrawler(IsunPageSource):
    """Crawls ИСУН (or a mirror at `isun_base_url`) politely, within a request budget per run.

    Its settings (`isun_base_url`, `requests_per_night`, `interval_seconds`, `contact`,
    `api_interval_seconds`, `max_programme_calls`) are those of `pipelines.settings`."""

    isun_base_url: str = ISUN_BASE_URL
    requests_per_night: int = 2000
    interval_seconds: float | None = None  # None: 4 s for 2020.eufunds.bg
    contact: str = "opendata@bgfunds.example"
    read_timeout_seconds: float = 30.0
    backoff_base_seconds: float = 2.0
    show_progress: bool = False
    # The bulk sources (open-data API, register export), fetched first every night as data.
    bulk: bool = True
    api_interval_seconds: float = DEFAULT_API_INTERVAL_SECONDS
    api_max_bytes: int = DEFAULT_API_MAX_BYTES
    max_programme_calls: int | None = None  # None: every programme the API lists

    def crawl_config(self) -> CrawlConfig:
        return CrawlConfig(
            base_url=self.isun_base_url,
            requests_per_night=self.requests_per_night,
            interval_seconds=self.interval_seconds,
            contact=self.contact,
            read_timeout_seconds=self.read_timeout_seconds,
            backoff_base_seconds=self.backoff_base_seconds,
        )

    def bulk_config(self) -> BulkConfig:
        return BulkConfig(
            api_interval_seconds=self.api_interval_seconds,
            api_max_bytes=self.api_max_bytes,
            max_programme_calls=self.max_programme_calls,
        )

    def fetch_into(self, settings: Settings, log) -> tuple[list[RawResponse], list[str]]:
        config = self.crawl_config()
        bulk_records: list[RawResponse] = []
        bulk_lines: list[str] = []
        if self.bulk:
            night = fetch_bulk(config, self.bulk_config(), settings.raw_archive)
            bulk_records, bulk_lines = night.records, night.lines()
            for line in bulk_lines:
                (log.warning if night.stopped else log.info)(line)
            if night.stopped:
                # Refused like a WAF page: no more requests to the host tonight; pages wait too.
                line = "contract pages: none tonight, the host refused the bulk sources"
                log.warning(line)
                return bulk_records, [*bulk_lines, line]
            config.listings = page_listings(config)
            config.requests_per_night = max(config.requests_per_night - night.requests, 0)
            config.row_fingerprints = bulk_row_fingerprints(
                settings.raw_archive, night.records, settings.warehouse_path
            )
            if night.requests:
                time.sleep(config.policy().interval_for(urlparse(config.base_url).hostname or ""))
        state = CrawlState(settings.crawl_state_path)
        bar = None
        if self.show_progress:
            from tqdm import tqdm

            bar = tqdm(unit="page", desc="contract pages")

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)

        try:
            summary = run_crawl(config, settings.raw_archive, state, progress=progress)
        finally:
            state.close()
            if bar is not None:
                bar.close()
        report = {
            "run_id": summary.run_id,
            "resumed": summary.resumed,
            "listing_pages": summary.listing_pages,
            "contracts_listed": summary.contracts_listed,
            "planned": summary.planned,
            "fetched": summary.fetched,
            "not_modified": summary.not_modified,
            "failed": summary.failed,
            "stopped": summary.stopped,
            "http": summary.http,
        }
        tmp = settings.root / ".last_crawl.json.tmp"
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(
            settings.root / "last_crawl.json"
        )  # the CLI's run_status.json reads the requests from it
        for line in summary.lines():
            (log.warning if summary.stopped else log.info)(line)
        return [*bulk_records, *summary.records], [*summary.lines(), *bulk_lines]


class DocumentSource(dg.ConfigurableResource):
    """Where news, NGO, event and strategy documents come from; every response is archived."""

    def fetch_into(self, settings: Settings, log) -> list[RawResponse]:  # pragma: no cover
        raise NotImplementedError


class ArchivedDocumentsOnly(DocumentSource):
    """Fetches nothing: the documents are the raw archive's responses that are not ИСУН pages
    (ИСУН's or a mirror's: `sources.isun_crawl.is_isun_url`)."""

    def fetch_into(self, settings: Settings, log) -> list[RawResponse]:
        archive = settings.raw_archive
        records = [
            RawResponse(**r)
            for r in archive.memo(
                # the listing depends on the manifest and on what counts as an ИСУН URL
                f"documents-{code_version('sources.isun_crawl')}",
                lambda: [asdict(r) for r in archive.records() if not is_isun_url(r.url)],
            )
        ]
        log.info(f"offline: {len(records)} archived document responses, nothing fetched")
        return records


class RecordedDocuments(DocumentSource):
    """Replays a recording of news, NGO, event and strategy documents into the raw archive."""

    corpus_dir: str = str(SAMPLE_DOCUMENTS)

    def fetch_into(self, settings: Settings, log) -> list[RawResponse]:
        rejected: list[dict] = []
        records = replay_recording(self.corpus_dir, settings.raw_archive, rejected)
        settings.save_rejected_inputs("documents", rejected)
        for row in rejected:
            log.warning(row["message"])
        log.info(
            f"replayed {len(records)} recorded documents from {self.corpus_dir}"
            + (f"; {len(rejected)} manifest entries refused" if rejected else "")
        )
        return records
