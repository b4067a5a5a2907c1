"""What a journalist, an analyst and a watchdog get from a release: absorption files, the
static site (in headless Chromium), trends as of each release, Atom feeds, XLSX, DCAT-AP 3."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from html import escape
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.serve import make_server
from tests.conftest import SAMPLE_IDS
from warehouse.catalogue import EXAMPLE_QUERIES
from warehouse.dcat_ap import DEFAULT_BASE_URL, validate_dcat
from warehouse.site_common import number_bg
from warehouse.views import ABSORPTION_VIEWS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STAMBOLOVO = "HKV30"  # contract 7283 is located there


@pytest.fixture(scope="module")
def site_server(two_releases):
    """The publish root on a loopback port, served in this process (`pipelines.serve`)."""
    data, _, _ = two_releases
    server = make_server(data / "publish", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_absorption_views_are_released_as_parquet_csv_and_xlsx(two_releases):
    from openpyxl import load_workbook

    _, _, second = two_releases
    dictionary = pd.read_csv(second / "data_dictionary.csv", encoding="utf-8-sig")
    for name in (*ABSORPTION_VIEWS, "totals_over_releases"):
        parquet = pd.read_parquet(second / f"{name}.parquet")
        csv = pd.read_csv(second / f"{name}.csv", encoding="utf-8-sig")
        assert len(parquet) == len(csv) > 0, name
        amounts = [c for c in parquet.columns if c.startswith(("contracted", "reported", "paid"))]
        assert amounts and all(c.endswith(("_eur", "_bgn")) for c in amounts), (
            name
        )  # the currency is in the name
        sheet = load_workbook(second / f"{name}.xlsx", read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[1]) == list(parquet.columns) and len(rows) == len(parquet) + 2
        assert set(dictionary[dictionary.table == name].field) == set(parquet.columns)
    municipality = dictionary[dictionary.table == "absorption_by_municipality"]
    assert (
        len(municipality) and (second / "data_dictionary.md").read_text().count("не събирайте") == 2
    )
    by_municipality = pd.read_parquet(second / "absorption_by_municipality.parquet").set_index(
        "municipality_code"
    )
    # Every contract placed in Стамболово counts: the 7 the open-data API lists (the real register rows'
    # totals) and the one only the register export lists (BG-RRP-4.028-0017); reported amounts exist only
    # where pages were read (contract …-0010-C01), and the execution rate stands on those.
    con = duckdb.connect(str(second / "warehouse.duckdb"), read_only=True)
    api = con.execute(
        "SELECT count(*), sum(amount_total_bgn), sum(amount_paid_eur) FROM isun_api_projects WHERE "
        "proposal_code IN (SELECT proposal_code FROM isun_api_places WHERE lau_code = ?)",
        [STAMBOLOVO],
    ).fetchone()
    export_only = con.execute(
        "SELECT count(*), sum(amount_total_bgn), sum(amount_paid_eur) FROM isun_export_projects WHERE "
        "proposal_code NOT IN (SELECT proposal_code FROM isun_api_projects) AND location LIKE '%Стамболово'"
    ).fetchone()
    con.close()
    assert api[0] == 7 and export_only[0] == 1
    assert by_municipality.loc[STAMBOLOVO, "projects"] == 8
    assert by_municipality.loc[STAMBOLOVO, "projects_with_pages"] == 1
    assert float(api[1]) == 7999351.56
    assert float(by_municipality.loc[STAMBOLOVO, "contracted_bgn"]) == pytest.approx(
        float(api[1]) + float(export_only[1])
    )
    assert float(by_municipality.loc[STAMBOLOVO, "paid_eur"]) == pytest.approx(
        float(api[2]) + float(export_only[2])
    )
    assert (
        float(by_municipality.loc[STAMBOLOVO, "reported_bgn"]) == 88208.87
    )  # the sum of …-0010-C01's activities
    assert float(by_municipality.loc[STAMBOLOVO, "execution_rate"]) == pytest.approx(
        88208.87 / 88840.80, abs=1e-4
    )  # reported / contracted of the one contract whose pages were read, not of all 8
    report = json.loads((second / "quality_report.json").read_text())
    # every contract: 10 in the API, 1 only in the export, 1 crawled page the bulk sources do not list
    assert report["coverage"]["projects"] == 12 and "12 договора" in report["coverage"]["site_line"]
    assert escape(report["coverage"]["site_line"]) in (second / "index.html").read_text()


def test_xlsx_has_bulgarian_titles_real_numbers_and_no_formulas(two_releases):
    from openpyxl import load_workbook

    _, _, second = two_releases
    sheet = load_workbook(second / "projects.xlsx").active
    titles, names = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert (
        titles[names.index("amount_paid_eur")]
        == "Общо реално изплатени суми, в евро (1 EUR = 1,95583 лв.) (EUR)"
    )
    rows = {r[names.index("isun_contract_id")].value: r for r in sheet.iter_rows(min_row=3)}
    paid = rows[SAMPLE_IDS["eur"]][names.index("amount_paid_eur")]
    assert paid.data_type == "n" and paid.value == 445200.0
    formula = rows[SAMPLE_IDS["seed000"]][names.index("beneficiary_name")]
    assert (
        formula.value == '=HYPERLINK("http://x")' and formula.data_type == "s"
    )  # text, not a formula


def test_totals_over_releases_are_the_state_as_of_each_release(two_releases):
    """Release 2 changed one project's paid amount, left the others alone and added one: the
    totals as of each release equal that release's own projects, not the changed rows."""
    _, first, second = two_releases
    trend = pd.read_parquet(second / "totals_over_releases.parquet").set_index("release_id")
    for release in (first, second):
        projects = pd.read_parquet(release / "projects.parquet")
        assert trend.loc[release.name, "projects"] == len(projects)
        for total, column in (
            ("paid_eur", "amount_paid_eur"),
            ("contracted_bgn", "amount_total_bgn"),
        ):
            assert float(trend.loc[release.name, total]) == pytest.approx(
                float(projects[column].sum())
            ), total
        activities = pd.read_parquet(release / "activities.parquet")
        assert float(trend.loc[release.name, "reported_eur"]) == pytest.approx(
            float(activities.amount_reported_eur.sum())
        )
    # The naive sum over the history (rows that changed) is what the old catalogue showed: wrong.
    history = pd.read_parquet(second / "history_projects.parquet")
    naive = float(history[history.release_id == second.name].amount_paid_eur.sum())
    assert naive < float(trend.loc[second.name, "paid_eur"])
    # The catalogue's example query (state as of each release over the Parquet files) agrees.
    sql = next(q for title, q in EXAMPLE_QUERIES if "over releases" in title)
    con = duckdb.connect()
    rows = dict(
        (r[0], float(r[2]))
        for r in con.execute(
            sql.replace("'history_projects.parquet'", f"'{second / 'history_projects.parquet'}'")
        ).fetchall()
    )
    assert rows == pytest.approx({k: float(v) for k, v in trend.paid_eur.items()})
    # A project page lists the releases in which its amounts changed: an unchanged project one
    # (the first, and its page is the first release's bytes), the changed one both, before and after.
    page = "site/project/BG05SFOP001-2.009-0010-C01.html"
    site = (second / page).read_text()
    history = site[site.index('<table class="history">') :]
    assert history.count("<tr><td>") == 1 and f"<tr><td>{first.name}</td>" in history
    assert (
        f"{number_bg(44028.57)}\u00a0€" in history
        and (second / page).read_bytes() == (first / page).read_bytes()
    )
    changed = (second / "site" / "project" / "BG16FFPR003-1.001-0007-C01.html").read_text()
    history = changed[changed.index('<table class="history">') :]
    assert history.count("<tr><td>") == 2
    assert f"{number_bg(222600)}\u00a0€" in history and f"{number_bg(445200)}\u00a0€" in history


