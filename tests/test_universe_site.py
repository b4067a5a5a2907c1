"""One project universe, everywhere a user looks: every contract of the open-data API and the
register export is a project with a page; every count on every page equals the list beside it;
downloads hold exactly the listed projects; no link is broken; a second night whose open-data
answer alone changed (one new contract, one payment, one status, one new contractor) shows those
in the changelog and in the right Atom feeds; the municipalities' map; the site in headless
Chromium at 1280 and 390 px."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest
from bs4 import BeautifulSoup

from pipelines.cli import run_build
from pipelines.resources import RecordedIsunPages
from pipelines.serve import make_server
from sources.recorded import SAMPLE_BULK, SAMPLE_CORPUS
from warehouse.dcat_ap import DEFAULT_BASE_URL

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STAMBOLOVO = "HKV30"
RURAL = (
    "opendata_8010510_1.json"  # the open-data answer of the rural programme (Стамболово's projects)
)
PAID_CHANGED = "BG06RDNP001-7.021-0016"  # 312 000 € paid on night 1; 336 000 € more on night 2
STATUS_CHANGED = "BG06RDNP001-8.004-0010"
NEW_CONTRACT = "BG06RDNP001-7.021-0099"  # 210 000 €, in Стамболово, only in night 2's answer
NIGHT_2 = "2026-11-26T01:{:02d}:00Z"
NEW_CONTRACTOR = "ВиК Строй Хасково ЕООД"  # a contractor on PAID_CHANGED, only in night 2's answer
NEW_CONTRACTOR_EIK = "203777111"


def second_night_recording(directory: Path) -> Path:
    """The demo's bulk recording, fetched a day later, with the rural programme's answer changed."""
    shutil.copytree(SAMPLE_BULK, directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    answer = json.loads((directory / "bodies" / RURAL).read_text())
    by_id = {p["id"]: p for p in answer["projects"]}
    by_id[PAID_CHANGED]["actuallyPaidAmounts"].append({"value": 336000.00})
    old_status = by_id[STATUS_CHANGED]["status"]
    by_id[STATUS_CHANGED]["status"] = "Приключен (към датата на приключване)"
    assert old_status != by_id[STATUS_CHANGED]["status"]
    new = json.loads(json.dumps(by_id[PAID_CHANGED]))
    new.update(
        id=NEW_CONTRACT,
        name="Реконструкция на улична водопроводна мрежа в с. Силен",
        totalValue=210000.00,
        actuallyPaidAmounts=[],
        status="Сключен",
    )
    answer["projects"].append(new)
    answer["totalProjects"] = len(answer["projects"])
    # A contractor's contract on PAID_CHANGED, as the API lists them (opendata_4_1.json has two).
    answer["contracts"].append(
        {
            "entityType": "LegalEntity",
            "entityId": "e777",
            "contractId": f"{PAID_CHANGED}(Д-5/20.11.2026)",
            "signatureDate": "2026-11-20T00:00:00",
            "initialDate": "2026-11-20T00:00:00",
            "endDate": "2027-05-20T00:00:00",
            "description": "Строително-монтажни работи по водопровода",
            "amount": 180000.0,
            "subcontractEntities": [],
        }
    )
    answer["entities"].append(
        {
            "entityId": "e777",
            "entityUin": NEW_CONTRACTOR_EIK,
            "entityName": NEW_CONTRACTOR,
            "entityAddress": None,
            "entityZipCode": None,
            "entityCity": "Хасково",
            "entityMunicipality": "Хасково",
            "entityDistrict": "Хасково",
        }
    )
    body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    (directory / "bodies" / RURAL).write_bytes(body)
    import hashlib

    for n, entry in enumerate(manifest["responses"]):
        entry["fetched_at"] = NIGHT_2.format(30 + n)
        if entry["file"] == f"bodies/{RURAL}":
            entry["sha256"] = hashlib.sha256(body).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return directory


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    """Night 1: the demo (pages and bulk recordings). Night 2: the same pages, the changed bulk answer."""
    root = tmp_path_factory.mktemp("nights")
    data = root / "data"
    first = run_build(data, SAMPLE_CORPUS)
    assert first.success, first
    recording = second_night_recording(root / "isun_bulk_night2")
    second = run_build(
        data,
        source=RecordedIsunPages(corpus_dir=str(SAMPLE_CORPUS), bulk_corpus_dir=str(recording)),
    )
    assert second.success, second
    return data, Path(first.release), Path(second.release)


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def listed_codes(page: BeautifulSoup) -> list[str]:
    """The project codes a page lists (its `table.projects`), in order."""
    return [
        row.find("small").get_text().split(" · ")[0]
        for row in page.select("table.projects tr.project")
    ]


def test_every_count_on_every_page_equals_the_list_beside_it(two_nights):
    _, first, _ = two_nights
    con = duckdb.connect(str(first / "warehouse.duckdb"), read_only=True)
    view_counts = {
        "municipality": dict(
            con.execute(
                "SELECT municipality_code, projects FROM absorption_by_municipality"
            ).fetchall()
        ),
        "district": dict(
            con.execute("SELECT district_code, projects FROM absorption_by_district").fetchall()
        ),
        "programme": dict(
            con.execute("SELECT programme_code, projects FROM absorption_by_programme").fetchall()
        ),
        "procedure": dict(
            con.execute("SELECT procedure_code, projects FROM absorption_by_procedure").fetchall()
        ),
    }
    projects = con.execute("SELECT count(*) FROM projects").fetchone()[0]
    con.close()
    checked = 0
    for path in html_pages(first / "site"):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        count = page.find(id="project-count")
        table = page.select_one("table.projects")
        if count is None or table is None:
            continue
        rows = len(listed_codes(page))
        total = page.find(id="list-total")
        assert int(count.get_text()) == (int(total.get_text()) if total else rows), path
        kind, key = path.parent.name, path.stem
        if kind in view_counts:
            assert view_counts[kind][key] == rows, path
        checked += 1
    assert (
        checked == 3 + 3 + 6 + 6 + 10
    )  # municipalities, districts, beneficiaries, programmes, procedures
    assert len(list((first / "site" / "project").glob("*.html"))) == projects == 11


def test_every_contract_of_the_api_has_a_page_and_is_found_by_search(two_nights):
    _, first, second = two_nights
    con = duckdb.connect(str(first / "warehouse.duckdb"), read_only=True)
    codes = dict(
        con.execute(
            "SELECT a.proposal_code, p.project_code FROM isun_api_projects a "
            "JOIN projects p USING (proposal_code)"
        ).fetchall()
    )
    con.close()
    assert len(codes) == 10
    index = json.loads(
        (first / "site" / "search-index-projects.js")
        .read_text()
        .removeprefix("window.BGFUNDS_PROJECTS = ")
        .rstrip(";\n")
    )
    urls = {e[3] for e in index if e[0] == "p"}
    for proposal, code in codes.items():
        assert (first / "site" / "project" / f"{code}.html").exists(), code
        assert f"project/{code}.html" in urls, code
        assert code == proposal or code.startswith(proposal + "-C")
    bulk = (first / "site" / "project" / f"{PAID_CHANGED}.html").read_text()
    # Dated by the release its values are from (the first: none changed since), not the fetch day.
    assert (
        'data-detail="bulk"' in bulk and f"още не са прочетени (към изданието {first.name})" in bulk
    )
    # The night after, its paid amount moved: as of that release; a contract that did not change
    # still says the first.
    tonight = (second / "site" / "project" / f"{PAID_CHANGED}.html").read_text()
    assert f"(към изданието {second.name})" in tonight
    assert tonight[tonight.index('<table class="history">') :].count("<tr><td>") == 2
    unchanged = [
        path.read_text()
        for path in (second / "site" / "project").glob("*.html")
        if path.stem not in (PAID_CHANGED, STATUS_CHANGED, NEW_CONTRACT)
        and 'data-detail="bulk"' in path.read_text()
    ]
    assert len(unchanged) >= 3
    assert all(f"(към изданието {first.name})" in text for text in unchanged)
    read = (first / "site" / "project" / "BG05SFOP001-2.009-0010-C01.html").read_text()
    assert 'data-detail="pages"' in read and 'id="activities"' in read and "Участници" in read


def test_stambolovo_lists_its_projects_and_its_downloads_hold_the_same_rows(two_nights):
    from openpyxl import load_workbook

    _, first, _ = two_nights
    page = BeautifulSoup(
        (first / "site" / "municipality" / f"{STAMBOLOVO}.html").read_text(), "lxml"
    )
    listed = listed_codes(page)
    con = duckdb.connect(str(first / "warehouse.duckdb"), read_only=True)
    api = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT proposal_code FROM isun_api_places WHERE lau_code = ?", [STAMBOLOVO]
        ).fetchall()
    }
    con.close()
    # The 7 contracts the open-data API places there (one with its pages read, under its contract code)
    # and the one only the register export lists.
    assert len(api) == 7 and len(listed) == 8
    assert {c.removesuffix("-C01") for c in listed} == api | {"BG-RRP-4.028-0017"}
    assert page.find(id="project-count").get_text() == "8"
    assert (
        "reported on 1 of 8 contracts whose pages were read"
        in page.find(id="reported-base").get_text()
    )
    links = {a["href"] for a in page.select("p.downloads a")}
    assert links == {
        f"../downloads/municipality/{STAMBOLOVO}.csv",
        f"../downloads/municipality/{STAMBOLOVO}.xlsx",
    }
    with open(
        first / "site" / "downloads" / "municipality" / f"{STAMBOLOVO}.csv", encoding="utf-8-sig"
    ) as fh:
        rows = list(csv.DictReader(fh))
    assert [r["project_code"] for r in rows] == listed
    assert (
        "amount_total_eur" in rows[0] and "amount_total" not in rows[0]
    )  # the currency in every amount's name
    sheet = load_workbook(
        first / "site" / "downloads" / "municipality" / f"{STAMBOLOVO}.xlsx"
    ).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[1]) == list(rows[0]) and [r[0] for r in values[2:]] == listed
    eur = list(values[1]).index("amount_total_eur")
    assert [round(r[eur], 2) for r in values[2:]] == [
        round(float(r["amount_total_eur"]), 2) for r in rows
    ]


def test_a_link_checker_finds_no_broken_link(two_nights):
    _, first, _ = two_nights
    broken, checked = [], 0
    for path in [first / "index.html", *html_pages(first / "site")]:
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for element in page.find_all(tag):
                target = element.get(attr)
                if not target or target.startswith(
                    ("http://", "https://", "mailto:", "#", "data:")
                ):
                    continue
                checked += 1
                resolved = (path.parent / unquote(urlsplit(target).path)).resolve()
                if not resolved.exists():
                    broken.append(f"{path.relative_to(first)} -> {target}")
    assert broken == [] and checked > 500


def test_the_map_colours_every_municipality_by_paid_over_contracted(two_nights):
    """All 265 municipalities on the home page's map, coloured from the same view as their pages; a
    municipality without projects grey and unlinked; Стамболово by its real figures, on both nights."""
    from transforms.gazetteer import district_municipalities
    from warehouse.choropleth import CLASSES, NO_PROJECTS

    _, first, second = two_nights
    con = duckdb.connect(str(first / "warehouse.duckdb"), read_only=True)
    with_projects = {
        code: rate
        for code, rate in con.execute(
            "SELECT municipality_code, payment_rate FROM absorption_by_municipality WHERE projects > 0"
        ).fetchall()
    }
    con.close()
    index = BeautifulSoup((first / "site" / "index.html").read_text(encoding="utf-8"), "lxml")
    svg = index.select_one("svg.choropleth")
    links = {a["href"]: a for a in svg.find_all("a")}
    unlinked = svg.select('g[role="img"]')
    assert len(links) + len(unlinked) == len(svg.find_all("path")) == 265
    assert set(links) == {f"municipality/{code}.html" for code in with_projects}
    stambolovo = links[f"municipality/{STAMBOLOVO}.html"]
    # 1 222 199,17 € paid of 4 765 008,26 € contracted: 25,7 %, the class 25–50 %.
    assert round(with_projects[STAMBOLOVO], 4) == 0.2565
    assert stambolovo.path["fill"] == CLASSES[2][2] and CLASSES[2][1] == "25–50 %"
    title = stambolovo.title.get_text()
    assert "изплатено 25,7\u00a0%" in title and "4\u00a0765\u00a0008,26\u00a0€" in title, title
    assert "1\u00a0222\u00a0199,17\u00a0€" in title and stambolovo["aria-label"] == title
    haskovo = next(g for g in unlinked if g["aria-label"].startswith("Община Хасково:"))
    assert haskovo.path["fill"] == NO_PROJECTS[1] and "няма проекти" in haskovo["aria-label"]
    assert "OpenStreetMap contributors" in index.select_one("figure.map").get_text()
    row = index.select_one(f'table.map-table tr[data-lau="{STAMBOLOVO}"]').get_text(" ")
    assert "25,7" in row and "25–50 %" in row and "Хасково" in row
    assert len(index.select("table.map-table tr[data-lau]")) == 265
    # The district page maps its municipalities; the municipality page its district, itself outlined.
    district = BeautifulSoup((first / "site" / "district" / "BG422.html").read_text(), "lxml")
    assert (
        len(district.select("svg.choropleth path")) == len(district_municipalities("BG422")) == 11
    )
    municipality = BeautifulSoup(
        (first / "site" / "municipality" / f"{STAMBOLOVO}.html").read_text(), "lxml"
    )
    current = municipality.select_one("svg.choropleth path.current")
    assert current.find_parent("a")["href"] == f"../municipality/{STAMBOLOVO}.html"
    # Night 2 adds a 210 000 € contract and 336 000 € paid there: (1 222 199,17 + 336 000) /
    # (4 765 008,26 + 210 000) = 31,3 %.
    tonight = BeautifulSoup((second / "site" / "index.html").read_text(encoding="utf-8"), "lxml")
    title = tonight.select_one(f'svg.choropleth a[href="municipality/{STAMBOLOVO}.html"]').title
    assert "изплатено 31,3\u00a0%" in title.get_text()


def entries(feed: Path) -> set[tuple[str, str, str]]:
    import feedparser

    parsed = feedparser.parse(feed.read_bytes())
    assert not parsed.bozo and parsed.version == "atom10", (feed, parsed.get("bozo_exception"))
    assert not parsed.feed.updated.startswith("1970")
    return {(e.id.split(":")[2], e.id.split(":")[3], e.tags[0].term) for e in parsed.entries}


def test_a_second_night_of_the_open_data_alone_shows_its_changes_and_a_new_contractor(two_nights):
    _, first, second = two_nights
    log = json.loads((second / "changelog.json").read_text())
    assert log["projects_added"] == [NEW_CONTRACT]
    changed = {(c["project_code"], c["field"]): (c["old"], c["new"]) for c in log["changed_fields"]}
    assert changed[(PAID_CHANGED, "amount_paid_eur")] == (312000.0, 648000.0)
    assert changed[(STATUS_CHANGED, "status")][1] == "Приключен (към датата на приключване)"
    assert {code for code, _ in changed} == {PAID_CHANGED, STATUS_CHANGED}
    contractor = f"{NEW_CONTRACTOR} (ЕИК {NEW_CONTRACTOR_EIK})"
    assert log["contractors_added"] == [
        {
            "project_code": PAID_CHANGED,
            "contractor": contractor,
            "contractor_eik": NEW_CONTRACTOR_EIK,
            "before": [],
            "after": [contractor],
        }
    ]
    assert f"| {PAID_CHANGED} | {contractor} | — | {contractor} |" in (
        second / "changelog.md"
    ).read_text(encoding="utf-8")
    night = second.name
    tonight = {
        (night, NEW_CONTRACT, "new"),
        (night, PAID_CHANGED, "amounts"),
        (night, STATUS_CHANGED, "status"),
        (night, PAID_CHANGED, "contractor"),
    }
    feeds = second / "site" / "feeds"
    for feed in (
        feeds / "all.atom",
        feeds / "municipality" / f"{STAMBOLOVO}.atom",
        feeds / "beneficiary" / "000903985.atom",  # Община Стамболово
        feeds / "programme" / "BG06RDNP001.atom",
    ):
        assert {e for e in entries(feed) if e[0] == night} == tonight, feed
    amounts = (feeds / "municipality" / f"{STAMBOLOVO}.atom").read_text()
    assert (
        "312\u00a0000,00\u00a0€" in amounts and "648\u00a0000,00\u00a0€" in amounts
    )  # before and after
    assert (
        f"нов изпълнител / new contractor: {contractor}; изпълнители / contractors: — → {contractor}"
        in amounts
    )
    # Night 1's contractors (the demo API's three, a procurement and a participant) came with their
    # projects: none is reported as new.
    assert json.loads((first / "changelog.json").read_text())["contractors_added"] == []
    # Feeds elsewhere have nothing from tonight, and every feed is valid Atom (an empty one dated tonight).
    for feed in sorted(feeds.rglob("*.atom")):
        got = entries(feed)
        if feed.parent.name == "municipality" and feed.stem != STAMBOLOVO:
            assert not {e for e in got if e[0] == night}, feed
    import feedparser

    levski_programme = feedparser.parse((feeds / "programme" / "BG16FFPR003.atom").read_bytes())
    assert levski_programme.feed.id.startswith(DEFAULT_BASE_URL)
    assert (first / "site" / "feeds" / "all.atom").exists()


@pytest.fixture(scope="module")
def served(two_nights):
    data, _, _ = two_nights
    server = make_server(data / "publish", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("BGFUNDS_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (CI installs it and sets BGFUNDS_REQUIRE_BROWSER)",
)
def test_search_municipality_and_project_pages_in_chromium_at_1280_and_390_px(
    two_nights, served, tmp_path_factory
):
    """Latin finds Cyrillic; facets in the URL; results announced; screenshots of search, a
    municipality page and project pages with and without page detail at two widths;
    no page scrolls sideways at 390 px."""
    from PIL import Image

    _, _, second = two_nights
    shots = tmp_path_factory.mktemp("screenshots")
    base = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=5000",
        f"--user-data-dir={shots / 'profile'}",
    ]

    def dom(url: str, width: int = 1280, *flags: str) -> str:
        out = subprocess.run(
            [*base, *flags, f"--window-size={width},1600", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        return out.replace("&nbsp;", "\u00a0")

    release = f"{served}releases/{second.name}/site/"
    found = dom(f"{release}index.html?q=Stambolovo")
    assert 'href="municipality/HKV30.html">Община Стамболово</a>' in found
    live = BeautifulSoup(found, "lxml").find(id="result-count")
    assert live["aria-live"] == "polite" and re.match(r"\d+ резултат", live.get_text())
    faceted = BeautifulSoup(
        dom(
            f"{release}index.html?q=%D1%81%D1%82%D0%B0%D0%BC%D0%B1%D0%BE%D0%BB&programme=BG06RDNP001"
        ),
        "lxml",
    )
    hits = [a["href"] for a in faceted.select("#results a")]
    assert hits and all(h.startswith("project/BG06RDNP001-") for h in hits)

    # No page scrolls sideways at 390 px: a page beside them measures each in a frame that wide (from
    # file://, where frames of the same folder can be read; the server forbids framing).
    pages = [
        "index.html",
        f"municipality/{STAMBOLOVO}.html",
        "district/BG422.html",
        "project/BG05SFOP001-2.009-0010-C01.html",
        f"project/{PAID_CHANGED}.html",
    ]
    harness = second / "site" / "_width_check.html"
    harness.write_text(
        "<!DOCTYPE html><html><body>"
        + "".join(
            f'<iframe src="{p}" style="width:390px;height:700px;border:0"></iframe>' for p in pages
        )
        + "<script>window.addEventListener('load',function(){var f=document.querySelectorAll('iframe'),o=[];"
        "for(var i=0;i<f.length;i++){var d=f[i].contentDocument.documentElement;o.push(d.scrollWidth)}"
        "document.body.setAttribute('data-widths',o.join(','))});</script></body></html>",
        encoding="utf-8",
    )
    try:
        measured = BeautifulSoup(
            dom(harness.as_uri(), 1280, "--allow-file-access-from-files"),
            "lxml",
        ).body["data-widths"]
    finally:
        harness.unlink()
    assert all(int(w) <= 390 for w in measured.split(",")), measured  # (a scroll bar takes some)

    for width in (1280, 390):
        for name, page in (
            ("search", "index.html?q=Stambolovo"),
            ("municipality-with-map", f"municipality/{STAMBOLOVO}.html"),
            ("home-with-map", "index.html"),
            ("district-with-map", "district/BG422.html"),
            ("project-with-page-detail", "project/BG05SFOP001-2.009-0010-C01.html"),
            ("project-without-page-detail", f"project/{PAID_CHANGED}.html"),
        ):
            path = shots / f"{name}-{width}.png"
            subprocess.run(
                [*base, f"--window-size={width},1400", f"--screenshot={path}", release + page],
                capture_output=True,
                timeout=120,
                check=True,
            )
            assert Image.open(path).size == (width, 1400)
    print(f"screenshots: {shots}")


def test_what_a_user_saw_wrong_is_right(two_nights):
    """The grant is labelled as a grant; a beneficiary without ЕИК is said to be one, never `without_eik`;
    a row set aside in quarantine is named on its project's page; every published column is described."""
    import pandas as pd

    _, first, _ = two_nights
    site = first / "site"
    read = BeautifulSoup((site / "project" / "BG05SFOP001-2.009-0010-C01.html").read_text(), "lxml")
    grant = read.find("code", string="amount_grant_eur").find_parent("th").get_text()
    assert grant.startswith("БФП") and "Корекция" not in grant
    for path in html_pages(site):
        text = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").get_text()
        assert not re.search(r"(?<!beneficiary_)without_eik", text), (
            path
        )  # the column's name may show
    farmer = BeautifulSoup((site / "beneficiary" / "without_eik.html").read_text(), "lxml")
    assert farmer.find(id="entity-name").get_text().startswith("Бенефициенти без ЕИК")
    garbled = (site / "project" / "BG06RDNP001-7.007-0051-C01.html").read_text()
    assert (
        'id="quarantine"' in garbled and "amount_unparseable" in garbled and "12 3O0.00" in garbled
    )
    dictionary = pd.read_csv(first / "data_dictionary.csv")
    undescribed = dictionary[dictionary.description_en == dictionary.field]
    assert undescribed.empty, undescribed[["table", "field"]].values.tolist()
    assert "projects_with_pages" in set(
        dictionary[dictionary.table == "absorption_by_municipality"].field
    )


