"""Shared fixtures: the seeds, the sample corpus, and one real build of the sample."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from bench.isun_sample import SAMPLE_CONTRACT_IDS
from pipelines.cli import run_build
from sources.recorded import SAMPLE_CORPUS
from tests.corpus_tools import Corpus

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
SEED_000 = SEEDS / "000_5b4cec09bd580300.txt"
# The sample corpus's contracts (bench/isun_sample.py): decoded contractId, and the query part of their URLs.
SAMPLE_IDS = SAMPLE_CONTRACT_IDS
SAMPLE_QUERY = {name: "contractId=" + quote(token, safe="") for name, token in SAMPLE_IDS.items()}


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
    corpus = (
        Corpus(root / "corpus")
        .edit(SAMPLE_QUERY["eur"], "222 600.00</span> EUR", "445 200.00</span> EUR")
        .edit(
            "BasicData?" + SAMPLE_QUERY["seed000"],
            "Фондация „Гражданска инициатива“",
            '=HYPERLINK("http://x")',
        )
        .add_copy(
            SAMPLE_QUERY["eur"], "90211", {"BG16FFPR003-1.001-0007": "BG16FFPR003-1.001-0008"}
        )
    )
    second = run_build(data, corpus.dir)
    assert second.success, second
    return data, Path(first.release), Path(second.release)
