"""The municipalities as an inline SVG choropleth, drawn when the site is written: no tiles, no
script, no map library, so it works from the release folder offline.

Each municipality is coloured by the class of its paid / contracted (`payment_rate` of
`absorption_by_municipality`, the figures its page and the absorption files show), links to its
page, and carries its name and figures as a `<title>` and an `aria-label`; a municipality
without projects is grey and has no link (no page to link to). The legend is HTML beside the
map; the numbers are also in a table (`map_table`).

Projection: equirectangular around the drawn area's middle latitude (x scaled by its cosine),
fitted to `WIDTH` units; vertices are rounded to whole units and repeated ones dropped, which
simplifies the shared borders of neighbours identically, so no gaps open between them.
Borders: `warehouse.boundaries` (ODbL, © OpenStreetMap contributors).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from warehouse.boundaries import ATTRIBUTION, LICENCE_URL, municipality_boundaries
from warehouse.site_common import NBSP, money, number_bg, percent

WIDTH = 1000  # viewBox units across the drawn area
# Classes of paid / contracted: (lower bound, label, fill). ColorBrewer YlGnBu, 5 classes.
CLASSES = (
    (0.0, "под 10 %", "#ffffcc"),
    (0.10, "10–25 %", "#a1dab4"),
    (0.25, "25–50 %", "#41b6c4"),
    (0.50, "50–75 %", "#2c7fb8"),
    (0.75, "75 % и повече", "#253494"),
)
NO_PROJECTS = ("няма проекти / no projects", "#e4e4e4")
NO_RATE = ("без договорена сума / no contracted amount", "#bdbdbd")


@dataclass
class Area:
    """One municipality on the map: its page (or None) and what it is coloured by."""

    code: str
    name: str
    href: str | None
    payment_rate: float | None
    label: str  # the name and figures, read by screen readers and shown on hover


def rate_class(rate: float | None) -> int | None:
    """Index into `CLASSES` of a paid / contracted share (None: no share to colour by)."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return None
    found = 0
    for i, (lower, _, _) in enumerate(CLASSES):
        if float(rate) >= lower:
            found = i
    return found


def _plain(bgn, eur) -> str:
    return f"{number_bg(bgn)}{NBSP}лв. ({number_bg(eur)}{NBSP}€)"


def area_label(name: str, row: dict | None) -> str:
    """'Община X: изплатено 12,3 % от договореното (paid … of contracted …, N проекта)'."""
    if not row or not row.get("projects"):
        return f"Община {name}: няма проекти / no projects"
    return (
        f"Община {name}: изплатено {percent(row.get('payment_rate'))} от договореното · "
        f"договорено {_plain(row.get('contracted_bgn'), row.get('contracted_eur'))} · "
        f"изплатено {_plain(row.get('paid_bgn'), row.get('paid_eur'))} · "
        f"{row['projects']} проекта / projects"
    )


def fill(area: Area) -> str:
    if area.href is None:
        return NO_PROJECTS[1]
    index = rate_class(area.payment_rate)
    return NO_RATE[1] if index is None else CLASSES[index][2]


def _projector(codes: Iterable[str]):
    shapes = municipality_boundaries()
    xs, ys = [], []
    for code in codes:
        for ring in shapes[code]["rings"]:
            xs += ring[0::2]
            ys += ring[1::2]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    stretch = math.cos(math.radians((south + north) / 2000))
    scale = WIDTH / ((east - west) * stretch)
    height = math.ceil((north - south) * scale)

    def project(ring: list[int]) -> list[tuple[int, int]]:
        return [
            (round((x - west) * stretch * scale), round((north - y) * scale))
            for x, y in zip(ring[0::2], ring[1::2], strict=True)
        ]

    return project, height


def _path(rings: list[list[int]], project) -> str:
    parts = []
    for ring in rings:
        points = []
        for point in project(ring):
            if not points or points[-1] != point:
                points.append(point)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(points) < 3:
            continue  # smaller than a unit at this scale
        (x0, y0), steps = points[0], []
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
            steps += [bx - ax, by - ay]
        parts.append(f"M{x0} {y0}l" + " ".join(map(str, steps)).replace(" -", "-") + "z")
    return "".join(parts)


