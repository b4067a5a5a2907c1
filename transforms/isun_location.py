"""Places in ИСУН's "Местонахождение" string, which carries its own NUTS codes.

`България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), Левски, гр.Левски`
-> country BG, NUTS1 BG3, region BG31, district BG314 Плевен, municipality Левски,
settlement гр. Левски. Municipalities and settlements come without codes here; a
gazetteer adds LAU/EKATTE codes. Parts that cannot be placed are kept as `unresolved`.
"""

from __future__ import annotations

import re

_CODED = re.compile(r"^(?P<name>.+?)\s*\((?P<code>BG\d{0,3})\)$")
_SETTLEMENT = re.compile(r"^(?P<kind>гр\.|с\.)\s*(?P<name>.+)$")
_LEVELS = {2: "nuts1", 3: "nuts1", 4: "region", 5: "district"}


def isun_location_places(location: str | None) -> list[dict]:
    """Each place named in one ИСУН location string, broadest first; several locations are ';'-separated."""
    if not location:
        return []
    places: list[dict] = []
    for one in re.split(r"\s*;\s*", location):
        parts = [p.strip() for p in one.split(",") if p.strip()]
        district = None
        for i, part in enumerate(parts):
            if i == 0 and part in {"България", "Bulgaria"}:
                places.append({"level": "country", "code": "BG", "name": "България", "text": part})
                continue
            m = _CODED.match(part)
            if m:
                code = m.group("code")
                level = "nuts1" if len(code) == 3 else _LEVELS.get(len(code), "unresolved")
                places.append({"level": level, "code": code, "name": m.group("name").strip(), "text": part})
                if level == "district":
                    district = code
                continue
            s = _SETTLEMENT.match(part)
            if s:
                places.append({"level": "settlement", "code": None,
                               "name": f"{s.group('kind')} {s.group('name').strip()}", "text": part})
            elif district:
                places.append({"level": "municipality", "code": f"{district}:{part}", "name": part, "text": part})
            else:
                places.append({"level": "unresolved", "code": None, "name": part, "text": part})
    return places


def project_places_table(projects) -> "pd.DataFrame":
    """`project_places` rows for every project's location, with the project's provenance."""
    import pandas as pd

    rows = []
    for row in projects.itertuples(index=False):
        for place in isun_location_places(row.location):
            rows.append({"project_code": row.project_code, **place, "source_url": row.source_url,
                         "fetched_at": row.fetched_at, "content_sha256": row.content_sha256})
    columns = ["project_code", "level", "code", "name", "text", "source_url", "fetched_at", "content_sha256"]
    return pd.DataFrame(rows, columns=columns).drop_duplicates(["project_code", "level", "text"]).reset_index(drop=True)