def test_feeds_are_valid_atom_with_what_changed(two_releases):
    import feedparser

    _, first, second = two_releases
    feeds = sorted((second / "site" / "feeds").rglob("*.atom"))
    assert {p.parent.name for p in feeds} == {"feeds", "municipality", "beneficiary", "programme"}
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10" and parsed.feed.title.startswith("bgfunds: ")
        assert parsed.feed.id.startswith(DEFAULT_BASE_URL)
    levski = feedparser.parse(
        (second / "site" / "feeds" / "municipality" / "PVN16.atom").read_bytes()
    )
    entries = {(e.id.split(":")[2], e.id.split(":")[3], e.tags[0].term) for e in levski.entries}
    assert (second.name, "BG16FFPR003-1.001-0007-C01", "amounts") in entries
    assert (second.name, "BG16FFPR003-1.001-0008-C01", "new") in entries
    assert (first.name, "BG16FFPR003-1.001-0007-C01", "new") in entries
    amounts = next(e for e in levski.entries if e.tags[0].term == "amounts")
    assert "222" in amounts.summary and "445" in amounts.summary
    assert (
        amounts.link
        == f"{DEFAULT_BASE_URL}releases/{second.name}/site/project/BG16FFPR003-1.001-0007-C01.html"
    )
    stambolovo = feedparser.parse(
        (second / "site" / "feeds" / "municipality" / f"{STAMBOLOVO}.atom").read_bytes()
    )
    # its 8 contracts appeared in the first release and have not changed since
    assert [e.tags[0].term for e in stambolovo.entries] == ["new"] * 8
    page = (second / "site" / "municipality" / "PVN16.html").read_text()
    assert 'href="../feeds/municipality/PVN16.atom"' in page


