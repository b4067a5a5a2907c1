"""The blind extraction splits hold nothing looked at before them (bench/split_overlap.py).

Every split marked `overlap_checked` in tests/data/extraction_devset/splits.json shares no URL, no
normalised text and no 200-character run with any page of the splits labelled before it, the seed
pages or the fixture pages, nor do two of its own pages share one.
"""

import json

import pytest

from bench import split_overlap

pytestmark = pytest.mark.unit

SPLITS = json.loads((split_overlap.DEVSET / "splits.json").read_text(encoding="utf-8"))
ORDER = list(SPLITS)
CHECKED = [name for name, meta in SPLITS.items() if meta.get("overlap_checked")]


def test_every_labelled_split_is_listed_with_its_labelling_date():
    used = {page["split"] for page in split_overlap.devset_pages()}
    assert used <= set(SPLITS)
    assert all(meta["labelled"] >= "2026-11-01" for meta in SPLITS.values())


@pytest.mark.parametrize("split", CHECKED)
def test_a_blind_split_shares_nothing_with_what_came_before(split):
    later = ORDER[ORDER.index(split) :]
    before = split_overlap.held(exclude_splits=later)
    pages = split_overlap.devset_pages([split])
    assert len(pages) >= 60
    reasons = split_overlap.check([{"url": p["url"], "text": p["text"]} for p in pages], before)
    assert [(p["page"], r) for p, r in zip(pages, reasons, strict=True) if r] == []


def test_the_check_drops_a_copied_run_and_a_same_url():
    before = split_overlap.held(exclude_splits=CHECKED)
    dev = split_overlap.devset_pages(["dev"])[0]
    copied = "Нова страница. " + dev["text"][:400] + " Край."
    assert split_overlap.check([{"url": "https://example.org/new", "text": copied}], before)[0]
    assert (
        "same URL"
        in split_overlap.check(
            [{"url": dev["url"].replace("https://", "http://www."), "text": "друг текст"}], before
        )[0]
    )
