"""The shipped municipality borders (warehouse/data/municipality_boundaries.json) and the map drawn
from them: all 265 municipalities match our LAU codes through the gazetteer, by code and by name;
the file is small and carries its licence; classes, links and labels as the site draws them."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup

from transforms.gazetteer import municipalities, municipality_by_name
from warehouse.boundaries import BOUNDARIES, LICENCE, from_geojson, municipality_boundaries
from warehouse.choropleth import (
    CLASSES,
    NO_PROJECTS,
    Area,
    area_label,
    map_section,
    rate_class,
    svg_map,
)


def test_every_municipality_of_the_gazetteer_has_its_border_and_every_border_is_one():
    shapes = municipality_boundaries()
    ours = {m["lau_code"]: m for m in municipalities()}
    assert len(ours) == 265
    assert sorted(set(ours) - set(shapes)) == []  # municipalities without a border
    assert sorted(set(shapes) - set(ours)) == []  # borders of no municipality of ours
    # The border file's own names resolve, through the gazetteer, to the same code.
    by_name = {
        code: municipality_by_name(shape["name_bg"], ours[code]["nuts3"])
        for code, shape in shapes.items()
    }
    wrong = {
        code: (shapes[code]["name_bg"], found and found["lau_code"])
        for code, found in by_name.items()
        if not found or found["lau_code"] != code
    }
    assert wrong == {}, wrong
    assert shapes["HKV30"]["name_bg"] == "Стамболово"


def test_the_shipped_file_is_small_and_says_its_source_and_licence():
    assert BOUNDARIES.stat().st_size < 500_000
    shipped = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    assert shipped["licence"] == LICENCE == "ODbL-1.0"
    assert "OpenStreetMap contributors" in shipped["attribution"]
    assert re.search(r"yurukov/Bulgaria-geocoding/blob/[0-9a-f]{40}/", shipped["source"])
    rings = [r for m in shipped["municipalities"].values() for r in m["rings"]]
    assert all(len(r) % 2 == 0 and len(r) >= 6 for r in rings)
    # Sofia (SOF46) lies at about 42.7 N, 23.3 E: coordinates are thousandths of a degree.
    xs = shipped["municipalities"]["SOF46"]["rings"][0][0::2]
    ys = shipped["municipalities"]["SOF46"]["rings"][0][1::2]
    assert 23_000 < min(xs) < max(xs) < 23_700 and 42_400 < min(ys) < max(ys) < 42_900


def test_from_geojson_keeps_codes_names_and_rings_and_refuses_a_code_twice():
    feature = {
        "type": "Feature",
        "properties": {"nuts4": "HKV30", "name": "Стамболово", "nuts3": "HKV"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[25.6, 41.7], [25.7, 41.7], [25.7, 41.7], [25.7, 41.8], [25.6, 41.7]]],
        },
    }
    out = from_geojson({"features": [feature]})
    assert out["municipalities"] == {
        "HKV30": {
            "name_bg": "Стамболово",
            "rings": [[25600, 41700, 25700, 41700, 25700, 41800, 25600, 41700]],
        }
    }
    try:
        from_geojson({"features": [feature, feature]})
    except ValueError as exc:
        assert "HKV30" in str(exc)
    else:
        raise AssertionError("a code twice was accepted")


def test_classes_of_paid_over_contracted():
    assert rate_class(None) is None
    assert [rate_class(r) for r in (0.0, 0.099, 0.10, 0.2565, 0.5, 0.9025, 1.3)] == [
        0,
        0,
        1,
        2,
        3,
        4,
        4,
    ]
    assert CLASSES[rate_class(0.2565)][1] == "25–50 %"


def test_a_municipality_with_projects_links_to_its_page_and_one_without_is_grey_and_unlinked():
    row = {
        "projects": 8,
        "contracted_bgn": 9319546.10,
        "contracted_eur": 4765008.26,
        "paid_bgn": 2390413.81,
        "paid_eur": 1222199.17,
        "payment_rate": 0.2565,
    }
    areas = {
        "HKV30": Area(
            "HKV30", "Стамболово", "municipality/HKV30.html", 0.2565, area_label("Стамболово", row)
        ),
        "HKV34": Area("HKV34", "Хасково", None, None, area_label("Хасково", None)),
    }
    svg = BeautifulSoup(svg_map(areas, "t", current="HKV30", up="../"), "lxml")
    link = svg.find("a")
    assert link["href"] == "../municipality/HKV30.html"
    assert link["aria-label"].startswith("Община Стамболово: изплатено 25,7\u00a0% от договореното")
    assert link.path["fill"] == CLASSES[2][2] and "current" in link.path["class"]
    assert "9\u00a0319\u00a0546,10\u00a0лв." in link.title.get_text()
    grey = svg.find("g", attrs={"role": "img"})
    assert grey["aria-label"] == "Община Хасково: няма проекти / no projects"
    assert grey.path["fill"] == NO_PROJECTS[1] and len(svg.find_all("a")) == 1
    # Paths are drawn, fitted to these two municipalities.
    width, height = map(int, svg.svg["viewbox"].split()[2:])
    assert width == 1000 and 500 < height < 3000
    assert all(re.fullmatch(r"(M\d+ \d+l[-\d ]+z)+", p["d"]) for p in svg.find_all("path"))
    section = map_section(areas, "t")
    assert "OpenStreetMap contributors" in section and "ODbL" in section
