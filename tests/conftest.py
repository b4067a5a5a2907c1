"""Shared fixtures: the seeds, the sample corpus, and one real build of the sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import run_build
from sources.recorded import SAMPLE_CORPUS
from tests.corpus_tools import Corpus

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


@pytest.fixture(scope="session")
def two_releases(tmp_path_factory):
    """Release 1 from the sample; release 2 after paid amounts moved, a project was added,
    and a beneficiary name arrived that a spreadsheet would run as a formula."""
    root = tmp_path_factory.mktemp("releases")
    data = root / "data"
    first = run_build(data)
    assert first.success
    corpus = (Corpus(root / "corpus")
              .edit("contractId=90210", "<td>222 600.00</td></tr>", "<td>445 200.00</td></tr>")
              .edit("BasicData?contractId=4711", "Фондация „Гражданска инициатива“", "=HYPERLINK(\"http://x\")")
              .add_copy("contractId=90210", "90211", {"BG16FFPR003-1.001-0007": "BG16FFPR003-1.001-0008"}))
    second = run_build(data, corpus.dir)
    assert second.success, second
    return data, Path(first.release), Path(second.release)
