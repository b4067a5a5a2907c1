"""The static site inside each release (`site/`): answers without SQL and without a server.

One page per project of `projects` (every contract the open-data API or the register export
lists; the activities, participants, indicators, procurements and corrections where its
pages were read, "page detail not read yet (as of …)" where not), per municipality,
district, procedure, programme and beneficiary (each listing all its projects, with the
same totals as the absorption views, and a CSV and XLSX of exactly that list,
`warehouse.page_downloads`), a search page over all of them with facets
(`warehouse.site_search`), a map of the municipalities by paid / contracted
(`warehouse.choropleth`, on the home, district and municipality pages), a tile grid of the
districts and an Atom feed
per municipality, beneficiary and programme plus one for the whole site
(`warehouse.feeds`). Every figure is shown in BGN and EUR; programmes by name.

Every list and every count reads `projects` (and `project_places` for where a project is),
as the absorption views do, so they agree. What belongs here: which pages there are and
what each holds. HTML parts: `warehouse.site_html`; numbers: `warehouse.views`; feeds'
events: `warehouse.feeds`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from concurrent.futures import Future, ProcessPoolExecutor
from html import escape
from pathlib import Path

import duckdb

from registry.tables import (
    PROJECT_FINANCIAL_CORRECTIONS,
    PROJECT_INDICATORS,
    PROJECT_ORGANISATIONS,
    PROJECT_PROCUREMENTS,
    PROJECTS,
)
from warehouse.boundaries import municipality_boundaries
from warehouse.charts import grouped_bar_chart
from warehouse.choropleth import Area, area_label, map_section, map_table
from warehouse.duckdb_store import connect
from warehouse.feeds import write_feeds
from warehouse.page_downloads import (
    XlsxTemplate,
    download_fields,
    key_ranges,
    write_page_downloads,
)
from warehouse.site_common import (
    NBSP,
    money,
    number_bg,
    project_file,
    query_rows,
    slug,
    table_columns,
    write_or_link,
)
from warehouse.site_history import project_history
from warehouse.site_html import (
    CSS,
    FIELD_TITLES,
    WITHOUT_EIK,
    beneficiary_label,
    cell,
    child_table,
    detail_notice,
    downloads_line,
    field_heading,
    link,
    no_detail_notice,
    over_reported_table,
    page,
    projects_table,
    quarantine_list,
    totals_cards,
)
from warehouse.site_search import (
    facet_controls,
    index_js,
    results_region,
    search_box,
    search_js,
)
from warehouse.views import PER_PLACE_CAVEAT_BG, PER_PLACE_CAVEAT_EN

# Districts (NUTS 3) on a tile grid, roughly where they lie: (row, column).
DISTRICT_TILES = {
    "BG311": (0, 0),
    "BG312": (0, 1),
    "BG313": (0, 2),
    "BG314": (0, 3),
    "BG321": (0, 4),
    "BG323": (0, 5),
    "BG324": (0, 6),
    "BG325": (0, 7),
    "BG412": (1, 1),
    "BG315": (1, 3),
    "BG322": (1, 4),
    "BG334": (1, 5),
    "BG333": (1, 6),
    "BG332": (1, 7),
    "BG414": (2, 0),
    "BG411": (2, 1),
    "BG423": (2, 2),
    "BG421": (2, 3),
    "BG344": (2, 4),
    "BG342": (2, 5),
    "BG343": (2, 6),
    "BG331": (2, 7),
    "BG415": (3, 0),
    "BG413": (3, 1),
    "BG424": (3, 3),
    "BG425": (3, 4),
    "BG422": (3, 5),
    "BG341": (3, 7),
}
PROJECT_CHUNK = 2000  # project pages written per range of codes (memory stays one range's)
DOWNLOAD_CHUNK = 8000  # rows of page downloads rendered per query (memory stays one range's)
POOL_MIN_PROJECTS = 1000  # below this, no worker processes (starting them costs ~1 s)
LIST_ORDER = "p.amount_total_eur DESC NULLS LAST, p.project_code"
BENEFICIARY_KEY = (
    "coalesce(p.beneficiary_eik, p.beneficiary_name, "
    f"CASE WHEN p.beneficiary_without_eik THEN '{WITHOUT_EIK}' END)"
)
# A bulk row's fetch time and answer digest move every night (the open-data API is fetched
# whole each night): not on its page, which says which release its values are from instead,
# so a page whose values did not change keeps its bytes (they are in `projects` and its CSV).
NIGHTLY_PROVENANCE = ("fetched_at", "content_sha256")
# Page-level tables shown on a project page where its pages were read: (heading, table).
CHILD_TABLES = (
    ("Участници / participants", PROJECT_ORGANISATIONS),
    ("Индикатори / indicators", PROJECT_INDICATORS),
    ("Обществени поръчки / procurements", PROJECT_PROCUREMENTS),
    ("Финансови корекции / financial corrections", PROJECT_FINANCIAL_CORRECTIONS),
)


def _place_join(level: str) -> str:
    return (
        "JOIN (SELECT DISTINCT project_code, code AS _place FROM project_places "
        f"WHERE level = '{level}' AND code IS NOT NULL) pl USING (project_code)"
    )


# The pages with a download of their projects: kind -> (the page key's SQL, the join it needs).
DOWNLOAD_KINDS = {
    "municipality": ("pl._place", _place_join("municipality")),
    "district": ("pl._place", _place_join("district")),
    "programme": ("p.programme_code", ""),
    "procedure": ("p.procedure_code", ""),
    "beneficiary": (BENEFICIARY_KEY, ""),
}


def _downloads(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    kind: str,
    keys: tuple[str, str],
    previous: str | None,
    before: dict | None,
    template: XlsxTemplate | None = None,
) -> tuple[dict[str, int], dict]:
    """One range of one kind's downloads (`write_page_downloads`): (rows per key, digests)."""
    fields = download_fields(PROJECTS)
    key_sql, join_sql = DOWNLOAD_KINDS[kind]
    digests = None if before is None else {"before": before, "now": {}}
    counts = write_page_downloads(
        con,
        out,
        kind,
        key_sql,
        join_sql,
        LIST_ORDER,
        fields,
        slug,
        template or XlsxTemplate(fields),
        previous=Path(previous) if previous else None,
        digests=digests,
        keys=keys,
    )
    return counts, {"now": {}, "reused": 0} if digests is None else digests