def test_dcat_ap_passes_the_official_shacl_shapes(two_releases, tmp_path):
    _, _, second = two_releases
    result = validate_dcat(second / "dcat.jsonld")
    assert result["conforms"] and result["violations"] == 0, result["messages"]
    graph = json.loads((second / "dcat.jsonld").read_text())
    dataset = graph["@graph"][0]["dcat:dataset"]
    urls = [d["dcat:accessURL"]["@id"] for d in dataset["dcat:distribution"]]
    assert all(u.startswith(f"{DEFAULT_BASE_URL}releases/{second.name}/") for u in urls)
    assert {"projects.parquet", "absorption_by_municipality.xlsx", "warehouse.duckdb"} <= {
        u.rsplit("/", 1)[1] for u in urls
    }
    # The shapes do catch what the old file got wrong: a distribution without accessURL, a literal media type.
    del dataset["dcat:distribution"][0]["dcat:accessURL"]
    dataset["dcat:distribution"][1]["dcat:mediaType"] = "text/csv"
    broken = tmp_path / "dcat.jsonld"
    broken.write_text(json.dumps(graph))
    bad = validate_dcat(broken)
    assert not bad["conforms"] and bad["violations"] >= 2


def test_dcat_base_url_is_configurable(tmp_path):
    from warehouse.dcat_ap import dcat_ap

    files = {"projects.csv": {"bytes": 3, "sha256": "0" * 64, "mediatype": "text/csv"}}
    doc = dcat_ap(
        release_id="2026-12-01",
        issued="2026-12-01T02:00:00+00:00",
        files=files,
        title_bg="т",
        title_en="t",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        source_url="https://2020.eufunds.bg",
        base="https://data.example.org/bgfunds",
    )
    (tmp_path / "d.jsonld").write_text(json.dumps(doc))
    distribution = doc["@graph"][0]["dcat:dataset"]["dcat:distribution"][0]
    assert (
        distribution["dcat:downloadURL"]["@id"]
        == "https://data.example.org/bgfunds/releases/2026-12-01/projects.csv"
    )
    assert validate_dcat(tmp_path / "d.jsonld")["conforms"]


