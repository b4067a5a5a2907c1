"""Gazetteer of Bulgaria's administrative places and a resolver for free-text place names.

What belongs here: the reference lists in `transforms/data/` (6 NUTS 2 planning regions with
their NUTS 1 parents, 28 NUTS 3 districts / области, 265 municipalities / общини with their
NSI/LAU codes and the EKATTE code of each municipal centre), lookups over them, and
`resolve_place`, which turns one place name as written in a source ("област Видин",
"Видинска област", "община Брегово", "гр.Левски", "Плевен (BG314)", "Столична") into codes.

What does not belong here: splitting a whole location string into its parts (that is
`transforms.isun_location`) or finding place names inside running text
(`sources.extract.common.put_places`). Only municipal centres are known, not the ~5,000 other
settlements of EKATTE, so a village name is resolved only when the context pins it down.

Public functions: `normalise_place_name`, `resolve_place`, `district_municipalities`,
`municipality_by_name`, plus `regions`, `districts`, `municipalities` (the loaded tables).
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

DATA = Path(__file__).parent / "data"

LEVELS = ("country", "nuts1", "region", "district", "municipality", "settlement")

# Feminine adjectival forms of district names ("Видинска област") -> district_bg in districts.csv.
_DISTRICT_ADJECTIVES = {
    "благоевградска": "Благоевград",
    "бургаска": "Бургас",
    "варненска": "Варна",
    "великотърновска": "Велико Търново",
    "видинска": "Видин",
    "врачанска": "Враца",
    "габровска": "Габрово",
    "добричка": "Добрич",
    "кърджалийска": "Кърджали",
    "кюстендилска": "Кюстендил",
    "ловешка": "Ловеч",
    "монтанска": "Монтана",
    "пазарджишка": "Пазарджик",
    "пернишка": "Перник",
    "плевенска": "Плевен",
    "пловдивска": "Пловдив",
    "разградска": "Разград",
    "русенска": "Русе",
    "силистренска": "Силистра",
    "сливенска": "Сливен",
    "смолянска": "Смолян",
    "софийска": "София",
    "столична": "София (столица)",
    "старозагорска": "Стара Загора",
    "търговищка": "Търговище",
    "търговишка": "Търговище",
    "хасковска": "Хасково",
    "шуменска": "Шумен",
    "ямболска": "Ямбол",
}
# Adjectives that are also the name of a municipality: read as a district only next to "област".
_ADJECTIVE_IS_MUNICIPALITY = {"добричка", "столична"}

# Other spellings seen in sources (ИСУН, older EKATTE files) -> official name.
_DISTRICT_ALIASES = {
    "софия-град": "София (столица)",
    "софия град": "София (столица)",
    "софия-столица": "София (столица)",
    "софия столица": "София (столица)",
    "столица": "София (столица)",
    "софия-област": "София",
}
_MUNICIPALITY_ALIASES = {  # -> lau_code
    "добрич-град": "DOB28",
    "добрич град": "DOB28",
    "добрич-селска": "DOB15",
    "добрич селска": "DOB15",
}
_NUTS1_ALIASES = {  # ИСУН writes the NUTS 1 names in lower case and "южно-централна"
    "югозападна и южно-централна българия": "BG4",
    "югозападна и южна централна българия": "BG4",
    "северна и югоизточна българия": "BG3",
}

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_QUOTES = re.compile(r"[\"'„“”«»‘’`]")
_CODE = re.compile(r"\(\s*(bg[0-9a-z]{0,3})\s*\)\s*$")
_BARE_CODE = re.compile(r"^(bg[0-9a-z]{0,3}|[a-z]{3}\d{2}|\d{5})$")
_QUALIFIER = re.compile(r"\(\s*(обл|област|общ|община)\.?\s*([^()]+?)\s*\)\s*$")
_SETTLEMENT_PREFIX = re.compile(r"^(гр\.|град\s+|с\.|село\s+)\s*")
_MUNICIPALITY_PREFIX = re.compile(r"^(общината|община|общ\.)\s*")
_MUNICIPALITY_SUFFIX = re.compile(r"\s+(общината|община|общ\.?)$")
_DISTRICT_PREFIX = re.compile(r"^(областта|област|обл\.)\s*")
_DISTRICT_SUFFIX = re.compile(r"\s+(областта|област|обл\.?)$")
_REGION_SUFFIX = re.compile(r"\s+(район за планиране|район|регион)$")


class _Parsed(NamedTuple):
    name: str  # normalised name, "" if nothing is left
    code: str | None  # NUTS / LAU / EKATTE code written with or instead of the name
    district: bool  # "област", "обл." or an adjectival district form
    municipality: bool  # "община", "общ."
    settlement: str | None  # "town" for "гр."/"град", "village" for "с."/"село"
    within_district: str | None  # "(обл. Русе)" qualifier, normalised
    within_municipality: str | None  # "(общ. Хаджидимово)" qualifier, normalised


def _clean(text: str, fold: bool = True) -> str:
    s = _QUOTES.sub("", _SPACES.sub(" ", str(text)))
    s = re.sub(r"\s*-\s*", "-", s.casefold() if fold else s)
    return s.strip(" ,.;:")


def _as_written(text, name: str) -> str | None:
    """`name` (normalised) with the capitals it had in `text`: "с. Ново село" -> "Ново село"."""
    written = _clean(text or "", fold=False)
    at = written.casefold().find(name) if len(written.casefold()) == len(written) else -1
    return written[at : at + len(name)] if name and at >= 0 else (name or None)


def _parse(text) -> _Parsed:
    s = _clean(text or "")
    code = within_d = within_m = settlement = None
    district = municipality = False
    m = _CODE.search(s)
    if m:
        code, s = m.group(1).upper(), s[: m.start()].strip(" ,.;:")
    m = _QUALIFIER.search(s)
    if m:
        if m.group(1).startswith("обл"):
            within_d = _clean(m.group(2))
        else:
            within_m = _clean(m.group(2))
        s = s[: m.start()].strip(" ,.;:")
    if code is None and _BARE_CODE.match(s):
        code, s = s.upper(), ""
    for _ in range(2):  # "община гр. Левски" and the like
        m = _SETTLEMENT_PREFIX.match(s)
        if m:
            settlement = "town" if m.group(1).startswith("гр") else "village"
            s = s[m.end() :]
        for prefix, suffix, kind in (
            (_MUNICIPALITY_PREFIX, _MUNICIPALITY_SUFFIX, "m"),
            (_DISTRICT_PREFIX, _DISTRICT_SUFFIX, "d"),
        ):
            before = s
            s = prefix.sub("", s)
            s = suffix.sub("", s)
            if s != before:
                municipality |= kind == "m"
                district |= kind == "d"
        s = s.strip(" ,.;:")
    adjective = s[:-2] if s.endswith("та") and s[:-2] in _DISTRICT_ADJECTIVES else s  # "Видинската"
    if adjective in _DISTRICT_ADJECTIVES and (
        district or adjective not in _ADJECTIVE_IS_MUNICIPALITY
    ):
        s, district = _clean(_DISTRICT_ADJECTIVES[adjective]), True
    return _Parsed(s, code, district, municipality, settlement, within_d, within_m)


def normalise_place_name(text) -> str:
    """Comparable form of a place name: no "община/общ./област/обл./гр./град/с./село", no quotes,
    NBSP or NUTS code in brackets, case-folded, whitespace collapsed; an adjectival district form
    becomes the district's name ("Видинска област" -> "видин", "Софийска област" -> "софия",
    the district BG412). "Добричка" and "Столична" stay as they are (they are municipalities)
    unless "област" goes with them."""
    return _parse(text).name


# --------------------------------------------------------------------------- tables


def _read(name: str) -> tuple[dict, ...]:
    with open(DATA / name, encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


@lru_cache(maxsize=1)
def regions() -> tuple[dict, ...]:
    """Rows of regions.csv: nuts2, region_bg, region_en, nuts1, nuts1_bg."""
    return _read("regions.csv")


@lru_cache(maxsize=1)
def districts() -> tuple[dict, ...]:
    """Rows of districts.csv: nuts3, district_bg, region_nuts2, region_bg."""
    return _read("districts.csv")


@lru_cache(maxsize=1)
def municipalities() -> tuple[dict, ...]:
    """Rows of municipalities.csv: nuts3, municipality_bg, municipality_en, lau_code, centre_bg,
    centre_ekatte."""
    return _read("municipalities.csv")


class _Index(NamedTuple):
    region_by_code: dict
    region_by_name: dict
    nuts1: dict  # code -> name
    nuts1_by_name: dict
    district_by_code: dict
    district_by_name: dict
    municipality_by_lau: dict
    municipalities_by_name: dict  # normalised name -> [rows]
    settlements_by_name: dict  # normalised centre name -> [(ekatte, owning municipality row)]
    settlement_by_ekatte: dict


@lru_cache(maxsize=1)
def _index() -> _Index:
    region_by_code = {r["nuts2"]: r for r in regions()}
    region_by_name = {_clean(r["region_bg"]): r for r in regions()}
    nuts1 = {r["nuts1"]: r["nuts1_bg"] for r in regions()}
    nuts1_by_name = {_clean(name): code for code, name in nuts1.items()} | _NUTS1_ALIASES
    district_by_code = {d["nuts3"]: d for d in districts()}
    district_by_name = {_clean(d["district_bg"]): d for d in districts()}
    for alias, official in _DISTRICT_ALIASES.items():
        district_by_name[alias] = district_by_name[_clean(official)]
    by_lau = {m["lau_code"]: m for m in municipalities()}
    by_name: dict[str, list] = {}
    for m in municipalities():
        by_name.setdefault(_clean(m["municipality_bg"]), []).append(m)
    for alias, lau in _MUNICIPALITY_ALIASES.items():
        by_name.setdefault(alias, []).append(by_lau[lau])
    # A centre lies in the municipality of the same name where there is one: Ek_obst gives
    # Пловдив as the centre of Марица and Родопи, Добрич of Добричка, Ямбол of Тунджа.
    settlements: dict[str, dict] = {}
    for m in municipalities():
        ekatte = m["centre_ekatte"]
        owner = settlements.get(ekatte)
        if owner is None or _clean(m["municipality_bg"]) == _clean(m["centre_bg"]):
            settlements[ekatte] = m
    settlements_by_name: dict[str, list] = {}
    for ekatte, m in sorted(settlements.items()):
        settlements_by_name.setdefault(_clean(m["centre_bg"]), []).append((ekatte, m))
    return _Index(
        region_by_code,
        region_by_name,
        nuts1,
        nuts1_by_name,
        district_by_code,
        district_by_name,
        by_lau,
        by_name,
        settlements_by_name,
        settlements,
    )


# --------------------------------------------------------------------------- lookups


def district_municipalities(nuts3: str) -> list[dict]:
    """The municipalities of one district (NUTS 3 code, e.g. "BG311"), by name; [] for an unknown
    code."""
    return sorted(
        (dict(m) for m in municipalities() if m["nuts3"] == (nuts3 or "").upper()),
        key=lambda m: m["municipality_bg"],
    )


def municipality_by_name(name: str, nuts3: str | None = None) -> dict | None:
    """The municipality called `name` ("Брегово", "община Брегово", "Добрич-град"), optionally
    within district `nuts3`. None when there is none, or more than one ("Бяла" without `nuts3`)."""
    found = _municipality_candidates(normalise_place_name(name), nuts3)
    return dict(found[0]) if len(found) == 1 else None


def _municipality_candidates(name: str, nuts3: str | None) -> list[dict]:
    found = _index().municipalities_by_name.get(name, [])
    return [m for m in found if nuts3 is None or m["nuts3"] == nuts3.upper()]


def _district_named(name: str) -> dict | None:
    return _index().district_by_name.get(name) if name else None


# --------------------------------------------------------------------------- resolver


def _result(
    text,
    level="unresolved",
    *,
    nuts1=None,
    nuts2=None,
    nuts3=None,
    lau_code=None,
    ekatte=None,
    name_bg=None,
    ambiguous=False,
    candidates=None,
) -> dict:
    if nuts3 and not nuts2:
        nuts2 = _index().district_by_code[nuts3]["region_nuts2"]
    if nuts2 and not nuts1:
        nuts1 = _index().region_by_code[nuts2]["nuts1"]
    out = {
        "level": level,
        "nuts1": nuts1,
        "nuts2": nuts2,
        "nuts3": nuts3,
        "lau_code": lau_code,
        "ekatte": ekatte,
        "name_bg": name_bg,
        "text": text,
        "ambiguous": ambiguous,
    }
    if candidates:
        out["candidates"] = candidates
    return out


def _region_result(text, r, ambiguous=False):
    return _result(text, "region", nuts2=r["nuts2"], name_bg=r["region_bg"], ambiguous=ambiguous)


def _district_result(text, d, ambiguous=False):
    return _result(
        text,
        "district",
        nuts2=d["region_nuts2"],
        nuts3=d["nuts3"],
        name_bg=d["district_bg"],
        ambiguous=ambiguous,
    )


def _municipality_result(text, found: list[dict], ambiguous=False):
    if len(found) == 1:
        m = found[0]
        return _result(
            text,
            "municipality",
            nuts2=_index().district_by_code[m["nuts3"]]["region_nuts2"],
            nuts3=m["nuts3"],
            lau_code=m["lau_code"],
            name_bg=m["municipality_bg"],
            ambiguous=ambiguous,
        )
    # several municipalities share the name (Бяла in Русе and in Варна): keep only what they share
    nuts3s = {m["nuts3"] for m in found}
    nuts3 = nuts3s.pop() if len(nuts3s) == 1 else None
    nuts2s = {_index().district_by_code[m["nuts3"]]["region_nuts2"] for m in found}
    return _result(
        text,
        "municipality",
        nuts2=nuts2s.pop() if len(nuts2s) == 1 else None,
        nuts3=nuts3,
        name_bg=found[0]["municipality_bg"],
        ambiguous=True,
        candidates=sorted(m["lau_code"] for m in found),
    )


def _settlement_result(text, name: str, kind: str | None, nuts3: str | None, lau_code: str | None):
    found = _index().settlements_by_name.get(name, [])
    if nuts3:
        found = [(e, m) for e, m in found if m["nuts3"] == nuts3]
    if lau_code:
        found = [(e, m) for e, m in found if m["lau_code"] == lau_code]
    # Only municipal centres are known. A town name is taken as unique; a village name is
    # resolved only inside a district or municipality given with it, as many villages share names.
    narrowed = bool(nuts3 or lau_code)
    if len(found) == 1 and (kind != "village" or narrowed):
        ekatte, m = found[0]
        return _result(
            text,
            "settlement",
            nuts2=_index().district_by_code[m["nuts3"]]["region_nuts2"],
            nuts3=m["nuts3"],
            lau_code=m["lau_code"],
            ekatte=ekatte,
            name_bg=m["centre_bg"],
        )
    return _result(
        text,
        "settlement",
        nuts3=nuts3,
        lau_code=lau_code,
        name_bg=_as_written(text, name),
        ambiguous=bool(found),
        candidates=sorted(m["lau_code"] for _, m in found) or None,
    )


def _by_code(text, code: str):
    ix = _index()
    if code == "BG":
        return _result(text, "country", name_bg="България")
    if code in ix.nuts1:
        return _result(text, "nuts1", nuts1=code, name_bg=ix.nuts1[code])
    if code in ix.region_by_code:
        return _region_result(text, ix.region_by_code[code])
    if code in ix.district_by_code:
        return _district_result(text, ix.district_by_code[code])
    if code in ix.municipality_by_lau:
        return _municipality_result(text, [ix.municipality_by_lau[code]])
    if code in ix.settlement_by_ekatte:
        m = ix.settlement_by_ekatte[code]
        return _result(
            text,
            "settlement",
            nuts2=ix.district_by_code[m["nuts3"]]["region_nuts2"],
            nuts3=m["nuts3"],
            lau_code=m["lau_code"],
            ekatte=code,
            name_bg=m["centre_bg"],
        )
    return None


def resolve_place(text, level_hint: str | None = None, *, nuts3: str | None = None) -> dict:
    """Resolve one place name to codes; never raises for any text.

    Returns {"level", "nuts1", "nuts2", "nuts3", "lau_code", "ekatte", "name_bg", "text",
    "ambiguous"} (+ "candidates": LAU codes, when several municipalities fit). `level` is one of
    "country", "nuts1", "region", "district", "municipality", "settlement" or "unresolved".
    `ekatte` is set for settlements only (a municipality's centre is in `municipality_by_name`).

    How the level is chosen: a NUTS/LAU/EKATTE code in the text wins ("Плевен (BG314)",
    "София (BG412)"); then "област"/"обл."/an adjectival district form -> district;
    "община"/"общ." -> municipality; "гр."/"град"/"с."/"село" -> settlement (a municipal
    centre); then `level_hint`. A bare name ("Видин") is a region, a municipality or a
    district, in that order; it is `ambiguous` when a district, or a centre elsewhere, has the
    same name too. `nuts3` (or "(обл. Русе)" / "(общ. Хаджидимово)" in the text) narrows the
    search to one district or municipality.
    """
    if level_hint is not None and level_hint not in LEVELS:
        raise ValueError(f"level_hint must be one of {LEVELS}, not {level_hint!r}")
    try:
        return _resolve(text, level_hint, nuts3)
    except Exception:  # malformed input must not stop a pipeline
        return _result(text)


def _within(p, nuts3: str | None) -> tuple[str | None, str | None]:
    """(NUTS 3, LAU) the text narrows itself to ("с. X, общ. Y, обл. Z"), else the caller's NUTS 3."""
    within_nuts3 = nuts3.upper() if nuts3 else None
    within_lau = None
    if p.within_district:
        d = _district_named(p.within_district)
        within_nuts3 = d["nuts3"] if d else within_nuts3
    if p.within_municipality:
        found = _municipality_candidates(p.within_municipality, within_nuts3)
        if len(found) == 1:
            within_lau, within_nuts3 = found[0]["lau_code"], found[0]["nuts3"]
    return within_nuts3, within_lau


def _resolve(text, level_hint, nuts3):
    p = _parse(text)
    if p.code:
        hit = _by_code(text, p.code)
        if hit:
            return hit
    name = p.name
    within_nuts3, within_lau = _within(p, nuts3)
    if not name:
        return _result(text)
    level = (
        "district"
        if p.district
        else "municipality"
        if p.municipality
        else "settlement"
        if p.settlement
        else level_hint
    )
    if level is None:
        return _resolve_bare_name(text, name, within_nuts3)
    return _resolve_at_level(text, level, name, p, within_nuts3, within_lau)


def _resolve_at_level(text, level, name, p, within_nuts3, within_lau):
    """A name whose level the text or the caller states."""
    ix = _index()
    if level == "country":
        return (
            _result(text, "country", name_bg="България")
            if name in {"българия", "bulgaria"}
            else _result(text)
        )
    if level == "nuts1":
        code = ix.nuts1_by_name.get(name)
        return _result(text, "nuts1", nuts1=code, name_bg=ix.nuts1[code]) if code else _result(text)
    if level == "region":
        r = ix.region_by_name.get(_REGION_SUFFIX.sub("", name))
        return _region_result(text, r) if r else _result(text)
    if level == "district":
        d = _district_named(name)
        return _district_result(text, d) if d else _result(text)
    if level == "municipality":
        found = _municipality_candidates(name, within_nuts3)
        return _municipality_result(text, found) if found else _result(text)
    if level == "settlement":
        return _settlement_result(text, name, p.settlement, within_nuts3, within_lau)
    return _resolve_bare_name(text, name, within_nuts3)


def _resolve_bare_name(text, name, within_nuts3):
    """A bare name: the country, a NUTS 1 area, a region, else a municipality or a district
    (ambiguous where another level's place bears the same name)."""
    ix = _index()
    if name in {"българия", "bulgaria"}:
        return _result(text, "country", name_bg="България")
    if name in ix.nuts1_by_name:
        code = ix.nuts1_by_name[name]
        return _result(text, "nuts1", nuts1=code, name_bg=ix.nuts1[code])
    r = ix.region_by_name.get(_REGION_SUFFIX.sub("", name))
    if r:
        return _region_result(text, r)
    d = _district_named(name)
    found = _municipality_candidates(name, within_nuts3)
    centres = [
        (e, m)
        for e, m in ix.settlements_by_name.get(name, [])
        if within_nuts3 is None or m["nuts3"] == within_nuts3
    ]
    if found:
        own = {m["lau_code"] for m in found}
        other_centre = any(m["lau_code"] not in own for _, m in centres)
        return _municipality_result(text, found, ambiguous=bool(d) or other_centre)
    if d:
        other_centre = any(m["nuts3"] != d["nuts3"] for _, m in centres)
        return _district_result(text, d, ambiguous=other_centre)
    return _result(text)


def _nuts1_and_region_rows() -> list[dict]:
    rows, seen_nuts1 = [], set()
    for r in regions():
        if r["nuts1"] not in seen_nuts1:
            seen_nuts1.add(r["nuts1"])
            rows.append(
                {
                    "code": r["nuts1"],
                    "level": "nuts1",
                    "name_bg": r["nuts1_bg"],
                    "parent_code": "BG",
                    "nuts1": r["nuts1"],
                }
            )
        rows.append(
            {
                "code": r["nuts2"],
                "level": "region",
                "name_bg": r["region_bg"],
                "name_en": r["region_en"],
                "parent_code": r["nuts1"],
                "nuts1": r["nuts1"],
                "nuts2": r["nuts2"],
            }
        )
    return rows


def _district_rows(nuts1_of: dict[str, str]) -> list[dict]:
    rows = []
    for d in districts():
        same_name = next(
            (
                m["municipality_en"]
                for m in municipalities()
                if m["nuts3"] == d["nuts3"] and m["municipality_bg"] == d["district_bg"]
            ),
            None,
        )
        name_en = {"BG411": "Sofia (capital)", "BG412": "Sofia"}.get(d["nuts3"], same_name)
        rows.append(
            {
                "code": d["nuts3"],
                "level": "district",
                "name_bg": d["district_bg"],
                "name_en": name_en,
                "parent_code": d["region_nuts2"],
                "nuts1": nuts1_of[d["region_nuts2"]],
                "nuts2": d["region_nuts2"],
                "nuts3": d["nuts3"],
            }
        )
    return rows


def _municipality_rows(nuts1_of: dict[str, str]) -> list[dict]:
    region_of = {d["nuts3"]: d["region_nuts2"] for d in districts()}
    rows = []
    for m in municipalities():
        nuts2 = region_of[m["nuts3"]]
        rows.append(
            {
                "code": m["lau_code"],
                "level": "municipality",
                "name_bg": m["municipality_bg"],
                "name_en": m["municipality_en"],
                "parent_code": m["nuts3"],
                "nuts1": nuts1_of[nuts2],
                "nuts2": nuts2,
                "nuts3": m["nuts3"],
                "centre_bg": m["centre_bg"],
                "centre_ekatte": m["centre_ekatte"],
            }
        )
    return rows


def places_table() -> pd.DataFrame:
    """The gazetteer as one table (`places`): NUTS 1 areas, regions, districts, municipalities."""
    import pandas as pd

    nuts1_of = {r["nuts2"]: r["nuts1"] for r in regions()}
    rows = _nuts1_and_region_rows() + _district_rows(nuts1_of) + _municipality_rows(nuts1_of)
    columns = [
        "code",
        "level",
        "name_bg",
        "name_en",
        "parent_code",
        "nuts1",
        "nuts2",
        "nuts3",
        "centre_bg",
        "centre_ekatte",
    ]
    return pd.DataFrame(rows, columns=columns)