# ---------- workers ----------


def site_workers() -> int:
    """Processes that write the site: `BGFUNDS_WORKERS` (the pipeline's setting), else up to 2 cores."""
    value = os.environ.get("BGFUNDS_WORKERS", "")
    return int(value) if value.isdigit() and int(value) > 0 else min(2, os.cpu_count() or 1)


def _database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file of `con`'s database when it is open read-only (so other processes may open it)."""
    try:
        row = con.execute(
            "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row and row[0] and row[1] else None


_WORKER: dict = {}


def _temp_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The TEMP views of `con` (the release's text-safe views, `warehouse.text_safety`), in
    creation order: a worker's connection gets them too, so it reads what `con` reads."""
    return [
        sql
        for (sql,) in con.execute(
            "SELECT sql FROM duckdb_views() WHERE temporary AND NOT internal ORDER BY view_oid"
        ).fetchall()
    ]


def _start_worker(
    path: str,
    out: str,
    release_id: str,
    coverage: str,
    previous_site: str | None,
    temp_views: list[str] = (),
) -> None:
    con = connect(path, read_only=True)  # the warehouse's memory limit, in each worker too
    con.execute("SET enable_progress_bar = false")
    for sql in temp_views:
        con.execute(sql)
    _WORKER.update(
        previous_site=Path(previous_site) if previous_site else None,
        con=con,
        out=Path(out),
        release_id=release_id,
        coverage=coverage,
    )


def _download_task(kind, keys, previous, before):
    if "template" not in _WORKER:
        _WORKER["template"] = XlsxTemplate(download_fields(PROJECTS))
    return _downloads(
        _WORKER["con"], _WORKER["out"], kind, keys, previous, before, _WORKER["template"]
    )


def _project_task(first: str, last: str) -> tuple[list[list], int]:
    """The project pages from `first` to `last`: (their search entries, pages written)."""
    builder = _WORKER.get("builder")
    if builder is None:
        builder = SiteBuilder(
            _WORKER["con"],
            _WORKER["out"],
            _WORKER["release_id"],
            _WORKER["coverage"],
            _WORKER["previous_site"],
        )
        builder.load_names()  # the range's projects are read with its pages (`_chunk`)
        _WORKER["builder"] = builder
    builder.index, builder.pages, builder.linked = [], 0, 0
    builder._project_pages(first, last)
    return builder.index, builder.pages, builder.linked


class SitePool:
    """Worker processes (spawned: never a fork of a threaded Dagster or DuckDB process), each
    with its own read-only connection to the release's DuckDB file, with the TEMP views of
    the connection the site is built from (so its text is read safe alike)."""

    def __init__(
        self,
        path: str,
        out: Path,
        release_id: str,
        coverage: str,
        previous_site: Path | None,
        workers: int,
        temp_views: list[str] = (),
    ):
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(
                path,
                str(out),
                release_id,
                coverage,
                previous_site and str(previous_site),
                list(temp_views),
            ),
        )

    def submit(self, fn, *args) -> Future:
        return self.executor.submit(fn, *args)

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


# ---------- reading ----------


def _ratio(a, b):
    return None if a is None or not b else float(a) / float(b)


def _day(value) -> str:
    return value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else "—"


# ---------- the site ----------


class SiteBuilder:
    """Writes `site/` for one release from its warehouse connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        out: Path,
        release_id: str,
        coverage: str,
        previous_site: Path | None = None,
    ):
        self.con, self.out, self.release_id, self.coverage = con, out, release_id, coverage
        self.previous_site = (
            previous_site  # the previous release's `site/`: unchanged files link to it
        )
        self.linked = 0  # files linked from the previous release (their bytes are tonight's)
        self._directories: set[Path] = set()
        self.index: list[list] = []
        self.feeds: dict[tuple[str, str], str] = {}  # (kind, key) -> title, for `warehouse.feeds`
        self.pages = 0
        self.downloads: dict[str, dict[str, int]] = {}  # kind -> key -> rows in its download

    def write(self, relative: str, text: str) -> None:
        """Write `relative`, or link the previous release's file where its bytes are the same."""
        path = self.out / relative
        if path.parent not in self._directories:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._directories.add(path.parent)
        old = self.previous_site / relative if self.previous_site else None
        self.linked += write_or_link(path, text.encode("utf-8"), old)
        self.pages += relative.endswith(".html")

    # -- data --
    def load(self) -> None:
        """Everything the list pages, the maps and the search need (every project's summary);
        a project page's worker needs only `load_names` (`_project_task`)."""
        con = self.con
        self.load_names()
        self.projects = self._summaries(f"ORDER BY {LIST_ORDER}")
        self.places = self._places("")
        self.over_by_project = defaultdict(list)
        for a in query_rows(
            con,
            """
            SELECT project_code, activity_no, activity_name, amount_contracted_bgn, amount_contracted_eur,
                   amount_reported_bgn, amount_reported_eur, execution_rate
            FROM activities WHERE is_over_reported ORDER BY project_code, activity_no""",
        ):
            self.over_by_project[a["project_code"]].append(a)
        self.district_names = (
            {
                r["code"]: r["name_bg"]
                for r in query_rows(
                    con, "SELECT code, name_bg FROM places WHERE level = 'district'"
                )
            }
            if table_columns(con, "places")
            else {}
        )
        shapes = municipality_boundaries()
        self.municipality_places = {  # LAU code -> (name, district code), all 265
            code: (m["name_bg"], None) for code, m in shapes.items()
        }
        if table_columns(con, "places"):
            for r in query_rows(
                con, "SELECT code, name_bg, nuts3 FROM places WHERE level = 'municipality'"
            ):
                if r["code"] in shapes:
                    self.municipality_places[r["code"]] = (r["name_bg"], r["nuts3"])

    def load_names(self) -> None:
        """Programme names and periods (a few dozen rows)."""
        con = self.con
        self.programme_names = {
            r["programme_code"]: r["label"]
            for r in query_rows(
                con,
                "SELECT programme_code, coalesce(programme_name, programme_short_bg, programme_code) AS label "
                "FROM absorption_by_programme",
            )
        }
        self.periods: dict[str, str] = {}
        if table_columns(con, "programmes"):
            for r in query_rows(con, "SELECT programme_code, name_bg, period FROM programmes"):
                self.programme_names.setdefault(r["programme_code"], r["name_bg"])
                self.periods[r["programme_code"]] = r["period"]

    def _summaries(self, where_order: str, params: list | None = None) -> list[dict]:
        """What the lists, the search and a project's page show of each project (with its
        programme's label), for the projects `where_order` selects, in its order."""
        rows = query_rows(
            self.con,
            f"""
            SELECT p.project_code, p.project_name, p.programme_code, p.procedure_code, p.procedure_name,
                   p.beneficiary_name, p.beneficiary_eik, {BENEFICIARY_KEY} AS beneficiary_key,
                   p.amount_total_bgn, p.amount_total_eur, p.amount_paid_bgn, p.amount_paid_eur,
                   t.reported_bgn, t.reported_eur, p.source_url, p.status, p.detail_level, p.bulk_source
            FROM projects p LEFT JOIN activity_totals t USING (project_code)
            {where_order}""",
            params,
        )
        for p in rows:
            p["programme_label"] = self.programme_names.get(
                p["programme_code"], p["programme_code"]
            )
        return rows

    def _places(self, where: str, params: list | None = None) -> dict[str, list[dict]]:
        """project_code -> its districts and municipalities ({level, code, name}), sorted."""
        places = defaultdict(list)
        for r in query_rows(
            self.con,
            "SELECT DISTINCT project_code, level, code, name FROM project_places "
            f"WHERE level IN ('district', 'municipality') AND code IS NOT NULL {where} ORDER BY ALL",
            params,
        ):
            places[r["project_code"]].append(r)
        return places

    def over_reported_of(self, projects: list[dict]) -> list[dict]:
        """The over-reported activities of these projects (each project once)."""
        codes = dict.fromkeys(p["project_code"] for p in projects)
        return [a for code in sorted(codes) for a in self.over_by_project.get(code, [])]

    def projects_at(self, level: str) -> dict[str, list[dict]]:
        """Place code -> its projects (in list order), for one level of `project_places`."""
        out = defaultdict(list)
        for p in self.projects:
            for code in dict.fromkeys(
                pl["code"] for pl in self.places.get(p["project_code"], []) if pl["level"] == level
            ):
                out[code].append(p)
        return out

    # -- downloads --
    def write_downloads(
        self,
        previous: Path | None = None,
        reuse: dict | None = None,
        pool: SitePool | None = None,
    ) -> None:
        """A CSV and an XLSX per municipality, district, procedure, programme and beneficiary page.

        With `reuse` ({"before": {kind: {file: digest}}}, the previous release's), a download
        whose rows are the same as in the previous release (`previous`) is linked from it;
        `reuse["now"]` gets this release's digests, `reuse["reused"]` the files linked.
        Each kind is written a range of its keys at a time (`page_downloads.key_ranges`, about
        `DOWNLOAD_CHUNK` rows: what DuckDB sorts and renders at once); with a `pool`, a range a
        task (each file is one key's: the same bytes whichever process writes it); call
        `collect_downloads` for the results."""
        if reuse is not None:
            reuse.setdefault("now", {})
        self._downloads_reuse = reuse
        self._download_tasks = []
        old_site = str(previous / "site") if previous else None
        for kind, (key_sql, join_sql) in DOWNLOAD_KINDS.items():
            before_kind = None
            if reuse is not None:
                before_kind = (reuse.get("before") or {}).get(kind) or {}
            for run in key_ranges(self.con, key_sql, join_sql, DOWNLOAD_CHUNK):
                before = None
                if before_kind is not None:  # the previous digests of this range's files only
                    names = (slug(key) for key in run)
                    before = {n: before_kind[n] for n in names if n in before_kind}
                args = (kind, (run[0], run[-1]), old_site, before)
                if pool:
                    self._download_tasks.append((kind, pool.submit(_download_task, *args)))
                else:
                    self._download_tasks.append((kind, _downloads(self.con, self.out, *args)))
        if not pool:
            self.collect_downloads()

    def collect_downloads(self) -> None:
        reuse = self._downloads_reuse
        for kind, task in self._download_tasks:
            counts, digests = task.result() if isinstance(task, Future) else task
            self.downloads.setdefault(kind, {}).update(counts)
            if reuse is not None:
                reuse["now"].setdefault(kind, {}).update(digests["now"])
                reuse["reused"] = reuse.get("reused", 0) + digests.get("reused", 0)
        for kind in DOWNLOAD_KINDS:  # in key order, whichever task wrote them
            self.downloads[kind] = dict(sorted(self.downloads.get(kind, {}).items()))
            if reuse is not None:
                reuse["now"][kind] = dict(sorted(reuse["now"].get(kind, {}).items()))

    def _list(self, kind: str, key: str, projects: list[dict], show=("beneficiary", "programme")):
        """A page's list of projects and the links to its download."""
        download = f"downloads/{kind}/{slug(key)}.csv / .xlsx"
        line = downloads_line(1, kind, key, len(projects)) if projects else ""
        return line + projects_table(projects, 1, show=show, download=download)

    # -- pages --
    def municipality_pages(self) -> None:
        by_municipality = self.projects_at("municipality")
        self.municipalities = query_rows(
            self.con, "SELECT * FROM absorption_by_municipality ORDER BY municipality_name"
        )
        self.map_areas()
        for row in self.municipalities:
            code, name = row["municipality_code"], row["municipality_name"]
            district = self.district_names.get(
                row.get("district_code"), row.get("district_code") or ""
            )
            projects = by_municipality.get(code, [])
            feed = f"feeds/municipality/{slug(code)}.atom"
            body = f"""<h1 id="entity-name">Община {escape(name)}</h1>
<p>Област <a href="../district/{slug(row.get("district_code"))}.html">{escape(district)}</a> · код ЛАУ {escape(code)}
· <a href="../{feed}">Atom: промени / changes</a></p>
{totals_cards(row)}
<h2>На картата / on the map</h2><p><small>Общините в област {escape(district)} по изплатено / договорено;
тази е очертана в червено. The district's municipalities by paid / contracted; this one outlined in red.</small></p>
{self._district_map(row.get("district_code"), current=code)}
<p class="caveat">{escape(PER_PLACE_CAVEAT_BG)}<br><small>{escape(PER_PLACE_CAVEAT_EN)}</small></p>
<h2>Проекти в общината / projects located here</h2>{self._list("municipality", code, projects)}
<h2>Дейности, отчетени над договореното / over-reported activities</h2>{over_reported_table(self.over_reported_of(projects), 1)}"""
            self.write(
                f"municipality/{slug(code)}.html",
                page(f"Община {name}", body, 1, None, feed),
            )
            self.feeds[("municipality", code)] = f"Община {name}"
            self.index.append(
                ["m", f"Община {name}", f"{district} · {code}", f"municipality/{slug(code)}.html"]
            )

    def map_areas(self) -> None:
        """Every municipality on the maps: linked and coloured where it has projects (a page)."""
        rows = {r["municipality_code"]: r for r in self.municipalities}
        self.map_rows = rows
        self.areas = {}
        for code, (name, _) in self.municipality_places.items():
            row = rows.get(code)
            has_page = bool(row and row.get("projects"))
            self.areas[code] = Area(
                code=code,
                name=name,
                href=f"municipality/{slug(code)}.html" if has_page else None,
                payment_rate=row.get("payment_rate") if row else None,
                label=area_label(name, row),
            )

    def _district_map(self, district: str | None, current: str | None = None) -> str:
        """The municipalities of one district on a map (empty when none of them is known)."""
        areas = {
            code: area
            for code, area in self.areas.items()
            if self.municipality_places[code][1] == district
        }
        if not areas:
            return ""
        name = self.district_names.get(district) or district or ""
        return map_section(areas, f"Общините в област {name} / municipalities", current, "../")

    def district_pages(self) -> None:
        self.districts = query_rows(
            self.con, "SELECT * FROM absorption_by_district ORDER BY district_name"
        )
        by_district = self.projects_at("district")
        municipalities = defaultdict(list)
        for m in self.municipalities:
            municipalities[m.get("district_code")].append(m)
        for row in self.districts:
            code, name = row["district_code"], row["district_name"]
            rows = "".join(
                f'<tr><td><a href="../municipality/{slug(m["municipality_code"])}.html">{escape(m["municipality_name"])}</a></td>'
                f'<td class="num">{m["projects"]}</td><td class="num">{money(m["contracted_bgn"], m["contracted_eur"])}</td>'
                f'<td class="num">{money(m["paid_bgn"], m["paid_eur"])}</td><td class="num">{_percent(m["payment_rate"])}</td></tr>'
                for m in sorted(municipalities.get(code, []), key=lambda m: m["municipality_name"])
            )
            body = f"""<h1 id="entity-name">Област {escape(name)}</h1><p>NUTS 3: {escape(code)}</p>{totals_cards(row)}
<p class="caveat">{escape(PER_PLACE_CAVEAT_BG)}<br><small>{escape(PER_PLACE_CAVEAT_EN)}</small></p>
<h2>Общини / municipalities</h2>{self._district_map(code)}<div class="wide"><table><tr><th>Община</th><th>Договори</th><th>Договорено</th>
<th>Изплатено</th><th>Изплатено / договорено</th></tr>{rows}</table></div>
<h2>Проекти в областта / projects located here</h2>{self._list("district", code, by_district.get(code, []))}"""
            self.write(f"district/{slug(code)}.html", page(f"Област {name}", body, 1, None))
            self.index.append(["d", f"Област {name}", code, f"district/{slug(code)}.html"])

    def beneficiary_pages(self) -> None:
        by_key = defaultdict(list)
        for p in self.projects:
            by_key[p["beneficiary_key"]].append(p)
        for row in query_rows(self.con, "SELECT * FROM absorption_by_beneficiary"):
            key = row["beneficiary_key"]
            if key is None:
                continue
            projects = by_key.get(key, [])
            feed = f"feeds/beneficiary/{slug(key)}.atom"
            name = beneficiary_label(row.get("beneficiary_name"), key)
            eik = row.get("beneficiary_eik") or (
                "няма ЕИК: име и лични данни не се публикуват / no ЕИК: no name or personal data published"
                if key == WITHOUT_EIK
                else "—"
            )
            body = f"""<h1 id="entity-name">{escape(name)}</h1>
<p>ЕИК/БУЛСТАТ: <b id="eik">{escape(eik)}</b> · <a href="../{feed}">Atom: промени / changes</a></p>
{totals_cards(row)}
<h2>Проекти / projects</h2>{self._list("beneficiary", key, projects, show=("programme",))}
<h2>Дейности, отчетени над договореното / over-reported activities</h2>{over_reported_table(self.over_reported_of(projects), 1)}"""
            self.write(f"beneficiary/{slug(key)}.html", page(name, body, 1, None, feed))
            self.feeds[("beneficiary", key)] = name
            self.index.append(
                [
                    "b",
                    name,
                    f"ЕИК {row.get('beneficiary_eik')}" if row.get("beneficiary_eik") else "",
                    f"beneficiary/{slug(key)}.html",
                ]
            )

    def procedure_pages(self) -> None:
        by_procedure = defaultdict(list)
        for p in self.projects:
            by_procedure[p["procedure_code"]].append(p)
        self.procedures = defaultdict(list)
        for row in query_rows(
            self.con,
            "SELECT * FROM absorption_by_procedure ORDER BY contracted_eur DESC NULLS LAST",
        ):
            code = row["procedure_code"]
            self.procedures[row["programme_code"]].append(row)
            name = row.get("procedure_name") or code
            programme = self.programme_names.get(row["programme_code"]) or row["programme_code"]
            body = f"""<h1 id="entity-name">{escape(name)}</h1>
<p>Процедура / procedure {escape(code)} · <a href="../programme/{slug(row["programme_code"])}.html">{escape(programme)}</a></p>
{totals_cards(row)}
<h2>Проекти / projects</h2>{self._list("procedure", code, by_procedure.get(code, []), show=("beneficiary",))}"""
            self.write(f"procedure/{slug(code)}.html", page(name, body, 1, None))
            self.index.append(["r", name, code, f"procedure/{slug(code)}.html"])

    def programme_pages(self) -> None:
        by_programme = defaultdict(list)
        for p in self.projects:
            by_programme[p["programme_code"]].append(p)
        self.programmes = query_rows(
            self.con,
            "SELECT * FROM absorption_by_programme ORDER BY contracted_eur DESC NULLS LAST",
        )
        for row in self.programmes:
            code = row["programme_code"]
            name = self.programme_names.get(code) or code
            feed = f"feeds/programme/{slug(code)}.atom"
            procs = "".join(
                f'<tr><td><a href="../procedure/{slug(r["procedure_code"])}.html">'
                f"{escape(r.get('procedure_name') or r['procedure_code'])}</a><br><small>{escape(r['procedure_code'])}</small></td>"
                f'<td class="num">{r["projects"]}</td><td class="num">{money(r["contracted_bgn"], r["contracted_eur"])}</td>'
                f'<td class="num">{money(r["reported_bgn"], r["reported_eur"])}</td>'
                f'<td class="num">{money(r["paid_bgn"], r["paid_eur"])}</td></tr>'
                for r in self.procedures.get(code, [])
            )
            body = f"""<h1 id="entity-name">{escape(name)}</h1>
<p>{escape(row.get("programme_name_en") or "")} · код {escape(code)} · период {escape(str(row.get("period") or "—"))}
· <a href="../{feed}">Atom: промени / changes</a></p>{totals_cards(row)}
<h2>Процедури / procedures</h2><div class="wide"><table><tr><th>Процедура</th><th>Договори</th><th>Договорено</th>
<th>Отчетено</th><th>Изплатено</th></tr>{procs}</table></div>
<h2>Проекти / projects</h2>{self._list("programme", code, by_programme.get(code, []), show=("beneficiary",))}"""
            self.write(f"programme/{slug(code)}.html", page(name, body, 1, None, feed))
            self.feeds[("programme", code)] = name
            self.index.append(["g", name, code, f"programme/{slug(code)}.html"])

    def project_pages(self, pool: SitePool | None = None) -> None:
        """A page per project, written a range of project codes at a time (`PROJECT_CHUNK`), so the
        page-level rows, sources and history held in memory are one chunk's, not the whole
        release's; with a `pool`, the ranges are written by its workers (`collect_projects`)."""
        codes = [
            r[0]
            for r in self.con.execute(
                "SELECT project_code FROM projects ORDER BY project_code"
            ).fetchall()
        ]
        self._project_tasks = []
        for start in range(0, len(codes), PROJECT_CHUNK):
            first, last = codes[start], codes[min(start + PROJECT_CHUNK, len(codes)) - 1]
            if pool:
                self._project_tasks.append(pool.submit(_project_task, first, last))
            else:
                self._project_pages(first, last)

    def collect_projects(self) -> None:
        for task in self._project_tasks:
            entries, pages, linked = task.result()
            self.index.extend(entries)
            self.pages += pages
            self.linked += linked
        self._project_tasks = []

    def _by_code(self, sql: str, span: list, key: str = "project_code") -> dict[str, list[dict]]:
        out = defaultdict(list)
        for r in query_rows(self.con, sql, span):
            out[r[key]].append(r)
        return out

    def _chunk(self, first: str, last: str) -> dict[str, dict]:
        """Everything the project pages of one range of codes show, by table then code."""
        con, span = self.con, [first, last]
        between = "WHERE project_code BETWEEN ? AND ? ORDER BY ALL"
        chunk = {
            "activities": self._by_code(
                "SELECT project_code, activity_no, activity_name, amount_contracted_bgn, amount_contracted_eur, "
                f"amount_reported_bgn, amount_reported_eur, is_over_reported FROM activities {between}",
                span,
            ),
        }
        chunk["history"], chunk["changed_in"] = project_history(con, first, last)
        for _, table in CHILD_TABLES:
            chunk[table.name] = (
                self._by_code(f"SELECT * FROM {table.name} {between}", span)
                if table_columns(con, table.name)
                else {}
            )
        chunk["sources"] = (
            self._by_code(
                "SELECT project_key, source_kind, field, value, source_url FROM project_sources "
                "WHERE project_key BETWEEN ? AND ? ORDER BY ALL",
                span,
                "project_key",
            )
            if table_columns(con, "project_sources")
            else {}
        )
        chunk["conflicts"] = (
            self._by_code(
                'SELECT project_key, field, "values"::VARCHAR AS vals FROM project_conflicts '
                "WHERE project_key BETWEEN ? AND ? ORDER BY ALL",
                span,
                "project_key",
            )
            if table_columns(con, "project_conflicts")
            else {}
        )
        chunk["summary"] = {
            p["project_code"]: p
            for p in self._summaries("WHERE p.project_code BETWEEN ? AND ?", span)
        }
        chunk["places"] = self._places("AND project_code BETWEEN ? AND ?", span)
        chunk["quarantine"] = self._by_code(
            "SELECT split_part(record_key, '#', 1) AS project_code, table_name, rule, field, value, message "
            "FROM quarantine WHERE split_part(record_key, '#', 1) BETWEEN ? AND ? ORDER BY ALL",
            span,
        )
        return chunk

    def _project_pages(self, first: str, last: str) -> None:
        chunk = self._chunk(first, last)
        for row in query_rows(
            self.con,
            "SELECT * FROM projects WHERE project_code BETWEEN ? AND ? ORDER BY project_code",
            [first, last],
        ):
            self._project_page(row, chunk)

    def _project_page(self, row: dict, chunk: dict) -> None:
        code = row["project_code"]
        p, located = chunk["summary"][code], chunk["places"].get(code, [])
        acts = chunk["activities"].get(code, [])
        read = row.get("detail_level") == "pages"
        places = " · ".join(
            f'<a href="../{pl["level"]}/{slug(pl["code"])}.html">{escape(pl["name"] or pl["code"])}</a>'
            for pl in located
        )
        cards = totals_cards(
            {
                "contracted_bgn": p["amount_total_bgn"],
                "contracted_eur": p["amount_total_eur"],
                "reported_bgn": p["reported_bgn"],
                "reported_eur": p["reported_eur"],
                "paid_bgn": p["amount_paid_bgn"],
                "paid_eur": p["amount_paid_eur"],
                "projects": 1,
                "projects_with_pages": int(read),
                "execution_rate": _ratio(p["reported_eur"], p["amount_total_eur"]),
                "payment_rate": _ratio(p["amount_paid_eur"], p["amount_total_eur"]),
                "over_reported_activities": sum(1 for a in acts if a["is_over_reported"]),
            }
        )
        fields = "".join(
            f"<tr>{field_heading(k)}<td>{cell(k, v)}</td></tr>"
            for k, v in row.items()
            if v is not None and (read or k not in NIGHTLY_PROVENANCE)
        )
        title = row.get("project_name") or (
            "Наименованието не се публикува (бенефициент без ЕИК) / name withheld"
            if row.get("beneficiary_without_eik")
            else code
        )
        body = f"""<h1 id="entity-name">{escape(title)}</h1>
<p><b>{escape(code)}</b> · <a href="../beneficiary/{slug(p["beneficiary_key"])}.html">{
            escape(beneficiary_label(p.get("beneficiary_name"), p.get("beneficiary_key")))
        }</a>
· <a href="../programme/{slug(p["programme_code"])}.html">{escape(p["programme_label"] or "")}</a>
· <a href="../procedure/{slug(p["procedure_code"])}.html">{
            escape(row.get("procedure_name") or p["procedure_code"])
        }</a>
· статус / status: {escape(row.get("status") or "—")}
· източник / source: {
            link(row.get("source_url"), "страница в ИСУН" if read else "отворени данни / open data")
        }</p>
<p>Места / places: {places or "—"}</p>
{
            detail_notice(row)
            if read
            else no_detail_notice(row, chunk["changed_in"].get(code, self.release_id))
        }
{cards}
{self._page_detail(code, acts, chunk) if read else ""}
{quarantine_list(chunk["quarantine"].get(code, []))}
<h2>Развитие на сумите по издания / amounts over releases</h2>{
            chunk["history"].get(code, "<p>—</p>")
        }
<h2>Източници / sources side by side</h2>{_sources_table(chunk["sources"].get(code, []))}
<h2>Разминавания / conflicts</h2>{_conflicts(chunk["conflicts"].get(code, []))}
<h2>Всички полета / every field</h2><div class="wide"><table>{fields}</table></div>"""
        self.write(project_file(code), page(title, body, 1, None))
        where = ", ".join(pl["name"] for pl in located if pl["level"] == "municipality")
        districts = ";".join(
            dict.fromkeys(pl["code"] for pl in located if pl["level"] == "district")
        )
        self.index.append(
            [
                "p",
                title,
                f"{code} · {beneficiary_label(p.get('beneficiary_name'), p.get('beneficiary_key'))}"
                + (f" · {where}" if where else ""),
                project_file(code),
                [
                    p["programme_code"] or "",
                    self.periods.get(p["programme_code"]) or "",
                    row.get("status") or "",
                    districts,
                ],
            ]
        )

    def _page_detail(self, code: str, acts: list[dict], chunk: dict) -> str:
        rows = "".join(
            f'<tr class="{"bad" if a["is_over_reported"] else ""}"><td>{a["activity_no"]}</td><td>{escape(a["activity_name"] or "")}</td>'
            f'<td class="num">{money(a["amount_contracted_bgn"], a["amount_contracted_eur"])}</td>'
            f'<td class="num">{money(a["amount_reported_bgn"], a["amount_reported_eur"])}</td>'
            f"<td>{'над договореното / over' if a['is_over_reported'] else ''}</td></tr>"
            for a in acts
        )
        parts = [
            '<h2 id="activities">Дейности / activities</h2><div class="wide"><table><tr><th>№</th>'
            f"<th>Дейност</th><th>Договорено</th><th>Отчетено</th><th></th></tr>{rows}</table></div>"
        ]
        for heading, table in CHILD_TABLES:
            parts.append(f"<h2>{heading}</h2>{child_table(chunk[table.name].get(code, []), table)}")
        return "\n".join(parts)

    def index_page(self, trend: list[dict]) -> None:
        body = f"""<h1>Кой какво получи и похарчи от евросредствата<br><small>EU funds in Bulgaria: who got and spent what</small></h1>
<p id="coverage">{escape(self.coverage)}</p>
<form role="search" onsubmit="return false">{search_box()}{facet_controls(self._facet_options())}</form>
{results_region()}
<h2>Общините на картата / municipalities on the map</h2>
<p><small>Всички 265 общини, оцветени по изплатено / договорено от всички договори в тях (сивите нямат проекти).
All 265 municipalities by paid / contracted over every contract located there (grey: no projects).</small></p>
{self._country_map()}
<h2>Области / districts</h2><p><small>Решетка от области (не карта в мащаб); по-тъмно = повече договорено.
Tile grid of districts (not a scale map); darker = more contracted.</small></p>
<div class="tiles" id="tiles">{self._tiles()}</div>
<p class="caveat">{escape(PER_PLACE_CAVEAT_BG)}<br><small>{escape(PER_PLACE_CAVEAT_EN)}</small></p>
<h2>Програми / programmes</h2>{self._programmes_table()}
<h2>По издания / over releases</h2><p><small>Състоянието към всяко издание (не само променените редове).
State as of each release.</small></p>{_trend(trend)}
<p><a href="feeds/all.atom">Atom: всички промени / every change</a></p>
<script src="search-index.js"></script><script src="search.js"></script>"""
        self.write("index.html", page("Търсене", body, 0, self.release_id, "feeds/all.atom"))

    def _country_map(self) -> str:
        districts = {
            code: self.district_names.get(nuts3) or ""
            for code, (_, nuts3) in self.municipality_places.items()
        }
        table = map_table(self.areas, districts, self.map_rows)
        return map_section(
            self.areas, "Общините на България / municipalities of Bulgaria", table=table
        )

    def _facet_options(self) -> dict[str, list[tuple[str, str]]]:
        programmes = sorted({p["programme_code"] for p in self.projects if p["programme_code"]})
        return {
            "programme": [(c, self.programme_names.get(c) or c) for c in programmes],
            "period": [(v, v) for v in sorted({self.periods.get(c) for c in programmes} - {None})],
            "status": [(s, s) for s in sorted({p["status"] for p in self.projects if p["status"]})],
            "district": sorted(
                ((d["district_code"], d["district_name"]) for d in self.districts),
                key=lambda kv: kv[1] or "",
            ),
        }

    def _tiles(self) -> str:
        by_code = {d["district_code"]: d for d in self.districts}
        top = max([float(d["contracted_eur"] or 0) for d in self.districts] or [1.0]) or 1.0
        tiles = []
        for code, (row, col) in sorted(DISTRICT_TILES.items(), key=lambda kv: kv[1]):
            d = by_code.get(code)
            share = float(d["contracted_eur"] or 0) / top if d else 0.0
            colour = f"hsl(210, 60%, {95 - 50 * share:.0f}%)"
            text = "#fff" if share > 0.6 else "#000"
            label = escape(self.district_names.get(code) or (d or {}).get("district_name") or code)
            style = f"grid-row:{row + 1};grid-column:{col + 1};background:{colour};color:{text}"
            if d:  # a district with projects has a page; the others are tiles without a link
                figure = f"<br><small>{number_bg(d['contracted_eur'], 0)}{NBSP}€</small>"
                tiles.append(
                    f'<a class="tile" href="district/{slug(code)}.html" style="{style}" title="{label}">'
                    f"{label}{figure}</a>"
                )
            else:
                tiles.append(f'<span class="tile" style="{style}" title="{label}">{label}</span>')
        return "".join(tiles)

    def _programmes_table(self) -> str:
        rows = "".join(
            f'<tr><td><a href="programme/{slug(r["programme_code"])}.html">{escape(self.programme_names.get(r["programme_code"]) or r["programme_code"])}</a></td>'
            f'<td class="num">{r["projects"]}</td><td class="num">{money(r["contracted_bgn"], r["contracted_eur"])}</td>'
            f'<td class="num">{money(r["paid_bgn"], r["paid_eur"])}</td></tr>'
            for r in self.programmes
        )
        return (
            '<div class="wide"><table><tr><th>Програма</th><th>Договори</th><th>Договорено</th>'
            f"<th>Изплатено</th></tr>{rows}</table></div>"
        )

    def finish(self) -> None:
        self.write("style.css", CSS)
        self.write("search.js", search_js())
        # In a fixed order (kind, name, detail, page), whatever order the tables came in, so the
        # same release data gives the same bytes (an incremental night links unchanged files).
        entries = sorted(self.index, key=lambda e: tuple(str(x) for x in e))
        self.write("search-index.js", index_js([e for e in entries if e[0] != "p"]))
        self.write(
            "search-index-projects.js",
            index_js([e for e in entries if e[0] == "p"], "BGFUNDS_PROJECTS"),
        )


def _percent(rate) -> str:
    from warehouse.site_common import percent

    return percent(rate)


def _trend(trend: list[dict]) -> str:
    rows = "".join(
        f'<tr><td>{escape(t["release_id"])}</td><td class="num">{t["projects"]}</td>'
        f'<td class="num">{money(t["contracted_bgn"], t["contracted_eur"])}</td>'
        f'<td class="num">{money(t["reported_bgn"], t["reported_eur"])}</td>'
        f'<td class="num">{money(t["paid_bgn"], t["paid_eur"])}</td></tr>'
        for t in trend
    )
    chart = (
        grouped_bar_chart(
            "Към всяко издание / as of each release (EUR)",
            [
                (
                    t["release_id"],
                    {
                        "contracted": float(t["contracted_eur"] or 0),
                        "reported": float(t["reported_eur"] or 0),
                        "paid": float(t["paid_eur"] or 0),
                    },
                )
                for t in trend
            ],
        )
        if trend
        else ""
    )
    return (
        f'{chart}<div class="wide"><table><tr><th>Издание</th><th>Договори</th><th>Договорено</th>'
        f"<th>Отчетено</th><th>Изплатено</th></tr>{rows}</table></div>"
    )


def _sources_table(rows: list[dict]) -> str:
    if not rows:
        return "<p>Само ИСУН / ИСУН only.</p>"
    kinds = sorted({r["source_kind"] for r in rows}, key=lambda k: (k != "isun", k))
    fields = list(dict.fromkeys(r["field"] for r in rows))
    value = {(r["field"], r["source_kind"]): r for r in rows}
    pages = {k: next(r["source_url"] for r in rows if r["source_kind"] == k) for k in kinds}
    head = "".join(
        f"<th>{escape(k)}<br><small>{link(pages[k], 'страница / page')}</small></th>" for k in kinds
    )
    body = "".join(
        f"<tr>{field_heading(f)}"
        + "".join(
            f"<td>{escape(str(value[(f, k)]['value'])) if (f, k) in value else '—'}</td>"
            for k in kinds
        )
        + "</tr>"
        for f in fields
    )
    return f'<div class="wide"><table class="sources"><tr><th>поле / field</th>{head}</tr>{body}</table></div>'


def _conflicts(rows: list[dict]) -> str:
    if not rows:
        return "<p>Няма разминавания между източниците. / The sources agree.</p>"
    return (
        "<ul>"
        + "".join(
            f"<li><b>{escape(FIELD_TITLES.get(r['field'], r['field']))}</b>: "
            f"<code>{escape(r['vals'])}</code></li>"
            for r in rows
        )
        + "</ul>"
    )


def build_site(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    release_id: str,
    coverage: str,
    base_url: str,
    previous: Path | None = None,
    reuse: dict | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Write the site, its downloads and its feeds into `out` (a release's `site/`); return counts.

    `workers` (default `site_workers()`, or 1 below `POOL_MIN_PROJECTS` projects): processes
    writing the downloads and the project pages, when `con` is a DuckDB file opened read-only (each worker opens it read-only too);
    the files are the same whichever process writes them.

    `reuse`: the previous release's download digests, to link the downloads whose rows did not
    change (`SiteBuilder.write_downloads`)."""
    previous_site = previous / "site" if previous and (previous / "site").is_dir() else None
    builder = SiteBuilder(con, out, release_id, coverage, previous_site)
    builder.load()
    path = _database_file(con)
    if workers is None:  # a small site is quicker written here than by starting workers
        workers = site_workers() if len(builder.projects) >= POOL_MIN_PROJECTS else 1
    pool = (
        SitePool(path, out, release_id, coverage, previous_site, workers, _temp_views(con))
        if path and workers > 1
        else None
    )
    try:
        # The workers write the downloads and the project pages while this process writes
        # the other pages and the feeds.
        builder.write_downloads(previous, reuse, pool)
        builder.project_pages(pool)
        builder.municipality_pages()
        builder.district_pages()
        builder.beneficiary_pages()
        builder.procedure_pages()
        builder.programme_pages()
        trend = (
            query_rows(con, "SELECT * FROM totals_over_releases")
            if table_columns(con, "totals_over_releases")
            else []
        )
        builder.index_page(trend)
        feeds = write_feeds(con, out, base_url, previous, builder.feeds, release_id)
        linked_feeds = feeds.pop("linked", 0)
        if pool:
            builder.collect_downloads()
        builder.collect_projects()
        builder.finish()
    finally:
        if pool:
            pool.close()
    kinds = defaultdict(int)
    for entry in builder.index:
        kinds[entry[0]] += 1
    return {
        "pages": builder.pages,
        "municipalities": kinds["m"],
        "districts": kinds["d"],
        "beneficiaries": kinds["b"],
        "programmes": kinds["g"],
        "procedures": kinds["r"],
        "projects": kinds["p"],
        "downloads": sum(len(v) for v in builder.downloads.values()),
        "feeds": sum(feeds.values()),
        # files linked from the previous release, their bytes the same (pages, feeds, search)
        "linked": builder.linked + linked_feeds,
    }
