"""HTML parts of the site's pages: the frame, the style sheet, cards of totals, lists of projects.

Pure functions of rows (dicts by column name) to HTML text; what the pages hold and where
the rows come from is `warehouse.site`. Every count a page shows sits in `#project-count`
and every list of projects is `table.projects` with one `tr.project` per project, so a test
can walk every page and compare the two.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from html import escape

from registry.documents import DOCUMENT_TABLES
from registry.tables import PROJECTS, PUBLISHED_TABLES, Table
from warehouse.site_common import NBSP, money, number_bg, percent, project_file, slug

MAX_LISTED_PROJECTS = 1000  # per page; all of them are in the page's download

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222;overflow-wrap:anywhere}
a{color:#1f5f99} h1{color:#1f5f99;margin-bottom:.2em} table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ddd;padding:5px 7px;vertical-align:top;text-align:left} th{background:#f3f6fa}
.num{text-align:right;white-space:nowrap} .eur{color:#555} .caveat{background:#fff8e1;padding:.6em;border-left:4px solid #e0a800}
.notice{background:#eef4fb;padding:.6em;border-left:4px solid #1f5f99}
.totals{display:flex;gap:1em;flex-wrap:wrap} .card{border:1px solid #ddd;border-radius:6px;padding:.7em 1em;min-width:14em;flex:1 1 14em}
.card b{display:block;font-size:1.25em} .bad{color:#c62828} small{color:#555}
nav{margin-bottom:1em} #q{font-size:1.2em;width:100%;padding:.4em}
#results li{margin:.3em 0} .kind{display:inline-block;min-width:7em;color:#555;font-size:.85em}
.facets{display:flex;flex-wrap:wrap;gap:.5em 1em;margin:.6em 0} .facet{display:flex;flex-direction:column;font-size:.9em;min-width:0;max-width:100%}
.facet select{max-width:100%}
.tiles{display:grid;grid-template-columns:repeat(8,1fr);gap:4px;margin:1em 0}
.tile{display:block;padding:.5em;border-radius:4px;min-height:3.2em;color:#000;text-decoration:none;font-size:.85em;overflow:hidden}
.tile:hover{outline:2px solid #1f5f99} .tile small{color:inherit}
td.num .bgn,td.num .eur{display:block} td.num .sep{display:none}
.wide{overflow-x:auto;max-width:100%} svg{max-width:100%;height:auto}
figure.map{margin:1em 0;max-width:900px} figure.map.local{max-width:560px} svg.choropleth{display:block;width:100%}
.choropleth path{stroke:#fff;stroke-width:.7;vector-effect:non-scaling-stroke;stroke-linejoin:round}
.choropleth a:hover path,.choropleth a:focus path{stroke:#111;stroke-width:2}
.choropleth path.current{stroke:#c62828;stroke-width:3}
.legend ul{list-style:none;display:flex;flex-wrap:wrap;gap:.2em 1em;padding:0;margin:.3em 0}
.legend p{margin:.3em 0} .swatch{display:inline-block;width:1.1em;height:1.1em;border:1px solid #999;margin-right:.35em;vertical-align:middle}
@media (max-width:600px){
 body{padding:.5em .7em}
 .tiles{grid-template-columns:repeat(4,1fr)} .tile{grid-row:auto!important;grid-column:auto!important;font-size:.75em}
 table.projects tr,table.projects td{display:block;border:0;padding:2px 0} table.projects tr.head{display:none}
 table.projects tr.project{border-bottom:1px solid #ddd;padding:.4em 0} table.projects td.num{text-align:left;white-space:normal}
 table.projects td[data-label]::before{content:attr(data-label) ": ";color:#555;font-size:.85em}
 .card{min-width:0}
}
"""

# A field's Bulgarian title: the `projects` table's first (so the grant of a contract is "БФП",
# not the financial-correction table's "Корекция на БФП"), then the other published tables'.
FIELD_TITLES: dict[str, str] = {}
for _table in (PROJECTS, *PUBLISHED_TABLES.values(), *DOCUMENT_TABLES.values()):
    for _field in _table.fields:
        FIELD_TITLES.setdefault(_field.name, _field.bg)

WITHOUT_EIK = "without_eik"
WITHOUT_EIK_LABEL = "Бенефициенти без ЕИК (физически лица) / beneficiaries without an ЕИК"


def beneficiary_label(name: str | None, key: str | None) -> str:
    """How a beneficiary is shown: its name; without an ЕИК (nothing personal is published) said so."""
    if key == WITHOUT_EIK:
        return WITHOUT_EIK_LABEL
    return name or key or "—"


