"""The static site inside each release (`site/`): answers without SQL and without a server.

One page per municipality, district, beneficiary, programme and project, a search page over
all of them (the index is a script file, so it works from `file://` too), a tile grid of
the 28 districts, and an Atom feed per municipality, beneficiary and programme
(`warehouse.feeds`). Every figure is shown in BGN and EUR; programmes by name.

Pages are built from the release's warehouse by column name: a column or table added later
shows up on the project page (fields) or is simply not used; a missing optional table
(documents, conflicts) leaves its section out. What belongs here: HTML and the search
index. Not here: numbers (`warehouse.views`), feeds' events (`warehouse.feeds`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb

from registry.documents import DOCUMENT_TABLES
from registry.tables import PUBLISHED_TABLES
from warehouse.charts import grouped_bar_chart
from warehouse.feeds import write_feeds
from warehouse.site_common import NBSP, money, number_bg, percent, project_file, slug
from warehouse.views import PER_PLACE_CAVEAT_BG, PER_PLACE_CAVEAT_EN, release_order_key

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
MAX_LISTED_PROJECTS = 1000  # per page; the rest are in the downloads

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222}
a{color:#1f5f99} h1{color:#1f5f99;margin-bottom:.2em} table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ddd;padding:5px 7px;vertical-align:top;text-align:left} th{background:#f3f6fa}
.num{text-align:right;white-space:nowrap} .eur{color:#555} .caveat{background:#fff8e1;padding:.6em;border-left:4px solid #e0a800}
.totals{display:flex;gap:1em;flex-wrap:wrap} .card{border:1px solid #ddd;border-radius:6px;padding:.7em 1em;min-width:14em}
.card b{display:block;font-size:1.25em} .bad{color:#c62828} small{color:#555}
nav{margin-bottom:1em} #q{font-size:1.2em;width:100%;padding:.4em;box-sizing:border-box}
#results li{margin:.3em 0} .kind{display:inline-block;min-width:7em;color:#555;font-size:.85em}
.tiles{display:grid;grid-template-columns:repeat(8,1fr);gap:4px;margin:1em 0}
.tile{display:block;padding:.5em;border-radius:4px;min-height:3.2em;color:#000;text-decoration:none;font-size:.85em}
.tile:hover{outline:2px solid #1f5f99} .tile small{color:inherit}
td.num .bgn,td.num .eur{display:block} td.num .sep{display:none}
"""
SEARCH_JS = r"""(function () {
  var input = document.getElementById('q'), out = document.getElementById('results');
  if (!input || !out) return;
  var KINDS = {m: 'Община', d: 'Област', g: 'Програма', b: 'Бенефициент', p: 'Проект'};
  var ORDER = {m: 0, d: 1, g: 2, b: 3, p: 4};
  function norm(s) { return (s || '').toLowerCase().replace(/[„“”"'«»]/g, '').replace(/\s+/g, ' '); }
  var index = (window.BGFUNDS_INDEX || []).map(function (e) { return [e, norm(e[1] + ' ' + e[2])]; });
  function run() {
    var q = norm(input.value.trim());
    out.textContent = '';
    if (q.length < 2) return;
    var terms = q.split(' '), hits = [];
    for (var i = 0; i < index.length; i++) {
      var t = index[i][1], ok = true;
      for (var j = 0; j < terms.length; j++) { if (t.indexOf(terms[j]) < 0) { ok = false; break; } }
      if (ok) hits.push(index[i][0]);
    }
    hits.sort(function (a, b) {
      var pa = norm(a[1]).indexOf(q) === 0 ? 0 : 1, pb = norm(b[1]).indexOf(q) === 0 ? 0 : 1;
      return (ORDER[a[0]] - ORDER[b[0]]) || (pa - pb) || a[1].localeCompare(b[1], 'bg');
    });
    var count = document.createElement('p');
    count.id = 'result-count';
    count.textContent = hits.length + (hits.length === 1 ? ' резултат' : ' резултата') + (hits.length > 50 ? ' (първите 50)' : '');
    out.appendChild(count);
    var ul = document.createElement('ul');
    hits.slice(0, 50).forEach(function (e) {
      var li = document.createElement('li'), kind = document.createElement('span'), a = document.createElement('a');
      kind.className = 'kind'; kind.textContent = KINDS[e[0]] || e[0];
      a.href = e[3]; a.textContent = e[1];
      li.appendChild(kind); li.appendChild(a);
      if (e[2]) { var s = document.createElement('small'); s.textContent = ' ' + e[2]; li.appendChild(s); }
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }
  input.addEventListener('input', run);
  var q = new URLSearchParams(location.search).get('q');
  if (q) { input.value = q; }
  run();
})();
"""


