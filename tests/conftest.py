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


# --- unit and integration tests, marked apart (`make unit` runs the unit ones in seconds) ----------
# Integration: anything that runs Dagster, a loopback server, a browser, a subprocess, a process
# pool or the full sample build. A test is integration when its module is listed here, when it
# asks for a fixture listed here, or when its body calls one of INTEGRATION_CALLS; else unit.
INTEGRATION_MODULES = {
    "test_absorption",  # the sample build
    "test_bench_corpus",  # the Dagster job on a synthetic corpus
    "test_crawl_client",  # loopback fault server
    "test_crawl_e2e",  # loopback ИСУН mirror, then the Dagster job
    "test_crawl_hostile",  # loopback fault servers
    "test_deploy_dagster",  # PostgreSQL, dagster-daemon and dagster-webserver processes
    "test_deploy_systemd",  # systemd-analyze on the units
    "test_extract_cli",  # the CLI, Chromium-printed PDFs
    "test_health",  # loopback /health and webhook receiver
    "test_hostile_inputs",  # the Dagster job on a hostile recording
    "test_nightly",  # the CLI's night on the sample, loopback webhook
    "test_night_sensors",  # a Dagster run, loopback webhook
    "test_operator",  # the CLI and the Dagster instance
    "test_pipeline",  # the sample build
    "test_publish_remote",  # moto's S3 server process, the sample build
    "test_release",  # releases built by the Dagster job
    "test_serve",  # loopback HTTP server, DuckDB 1 in a subprocess
    "test_site",  # the sample build, headless Chromium
}
INTEGRATION_FIXTURES = {"sample_build", "two_releases", "isun_projects", "api"}
INTEGRATION_CALLS = {"run_build", "main", "FaultServer", "IsunMirror", "subprocess"}
INTEGRATION_TESTS = {"test_a_process_pool_stages_the_same_rows_as_one_process"}  # spawns workers


def _is_integration(item: pytest.Item) -> bool:
    code = getattr(getattr(item, "function", None), "__code__", None)
    return (
        item.path.stem in INTEGRATION_MODULES
        or bool(INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())))
        or bool(code is not None and INTEGRATION_CALLS & set(code.co_names))
        or getattr(item, "originalname", item.name) in INTEGRATION_TESTS
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.integration if _is_integration(item) else pytest.mark.unit)
