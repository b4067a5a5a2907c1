"""Dagster resources: where data lives, and where ИСУН pages come from.

`IsunPageSource` has a recorded implementation (replays a recording, such as the bundled
sample corpus, into the raw archive); tests and the CLI swap implementations through
`build_defs(resource_overrides=...)` rather than by editing code.
"""


from pathlib import Path

import dagster as dg

from sources.raw_archive import RawArchive, RawResponse
from sources.recorded import SAMPLE_CORPUS, replay_recording


class Settings(dg.ConfigurableResource):
    """Paths of the build; relative paths are taken from the working directory."""

    data_dir: str = "data"

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def raw_archive(self) -> RawArchive:
        return RawArchive(self.root / "raw")

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.root / "publish"


class IsunPageSource(dg.ConfigurableResource):
    """Where ИСУН contract pages come from. Subclasses store every response in the archive."""

    def fetch_into(self, archive: RawArchive, log) -> list[RawResponse]:  # pragma: no cover
        raise NotImplementedError


class RecordedIsunPages(IsunPageSource):
    """Replays a recording (`manifest.json` + bodies) into the raw archive; no network."""

    corpus_dir: str = str(SAMPLE_CORPUS)

    def fetch_into(self, archive: RawArchive, log) -> list[RawResponse]:
        records = replay_recording(self.corpus_dir, archive)
        log.info(f"replayed {len(records)} recorded responses from {self.corpus_dir}")
        return records