def page(title: str, body: str, depth: int, release_id: str | None, feed: str | None = None) -> str:
    """A whole page. `release_id` only where the page is about the release (the search page, with
    its totals over releases): elsewhere a page's bytes are its content's alone, so an unchanged
    page is the previous release's file (`write_or_link`); the release is in its address."""
    up = "../" * depth
    release = f" {escape(release_id)}" if release_id else ""
    release_nav = f"\n· издание / release <b>{escape(release_id)}</b>" if release_id else ""
    feed_link = (
        f'<link rel="alternate" type="application/atom+xml" title="Промени / changes" href="{up}{feed}">'
        if feed
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="bg"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — bgfunds{release}</title><link rel="stylesheet" href="{up}style.css">{feed_link}</head>
<body><nav><a href="{up}index.html">Търсене / search</a> · <a href="{up}../index.html">Файлове и речник / downloads</a>{release_nav}</nav>
<main>
{body}
</main>
<footer><p><small>Суми в лева и евро при 1 EUR = 1,95583 лв. Източник: ИСУН 2020 (2020.eufunds.bg).
Amounts in BGN and EUR at 1 EUR = 1.95583 BGN.</small></p></footer></body></html>
"""


def reported_base(row: dict) -> str:
    """On what the reported amount and the execution rate stand: the contracts whose pages were read."""
    n, with_pages = row.get("projects") or 0, row.get("projects_with_pages") or 0
    return (
        f'<small id="reported-base">отчетено по {with_pages} от {n} договора, чиито страници са прочетени / '
        f"reported on {with_pages} of {n} contracts whose pages were read</small>"
    )


def totals_cards(row: dict) -> str:
    over = row.get("over_reported_activities") or 0
    execution = (
        f"изпълнение / execution {percent(row.get('execution_rate'))} "
        f"<small>(отчетено / договорено по тези {row.get('projects_with_pages') or 0} договора)</small>"
        if row.get("projects_with_pages")
        else ""
    )
    return f"""<div class="totals">
<div class="card" id="contracted">Договорено / contracted<b>{money(row.get("contracted_bgn"), row.get("contracted_eur"))}</b>
<small>всички договори / every contract</small></div>
<div class="card" id="reported">Отчетено / reported<b>{money(row.get("reported_bgn"), row.get("reported_eur"))}</b>
{reported_base(row)}<br>{execution}</div>
<div class="card" id="paid">Изплатено / paid<b>{money(row.get("paid_bgn"), row.get("paid_eur"))}</b>
плащания / payment rate {percent(row.get("payment_rate"))} <small>(всички договори / every contract)</small></div>
<div class="card">Договори / contracts<b id="project-count">{row.get("projects") or 0}</b>
<span class="{"bad" if over else ""}">{over} дейности над договореното / activities over-reported</span></div>
</div>"""


def downloads_line(depth: int, kind: str, key: str, n: int) -> str:
    """Links to the page's CSV and XLSX: exactly the projects the page lists."""
    up = "../" * depth
    base = f"{up}downloads/{kind}/{slug(key)}"
    return (
        f'<p class="downloads">Изтегли проектите от тази страница / download these {n} projects: '
        f'<a href="{base}.csv" download>CSV</a> · <a href="{base}.xlsx" download>XLSX</a></p>'
    )


def _source_link(p: dict) -> str:
    url = p.get("source_url")
    if p.get("detail_level") == "bulk":
        label = "регистър" if p.get("bulk_source") == "isun-export" else "отворени данни"
        return link(url, label)
    return link(url, "страница")


def projects_table(
    projects: list[dict],
    depth: int,
    show: tuple[str, ...] = ("beneficiary", "programme"),
    download: str | None = None,
) -> str:
    up = "../" * depth
    head = (
        '<tr class="head"><th>Проект / project</th>'
        + ("<th>Бенефициент</th>" if "beneficiary" in show else "")
        + ("<th>Програма</th>" if "programme" in show else "")
        + "<th>Договорено / contracted</th><th>Отчетено / reported</th><th>Изплатено / paid</th><th>ИСУН</th></tr>"
    )
    rows = []
    for p in projects[:MAX_LISTED_PROJECTS]:
        detail = "" if p.get("detail_level") == "pages" else " · само отворени данни / bulk only"
        cells = [
            f'<td><a href="{up}{project_file(p["project_code"])}">{escape(p.get("project_name") or p["project_code"])}</a>'
            f"<br><small>{escape(p['project_code'])}{detail}</small></td>"
        ]
        if "beneficiary" in show:
            cells.append(
                f'<td data-label="Бенефициент"><a href="{up}beneficiary/{slug(p.get("beneficiary_key"))}.html">'
                f"{escape(beneficiary_label(p.get('beneficiary_name'), p.get('beneficiary_key')))}</a></td>"
            )
        if "programme" in show:
            cells.append(
                f'<td data-label="Програма"><a href="{up}programme/{slug(p.get("programme_code"))}.html">'
                f"{escape(p.get('programme_label') or p.get('programme_code') or '—')}</a></td>"
            )
        reported = (
            money(p.get("reported_bgn"), p.get("reported_eur"))
            if p.get("detail_level") == "pages"
            else "не е прочетено / not read"
        )
        cells += [
            f'<td class="num" data-label="Договорено">{money(p.get("amount_total_bgn"), p.get("amount_total_eur"))}</td>',
            f'<td class="num" data-label="Отчетено">{reported}</td>',
            f'<td class="num" data-label="Изплатено">{money(p.get("amount_paid_bgn"), p.get("amount_paid_eur"))}</td>',
            f'<td data-label="ИСУН">{_source_link(p)}</td>',
        ]
        rows.append('<tr class="project">' + "".join(cells) + "</tr>")
    more = (
        f'<p id="list-truncated"><small>Показани са първите {MAX_LISTED_PROJECTS} от '
        f'<span id="list-total">{len(projects)}</span>; всички са в '
        f"{download or 'projects.csv / projects.xlsx'}.</small></p>"
        if len(projects) > MAX_LISTED_PROJECTS
        else ""
    )
    return f'<div class="wide"><table class="projects">{head}{"".join(rows)}</table></div>{more}'


def link(url: str | None, text: str) -> str:
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
        '<div class="wide"><table><tr><th>Проект</th><th>Дейност / activity</th><th>Договорено</th>'
        f"<th>Отчетено</th><th>Отчетено / договорено</th></tr>{rows}</table></div>"
    )


