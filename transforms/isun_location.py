"""Places in ИСУН's "Местонахождение" string, resolved against the shipped gazetteer.

`България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), Левски, гр.Левски`
-> country BG, NUTS1 BG3, region BG31, district BG314 Плевен, municipality Левски (LAU
PVN16), settlement гр. Левски (EKATTE 43236). NUTS codes come from the string itself;
municipalities and settlements get their LAU and EKATTE codes from `transforms.gazetteer`,
within the district the string names. Parts that cannot be placed are kept with level
`unresolved`, never dropped. A path without codes (2015 contracts) names NUTS 1, region and district
by position; "Няма" (no places) and a missing value are no places.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from transforms.gazetteer import resolve_place

if TYPE_CHECKING:
    import pandas as pd

_CODED = re.compile(r"^(?P<name>.+?)\s*\((?P<code>BG\d{0,3})\)$")
_SETTLEMENT = re.compile(r"^(?P<kind>гр\.|с\.)\s*(?P<name>.+)$")
_LEVELS = {2: "country", 3: "nuts1", 4: "region", 5: "district"}
# A path without NUTS codes (2015 contracts: "България, Северна и югоизточна България, Северозападен,
# Видин, Белоградчик") names its levels by position after the country: NUTS 1, region, district.
_POSITION_LEVELS = {1: ("nuts1", "nuts1"), 2: ("region", "nuts2"), 3: ("district", "nuts3")}
PLACE_COLUMNS = ["level", "code", "name", "nuts3", "lau_code", "ekatte", "text"]


def _place(level: str, code, name, text, nuts3=None, lau_code=None, ekatte=None) -> dict:
    return {
        "level": level,
        "code": code,
        "name": name,
        "nuts3": nuts3,
        "lau_code": lau_code,
        "ekatte": ekatte,
        "text": text,
    }


# "Местонахождение: Няма" (English pages: "None") is a normal branch of the views: no places.
NO_PLACES = frozenset({"Няма", "None"})


def isun_location_places(location: str | None) -> list[dict]:
    """Each place named in one ИСУН location string, broadest first; several locations are ';'-separated.
    No location (None, a missing value read back as NaN, "Няма") is no places."""
    if not isinstance(location, str) or location.strip() in NO_PLACES or not location.strip():
        return []
    places: list[dict] = []
    for one in re.split(r"\s*;\s*", location):
        parts = [p.strip() for p in one.split(",") if p.strip()]
        district = None
        for i, part in enumerate(parts):
            if i == 0 and part in {"България", "Bulgaria"}:
                places.append(_place("country", "BG", "България", part))
                continue
            m = _CODED.match(part)
            if m:
                code = m.group("code")
                level = _LEVELS.get(len(code), "unresolved")
                places.append(
                    _place(
                        level,
                        code,
                        m.group("name").strip(),
                        part,
                        nuts3=code if level == "district" else None,
                    )
                )
                if level == "district":
                    district = code
                continue
            positional = _positional(parts, i, part)
            if positional is not None:
                places.append(positional)
                district = positional["nuts3"] or district
                continue
            settlement = _SETTLEMENT.match(part)
            hit = resolve_place(
                part, "settlement" if settlement else "municipality", nuts3=district
            )
            if settlement:
                name = f"{settlement.group('kind')} {settlement.group('name').strip()}"
                places.append(
                    _place(
                        "settlement",
                        hit["ekatte"],
                        name,
                        part,
                        nuts3=hit["nuts3"] or district,
                        lau_code=hit["lau_code"],
                        ekatte=hit["ekatte"],
                    )
                )
            elif hit["level"] == "municipality" and not hit["ambiguous"]:
                places.append(
                    _place(
                        "municipality",
                        hit["lau_code"],
                        hit["name_bg"],
                        part,
                        nuts3=hit["nuts3"],
                        lau_code=hit["lau_code"],
                    )
                )
            else:
                places.append(_place("unresolved", None, part, part, nuts3=district))
    return places


def _positional(parts: list[str], i: int, part: str) -> dict | None:
    """An uncoded part at a NUTS position of a path that starts with the country, placed at that
    level when the gazetteer knows it there (else None: resolved like any other part)."""
    if i not in _POSITION_LEVELS or parts[0] not in {"България", "Bulgaria"}:
        return None
    level, key = _POSITION_LEVELS[i]
    hit = resolve_place(part, level)
    if hit["level"] != level or hit["ambiguous"] or not hit[key]:
        return None
    return _place(
        level, hit[key], hit["name_bg"], part, nuts3=hit["nuts3"] if level == "district" else None
    )


def project_places_table(projects) -> pd.DataFrame:
    """`project_places` rows for every project's location, with the project's provenance."""
    import pandas as pd

    rows = []
    # Contracts share location texts (a municipality, a district): each distinct text is
    # resolved once (the places are read, never changed, below).
    resolved: dict = {}
    for row in projects.itertuples(index=False):
        places = resolved.get(row.location)
        if places is None:
            try:
                places = isun_location_places(row.location)
            except Exception:  # noqa: BLE001 - one project's places must never stop a build
                places = [_place("unresolved", None, str(row.location), str(row.location))]
            resolved[row.location] = places
        for place in places:
            rows.append(
                {
                    "project_code": row.project_code,
                    **place,
                    "source_url": row.source_url,
                    "fetched_at": row.fetched_at,
                    "content_sha256": row.content_sha256,
                }
            )
    columns = ["project_code", *PLACE_COLUMNS, "source_url", "fetched_at", "content_sha256"]
    return (
        pd.DataFrame(rows, columns=columns)
        .drop_duplicates(["project_code", "level", "text"])
        .reset_index(drop=True)
    )


def universe_places_table(projects, api_places) -> pd.DataFrame:
    """`project_places` for a batch of `projects` (every contract): a contract known only from the
    open-data API takes the API's places (`isun_api_places`, already resolved, by proposal code),
    any other (a page read, a register-export row) its own location text, resolved here."""
    import pandas as pd

    from_api = projects["detail_level"].eq("bulk") & projects["bulk_source"].eq("isun-api")
    parsed = project_places_table(projects[~from_api])
    api = projects.loc[from_api, ["project_code", "proposal_code"]].merge(
        api_places, on="proposal_code"
    )
    columns = list(parsed.columns)
    return (
        pd.concat([parsed, api[columns]], ignore_index=True)
        .drop_duplicates(["project_code", "level", "text"])
        .reset_index(drop=True)
    )