def svg_map(areas: dict[str, Area], title: str, current: str | None = None, up: str = "") -> str:
    """An inline SVG of these municipalities (LAU code -> Area, `href` relative to the site's root,
    `up` the way there from the page), fitted to them; `current` outlined."""
    project, height = _projector(areas)
    shapes = municipality_boundaries()
    out = []
    for code, area in sorted(areas.items(), key=lambda kv: kv[0] == current):
        d = _path(shapes[code]["rings"], project)
        label = escape(area.label)
        extra = ' class="current"' if code == current else ""
        shape = f'<path d="{d}" fill="{fill(area)}"{extra}><title>{label}</title></path>'
        if area.href:
            out.append(f'<a href="{escape(up + area.href)}" aria-label="{label}">{shape}</a>')
        else:
            out.append(
                f'<g role="img" aria-label="{label}">{shape}</g>'
            )  # no page: nothing to link
    return (
        f'<svg class="choropleth" viewBox="0 0 {WIDTH} {height}" role="group" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">{"".join(out)}</svg>'
    )


def legend() -> str:
    items = [
        f'<li><span class="swatch" style="background:{colour}"></span>{escape(label)}</li>'
        for _, label, colour in CLASSES
    ] + [
        f'<li><span class="swatch" style="background:{colour}"></span>{escape(label)}</li>'
        for label, colour in (NO_RATE, NO_PROJECTS)
    ]
    return (
        '<div class="legend"><p><b>Изплатено / договорено</b> <small>(paid / contracted, '
        "от отворените данни за всички договори / open data, every contract)</small></p>"
        f"<ul>{''.join(items)}</ul></div>"
    )


def attribution() -> str:
    return (
        f'<p class="attribution"><small>{escape(ATTRIBUTION)} · '
        f'<a href="{LICENCE_URL}">ODbL</a></small></p>'
    )


def map_table(
    areas: dict[str, Area], districts: dict[str, str], rows: dict[str, dict], up: str = ""
) -> str:
    """Every municipality on the map with its district (LAU code -> district name), figures and
    class: the map as a table."""
    body = []
    for code, area in sorted(areas.items(), key=lambda kv: (districts.get(kv[0], ""), kv[1].name)):
        row = rows.get(code) or {}
        index = rate_class(area.payment_rate) if area.href else None
        klass = (
            CLASSES[index][1]
            if index is not None
            else (NO_RATE[0] if area.href else NO_PROJECTS[0])
        )
        name = (
            f'<a href="{escape(up + area.href)}">{escape(area.name)}</a>'
            if area.href
            else escape(area.name)
        )
        body.append(
            f'<tr data-lau="{escape(code)}"><td>{name}</td><td>{escape(districts.get(code, ""))}</td>'
            f'<td class="num">{row.get("projects") or 0}</td>'
            f'<td class="num">{money(row.get("contracted_bgn"), row.get("contracted_eur")) if row else "—"}</td>'
            f'<td class="num">{money(row.get("paid_bgn"), row.get("paid_eur")) if row else "—"}</td>'
            f'<td class="num">{percent(row.get("payment_rate")) if row else "—"}</td><td>{escape(klass)}</td></tr>'
        )
    return (
        '<div class="wide"><table class="map-table"><tr><th>Община</th><th>Област</th><th>Договори</th>'
        "<th>Договорено</th><th>Изплатено</th><th>Изплатено / договорено</th><th>Клас</th></tr>"
        f"{''.join(body)}</table></div>"
    )


def map_section(
    areas: dict[str, Area],
    title: str,
    current: str | None = None,
    up: str = "",
    table: str = "",
) -> str:
    """The map, its legend and attribution, and (optional) its table folded below it."""
    folded = (
        f"<details><summary>Картата като таблица / the map as a table</summary>{table}</details>"
        if table
        else ""
    )
    local = " local" if len(areas) < len(municipality_boundaries()) else ""
    return (
        f'<figure class="map{local}">{svg_map(areas, title, current, up)}'
        f"<figcaption>{legend()}{attribution()}</figcaption></figure>{folded}"
    )
