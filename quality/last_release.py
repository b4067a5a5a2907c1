"""The last release's quality report, read without importing anything heavy.

`<publish>/latest/quality_report.json` records what the last release was built from (the
inputs fingerprint, every asset's code version) and what it held (row counts per table).
The quiet night reads it before Dagster is imported (`pipelines.quiet_night`), the blocking
checks and the checkpoint read last night's row counts from it (`quality.rules_sql`): one
reader for both, on the standard library alone.
"""

from __future__ import annotations

import json
from pathlib import Path


def last_quality_report(publish_dir: Path | str) -> dict:
    """The last release's `quality_report.json`; {} before the first release."""
    report = Path(publish_dir) / "latest" / "quality_report.json"
    if not report.exists():
        return {}
    return json.loads(report.read_text(encoding="utf-8"))


def last_row_counts(publish_dir: Path | str) -> dict[str, int]:
    """Row counts of the last release, by table (its quality report); {} before the first."""
    return last_quality_report(publish_dir).get("row_counts", {})
