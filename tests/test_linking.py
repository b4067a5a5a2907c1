"""Linking ИСУН contracts with other sources' claims; conflicts kept side by side."""

import pandas as pd
import pytest

from pipelines.cli import run_build
from tests.conftest import SAMPLE_QUERY
from tests.corpus_tools import Corpus
from transforms.linking import CLAIM_COLUMNS, claims_from_isun, link_claims

SEED_001_CODE = "BG05SFOP001-2.009-0010-C01"


def news_claim(**overrides) -> dict:
    """What seed 001 (the municipal news page) states, as the extractor gives it."""
    claim = {
        "source_kind": "municipal-news",
        "source_url": "file:seeds/001_bed355c73594888d.txt",
        "fetched_at": pd.Timestamp("2026-11-25T00:00:00Z"),
        "content_sha256": "0" * 64,
        "project_code": SEED_001_CODE,
        "title": "Гражданите в партньорство с местната администрация за създаване на една "
        "по-добра социална среда на местно ниво",
        "beneficiary": "Сдружение „Съюз за възстановяване и развитие” – гр. Хасково",
        "amount_total_bgn": 88840.80,
        "amount_total_eur": 45423.58,
        "amount_eu_bgn": 75514.68,
        "amount_national_bgn": 13326.12,
        "start_date": pd.Timestamp("2019-01-18"),
        "end_date": None,
        "duration_months": 18,
    }
    claim.update(overrides)
    return claim


@pytest.fixture(scope="module")
def isun_projects(tmp_path_factory):
    data = tmp_path_factory.mktemp("link")
    assert run_build(data).success
    import duckdb

    return (
        duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
        .execute("SELECT * FROM projects WHERE detail_level = 'pages'")  # the pages' contracts
        .df()
    )


def test_news_page_and_isun_contract_become_one_project_without_conflicts(isun_projects):
    claims = pd.concat(
        [claims_from_isun(isun_projects), pd.DataFrame([news_claim()], columns=CLAIM_COLUMNS)]
    )
    result = link_claims(claims)
    project = result.linked_projects.set_index("project_key").loc[SEED_001_CODE]
    assert project["source_kinds"] == "isun;municipal-news" and project["n_sources"] == 2
    assert project["n_conflicting_fields"] == 0
    assert len(result.linked_projects) == len(isun_projects)  # nothing new, nothing split
    kinds = result.project_sources[
        (result.project_sources.project_key == SEED_001_CODE)
        & (result.project_sources.field == "amount_total_bgn")
    ]
    assert sorted(zip(kinds.source_kind, kinds.value, strict=False)) == [
        ("isun", "88840.8"),
        ("municipal-news", "88840.8"),
    ]


def test_claim_without_code_is_matched_by_title_and_beneficiary(isun_projects):
    claim = news_claim(
        project_code=None,
        source_kind="ngo-project",
        title="Гражданите в партньорство с местната администрация за по-добра социална среда",
    )
    result = link_claims(
        pd.concat([claims_from_isun(isun_projects), pd.DataFrame([claim], columns=CLAIM_COLUMNS)])
    )
    row = result.claims[result.claims.source_kind == "ngo-project"].iloc[0]
    assert row.project_key == SEED_001_CODE and row.match_method == "fuzzy_title_beneficiary"
    assert 85 <= row.match_score < 100


def test_unrelated_claim_stays_apart(isun_projects):
    claim = news_claim(
        project_code=None, title="Ремонт на читалище в с. Горно поле", beneficiary="Община Мадан"
    )
    result = link_claims(
        pd.concat([claims_from_isun(isun_projects), pd.DataFrame([claim], columns=CLAIM_COLUMNS)])
    )
    row = result.claims[result.claims.source_kind == "municipal-news"].iloc[0]
    assert row.match_method == "unmatched" and row.project_key.startswith("unmatched:")
    assert len(result.linked_projects) == len(isun_projects) + 1


def test_conflicting_total_is_listed_with_both_values(tmp_path):
    # ИСУН after an annex shows a lower total than the municipality announced.
    corpus = Corpus(tmp_path / "corpus").edit(
        "PrintProject?" + SAMPLE_QUERY["seed001"], "88 840.80</span> BGN", "88 739.61</span> BGN"
    )
    assert run_build(tmp_path / "data", corpus.dir).success
    import duckdb

    projects = (
        duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
        .execute("SELECT * FROM projects")
        .df()
    )
    result = link_claims(
        pd.concat([claims_from_isun(projects), pd.DataFrame([news_claim()], columns=CLAIM_COLUMNS)])
    )
    conflicts = result.project_conflicts.set_index(["project_key", "field"])
    total = conflicts.loc[(SEED_001_CODE, "amount_total_bgn")]
    assert total["n_sources"] == 2 and total["max_difference"] == 101.19
    assert '"value": "88739.61"' in total["values"] and '"value": "88840.8"' in total["values"]
    assert {f for k, f in conflicts.index if k == SEED_001_CODE} == {
        "amount_total_bgn",
        "amount_total_eur",
        "amount_eu_bgn",
        "amount_national_bgn",
    }
