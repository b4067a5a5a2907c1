"""Text safe for every output (issue 27): every C0 and C1 control, U+FFFE/U+FFFF, a lone
surrogate, the bidi overrides and isolates and the zero-width characters put into each text
field of the open-data API's projects and entities, the register export and a contract page;
the release is published, every output opens in its own reader (openpyxl, an XML parser,
headless Chromium, DuckDB, json) and holds none of those characters, and the Parquet files
keep the text as read."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import lxml.html
import pytest
from openpyxl import load_workbook

from pipelines.cli import run_build
from pipelines.resources import RecordedIsunPages
from sources.recorded import SAMPLE_BULK
from tests.conftest import SAMPLE_QUERY
from tests.corpus_tools import Corpus
from warehouse.text_safety import connect_text_safe, is_safe, safe_text, unsafe_cells

C0 = "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
C1 = "".join(chr(c) for c in range(0x7F, 0xA0))
HOSTILE = C0 + C1 + "\ufffe\uffff" + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE += "\u200b\u200c\u200d\u2060\ufeff"
# JSON can carry a lone surrogate as an escape; Python text cannot be UTF-8 with one.
JSON_HOSTILE = json.dumps(HOSTILE)[1:-1] + "\\ud800"
API_TEXT_FIELDS = ("name", "description", "status", "sourceofFunding")
ENTITY_TEXT_FIELDS = ("entityName", "entityAddress", "entityCity")
CHROMIUM = shutil.which("chromium")


def _hostile_api(body: bytes) -> bytes:
    """Every text field of every project and entity with the hostile characters after its value."""
    data = json.loads(body)
    marker = "@@HOSTILE@@"
    for project in data["projects"]:
        for key in API_TEXT_FIELDS:
            project[key] = f"{project.get(key) or ''}{marker}"
        for place in project.get("placeOfExecution") or []:
            place["municipality"] = f"{place['municipality']}{marker}"
    for entity in data["entities"]:
        for key in ENTITY_TEXT_FIELDS:
            entity[key] = f"{entity.get(key) or ''}{marker}"
    return json.dumps(data, ensure_ascii=False).replace(marker, JSON_HOSTILE).encode()


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("text_safety")
    pages = Corpus(root / "pages")  # a copy of the sample recording
    pages.edit(
        "BasicData?" + SAMPLE_QUERY["seed000"],
        "Фондация „Гражданска инициатива“",
        "Фондация „Гражданска инициатива“" + HOSTILE.replace("\x00", ""),
    )
    bulk = root / "bulk"
    shutil.copytree(SAMPLE_BULK, bulk)
    manifest = json.loads((bulk / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["responses"]:
        if entry["file"].endswith(".json") and "opendata_" in entry["file"]:
            path = bulk / entry["file"]
            path.write_bytes(_hostile_api(path.read_bytes()))
            entry.pop("sha256", None)
    (bulk / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    summary = run_build(
        root / "data",
        source=RecordedIsunPages(corpus_dir=str(pages.dir), bulk_corpus_dir=str(bulk)),
    )
    assert summary.success, summary.failures
    return root / "data" / "publish" / "latest"


def _text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


@pytest.mark.integration
def test_parquet_keeps_the_text_as_read(release):
    con = duckdb.connect()
    names = [
        r[0]
        for r in con.execute(
            f"SELECT project_name FROM read_parquet('{release / 'isun_api_projects.parquet'}') "
            "WHERE project_name IS NOT NULL"
        ).fetchall()
    ]
    assert names and all("\x13\x14" in n and "\u202e" in n and "\ufffe" in n for n in names)
    # The lone surrogate could not be stored as UTF-8: U+FFFD stands for it.
    assert all(not is_safe(n) and safe_text(n) != n for n in names)


@pytest.mark.integration
def test_every_csv_json_xml_and_html_output_opens_and_is_safe(release):
    files = [p for p in release.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".csv", ".json", ".atom", ".html", ".xlsx", ".parquet"} <= kinds
    con = duckdb.connect()
    for path in files:
        if path.suffix in (".csv", ".json", ".atom", ".html", ".md", ".jsonld", ".ttl", ".xml"):
            text = _text_of(path)
            assert is_safe(text.lstrip("\ufeff")), path  # the CSV's BOM is its own, at the start
        if path.suffix == ".csv":
            con.execute(f"SELECT * FROM read_csv('{path}', all_varchar=true)").fetchall()
        elif path.suffix in (".json", ".jsonld"):
            json.loads(_text_of(path))
        elif path.suffix == ".atom":
            ET.parse(path)
        elif path.suffix == ".html":
            lxml.html.fromstring(_text_of(path))
        elif path.suffix == ".parquet":
            con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
    # The names are there, made safe: the CSV holds the beneficiary as the page gave it.
    projects_csv = _text_of(release / "projects.csv")
    assert "Фондация „Гражданска инициатива“" in projects_csv


@pytest.mark.integration
def test_every_workbook_opens_in_openpyxl(release):
    workbooks = sorted(release.glob("*.xlsx"))
    assert workbooks
    seen = []
    for path in workbooks:
        book = load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        assert is_safe(value), (path.name, value)
                        seen.append(value)
        book.close()
    assert any(v.startswith("Фондация „Гражданска инициатива“") for v in seen)


@pytest.mark.integration
def test_the_duckdb_file_opens_with_the_text_as_read(release):
    con = duckdb.connect(str(release / "warehouse.duckdb"), read_only=True)
    try:
        names = con.execute(
            "SELECT project_name FROM isun_api_projects WHERE project_name IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    assert names and all("\x13" in n for (n,) in names)


@pytest.mark.integration
@pytest.mark.skipif(CHROMIUM is None, reason="needs /usr/bin/chromium")
def test_the_site_renders_in_headless_chromium(release):
    site = release / "site"
    pages = [site / "index.html", *sorted(site.rglob("*.html"))[:3]]
    for page in pages:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-500:]
        dom = done.stdout.decode("utf-8")
        assert "<body" in dom and is_safe(dom), page


@pytest.mark.unit
def test_one_scan_names_the_unsafe_columns_and_only_those_are_read_cleaned(tmp_path):
    source = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(source))
    con.execute(
        "CREATE TABLE contractors AS SELECT * FROM (VALUES "
        "('BG05M9OP001-2.002-0273', 'Мебел Хасково ЕООД\x13\u202e', '{\"note\": \"a\\u0013b\"}'::JSON), "
        "('BG06RDNP001-7.021-0016', 'ВиК Строй Хасково ЕООД', NULL)) t(project_code, name, extra)"
    )
    con.execute("CREATE TABLE places AS SELECT 'Стамболово' AS municipality")
    con.execute("CREATE VIEW named AS SELECT project_code, name FROM contractors")
    # the connection's own database is the file's (not "main"): the default must find it
    unsafe = unsafe_cells(con)
    assert unsafe == {"contractors": {"name": 1, "extra": 1}, "named": {"name": 1}}
    con.close()
    con = connect_text_safe(source, unsafe)
    rows = con.execute(
        "SELECT project_code, name, CAST(extra AS VARCHAR) FROM contractors ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("BG05M9OP001-2.002-0273", "Мебел Хасково ЕООД", '{"note": "ab"}'),
        ("BG06RDNP001-7.021-0016", "ВиК Строй Хасково ЕООД", None),
    ]
    # the file's own view reads the cleaned table; a clean table is read as it is
    assert con.execute("SELECT name FROM named ORDER BY project_code").fetchall()[0] == (
        "Мебел Хасково ЕООД",
    )
    assert con.execute("SELECT * FROM places").fetchall() == [("Стамболово",)]
    # the file itself keeps the text as read
    assert con.execute(
        "SELECT name FROM warehouse.main.contractors ORDER BY project_code"
    ).fetchall()[0] == ("Мебел Хасково ЕООД\x13\u202e",)