# ---------- formatting ----------


# ---------- reading ----------


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    try:
        return [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
    except duckdb.Error:
        return []


PROJECT_CHUNK = 2000  # project pages written per range of codes (memory stays one range's)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _opt(cols: Iterable[str], name: str, alias: str = "p", default: str = "NULL") -> str:
    return f"{alias}.{name}" if name in cols else f"{default} AS {name}"


FIELD_TITLES = {
    f.name: f.bg for t in [*PUBLISHED_TABLES.values(), *DOCUMENT_TABLES.values()] for f in t.fields
}


# ---------- page parts ----------


def page(title: str, body: str, depth: int, release_id: str, feed: str | None = None) -> str:
    up = "../" * depth
    feed_link = (
        f'<link rel="alternate" type="application/atom+xml" title="Промени / changes" href="{up}{feed}">'
        if feed
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="bg"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — bgfunds {escape(release_id)}</title><link rel="stylesheet" href="{up}style.css">{feed_link}</head>
<body><nav><a href="{up}index.html">Търсене / search</a> · <a href="{up}../index.html">Файлове и речник / downloads</a>
· издание / release <b>{escape(release_id)}</b></nav>
{body}
<footer><p><small>Суми в лева и евро при 1 EUR = 1,95583 лв. Източник: ИСУН 2020 (2020.eufunds.bg).
Amounts in BGN and EUR at 1 EUR = 1.95583 BGN.</small></p></footer></body></html>
"""


def totals_cards(row: dict) -> str:
    over = row.get("over_reported_activities") or 0
    return f"""<div class="totals">
<div class="card" id="contracted">Договорено / contracted<b>{money(row.get("contracted_bgn"), row.get("contracted_eur"))}</b></div>
<div class="card" id="reported">Отчетено / reported<b>{money(row.get("reported_bgn"), row.get("reported_eur"))}</b>
изпълнение / execution {percent(row.get("execution_rate"))}</div>
<div class="card" id="paid">Изплатено / paid<b>{money(row.get("paid_bgn"), row.get("paid_eur"))}</b>
плащания / payment rate {percent(row.get("payment_rate"))}</div>
<div class="card">Договори / contracts<b id="project-count">{row.get("projects") or 0}</b>
<span class="{"bad" if over else ""}">{over} дейности над договореното / activities over-reported</span></div>
</div>"""


def projects_table(
    projects: list[dict], depth: int, show: tuple[str, ...] = ("beneficiary", "programme")
) -> str:
    up = "../" * depth
    head = (
        "<tr><th>Проект / project</th>"
        + ("<th>Бенефициент</th>" if "beneficiary" in show else "")
        + ("<th>Програма</th>" if "programme" in show else "")
        + "<th>Договорено / contracted</th><th>Отчетено / reported</th><th>Изплатено / paid</th><th>ИСУН</th></tr>"
    )
    rows = []
    for p in projects[:MAX_LISTED_PROJECTS]:
        cells = [
            f'<td><a href="{up}{project_file(p["project_code"])}">{escape(p.get("project_name") or p["project_code"])}</a>'
            f"<br><small>{escape(p['project_code'])}</small></td>"
        ]
        if "beneficiary" in show:
            cells.append(
                f'<td><a href="{up}beneficiary/{slug(p.get("beneficiary_key"))}.html">'
                f"{escape(p.get('beneficiary_name') or '—')}</a></td>"
            )
        if "programme" in show:
            cells.append(
                f'<td><a href="{up}programme/{slug(p.get("programme_code"))}.html">'
                f"{escape(p.get('programme_label') or p.get('programme_code') or '—')}</a></td>"
            )
        cells += [
            f'<td class="num">{money(p.get("amount_total_bgn"), p.get("amount_total_eur"))}</td>',
            f'<td class="num">{money(p.get("reported_bgn"), p.get("reported_eur"))}</td>',
            f'<td class="num">{money(p.get("amount_paid_bgn"), p.get("amount_paid_eur"))}</td>',
            f"<td>{_link(p.get('source_url'), 'страница')}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f"<p><small>Показани са първите {MAX_LISTED_PROJECTS} от {len(projects)}; всички са в projects.csv / "
        f"projects.xlsx.</small></p>"
        if len(projects) > MAX_LISTED_PROJECTS
        else ""
    )
    return f'<table class="projects">{head}{"".join(rows)}</table>{more}'


def _link(url: str | None, text: str) -> str:
    if not url or not str(url).startswith(("http://", "https://")):
        return "—"
    return f'<a href="{escape(url)}" rel="noopener">{escape(text)}</a>'


def over_reported_table(activities: list[dict], depth: int) -> str:
    if not activities:
        return "<p>Няма дейности, отчетени над договореното. / No activity reported above contracted.</p>"
    up = "../" * depth
    rows = "".join(
        f'<tr><td><a href="{up}{project_file(a["project_code"])}">{escape(a["project_code"])}</a></td>'
        f"<td>{escape(a.get('activity_name') or '')}</td>"
        f'<td class="num">{money(a.get("amount_contracted_bgn"), a.get("amount_contracted_eur"))}</td>'
        f'<td class="num">{money(a.get("amount_reported_bgn"), a.get("amount_reported_eur"))}</td>'
        f'<td class="num">{percent(a.get("execution_rate"))}</td></tr>'
        for a in activities
    )
    return (
        "<table><tr><th>Проект</th><th>Дейност / activity</th><th>Договорено</th><th>Отчетено</th>"
        f"<th>Отчетено / договорено</th></tr>{rows}</table>"
    )


# ---------- the site ----------


class SiteBuilder:
    """Writes `site/` for one release from its warehouse connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, out: Path, release_id: str, coverage: str):
        self.con, self.out, self.release_id, self.coverage = con, out, release_id, coverage
        self.index: list[list[str]] = []
        self.feeds: dict[tuple[str, str], str] = {}  # (kind, key) -> title, for `warehouse.feeds`
        self.pages = 0

    def write(self, relative: str, text: str) -> None:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.pages += relative.endswith(".html")

    # -- data --
    def load(self) -> None:
        con = self.con
        pcols = _columns(con, "projects")
        self.programme_names = {
            r["programme_code"]: r["label"]
            for r in _rows(
                con,
                """
            SELECT programme_code, coalesce(programme_name, programme_short_bg, programme_code) AS label
            FROM absorption_by_programme""",
            )
        }
        if _columns(con, "programmes"):
            for r in _rows(con, "SELECT programme_code, name_bg FROM programmes"):
                self.programme_names.setdefault(r["programme_code"], r["name_bg"])
        self.projects = _rows(
            con,
            f"""
            SELECT p.project_code, p.project_name, p.programme_code, {_opt(pcols, "procedure_code")},
                   {_opt(pcols, "procedure_name")}, p.beneficiary_name, p.beneficiary_eik,
                   coalesce(p.beneficiary_eik, p.beneficiary_name) AS beneficiary_key,
                   p.amount_total_bgn, p.amount_total_eur, p.amount_paid_bgn, p.amount_paid_eur,
                   t.reported_bgn, t.reported_eur, p.source_url, {_opt(pcols, "status")}
            FROM projects p LEFT JOIN activity_totals t USING (project_code)
            ORDER BY p.amount_total_eur DESC NULLS LAST, p.project_code""",
        )
        for p in self.projects:
            p["programme_label"] = self.programme_names.get(
                p["programme_code"], p["programme_code"]
            )
        self.by_code = {p["project_code"]: p for p in self.projects}
        self.places = defaultdict(list)  # project_code -> [(level, code, name)]
        for r in _rows(
            con,
            "SELECT DISTINCT project_code, level, code, name FROM project_places "
            "WHERE level IN ('district', 'municipality') ORDER BY ALL",
        ):
            self.places[r["project_code"]].append(r)
        self.over_reported = _rows(
            con,
            """
            SELECT project_code, activity_no, activity_name, amount_contracted_bgn, amount_contracted_eur,
                   amount_reported_bgn, amount_reported_eur, execution_rate
            FROM activities WHERE is_over_reported ORDER BY project_code, activity_no""",
        )
        self.over_by_project = defaultdict(list)
        for a in self.over_reported:
            self.over_by_project[a["project_code"]].append(a)

    def over_reported_of(self, projects: list[dict]) -> list[dict]:
        """The over-reported activities of these projects (each project once)."""
        codes = dict.fromkeys(p["project_code"] for p in projects)
        return [a for code in sorted(codes) for a in self.over_by_project.get(code, [])]

    # -- pages --
    def municipality_pages(self) -> None:
        by_municipality = defaultdict(list)
        for code, places in self.places.items():
            for pl in places:
                if pl["level"] == "municipality" and code in self.by_code:
                    by_municipality[pl["code"]].append(self.by_code[code])
        districts = (
            {
                r["code"]: r["name_bg"]
                for r in _rows(
                    self.con, "SELECT code, name_bg FROM places WHERE level = 'district'"
                )
            }
            if _columns(self.con, "places")
            else {}
        )
        for row in _rows(
            self.con, "SELECT * FROM absorption_by_municipality ORDER BY municipality_name"
        ):
            code, name = row["municipality_code"], row["municipality_name"]
            district = districts.get(row.get("district_code"), row.get("district_code") or "")
            projects = by_municipality.get(code, [])
            over = self.over_reported_of(projects)
            feed = f"feeds/municipality/{slug(code)}.atom"
            body = f"""<h1 id="entity-name">Община {escape(name)}</h1>
<p>Област <a href="../district/{slug(row.get("district_code"))}.html">{escape(district)}</a> · код ЛАУ {escape(code)}
· <a href="../{feed}">Atom: промени / changes</a></p>
{totals_cards(row)}
<p class="caveat">{escape(PER_PLACE_CAVEAT_BG)}<br><small>{escape(PER_PLACE_CAVEAT_EN)}</small></p>
<h2>Проекти в общината / projects located here</h2>{projects_table(projects, 1)}
<h2>Дейности, отчетени над договореното / over-reported activities</h2>{over_reported_table(over, 1)}"""
            self.write(
                f"municipality/{slug(code)}.html",
                page(f"Община {name}", body, 1, self.release_id, feed),
            )
            self.feeds[("municipality", code)] = f"Община {name}"
            self.index.append(
                ["m", f"Община {name}", f"{district} · {code}", f"municipality/{slug(code)}.html"]
            )
        self.municipalities = _rows(self.con, "SELECT * FROM absorption_by_municipality")

    def district_pages(self) -> None:
        self.districts = _rows(
            self.con, "SELECT * FROM absorption_by_district ORDER BY district_name"
        )
        by_district = defaultdict(list)
        for m in self.municipalities:
            by_district[m.get("district_code")].append(m)
        for row in self.districts:
            code, name = row["district_code"], row["district_name"]
            rows = "".join(
                f'<tr><td><a href="../municipality/{slug(m["municipality_code"])}.html">{escape(m["municipality_name"])}</a></td>'
                f'<td class="num">{m["projects"]}</td><td class="num">{money(m["contracted_bgn"], m["contracted_eur"])}</td>'
                f'<td class="num">{money(m["paid_bgn"], m["paid_eur"])}</td><td class="num">{percent(m["payment_rate"])}</td></tr>'
                for m in sorted(by_district.get(code, []), key=lambda m: m["municipality_name"])
            )
            body = f"""<h1 id="entity-name">Област {escape(name)}</h1><p>NUTS 3: {escape(code)}</p>{totals_cards(row)}
<p class="caveat">{escape(PER_PLACE_CAVEAT_BG)}<br><small>{escape(PER_PLACE_CAVEAT_EN)}</small></p>
<h2>Общини / municipalities</h2><table><tr><th>Община</th><th>Договори</th><th>Договорено</th><th>Изплатено</th>
<th>Изплатено / договорено</th></tr>{rows}</table>"""
            self.write(
                f"district/{slug(code)}.html", page(f"Област {name}", body, 1, self.release_id)
            )
            self.index.append(["d", f"Област {name}", code, f"district/{slug(code)}.html"])

    def beneficiary_pages(self) -> None:
        by_key = defaultdict(list)
        for p in self.projects:
            by_key[p["beneficiary_key"]].append(p)
        for row in _rows(self.con, "SELECT * FROM absorption_by_beneficiary"):
            key = row["beneficiary_key"]
            projects = by_key.get(key, [])
            over = self.over_reported_of(projects)
            feed = f"feeds/beneficiary/{slug(key)}.atom"
            name = row.get("beneficiary_name") or key or "—"
            body = f"""<h1 id="entity-name">{escape(name)}</h1>
<p>ЕИК/БУЛСТАТ: <b id="eik">{escape(row.get("beneficiary_eik") or "—")}</b> · <a href="../{feed}">Atom: промени / changes</a></p>
{totals_cards(row)}
<h2>Проекти / projects</h2>{projects_table(projects, 1, show=("programme",))}
<h2>Дейности, отчетени над договореното / over-reported activities</h2>{over_reported_table(over, 1)}"""
            self.write(f"beneficiary/{slug(key)}.html", page(name, body, 1, self.release_id, feed))
            self.feeds[("beneficiary", key)] = name
            self.index.append(
                [
                    "b",
                    name,
                    f"ЕИК {row.get('beneficiary_eik')}" if row.get("beneficiary_eik") else "",
                    f"beneficiary/{slug(key)}.html",
                ]
            )

    def programme_pages(self) -> None:
        by_programme = defaultdict(list)
        for p in self.projects:
            by_programme[p["programme_code"]].append(p)
        procedures = defaultdict(list)
        for r in _rows(
            self.con,
            "SELECT * FROM absorption_by_procedure ORDER BY contracted_eur DESC NULLS LAST",
        ):
            procedures[r["programme_code"]].append(r)
        self.programmes = _rows(
            self.con,
            "SELECT * FROM absorption_by_programme ORDER BY contracted_eur DESC NULLS LAST",
        )
        for row in self.programmes:
            code = row["programme_code"]
            name = self.programme_names.get(code) or code
            feed = f"feeds/programme/{slug(code)}.atom"
            procs = "".join(
                f"<tr><td>{escape(r.get('procedure_name') or r['procedure_code'])}<br><small>{escape(r['procedure_code'])}</small></td>"
                f'<td class="num">{r["projects"]}</td><td class="num">{money(r["contracted_bgn"], r["contracted_eur"])}</td>'
                f'<td class="num">{money(r["reported_bgn"], r["reported_eur"])}</td>'
                f'<td class="num">{money(r["paid_bgn"], r["paid_eur"])}</td></tr>'
                for r in procedures.get(code, [])
            )
            body = f"""<h1 id="entity-name">{escape(name)}</h1>
<p>{escape(row.get("programme_name_en") or "")} · код {escape(code)} · период {escape(str(row.get("period") or "—"))}
· <a href="../{feed}">Atom: промени / changes</a></p>{totals_cards(row)}
<h2>Процедури / procedures</h2><table><tr><th>Процедура</th><th>Договори</th><th>Договорено</th><th>Отчетено</th>
<th>Изплатено</th></tr>{procs}</table>
<h2>Проекти / projects</h2>{projects_table(by_programme.get(code, []), 1, show=("beneficiary",))}"""
            self.write(f"programme/{slug(code)}.html", page(name, body, 1, self.release_id, feed))
            self.feeds[("programme", code)] = name
            self.index.append(["g", name, code, f"programme/{slug(code)}.html"])

    def project_pages(self) -> None:
        """A page per project, written a range of project codes at a time (`PROJECT_CHUNK`), so the
        activities, sources and history held in memory are one chunk's, not the whole release's."""
        codes = [
            r[0]
            for r in self.con.execute(
                "SELECT project_code FROM projects ORDER BY project_code"
            ).fetchall()
        ]
        for start in range(0, len(codes), PROJECT_CHUNK):
            self._project_pages(codes[start], codes[min(start + PROJECT_CHUNK, len(codes)) - 1])

    def _project_pages(self, first: str, last: str) -> None:
        con = self.con
        pcols = _columns(con, "projects")
        span = [first, last]
        activities = defaultdict(list)
        for a in _rows(
            con,
            "SELECT project_code, activity_no, activity_name, amount_contracted_bgn, amount_contracted_eur, "
            "amount_reported_bgn, amount_reported_eur, is_over_reported FROM activities "
            "WHERE project_code BETWEEN ? AND ? ORDER BY ALL",
            span,
        ):
            activities[a["project_code"]].append(a)
        sources, conflicts = defaultdict(list), defaultdict(list)
        if _columns(con, "project_sources"):
            for r in _rows(
                con,
                "SELECT project_key, source_kind, field, value, source_url FROM project_sources "
                "WHERE project_key BETWEEN ? AND ? ORDER BY ALL",
                span,
            ):
                sources[r["project_key"]].append(r)
        if _columns(con, "project_conflicts"):
            for r in _rows(
                con,
                'SELECT project_key, field, "values"::VARCHAR AS vals FROM project_conflicts '
                "WHERE project_key BETWEEN ? AND ? ORDER BY ALL",
                span,
            ):
                conflicts[r["project_key"]].append(r)
        history = self._project_history(first, last)
        for row in _rows(
            con,
            f"SELECT {', '.join(pcols)} FROM projects WHERE project_code BETWEEN ? AND ? "
            "ORDER BY project_code",
            span,
        ):
            code = row["project_code"]
            p = self.by_code[code]
            fields = "".join(
                f"<tr><th>{escape(FIELD_TITLES.get(k, k))}<br><small><code>{escape(k)}</code></small></th>"
                f"<td>{_cell(k, v)}</td></tr>"
                for k, v in row.items()
                if v is not None
            )
            places = " · ".join(
                f'<a href="../{pl["level"]}/{slug(pl["code"])}.html">{escape(pl["name"] or pl["code"])}</a>'
                for pl in self.places.get(code, [])
                if pl["code"]
            )
            acts = "".join(
                f'<tr class="{"bad" if a["is_over_reported"] else ""}"><td>{a["activity_no"]}</td><td>{escape(a["activity_name"] or "")}</td>'
                f'<td class="num">{money(a["amount_contracted_bgn"], a["amount_contracted_eur"])}</td>'
                f'<td class="num">{money(a["amount_reported_bgn"], a["amount_reported_eur"])}</td>'
                f"<td>{'над договореното / over' if a['is_over_reported'] else ''}</td></tr>"
                for a in activities.get(code, [])
            )
            body = f"""<h1 id="entity-name">{escape(row.get("project_name") or code)}</h1>
<p><b>{escape(code)}</b> · <a href="../beneficiary/{slug(p["beneficiary_key"])}.html">{
                escape(p.get("beneficiary_name") or "—")
            }</a>
· <a href="../programme/{slug(p["programme_code"])}.html">{escape(p["programme_label"] or "")}</a>
· страница в ИСУН / ИСУН page: {_link(row.get("source_url"), "отвори / open")}</p>
<p>Места / places: {places or "—"}</p>
{
                totals_cards(
                    {
                        "contracted_bgn": p["amount_total_bgn"],
                        "contracted_eur": p["amount_total_eur"],
                        "reported_bgn": p["reported_bgn"],
                        "reported_eur": p["reported_eur"],
                        "paid_bgn": p["amount_paid_bgn"],
                        "paid_eur": p["amount_paid_eur"],
                        "projects": 1,
                        "execution_rate": _ratio(p["reported_eur"], p["amount_total_eur"]),
                        "payment_rate": _ratio(p["amount_paid_eur"], p["amount_total_eur"]),
                        "over_reported_activities": sum(
                            1 for a in activities.get(code, []) if a["is_over_reported"]
                        ),
                    }
                )
            }
<h2>Дейности / activities</h2><table><tr><th>№</th><th>Дейност</th><th>Договорено</th><th>Отчетено</th><th></th></tr>{
                acts
            }</table>
<h2>Развитие на сумите по издания / amounts over releases</h2>{history.get(code, "<p>—</p>")}
<h2>Източници / sources side by side</h2>{_sources_table(sources.get(code, []))}
<h2>Разминавания / conflicts</h2>{_conflicts(conflicts.get(code, []))}
<h2>Всички полета / every field</h2><table>{fields}</table>"""
            self.write(
                project_file(code), page(row.get("project_name") or code, body, 1, self.release_id)
            )
            where = ", ".join(
                pl["name"]
                for pl in self.places.get(code, [])
                if pl["level"] == "municipality" and pl["name"]
            )
            self.index.append(
                [
                    "p",
                    row.get("project_name") or code,
                    f"{code} · {p.get('beneficiary_name') or ''}"
                    + (f" · {where}" if where else ""),
                    project_file(code),
                ]
            )

    def _project_history(self, first: str, last: str) -> dict[str, str]:
        """Per project from `first` to `last`: its amounts as of every release since it appeared (chart and table)."""
        con = self.con
        if not _columns(con, "history_projects"):
            return {}
        releases = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT release_id FROM history_projects ORDER BY {release_order_key('release_id')}"
            ).fetchall()
        ]
        reported = defaultdict(dict)  # code -> release -> (bgn, eur), state as of the release
        if _columns(con, "history_activities"):
            for r in _rows(
                con,
                "SELECT release_id, project_code, activity_no, amount_reported_bgn, amount_reported_eur, "
                "is_removed FROM history_activities WHERE project_code BETWEEN ? AND ? "
                f"ORDER BY project_code, {release_order_key('release_id')}",
                [first, last],
            ):
                reported[r["project_code"]].setdefault("_rows", []).append(r)
        out, position = {}, {r: i for i, r in enumerate(releases)}
        rows = _rows(
            con,
            "SELECT * FROM history_projects WHERE project_code BETWEEN ? AND ? ORDER BY project_code, "
            + release_order_key("release_id"),
            [first, last],
        )
        by_code = defaultdict(list)
        for r in rows:
            by_code[r["project_code"]].append(r)
        for code, changes in by_code.items():
            state, series, table = None, [], []
            acts_rows = reported.get(code, {}).get("_rows", [])
            acts_state: dict = {}
            ci = ai = 0
            for rel in releases:
                while ci < len(changes) and position[changes[ci]["release_id"]] <= position[rel]:
                    state = changes[ci]
                    ci += 1
                while (
                    ai < len(acts_rows) and position[acts_rows[ai]["release_id"]] <= position[rel]
                ):
                    acts_state[acts_rows[ai]["activity_no"]] = acts_rows[ai]
                    ai += 1
                if state is None:
                    continue
                rep_bgn = sum(
                    (a["amount_reported_bgn"] or 0)
                    for a in acts_state.values()
                    if not a["is_removed"]
                )
                rep_eur = sum(
                    (a["amount_reported_eur"] or 0)
                    for a in acts_state.values()
                    if not a["is_removed"]
                )
                gone = state["is_removed"]
                series.append(
                    (
                        rel,
                        {
                            "contracted": float(state["amount_total_eur"] or 0),
                            "reported": float(rep_eur),
                            "paid": float(state["amount_paid_eur"] or 0),
                        },
                    )
                )
                table.append(
                    f"<tr><td>{escape(rel)}{' (липсва / gone)' if gone else ''}</td>"
                    f'<td class="num">{money(state["amount_total_bgn"], state["amount_total_eur"])}</td>'
                    f'<td class="num">{money(rep_bgn, rep_eur)}</td>'
                    f'<td class="num">{money(state["amount_paid_bgn"], state["amount_paid_eur"])}</td></tr>'
                )
            out[code] = (
                grouped_bar_chart("Към всяко издание / as of each release", series)
                + '<table class="history"><tr><th>Издание</th><th>Договорено</th><th>Отчетено</th>'
                f"<th>Изплатено</th></tr>{''.join(table)}</table>"
            )
        return out

    def index_page(self, trend: list[dict]) -> None:
        by_code = {d["district_code"]: d for d in self.districts}
        top = max([float(d["contracted_eur"] or 0) for d in self.districts] or [1.0]) or 1.0
        names = {}
        if _columns(self.con, "places"):
            names = {
                r["code"]: r["name_bg"]
                for r in _rows(
                    self.con, "SELECT code, name_bg FROM places WHERE level = 'district'"
                )
            }
        tiles = []
        for code, (row, col) in sorted(DISTRICT_TILES.items(), key=lambda kv: kv[1]):
            d = by_code.get(code)
            share = float(d["contracted_eur"] or 0) / top if d else 0.0
            colour = f"hsl(210, 60%, {95 - 50 * share:.0f}%)"
            text = "#fff" if share > 0.6 else "#000"
            label = escape(names.get(code) or (d or {}).get("district_name") or code)
            figure = f"<br><small>{number_bg(d['contracted_eur'], 0)}{NBSP}€</small>" if d else ""
            tiles.append(
                f'<a class="tile" href="district/{slug(code)}.html" style="grid-row:{row + 1};grid-column:{col + 1};'
                f'background:{colour};color:{text}" title="{label}">{label}{figure}</a>'
            )
        programmes = "".join(
            f'<tr><td><a href="programme/{slug(r["programme_code"])}.html">{escape(self.programme_names.get(r["programme_code"]) or r["programme_code"])}</a></td>'
            f'<td class="num">{r["projects"]}</td><td class="num">{money(r["contracted_bgn"], r["contracted_eur"])}</td>'
            f'<td class="num">{money(r["paid_bgn"], r["paid_eur"])}</td></tr>'
            for r in self.programmes
        )
        trend_rows = "".join(
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
        body = f"""<h1>Кой какво получи и похарчи от евросредствата<br><small>EU funds in Bulgaria: who got and spent what</small></h1>
<p id="coverage">{escape(self.coverage)}</p>
<label for="q">Търсене: община, бенефициент (име или ЕИК), проект, програма / search</label>
<input id="q" type="search" placeholder="напр. Стамболово, 000413878, BG05SFOP001-2.009-0010" autofocus>
<div id="results"></div>
<h2>Области / districts</h2><p><small>Решетка от области (не карта в мащаб); по-тъмно = повече договорено.
Tile grid of districts (not a scale map); darker = more contracted.</small></p>
<div class="tiles" id="tiles">{"".join(tiles)}</div>
<p class="caveat">{escape(PER_PLACE_CAVEAT_BG)}<br><small>{escape(PER_PLACE_CAVEAT_EN)}</small></p>
<h2>Програми / programmes</h2><table><tr><th>Програма</th><th>Договори</th><th>Договорено</th><th>Изплатено</th></tr>{programmes}</table>
<h2>По издания / over releases</h2><p><small>Състоянието към всяко издание (не само променените редове).
State as of each release.</small></p>{chart}
<table><tr><th>Издание</th><th>Договори</th><th>Договорено</th><th>Отчетено</th><th>Изплатено</th></tr>{trend_rows}</table>
<script src="search-index.js"></script><script src="search.js"></script>"""
        self.write("index.html", page("Търсене", body, 0, self.release_id))

    def finish(self) -> None:
        self.write("style.css", CSS)
        self.write("search.js", SEARCH_JS)
        self.write(
            "search-index.js",
            "window.BGFUNDS_INDEX = "
            + json.dumps(self.index, ensure_ascii=False, separators=(",", ":"))
            + ";\n",
        )


def _ratio(a, b):
    return None if a is None or not b else float(a) / float(b)


def _cell(name: str, value) -> str:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return _link(value, value)
    if isinstance(value, Decimal | float) and (
        name.endswith("_bgn") or name.endswith("_eur") or name.startswith("amount")
    ):
        return number_bg(value)
    return escape(str(value))


def _sources_table(rows: list[dict]) -> str:
    if not rows:
        return "<p>Само ИСУН / ИСУН only.</p>"
    kinds = sorted({r["source_kind"] for r in rows}, key=lambda k: (k != "isun", k))
    fields = list(dict.fromkeys(r["field"] for r in rows))
    value = {(r["field"], r["source_kind"]): r for r in rows}
    pages = {k: next(r["source_url"] for r in rows if r["source_kind"] == k) for k in kinds}
    head = "".join(
        f"<th>{escape(k)}<br><small>{_link(pages[k], 'страница / page')}</small></th>"
        for k in kinds
    )
    body = "".join(
        f"<tr><th>{escape(FIELD_TITLES.get(f, f))}<br><small><code>{escape(f)}</code></small></th>"
        + "".join(
            f"<td>{escape(str(value[(f, k)]['value'])) if (f, k) in value else '—'}</td>"
            for k in kinds
        )
        + "</tr>"
        for f in fields
    )
    return f'<table class="sources"><tr><th>поле / field</th>{head}</tr>{body}</table>'


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
) -> dict[str, int]:
    """Write the site and its feeds into `out` (a release's `site/`); return counts of what it holds."""

    builder = SiteBuilder(con, out, release_id, coverage)
    builder.load()
    builder.municipality_pages()
    builder.district_pages()
    builder.beneficiary_pages()
    builder.programme_pages()
    builder.project_pages()
    trend = (
        _rows(con, "SELECT * FROM totals_over_releases")
        if _columns(con, "totals_over_releases")
        else []
    )
    builder.index_page(trend)
    builder.finish()
    feeds = write_feeds(con, out, base_url, previous, builder.feeds)
    kinds = defaultdict(int)
    for entry in builder.index:
        kinds[entry[0]] += 1
    return {
        "pages": builder.pages,
        "municipalities": kinds["m"],
        "districts": kinds["d"],
        "beneficiaries": kinds["b"],
        "programmes": kinds["g"],
        "projects": kinds["p"],
        "feeds": sum(feeds.values()),
    }