def test_the_catalogues_example_queries_agree_with_the_absorption_files(two_nights):
    from warehouse.catalogue import EXAMPLE_QUERIES

    _, first, _ = two_nights
    con = duckdb.connect()

    def run(title_part: str) -> list[tuple]:
        sql = next(q for title, q in EXAMPLE_QUERIES if title_part in title)
        return con.execute(
            sql.replace("'projects.parquet'", f"'{first / 'projects.parquet'}'")
        ).fetchall()

    view = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT programme_code, projects, contracted_eur, paid_eur, round(payment_rate, 4) "
            f"FROM '{first / 'absorption_by_programme.parquet'}'"
        ).fetchall()
    }
    assert {r[0]: r[1:] for r in run("by programme")} == view
    beneficiaries = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            f"SELECT beneficiary_key, projects, contracted_eur FROM '{first / 'absorption_by_beneficiary.parquet'}'"
        ).fetchall()
    }
    assert {r[0]: (r[2], r[3]) for r in run("Top beneficiaries")} == beneficiaries


def test_the_history_snippet_of_the_docs_works_through_latest(two_nights, tmp_path):
    """docs/outputs.md's state-as-of-latest commands, run as a reader would from the repository's folder."""
    data, _, second = two_nights
    root = Path(__file__).resolve().parents[1]
    docs = (root / "docs" / "outputs.md").read_text()
    block = docs[docs.index("The state as of the latest release, by hand") :]
    script = block[block.index("```sh\n") + 6 : block.index("\n```", block.index("```sh"))]
    (tmp_path / ".venv").symlink_to(root / ".venv")
    (tmp_path / "data").symlink_to(data)
    out = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    state, totals = out.stdout.strip().splitlines()
    projects = pd_read(second / "projects.parquet")
    assert state.count("('20") == len(projects) and NEW_CONTRACT in state  # a tuple per project
    assert totals.count("('2026-") == 2 and second.name in totals


def pd_read(path: Path):
    import pandas as pd

    return pd.read_parquet(path)


def test_the_data_docs_load_nothing_from_the_web(two_nights):
    """Their scripts, styles and fonts are shipped in the release (`bgfunds serve` allows only its own)."""
    _, first, _ = two_nights
    pages = sorted((first / "quality").rglob("*.html"))
    assert pages
    for path in pages:
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        assets = [s["src"] for s in page.find_all("script", src=True)]
        assets += [
            link["href"]
            for link in page.find_all("link", href=True)
            if "stylesheet" in link.get("rel", [])
        ]
        assets += [img["src"] for img in page.find_all("img", src=True)]
        assert assets, path
        for asset in assets:
            assert not asset.startswith(("http://", "https://", "//")), (path, asset)
            assert (path.parent / asset).resolve().is_file(), (path, asset)
    fonts = first / "quality" / "static" / "vendor" / "fontawesome"
    assert list((fonts / "webfonts").glob("*.woff2")) and (fonts / "LICENSE.txt").exists()
