"""The municipality boundaries shipped with bgfunds (`warehouse/data/municipality_boundaries.json`)
and how that file is made from its source.

The source is `municipalities_names.geojson` of the repository `yurukov/Bulgaria-geocoding`
(commit `SOURCE_COMMIT`): the 265 municipalities (общини), keyed by NSI's municipality code
(`nuts4`, the LAU code, e.g. `HKV30`), with their Bulgarian names. Its author derived the
municipality borders from OpenStreetMap, so they are © OpenStreetMap contributors under the
Open Database License 1.0 (ODbL); the shipped file is a derivative database under the same
licence, with the attribution in `ATTRIBUTION` (shown under every map and in docs/site.md).

The shipped file keeps each municipality's code, name and rings, coordinates as integer
thousandths of a degree (the source's precision, ~100 m), nothing else: ~0.2 MB.
`python -m warehouse.boundaries SOURCE.geojson` rewrites it. What belongs here: reading and
writing that file; drawing it is `warehouse.choropleth`.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

BOUNDARIES = Path(__file__).parent / "data" / "municipality_boundaries.json"
SOURCE_REPOSITORY = "yurukov/Bulgaria-geocoding"
SOURCE_COMMIT = "288010604df0a87b51b1a20ad0e247a3a1ca1345"
SOURCE_FILE = "municipalities_names.geojson"
LICENCE = "ODbL-1.0"
LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
ATTRIBUTION = (
    "Граници на общините / municipality borders: © OpenStreetMap contributors (ODbL 1.0), "
    "via Boyan Yurukov, Bulgaria-geocoding"
)


def _rings(geometry: dict) -> list[list[int]]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    out = []
    for polygon in polygons:
        for ring in polygon:
            flat: list[int] = []
            for lon, lat in ring:
                point = [round(lon * 1000), round(lat * 1000)]
                if flat[-2:] != point:
                    flat += point
            out.append(flat)
    return out


def from_geojson(source: dict) -> dict:
    """The shipped file's content from the source GeoJSON (one feature per municipality)."""
    municipalities = {}
    for feature in source["features"]:
        props = feature["properties"]
        code = props["nuts4"]
        if code in municipalities:
            raise ValueError(f"{SOURCE_FILE}: nuts4 {code!r} appears twice")
        municipalities[code] = {"name_bg": props["name"], "rings": _rings(feature["geometry"])}
    return {
        "source": f"https://github.com/{SOURCE_REPOSITORY}/blob/{SOURCE_COMMIT}/{SOURCE_FILE}",
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "attribution": ATTRIBUTION,
        "coordinates": "longitude, latitude in thousandths of a degree (WGS 84), flat per ring",
        "municipalities": dict(sorted(municipalities.items())),
    }


@cache
def municipality_boundaries() -> dict[str, dict]:
    """LAU code -> {name_bg, rings}: the 265 municipalities' borders as shipped."""
    return json.loads(BOUNDARIES.read_text(encoding="utf-8"))["municipalities"]


def main(argv: list[str]) -> None:
    source = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    BOUNDARIES.parent.mkdir(parents=True, exist_ok=True)
    BOUNDARIES.write_text(
        json.dumps(from_geojson(source), ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    print(f"{BOUNDARIES}: {BOUNDARIES.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
