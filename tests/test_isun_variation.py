"""Real variation of ИСУН pages that once broke a build or a table, on pages rendered from the views.

- "Местонахождение: Няма" (BasicData.cshtml / PrintProject.cshtml's branch for no places): no places,
  never a crash; one such contract in a 1 000-contract corpus does not stop the build.
- Location paths without NUTS codes (2015 contracts): NUTS 1, region and district by position.
- Natural-person beneficiaries (`uinType=PersonalBulstat`, printed by first name): never one
  organisation across projects.
- `extract` on an ИСУН page: recognised by its structure, read by the ИСУН parser, the footer's
  code never taken for the project's.
"""

from __future__ import annotations

import json
import random

import duckdb
import pytest

from bench.isun_render import SITE_TEXTS, contract_url, render_print, render_tab
from bench.synthetic_corpus import CorpusFacts, _contract, generate
from sources.extract import extract, is_isun_page
from sources.isun import parse_isun_html
from sources.raw_archive import RawArchive
from tests.conftest import FIXTURES, SEEDS
from tests.isun_mirror import CONTRACT_IDS, contract
from transforms.isun_location import isun_location_places

BASE = "https://2020.eufunds.bg"
SITE_LABELS = json.loads((FIXTURES / "isun" / "isun_labels_bg_en.json").read_text("utf-8"))
FOOTER_CODES = ("BG05SFOP001-4.002-0003", "BG161PO002-2.1.01-0007-C0001")


@pytest.mark.unit
def test_the_footer_codes_are_the_sites_own_footer_text():
    for lang, code in zip(("bg", "en"), FOOTER_CODES, strict=True):
        assert (
            SITE_TEXTS["Shared_Footer_Project"][lang] == SITE_LABELS["Shared_Footer_Project"][lang]
        )
        assert code in SITE_LABELS["Shared_Footer_Project"][lang]


@pytest.mark.unit
def test_nyama_places_are_no_places_on_every_page_and_in_the_location_table():
    c = contract(CONTRACT_IDS[0])
    c.places = []
    for tab in ("PrintProject", "BasicData"):
        html = render_print(c) if tab == "PrintProject" else render_tab(c, tab)
        assert "Няма" in html
        assert parse_isun_html(html, contract_url(c, tab, BASE)).places == []
    for missing in (None, float("nan"), "Няма", "None", ""):
        assert isun_location_places(missing) == []


@pytest.mark.unit
def test_location_paths_without_nuts_codes_resolve_district_and_municipality():
    coded = "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Видин (BG311), Белоградчик"
    bare = "България, Северна и югоизточна България, Северозападен, Видин, Белоградчик"

    def levels(path):
        return [(p["level"], p["code"], p["nuts3"]) for p in isun_location_places(path)]

    assert (
        levels(bare)
        == levels(coded)
        == [
            ("country", "BG", None),
            ("nuts1", "BG3", None),
            ("region", "BG31", None),
            (
                "district",
                "BG311",
                "BG311",
            ),  # was: a municipality VID09 (Видин's own), and no district
            ("municipality", "VID01", "BG311"),
        ]
    )
    assert levels("България") == [("country", "BG", None)]


@pytest.mark.unit
def test_natural_person_beneficiaries_are_never_one_organisation():
    from pipelines.isun_batches import parse_and_build_in_batches

    rng, facts = random.Random(3), CorpusFacts()
    pages = []
    for i, town in enumerate(("гр. Видин", "гр. Русе")):
        c = _contract(rng, 100000 + i, facts)[0]
        c.beneficiary_uin, c.beneficiary_name = (
            None,
            "Иван",
        )  # a farmer: PersonalBulstat, first name only
        c.places = [f"България, {town}"]
        pages += [
            (contract_url(c, "PrintProject", BASE), render_print(c)),
            (contract_url(c, "BasicData", BASE), render_tab(c, "BasicData")),
        ]
        assert "uinType=PersonalBulstat" in render_tab(c, "BasicData")
    store = _archive(pages)
    tables = parse_and_build_in_batches(list(store.records()), store.read)
    people = tables.project_organisations[tables.project_organisations["role"] == "beneficiary"]
    assert len(people) == 2 and people["organisation_id"].nunique() == 2
    assert people["is_natural_person"].all() and people["name_as_published"].isna().all()


def _archive(pages):
    import tempfile

    store = RawArchive(tempfile.mkdtemp(prefix="bgfunds-variation-"), durable=False)
    for url, html in pages:
        store.store(
            url,
            html.encode("utf-8"),
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
            fetched_at="2026-03-01T02:00:00Z",
        )
    return store


@pytest.mark.unit
@pytest.mark.parametrize("lang", ["bg", "en"])
@pytest.mark.parametrize("tab", ["Activities", "BasicData", "PrintProject"])
def test_extract_recognises_an_isun_page_and_never_takes_the_footer_code(lang, tab):
    from sources.documents import html_to_text

    c = contract(CONTRACT_IDS[0])
    c.lang = lang
    html = render_print(c) if tab == "PrintProject" else render_tab(c, tab)
    url = contract_url(c, tab, BASE)
    for text, is_html in ((html, True), (html_to_text(html), False)):
        assert is_isun_page(text)
        record = extract(text, "auto", is_html=is_html, url=url)
        assert record["kind"] == "isun"
        assert record.get("project_code") not in FOOTER_CODES
        assert not any(code in str(record) for code in FOOTER_CODES)
        if is_html and tab != "Activities":
            assert record["project_code"] == "BG16FFPR003-1.001-1001-C01"


@pytest.mark.unit
def test_news_and_strategies_are_not_taken_for_isun_pages():
    seeds = sorted(SEEDS.glob("0*.txt"))
    assert len(seeds) == 5
    for path in seeds:
        assert is_isun_page(path.read_text("utf-8")) == path.name.startswith("000"), path.name


@pytest.mark.integration
def test_one_contract_without_places_does_not_stop_a_1000_contract_build(tmp_path):
    from pipelines.cli import run_build
    from pipelines.resources import ArchivedPagesOnly

    generate(1000, tmp_path / "raw", seed=11)
    c = _contract(random.Random(5), 190001, CorpusFacts())[0]
    c.places = []  # "Местонахождение: Няма"
    RawArchive(tmp_path / "raw").store(
        contract_url(c, "PrintProject", BASE),
        render_print(c).encode("utf-8"),
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        fetched_at="2026-03-01T02:00:00Z",
    )
    summary = run_build(tmp_path, source=ArchivedPagesOnly())
    assert summary.success, summary.failures
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM projects").fetchone()[0] == 1001
        assert con.execute(
            "SELECT location, (SELECT count(*) FROM project_places p WHERE p.project_code = q.project_code)"
            " FROM projects q WHERE project_code = ?",
            [c.reg_number],
        ).fetchone() == (None, 0)
    finally:
        con.close()
