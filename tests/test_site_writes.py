"""How the site's files are written at scale: by worker processes, the page downloads' XLSX
zipped by hand, and unchanged files linked from the previous release (`warehouse.site`,
`warehouse.page_downloads`, `warehouse.site_common.write_or_link`)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import openpyxl
import pytest

from bench.site_scale import generate
from registry.tables import PROJECTS
from warehouse.page_downloads import XlsxTemplate, _csv_text, download_fields
from warehouse.site import build_site
from warehouse.site_common import write_or_link
from warehouse.text_safety import connect_text_safe, is_safe, unsafe_cells


def _value(field, i: int):
    kind = field.type.split("(")[0]
    if kind == "DECIMAL":
        return Decimal("88840.80") + i
    if kind == "INTEGER":
        return 7 + i
    if kind == "BOOLEAN":
        return i % 2 == 0
    if kind == "DATE":
        return date(2024, 1, 2 + i)
    if kind.startswith("TIMESTAMP"):
        return datetime(2026, 11, 20, 2, 0, i, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return f'=HYPERLINK("x") <Община Стамболово> & {field.name} {i}'


@pytest.mark.unit
def test_a_page_download_is_a_valid_workbook_with_the_rows_and_the_same_bytes_each_time(tmp_path):
    fields = download_fields(PROJECTS)
    rows = [tuple(_value(f, i) for f in fields) for i in range(2)]
    rows.append(tuple(None if j % 3 else v for j, v in enumerate(rows[0])))  # sparse row
    template = XlsxTemplate(fields)
    template.write(tmp_path / "a.xlsx", rows)
    XlsxTemplate(fields).write(tmp_path / "b.xlsx", rows)
    data = (tmp_path / "a.xlsx").read_bytes()
    assert data == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    got = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    assert len(got) == 3 and sheet.max_column == len(fields)
    for row, want in zip(got, rows, strict=True):
        for field, value, expected in zip(fields, row, want, strict=True):
            if expected is None:
                assert value is None, field.name
            elif isinstance(expected, Decimal):
                assert value == pytest.approx(float(expected)), field.name
            elif isinstance(expected, date):
                assert value == expected.isoformat(), field.name
            else:
                assert value == expected, field.name  # text as text: never a formula
    # The CSV neutralises the formula; the XLSX keeps the text as text.
    csv = _csv_text(fields, rows).decode("utf-8-sig").splitlines()
    assert csv[0].startswith("project_code,") and "'=HYPERLINK" in csv[1]


@pytest.mark.unit
def test_a_file_with_the_previous_releases_bytes_is_linked_not_written(tmp_path):
    old, new = tmp_path / "old.html", tmp_path / "new.html"
    old.write_bytes(b"<p>same</p>")
    assert write_or_link(new, b"<p>same</p>", old) is True
    assert new.stat().st_ino == old.stat().st_ino
    other = tmp_path / "other.html"
    assert write_or_link(other, b"<p>changed</p>", old) is False
    assert other.read_bytes() == b"<p>changed</p>" and other.stat().st_ino != old.stat().st_ino
    assert write_or_link(tmp_path / "third.html", b"x", tmp_path / "missing.html") is False


@pytest.mark.integration
def test_workers_write_the_same_site_as_one_process_and_a_night_links_what_did_not_change(
    tmp_path,
):
    """The bench's warehouse (300 contracts, 5 % with pages read): the site written by two worker
    processes is byte for byte the one a single process writes; built again as the next
    release with nothing changed, every page but the search page is linked, not written."""
    db = tmp_path / "warehouse.duckdb"
    generate(db, 300, 0.05)
    con = duckdb.connect(str(db), read_only=True)
    try:
        one = build_site(con, tmp_path / "one" / "site", "2026-12-07", "c", "http://x/", workers=1)
        two = build_site(con, tmp_path / "two" / "site", "2026-12-07", "c", "http://x/", workers=2)
        night = build_site(
            con,
            tmp_path / "night" / "site",
            "2026-12-08",
            "c",
            "http://x/",
            previous=tmp_path / "two",
            workers=2,
        )
    finally:
        con.close()
    assert one == two and one["projects"] == 300 and one["downloads"] > 0
    files = {
        p.relative_to(tmp_path / "one"): p.read_bytes()
        for p in (tmp_path / "one").rglob("*")
        if p.is_file()
    }
    assert files == {
        p.relative_to(tmp_path / "two"): p.read_bytes()
        for p in (tmp_path / "two").rglob("*")
        if p.is_file()
    }
    written = sorted(
        p.relative_to(tmp_path / "night" / "site").as_posix()
        for p in (tmp_path / "night" / "site").rglob("*.html")
        if p.stat().st_nlink == 1
    )
    assert written == ["index.html"]  # the release id is on the search page only
    page = next((tmp_path / "two" / "site" / "project").iterdir()).read_text()
    assert "bgfunds 2026-12-07" not in page and "<b>2026-12-07</b>" not in page
    assert "<b>2026-12-07</b>" in (tmp_path / "two" / "site" / "index.html").read_text()
    assert night["linked"] >= night["pages"] - 1


@pytest.mark.unit
def test_workers_read_the_text_safe_views_of_the_connection_the_site_is_built_from(tmp_path):
    """The release reads its DuckDB file through TEMP views that clean unsafe text
    (`warehouse.text_safety.connect_text_safe`); worker processes open the file themselves,
    so they must get those views too: no page or download they write holds a control
    character or a bidi override that the names carry in the file."""
    db = tmp_path / "warehouse.duckdb"
    generate(db, 300, 0.05)
    con = duckdb.connect(str(db))
    con.execute("UPDATE projects SET project_name = project_name || chr(19) || chr(8238) || 'x'")
    unsafe = unsafe_cells(con)
    con.close()
    assert unsafe["projects"]["project_name"] == 300
    con = connect_text_safe(db, unsafe)
    try:
        build_site(con, tmp_path / "site", "2026-12-07", "c", "http://x/", workers=2)
    finally:
        con.close()
    project_pages = list((tmp_path / "site" / "project").rglob("*.html"))
    assert len(project_pages) == 300
    for path in (tmp_path / "site").rglob("*"):
        if path.suffix in (".html", ".csv", ".atom", ".js", ".json"):
            assert is_safe(path.read_text(encoding="utf-8").lstrip("\ufeff")), path
    assert "x" in project_pages[0].read_text(encoding="utf-8")


def _files(site) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.mark.integration
def test_a_night_with_one_changed_contract_writes_its_page_and_its_lists_and_links_the_rest(
    tmp_path,
):
    """The bench's warehouse (300 contracts) as one release; the next night one contract's paid
    amount moves (a history row for it). Built incrementally from the first release's site, the
    night writes that project's page, the pages and downloads that list it, the feeds it is in
    and the search page, and links every other file; the files are those of a full rebuild."""
    from registry.tables import HISTORY_PROJECTS

    db = tmp_path / "warehouse.duckdb"
    generate(db, 300, 0.05)
    first, night, full = (tmp_path / r for r in ("2026-12-07", "2026-12-08", "full"))
    con = duckdb.connect(str(db), read_only=True)
    reuse = {"before": {}}
    try:
        build_site(con, first / "site", first.name, "c", "http://x/", reuse=reuse, workers=2)
    finally:
        con.close()
    con = duckdb.connect(str(db))
    code, municipality, district, programme, procedure, eik = con.execute(
        """SELECT p.project_code, m.code, d.code, p.programme_code, p.procedure_code, p.beneficiary_eik
           FROM projects p JOIN project_places m ON m.project_code = p.project_code AND m.level = 'municipality'
           JOIN project_places d ON d.project_code = p.project_code AND d.level = 'district'
           WHERE p.detail_level = 'bulk' ORDER BY p.project_code LIMIT 1"""
    ).fetchone()
    con.execute(
        "UPDATE projects SET amount_paid_eur = amount_paid_eur + 1000, amount_paid = amount_paid + 1000,"
        " amount_paid_bgn = round((amount_paid_eur + 1000) * 1.95583, 2) WHERE project_code = ?",
        [code],
    )
    cols = ", ".join(c for c in HISTORY_PROJECTS.columns if c not in ("release_id", "is_removed"))
    con.execute(
        f"INSERT INTO history_projects BY NAME SELECT '{night.name}' AS release_id, {cols}, "
        "false AS is_removed FROM projects WHERE project_code = ?",
        [code],
    )
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    tonight = {"before": reuse["now"]}
    try:
        build_site(
            con, night / "site", night.name, "c", "http://x/", first, reuse=tonight, workers=2
        )
        build_site(con, full / "site", night.name, "c", "http://x/", workers=2)
    finally:
        con.close()
    ours, rebuilt = _files(night / "site"), _files(full / "site")
    assert sorted(ours) == sorted(rebuilt)
    assert [name for name in ours if ours[name] != rebuilt[name]] == []
    written = {
        p.relative_to(night / "site").as_posix()
        for p in (night / "site").rglob("*")
        if p.is_file() and p.stat().st_nlink == 1
    }
    assert {n for n in written if n.startswith("project/")} == {f"project/{code}.html"}
    lists = {
        ("municipality", municipality),
        ("district", district),
        ("programme", programme),
        ("procedure", procedure),
        ("beneficiary", eik),
    }
    assert {n for n in written if n.startswith("downloads/")} == {
        f"downloads/{kind}/{key}{ext}" for kind, key in lists for ext in (".csv", ".xlsx")
    }
    assert tonight["reused"] == sum(map(len, reuse["now"].values())) - len(lists)
    pages = {n for n in written if n.endswith(".html") and not n.startswith("project/")}
    assert {f"{kind}/{key}.html" for kind, key in lists} | {"index.html"} <= pages
    # Other list pages change only where they map the municipality's new paid / contracted
    # (the municipalities of its district).
    assert {n.split("/")[0] for n in pages - {"index.html"}} <= {"municipality"} | {
        kind for kind, _ in lists
    }
    assert {n for n in written if n.startswith("feeds/")} == {
        "feeds/all.atom",
        f"feeds/municipality/{municipality}.atom",
        f"feeds/beneficiary/{eik}.atom",
        f"feeds/programme/{programme}.atom",
    }
    assert len(written) < len(ours) / 20
    # The changed page: values as of tonight's release, a history row for each release; an
    # unchanged bulk-only page: as of the first release, one row (the same bytes as last night).
    page = ours[f"project/{code}.html"].decode()
    assert f"(към изданието {night.name})" in page and f"(към изданието {first.name})" not in page
    assert page.count("<tr><td>2026-12-0") == 2
    other = next(
        text.decode()
        for name, text in sorted(ours.items())
        if name.startswith("project/") and name not in written and b'data-detail="bulk"' in text
    )
    assert f"(към изданието {first.name})" in other
    assert other.count("<tr><td>2026-12-0") == 1


@pytest.mark.unit
def test_an_empty_feed_keeps_the_release_it_first_appeared_in_and_is_linked(tmp_path):
    """A feed with no entries is valid Atom dated with a release, never 1970: the release in
    which it first appeared, the next night too (the same bytes, linked), while one with
    entries is dated by its newest."""
    import feedparser

    from warehouse.feeds import write_feeds

    db = tmp_path / "warehouse.duckdb"
    generate(db, 30, 0.1)
    con = duckdb.connect(str(db), read_only=True)
    programme = con.execute("SELECT min(programme_code) FROM projects").fetchone()[0]
    titles = {("programme", programme): "a programme", ("programme", "NONE"): "no projects"}
    try:
        for release in ("2026-12-07", "2026-12-08"):
            previous = tmp_path / "2026-12-07" if release != "2026-12-07" else None
            write_feeds(con, tmp_path / release / "site", "http://x/", previous, titles, release)
    finally:
        con.close()
    empty = [
        tmp_path / r / "site" / "feeds" / "programme" / "NONE.atom"
        for r in ("2026-12-07", "2026-12-08")
    ]
    assert empty[1].stat().st_ino == empty[0].stat().st_ino
    parsed = feedparser.parse(empty[1].read_bytes())
    assert not parsed.bozo and parsed.version == "atom10" and parsed.entries == []
    assert parsed.feed.updated == "2026-12-07T00:00:00Z"
    full = feedparser.parse(
        (
            tmp_path / "2026-12-08" / "site" / "feeds" / "programme" / f"{programme}.atom"
        ).read_bytes()
    )
    assert full.entries and full.feed.updated == "2026-12-07T00:00:00Z"  # its newest entry's


AWKWARD_TEXTS = (
    '=HYPERLINK("x") <Община Стамболово> & a',
    "plain",
    'comma, and a "quote"',
    "line\nfeed",
    "carriage\rreturn",
    "\ttab first",
    "-5 minus first",
    "@at first",
    "+plus",
    "",
    "  spaces  ",
    "ampersand &amp; already",
)


@pytest.mark.unit
def test_the_rows_rendered_by_duckdb_are_the_python_writers_bytes(tmp_path):
    """Every download row is rendered by SQL (`rendered_rows_sql`); on awkward values (formulas,
    commas, quotes, line breaks, XML's specials, empty and missing values, booleans, dates,
    times, negative and four-place decimals) its CSV and its sheet are byte for byte those of
    the Python writers (`_csv_text`, `XlsxTemplate.sheet_xml`), and the workbook opens."""
    from registry.tables import create_table_sql
    from warehouse.page_downloads import write_page_downloads

    fields = download_fields(PROJECTS)
    con = duckdb.connect()
    con.execute(create_table_sql(PROJECTS).replace("NOT NULL", ""))
    con.execute(
        "CREATE TABLE activity_totals (project_code VARCHAR, reported_eur DECIMAL(18,2), "
        "reported_bgn DECIMAL(18,2))"
    )
    rows = []
    for i in range(len(AWKWARD_TEXTS)):
        row = {}
        for j, f in enumerate(fields):
            kind = f.type.split("(")[0]
            if (i + j) % 7 == 3:
                value = None
            elif kind == "VARCHAR":
                value = AWKWARD_TEXTS[(i + j) % len(AWKWARD_TEXTS)]
            elif kind == "DECIMAL":
                value = Decimal("-12.5") if j % 3 == 0 else Decimal("85.0001") + i
            elif kind == "INTEGER":
                value = -7 + i
            elif kind == "BOOLEAN":
                value = (i + j) % 2 == 0
            elif kind == "DATE":
                value = date(2024, 1, 2 + i)
            else:
                value = datetime(2026, 11, 20, 2, 0, i, tzinfo=UTC)
            row[f.name] = value
        row["project_code"] = f"P{i:03d}"
        row["programme_code"] = "PROG"
        rows.append(row)
    projects = [f.name for f in PROJECTS.fields]
    con.executemany(
        f"INSERT INTO projects ({', '.join(projects)}) VALUES ({', '.join('?' * len(projects))})",
        [[r.get(name) for name in projects] for r in rows],
    )
    con.executemany(
        "INSERT INTO activity_totals VALUES (?, ?, ?)",
        [[r["project_code"], r["reported_eur"], r["reported_bgn"]] for r in rows],
    )
    template = XlsxTemplate(fields)
    counts = write_page_downloads(
        con, tmp_path, "programme", "p.programme_code", "", "p.project_code", fields, str, template
    )
    assert counts == {"PROG": len(AWKWARD_TEXTS)}
    # The values as stored (DuckDB rounds to each column's scale), a time as its UTC text.
    columns = ", ".join(
        f"strftime(timezone('UTC', {f.name}), '%Y-%m-%d %H:%M:%SZ')"
        if f.type.startswith("TIMESTAMP")
        else f.name
        for f in fields
    )
    expected = con.execute(
        f"SELECT {columns} FROM projects LEFT JOIN activity_totals USING (project_code) "
        "ORDER BY project_code"
    ).fetchall()
    assert any(v == Decimal("-12.50") for v in expected[0])
    written = tmp_path / "downloads" / "programme"
    assert (written / "PROG.csv").read_bytes() == _csv_text(fields, expected)
    with zipfile.ZipFile(written / "PROG.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert sheet == template.sheet_xml(expected)
    book = openpyxl.load_workbook(written / "PROG.xlsx").active
    assert book.max_row == 2 + len(rows) and book["A3"].value == "P000"