def test_datapackage_lists_parquet_resources_too(two_releases):
    _, _, second = two_releases
    package = json.loads((second / "datapackage.json").read_text())
    names = {r["name"]: r for r in package["resources"]}
    assert (
        names["projects-parquet"]["path"] == "projects.parquet"
        and names["projects-parquet"]["format"] == "parquet"
    )
    assert names["absorption_by_municipality"]["schema"]["primaryKey"] == ["municipality_code"]
    assert names["projects-parquet"]["schema"]["fields"] == names["projects"]["schema"]["fields"]


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("BGFUNDS_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (CI installs it and sets BGFUNDS_REQUIRE_BROWSER)",
)
def test_a_newcomer_finds_stambolovo_and_its_totals_in_chromium(
    site_server, two_releases, tmp_path_factory
):
    """Search finds the municipality, its page shows the right totals in BGN and EUR, with the
    project located there; the same works from file:// with no server. Screenshots stay in the
    test run's temporary directory."""
    from PIL import Image

    assert CHROMIUM, "BGFUNDS_REQUIRE_BROWSER is set but chromium is not installed"
    _, _, second = two_releases
    shots = tmp_path_factory.mktemp("screenshots")
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={shots / 'profile'}",
        "--window-size=1200,1800",
    ]

    def dom(url: str) -> str:
        out = subprocess.run(
            [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
        ).stdout
        return out.replace("&nbsp;", "\u00a0")  # Chromium writes the no-break spaces as entities

    def shot(url: str, name: str) -> Path:
        path = shots / name
        subprocess.run(
            [*flags, f"--screenshot={path}", url], capture_output=True, timeout=120, check=True
        )
        assert Image.open(path).size == (1200, 1800)
        return path

    search = (
        f"{site_server}site/index.html?q=%D1%81%D1%82%D0%B0%D0%BC%D0%B1%D0%BE%D0%BB"  # "стамбол"
    )
    found = dom(search)
    assert f'href="municipality/{STAMBOLOVO}.html">Община Стамболово</a>' in found
    assert (
        'href="project/BG05SFOP001-2.009-0010-C01.html"' in found
    )  # the project located there, too
    by_eik = dom(f"{site_server}site/index.html?q=000413878")
    assert 'href="beneficiary/000413878.html">Община Левски</a>' in by_eik
    shot(search, "search-stambolovo.png")

    page = dom(f"{site_server}site/municipality/{STAMBOLOVO}.html")
    row = (
        duckdb.connect(str(second / "warehouse.duckdb"), read_only=True)
        .execute(
            "SELECT contracted_bgn, contracted_eur, reported_bgn, reported_eur, paid_bgn, paid_eur "
            f"FROM absorption_by_municipality WHERE municipality_code = '{STAMBOLOVO}'"
        )
        .fetchone()
    )
    for value, currency in zip(row, ["лв.", "€"] * 3, strict=True):
        assert f"{number_bg(value)}\u00a0{currency}" in page, value
    assert "88\u00a0840,80\u00a0лв." in page and "44\u00a0028,57\u00a0€" in page
    assert "Гражданите в партньорство" in page and "https://2020.eufunds.bg" in page
    assert "Оперативна програма „Добро управление“" in page and ">BG05SFOP001<" not in page
    shot(f"{site_server}site/municipality/{STAMBOLOVO}.html", "municipality-stambolovo.png")
    project = f"{site_server}site/project/BG16FFPR003-1.001-0007-C01.html"
    assert "Към всяко издание" in dom(project)
    shot(project, "project-history.png")

    offline = dom(
        (second / "site" / "index.html").as_uri() + "?q=%D0%BB%D0%B5%D0%B2%D1%81%D0%BA%D0%B8"
    )  # "левски"
    assert 'href="municipality/PVN16.html">Община Левски</a>' in offline
    print(f"screenshots: {shots}")


def test_project_pages_written_a_range_at_a_time_are_the_same_pages(
    two_releases, tmp_path, monkeypatch
):
    """The site writes project pages a range of codes at a time (bounded memory); one project per range
    gives byte-identical pages."""
    import warehouse.site as site

    _, _, second = two_releases
    con = duckdb.connect(str(second / "warehouse.duckdb"), read_only=True)
    try:
        site.build_site(con, tmp_path / "whole", second.name, "c", DEFAULT_BASE_URL)
        monkeypatch.setattr(site, "PROJECT_CHUNK", 1)
        site.build_site(con, tmp_path / "ranges", second.name, "c", DEFAULT_BASE_URL)
    finally:
        con.close()
    whole = sorted((tmp_path / "whole" / "project").iterdir())
    assert len(whole) == 12  # every contract: 10 in the open-data API, 1 export-only, 1 page-only
    assert [p.read_bytes() for p in whole] == [
        (tmp_path / "ranges" / "project" / p.name).read_bytes() for p in whole
    ]
