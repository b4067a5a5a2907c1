"""A night links what changed (`pipelines.link_reuse`): the link tables made from the previous
build's rows for unchanged project keys and afresh for the others are those of linking
everything, row for row and in the same order."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines import link_reuse
from registry.documents import LINKED_PROJECTS, PROJECT_CONFLICTS, PROJECT_SOURCES
from tests.test_linking_equivalence import _claims
from transforms import linking

pytestmark = pytest.mark.unit

TABLES = {t.name: t for t in (LINKED_PROJECTS, PROJECT_SOURCES, PROJECT_CONFLICTS)}


def _night(claims: pd.DataFrame) -> pd.DataFrame:
    """Tonight's claims: every open-data API answer fetched again (a new time and body for
    each, the amounts as they were), seven contracts' amounts moved, three claims gone, a new
    contract."""
    night = claims.copy()
    api = night["source_kind"].eq("isun-api")
    night.loc[api, "fetched_at"] = pd.Timestamp("2026-12-08T01:00:00Z")
    night.loc[api, "content_sha256"] = "1" * 64
    moved = night.index[night["source_kind"].eq("isun")][:7]
    night.loc[moved, "amount_total_bgn"] = night.loc[moved, "amount_total_bgn"] + 5
    night = night.drop(night.index[30:33])
    new = claims.iloc[[5]].assign(project_code="BG16RFOP002-9.999-0001-C01", title="Нов проект")
    return pd.concat([night, new], ignore_index=True)


def test_spliced_tables_are_those_of_linking_everything():
    claims = linking.key_claims(_claims(400))
    before = linking.link_keyed(claims)
    tonight = linking.key_claims(_night(_claims(400)))
    replaced = linking.changed_keys(linking.key_digests(tonight), linking.key_digests(claims))
    # The moved amounts, the keys of the claims gone and the new contract; not the others.
    assert 3 <= len(replaced) <= 12 and "BG16RFOP002-9.999-0001-C01" in replaced
    spliced = linking.splice_links(
        {n: getattr(before, n) for n in linking.LINK_TABLE_NAMES}, tonight, replaced
    )
    full = linking.link_keyed(tonight)
    for name in linking.LINK_TABLE_NAMES:
        pd.testing.assert_frame_equal(spliced[name], getattr(full, name), check_exact=True)


def test_a_digest_sees_every_claim_value_and_their_order():
    claims = linking.key_claims(_claims(50))
    digests = linking.key_digests(claims)
    counts = claims["project_key"].value_counts()
    key = counts.index[counts > 1][0]  # a project several sources speak of
    same_key = claims.index[claims["project_key"] == key]
    changed = claims.copy()
    changed.loc[same_key[0], "status"] = "Прекратен"
    assert linking.changed_keys(linking.key_digests(changed), digests) == {key}
    # The same claims in another order are other tables (the order of a conflict's values).
    swapped = claims.loc[[*same_key[::-1], *claims.index.difference(same_key)]]
    assert linking.changed_keys(linking.key_digests(swapped), digests) == {key}
    assert linking.changed_keys(linking.key_digests(claims.copy()), digests) == set()


def test_a_night_stages_what_linking_everything_stages(tmp_path, monkeypatch):
    night_dir, full_dir = tmp_path / "night", tmp_path / "full"
    link_reuse.stage_links(night_dir, TABLES, linking.key_claims(_claims(400)), "v1")
    tonight = linking.key_claims(_night(_claims(400)))
    linked: list[int] = []
    real = linking.link_keyed

    def counting(claims):
        linked.append(len(claims))
        return real(claims)

    monkeypatch.setattr(linking, "link_keyed", counting)
    monkeypatch.setattr(link_reuse, "link_keyed", counting)
    staged = link_reuse.stage_links(night_dir, TABLES, tonight, "v1")
    assert linked and linked[0] < len(tonight) / 10  # only the changed keys' claims
    rebuilt = link_reuse.stage_links(full_dir, TABLES, tonight, "v1")
    assert linked[-1] == len(tonight)  # no previous links there: everything
    for name in TABLES:
        a, b = staged[name].to_pandas(), rebuilt[name].to_pandas()
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    # Another code version, or --force: everything again.
    linked.clear()
    link_reuse.stage_links(night_dir, TABLES, tonight, "v2")
    link_reuse.stage_links(night_dir, TABLES, tonight, "v2", force=True)
    assert linked == [len(tonight), len(tonight)]
    # A night with nothing changed computes no key.
    linked.clear()
    link_reuse.stage_links(night_dir, TABLES, tonight, "v2")
    assert linked == [0]


def test_linking_everything_a_few_keys_at_a_time_stages_the_same_tables(tmp_path):
    claims = linking.key_claims(_claims(400))
    whole = link_reuse.stage_links(tmp_path / "whole", TABLES, claims, "v1", keys_per_chunk=10**9)
    chunked = link_reuse.stage_links(tmp_path / "chunked", TABLES, claims, "v1", keys_per_chunk=7)
    reference = linking.link_keyed(claims)
    assert whole["project_sources"].rows == len(reference.project_sources) > 1000
    assert chunked["project_conflicts"].rows == len(reference.project_conflicts) > 0
    for name in TABLES:
        a, b = chunked[name].to_pandas(), whole[name].to_pandas()
        assert len(list(Path(chunked[name].path).glob("*.parquet"))) > 1  # written part by part
        pd.testing.assert_frame_equal(a, b, check_exact=True)