PAGE_ONLY_OMITTED = {"project_code", "source_url", "fetched_at", "content_sha256"}


def child_table(rows: list[dict], table: Table) -> str:
    """Rows of a page-level table (participants, indicators, …) with the table's Bulgarian titles."""
    if not rows:
        return "<p>Няма. / None.</p>"
    titles = {f.name: f.bg for f in table.fields}
    columns = [
        c for c in rows[0] if c not in PAGE_ONLY_OMITTED and any(r[c] is not None for r in rows)
    ]
    head = "".join(f"<th>{escape(titles.get(c, c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(c, r[c])}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f'<div class="wide"><table><tr>{head}</tr>{body}</table></div>'


@functools.cache
def field_heading(name: str) -> str:
    """A field's row heading in a table of fields: its Bulgarian title and its column name."""
    return f"<th>{escape(FIELD_TITLES.get(name, name))}<br><small><code>{escape(name)}</code></small></th>"


@functools.cache
def _is_amount(name: str) -> bool:
    return name.endswith("_bgn") or name.endswith("_eur") or name.startswith("amount")


def cell(name: str, value) -> str:
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return link(value, value) if value.startswith(("http://", "https://")) else escape(value)
    if (kind is Decimal or kind is float) and _is_amount(name):
        return number_bg(value)
    if kind is bool or kind is int:
        return str(value)
    if isinstance(value, str):
        return link(value, value) if value.startswith(("http://", "https://")) else escape(value)
    if isinstance(value, Decimal | float) and _is_amount(name):
        return number_bg(value)
    return escape(str(value))


def no_detail_notice(row: dict, release_id: str) -> str:
    """What a contract known only from the bulk sources lacks, and from which release its values
    are: the one in which they last changed (so the page keeps its bytes while they do not)."""
    export = row.get("bulk_source") == "isun-export"
    source_bg = "регистъра на проектите на ИСУН (експорт)" if export else "отворените данни на ИСУН"
    source_en = "ИСУН's register export" if export else "ИСУН's open-data API"
    rel = escape(release_id)
    return (
        f'<p class="notice" id="detail-level" data-detail="bulk">Подробностите от страниците на договора в ИСУН '
        f"още не са прочетени (към изданието {rel}): стойностите са от {source_bg}. Дейности, участници, "
        f"индикатори, поръчки и финансови корекции ще се появят, когато страниците бъдат прочетени.<br>"
        f"<small>Page detail not read yet (as of release {rel}): values from {source_en}.</small></p>"
    )


def detail_notice(row: dict) -> str:
    as_of = row.get("pages_fetched_at")
    day = as_of.strftime("%d.%m.%Y") if hasattr(as_of, "strftime") else str(as_of or "—")
    return (
        f'<p class="notice" id="detail-level" data-detail="pages">Страниците на договора в ИСУН са прочетени на '
        f"{escape(day)}; стойностите са от тях (където отворените данни казват друго, вижте „Разминавания“).<br>"
        f"<small>Contract pages read on {escape(day)}; values from them (where the open data say otherwise, "
        f"see the conflicts).</small></p>"
    )


def quarantine_list(rows: list[dict]) -> str:
    if not rows:
        return ""
    items = "".join(
        f"<li><b>{escape(r['table_name'])}</b> · {escape(r['rule'])}"
        + (f" · {escape(r['field'])}" if r.get("field") else "")
        + (f" = <code>{escape(str(r['value']))}</code>" if r.get("value") is not None else "")
        + f"<br><small>{escape(r.get('message') or '')}</small></li>"
        for r in rows
    )
    return (
        '<h2 id="quarantine">Оставено настрана / set aside in quarantine</h2>'
        "<p>Тези редове от страниците на договора не са публикувани, защото не минават проверките "
        "(таблица quarantine). / These rows of the contract's pages failed a check and are set aside.</p>"
        f"<ul>{items}</ul>"
    )


__all__ = ["NBSP", "money", "number_bg", "percent", "project_file", "slug"]
