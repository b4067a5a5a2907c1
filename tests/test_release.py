"""Releases: layout, metadata that validates, checksums, CSV safety, changelog, history, catalogue page."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
import requests

from pipelines.cli import run_build
from registry.tables import ACTIVITIES, HISTORY_ACTIVITIES, QUARANTINE
from tests.conftest import SAMPLE_IDS
from warehouse.catalogue import validate_datapackage
from warehouse.changelog import compute_changelog
from warehouse.export import export_order, key_ranges, sorted_batches

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_layout_and_latest(two_releases):
    data, first, second = two_releases
    publish = data / "publish"
    assert first.parent == second.parent == publish / "releases"
    assert (
        first.name == time.strftime("%Y-%m-%d", time.gmtime()) and second.name == first.name + ".2"
    )
    assert (publish / "latest").resolve() == second.resolve()
    assert os.readlink(publish / "latest") == f"releases/{second.name}"
    assert (publish / "LATEST").read_text().strip() == second.name
    expected = {"projects", "activities", "quarantine", "history_projects", "history_activities"}
    for name in expected:
        assert (second / f"{name}.parquet").exists() and (second / f"{name}.csv").exists()
    for name in (
        "warehouse.duckdb",
        "datapackage.json",
        "dcat.jsonld",
        "data_dictionary.csv",
        "data_dictionary.md",
        "SHA256SUMS",
        "quality_report.json",
        "quality_report.html",
        "changelog.json",
        "changelog.md",
        "index.html",
    ):
        assert (second / name).exists(), name


def test_checksums_cover_every_file_and_match(two_releases):
    _, _, second = two_releases
    lines = (second / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    files = {p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file()}
    assert set(listed) == files - {"SHA256SUMS"} and "site/index.html" in listed
    for name, digest in listed.items():
        assert hashlib.sha256((second / name).read_bytes()).hexdigest() == digest, name


def test_datapackage_validates_and_describes_every_field(two_releases):
    _, _, second = two_releases
    package = json.loads((second / "datapackage.json").read_text())
    assert validate_datapackage(second / "datapackage.json")["valid"]
    projects = next(r for r in package["resources"] if r["name"] == "projects")
    assert projects["schema"]["primaryKey"] == ["project_code"]
    field = next(f for f in projects["schema"]["fields"] if f["name"] == "amount_paid_eur")
    assert (
        field["type"] == "number"
        and field["unit"] == "EUR"
        and "Общо реално изплатени суми" in field["description"]
    )
    activities = next(r for r in package["resources"] if r["name"] == "activities")
    assert activities["schema"]["foreignKeys"][0]["reference"] == {
        "resource": "projects",
        "fields": ["project_code"],
    }
    dictionary = pd.read_csv(second / "data_dictionary.csv", encoding="utf-8-sig")
    assert len(dictionary) == sum(
        len(r["schema"]["fields"]) for r in package["resources"] if r["format"] == "csv"
    )
    dcat = json.loads((second / "dcat.jsonld").read_text())["@graph"][0]
    assert dcat["@type"] == "dcat:Catalog" and dcat["dcat:dataset"]["@type"] == "dcat:Dataset"
    assert {d["dct:title"] for d in dcat["dcat:dataset"]["dcat:distribution"]} >= {
        "projects.parquet",
        "activities.csv",
        "warehouse.duckdb",
    }


def test_a_broken_package_is_reported_invalid(two_releases, tmp_path):
    _, _, second = two_releases
    broken = tmp_path / "broken"
    shutil.copytree(second, broken)
    csv = (broken / "activities.csv").read_text(encoding="utf-8-sig").replace(",1,", ",one,", 1)
    (broken / "activities.csv").write_text(csv, encoding="utf-8-sig")
    report = validate_datapackage(broken / "datapackage.json")
    assert not report["valid"] and any("type-error" in e or "hash" in e for e in report["errors"])


def test_csv_neutralises_formulas_but_keeps_numbers(two_releases):
    _, _, second = two_releases
    csv = pd.read_csv(second / "projects.csv", encoding="utf-8-sig", dtype=str).set_index(
        "isun_contract_id"
    )
    seed = SAMPLE_IDS["seed000"]
    assert csv.loc[seed, "beneficiary_name"] == '\'=HYPERLINK("http://x")'
    assert (
        pd.read_parquet(second / "projects.parquet")
        .set_index("isun_contract_id")
        .loc[seed, "beneficiary_name"]
        == '=HYPERLINK("http://x")'
    )  # the data itself is untouched
    assert csv.loc[seed, "amount_total"] == "37279.52"


def test_csv_timestamps_are_utc_to_the_second_and_match_parquet(two_releases):
    _, _, second = two_releases
    csv = pd.read_csv(second / "projects.csv", encoding="utf-8-sig", dtype=str).set_index(
        "project_code"
    )
    parquet = pd.read_parquet(second / "projects.parquet").set_index("project_code")
    assert csv["fetched_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z").all()
    expected = (
        parquet["fetched_at"].dt.tz_convert("UTC").dt.floor("s").dt.strftime("%Y-%m-%d %H:%M:%SZ")
    )
    assert (csv["fetched_at"] == expected.loc[csv.index]).all()


def test_rows_sorted_a_few_keys_at_a_time_equal_one_sort(two_releases):
    _, _, second = two_releases
    con = duckdb.connect(str(second / "warehouse.duckdb"), read_only=True)
    for table in (ACTIVITIES, HISTORY_ACTIVITIES, QUARANTINE):
        order = ", ".join(export_order(table))
        whole = con.sql(
            f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {order}"
        ).to_arrow_table()
        ranges = key_ranges(con, table, max_rows=3)
        chunked = pa.Table.from_batches(
            list(sorted_batches(con, table, batch_rows=2, range_rows=3)), whole.schema
        )
        assert ranges[-1] is None and chunked.equals(whole), table.name
        if table is not QUARANTINE:  # two rows: one range
            assert len(ranges) > 2
    assert export_order(HISTORY_ACTIVITIES) == ["project_code", "activity_no", "release_id"]
    first_rows = pd.read_csv(second / "activities.csv", encoding="utf-8-sig", nrows=2)
    assert list(first_rows["project_code"]) == ["BG05SFOP001-2.009-0010-C01"] * 2 and list(
        first_rows["activity_no"]
    ) == [1, 2]


def test_changelog_lists_added_and_changed_with_old_and_new(two_releases):
    _, _, second = two_releases
    log = json.loads((second / "changelog.json").read_text())
    assert log["projects_added"] == ["BG16FFPR003-1.001-0008-C01"]
    assert log["projects_removed"] == []
    changes = {(c["project_code"], c["field"]): (c["old"], c["new"]) for c in log["changed_fields"]}
    assert changes[("BG16FFPR003-1.001-0007-C01", "amount_paid")] == (222600.0, 445200.0)
    assert changes[("BG16FFPR003-1.001-0007-C01", "amount_paid_bgn")] == (435367.76, 870735.52)
    assert changes[("BG05SFOP001-2.009-0042-C01", "beneficiary_name")] == (
        "Фондация „Гражданска инициатива“",
        '=HYPERLINK("http://x")',
    )
    assert (
        "| BG16FFPR003-1.001-0007-C01 | amount_paid | 222600.0 | 445200.0 |"
        in (second / "changelog.md").read_text()
    )


def test_changelog_lists_removed_projects(two_releases, tmp_path):
    _, first, second = two_releases
    log = compute_changelog(second / "projects.parquet", first / "projects.parquet")
    assert log["projects_removed"] == ["BG16FFPR003-1.001-0008-C01"]


def test_history_keeps_each_release(two_releases):
    _, first, second = two_releases
    con = duckdb.connect(str(second / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT release_id, amount_paid_eur FROM history_projects"
        " WHERE project_code = 'BG16FFPR003-1.001-0007-C01' ORDER BY release_id"
    ).fetchall()
    assert [(r[0], float(r[1])) for r in rows] == [(first.name, 222600.0), (second.name, 445200.0)]
    assert (
        con.execute("SELECT count(DISTINCT release_id) FROM history_activities").fetchone()[0] == 2
    )
    # Only changes are added: an untouched project keeps its one row from the first release...
    assert con.execute(
        "SELECT release_id FROM history_projects WHERE project_code = 'BG05SFOP001-2.009-0010-C01'"
    ).fetchall() == [(first.name,)]
    # ...and the state as of a release is each key's latest row at or before it.
    as_of = con.execute(
        "SELECT project_code, amount_paid_eur FROM history_projects WHERE release_id <= ? QUALIFY "
        "row_number() OVER (PARTITION BY project_code ORDER BY release_id DESC) = 1 ORDER BY 1",
        [first.name],
    ).fetchall()
    assert (
        len(as_of) == 11 and dict(as_of)["BG16FFPR003-1.001-0007-C01"] == 222600.0
    )  # every contract


def test_quality_report_counts_quarantine(two_releases):
    _, _, second = two_releases
    report = json.loads((second / "quality_report.json").read_text())
    # The demo's programme answered with an HTML page: one answer set aside (issue 27).
    assert report["quarantine"] == {
        "total": 3,
        "by_table_rule": {
            "activities:amount_unparseable": 1,
            "isun_api_programmes:bulk_response_set_aside": 1,
            "pages:blocked_by_waf": 1,
        },
    }
    assert report["tables"]["projects"]["success"] and report["row_counts"]["projects"] == 12


@pytest.fixture
def served(two_releases):
    data, _, _ = two_releases
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--data-dir", str(data), "--port", "0"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_serve_publishes_the_latest_release_on_loopback(served, two_releases):
    _, _, second = two_releases
    assert served.startswith("http://127.0.0.1:")
    page = requests.get(served, timeout=5)
    assert page.status_code == 200 and second.name in page.text
    assert (
        requests.get(served + "projects.parquet", timeout=5).content
        == (second / "projects.parquet").read_bytes()
    )


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("BGFUNDS_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (CI installs it and sets BGFUNDS_REQUIRE_BROWSER)",
)
def test_catalogue_page_in_headless_chromium(served, two_releases, tmp_path):
    from PIL import Image

    _, _, second = two_releases
    assert CHROMIUM, "BGFUNDS_REQUIRE_BROWSER is set but chromium is not installed"
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
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,6000",
    ]
    dom = subprocess.run(
        [*flags, "--dump-dom", served], capture_output=True, text=True, timeout=120
    ).stdout
    assert f'<b id="release-id">{second.name}</b>' in dom
    for text in (
        "projects.parquet",
        "history_projects.csv",
        "Frictionless Data Package",
        "По програми / By programme",
        "По области / By district",
        "FROM 'projects.parquet'",
        "amount_reported_eur",
        "Плевен",
    ):
        assert text in dom, text
    shot = tmp_path / "catalogue.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", served], capture_output=True, timeout=120, check=True
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 6000)
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    # The chart bars (contracted, reported, paid) were painted.
    assert {(0x1F, 0x5F, 0x99), (0xE0, 0x8A, 0x1E), (0x2E, 0x8B, 0x57)} <= colours


def test_history_marks_what_is_gone_and_what_comes_back(tmp_path):
    """Three releases of the sample: an activity gone from the second and back in the third."""
    from registry.tables import PROJECTS, create_table_sql
    from warehouse.duckdb_store import connect
    from warehouse.release import _add_history

    data = tmp_path / "data"
    assert run_build(data).success
    release = (data / "publish" / "latest").resolve()
    gone = ("BG05SFOP001-2.009-0042-C01", 3)  # the seed 000 activity reported above contracted
    previous = None
    for release_id, without in (("2026-12-01", None), ("2026-12-02", gone), ("2026-12-03", None)):
        con = connect(tmp_path / f"{release_id}.duckdb")
        for table in (PROJECTS, ACTIVITIES):
            con.execute(create_table_sql(table))
            where = (
                "WHERE NOT (project_code = ? AND activity_no = ?)"
                if table is ACTIVITIES and without
                else ""
            )
            con.execute(
                f"INSERT INTO {table.name} SELECT {', '.join(table.columns)} FROM read_parquet(?) {where}",
                [str(release / f"{table.name}.parquet"), *(without if where else [])],
            )
        _add_history(con, release_id, previous)
        previous = tmp_path / release_id
        previous.mkdir()
        for table in ("history_projects", "history_activities"):
            con.execute(f"COPY {table} TO '{previous / table}.parquet' (FORMAT parquet)")
        con.close()
    history = pd.read_parquet(previous / "history_activities.parquet")
    trail = history[
        (history.project_code == gone[0]) & (history.activity_no == gone[1])
    ].sort_values("release_id")
    assert list(zip(trail.release_id, trail.is_removed, strict=True)) == [
        ("2026-12-01", False),
        ("2026-12-02", True),
        ("2026-12-03", False),
    ]
    assert [float(v) for v in trail.amount_reported_bgn] == [
        11309.87
    ] * 3  # the last known amount rides along
    activities = pd.read_parquet(release / "activities.parquet")
    assert (
        len(history) == len(activities) + 2
        and not history[history.project_code != gone[0]].is_removed.any()
    )
    projects = pd.read_parquet(previous / "history_projects.parquet")
    assert len(projects) == 11 and not projects.is_removed.any()  # every contract of the demo
