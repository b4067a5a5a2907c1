"""Shared fixtures: the seeds, the sample corpus, and one real build of the sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import run_build
from sources.recorded import SAMPLE_CORPUS

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
SEED_000 = SEEDS / "000_5b4cec09bd580300.txt"


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """Run the whole Dagster job in-process on the sample corpus, once per test session."""
    data_dir = tmp_path_factory.mktemp("build")
    summary = run_build(data_dir, SAMPLE_CORPUS)
    assert summary.success, summary
    return data_dir, summary
