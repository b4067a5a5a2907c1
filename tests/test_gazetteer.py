"""The gazetteer's reference tables (transforms/data) and the place resolver."""

import collections
import csv
from pathlib import Path

import pytest

from transforms import gazetteer
from transforms.gazetteer import (
    district_municipalities,
    municipality_by_name,
    normalise_place_name,
    resolve_place,
)

DATA = Path(gazetteer.__file__).parent / "data"

COUNTS = {
    "Благоевград": 14,
    "Бургас": 13,
    "Варна": 12,
    "Велико Търново": 10,
    "Видин": 11,
    "Враца": 10,
    "Габрово": 4,
    "Добрич": 8,
    "Кърджали": 7,
    "Кюстендил": 9,
    "Ловеч": 8,
    "Монтана": 11,
    "Пазарджик": 12,
    "Перник": 6,
    "Плевен": 11,
    "Пловдив": 18,
    "Разград": 7,
    "Русе": 8,
    "Силистра": 7,
    "Сливен": 4,
    "Смолян": 10,
    "София (столица)": 1,
    "София": 22,
    "Стара Загора": 11,
    "Търговище": 5,
    "Хасково": 11,
    "Шумен": 10,
    "Ямбол": 5,
}


def rows(name):
    with open(DATA / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- tables


def test_table_sizes():
    assert len(rows("regions.csv")) == 6
    assert len(rows("districts.csv")) == 28
    assert len(rows("municipalities.csv")) == 265
    assert len(gazetteer.municipalities()) == 265


def test_municipality_columns_keep_the_names_existing_code_reads():
    with open(DATA / "municipalities.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == [
        "nuts3",
        "municipality_bg",
        "municipality_en",
        "lau_code",
        "centre_bg",
        "centre_ekatte",
    ]


def test_regions_and_nuts1():
    regions = {r["nuts2"]: r for r in rows("regions.csv")}
    assert list(regions) == ["BG31", "BG32", "BG33", "BG34", "BG41", "BG42"]
    assert regions["BG31"]["region_bg"] == "Северозападен"
    assert regions["BG42"]["region_bg"] == "Южен централен"
    assert {r["nuts1"] for r in regions.values() if r["nuts2"].startswith("BG3")} == {"BG3"}
    assert {r["nuts1"] for r in regions.values() if r["nuts2"].startswith("BG4")} == {"BG4"}
    assert regions["BG31"]["nuts1_bg"] == "Северна и Югоизточна България"
    assert regions["BG41"]["nuts1_bg"] == "Югозападна и Южна централна България"
    # districts.csv agrees with regions.csv
    for d in rows("districts.csv"):
        assert regions[d["region_nuts2"]]["region_bg"] == d["region_bg"]
        assert d["nuts3"].startswith(d["region_nuts2"])


def test_municipalities_per_district():
    names = {d["nuts3"]: d["district_bg"] for d in rows("districts.csv")}
    counts = collections.Counter(names[m["nuts3"]] for m in rows("municipalities.csv"))
    assert counts == COUNTS
    for nuts3, name in names.items():
        assert len(district_municipalities(nuts3)) == COUNTS[name]


def test_every_municipality_is_in_a_known_district_and_its_lau_prefix_matches():
    nuts3s = {d["nuts3"] for d in rows("districts.csv")}
    prefix_to_nuts3 = collections.defaultdict(set)
    for m in rows("municipalities.csv"):
        assert m["nuts3"] in nuts3s
        prefix_to_nuts3[m["lau_code"][:3]].add(m["nuts3"])
    assert len(prefix_to_nuts3) == 28
    assert all(len(v) == 1 for v in prefix_to_nuts3.values())
    assert len({next(iter(v)) for v in prefix_to_nuts3.values()}) == 28


def test_codes_are_well_formed_and_lau_codes_unique():
    ms = rows("municipalities.csv")
    lau = [m["lau_code"] for m in ms]
    assert len(set(lau)) == 265
    for m in ms:
        assert (
            len(m["lau_code"]) == 5 and m["lau_code"][:3].isupper() and m["lau_code"][3:].isdigit()
        )
        assert len(m["centre_ekatte"]) == 5 and m["centre_ekatte"].isdigit()
        assert m["municipality_en"].isascii() and m["municipality_en"][0].isupper()
    assert len({(m["nuts3"], m["municipality_bg"]) for m in ms}) == 265


def test_centre_ekatte_unique_except_centres_outside_their_municipality():
    # Ek_obst gives the town that hosts the administration: four rural municipalities are run from
    # a city that is a municipality of its own, so their centre_ekatte repeats the city's.
    by_ekatte = collections.defaultdict(set)
    for m in rows("municipalities.csv"):
        by_ekatte[m["centre_ekatte"]].add(m["lau_code"])
    shared = {e: codes for e, codes in by_ekatte.items() if len(codes) > 1}
    assert shared == {
        "72624": {"DOB28", "DOB15"},
        "56784": {"PDV22", "PDV17", "PDV26"},
        "87374": {"JAM26", "JAM25"},
    }
    assert len(by_ekatte) == 265 - 4


@pytest.mark.parametrize(
    "lau, name, nuts3, centre, ekatte, en",
    [
        ("VID09", "Видин", "BG311", "Видин", "10971", "Vidin"),
        ("SOF46", "Столична", "BG411", "София", "68134", "Stolichna"),
        ("BLG03", "Благоевград", "BG413", "Благоевград", "04279", "Blagoevgrad"),
        ("PDV22", "Пловдив", "BG421", "Пловдив", "56784", "Plovdiv"),
        ("VAR06", "Варна", "BG331", "Варна", "10135", "Varna"),
        ("PVN16", "Левски", "BG314", "Левски", "43236", "Levski"),
        ("HKV30", "Стамболово", "BG422", "Стамболово", "68727", "Stambolovo"),
        ("PAZ39", "Сърница", "BG423", "Сърница", "70648", "Sarnitsa"),
        ("PDV41", "Стамболийски", "BG421", "Стамболийски", "51980", "Stamboliyski"),
        ("DOB28", "Добрич", "BG332", "Добрич", "72624", "Dobrich"),
        ("DOB15", "Добричка", "BG332", "Добрич", "72624", "Dobrichka"),
        ("JAM25", "Тунджа", "BG343", "Ямбол", "87374", "Tundzha"),
        ("PDV17", "Марица", "BG421", "Пловдив", "56784", "Maritsa"),
        ("SHU11", "Хитрино", "BG333", "Хитрино", "14516", "Hitrino"),
        ("VID06", "Брегово", "BG311", "Брегово", "06224", "Bregovo"),
    ],
)
def test_known_rows(lau, name, nuts3, centre, ekatte, en):
    row = {m["lau_code"]: m for m in rows("municipalities.csv")}[lau]
    assert row == {
        "nuts3": nuts3,
        "municipality_bg": name,
        "municipality_en": en,
        "lau_code": lau,
        "centre_bg": centre,
        "centre_ekatte": ekatte,
    }


def test_special_names_are_present():
    def names(nuts3):
        return {m["municipality_bg"] for m in district_municipalities(nuts3)}

    assert {"Добрич", "Добричка"} <= names("BG332")
    assert {"Ямбол", "Тунджа"} <= names("BG343")
    assert {"Аврен", "Аксаково", "Варна"} <= names("BG331")
    assert {"Марица", "Родопи", "Пловдив"} <= names("BG421")
    assert "Велико Търново" in names("BG321")
    assert {"Каолиново", "Никола Козлево", "Хитрино"} <= names("BG333")
    assert names("BG411") == {"Столична"}
    assert "Сърница" in names("BG423")


def test_vidin_list_is_unchanged_for_existing_readers():
    assert sorted(m["municipality_bg"] for m in district_municipalities("BG311")) == [
        "Белоградчик",
        "Бойница",
        "Брегово",
        "Видин",
        "Грамада",
        "Димово",
        "Кула",
        "Макреш",
        "Ново село",
        "Ружинци",
        "Чупрене",
    ]


# --------------------------------------------------------------------------- lookups


def test_district_municipalities_returns_copies_and_handles_unknown_codes():
    first = district_municipalities("bg311")
    first[0]["municipality_bg"] = "changed"
    assert district_municipalities("BG311")[0]["municipality_bg"] == "Белоградчик"
    assert district_municipalities("BG999") == []
    assert district_municipalities(None) == []


def test_municipality_by_name():
    assert municipality_by_name("Брегово")["lau_code"] == "VID06"
    assert municipality_by_name("община Брегово")["lau_code"] == "VID06"
    assert municipality_by_name("Добрич-град")["lau_code"] == "DOB28"  # ИСУН's spelling
    assert municipality_by_name("Бяла") is None  # Русе and Варна each have one
    assert municipality_by_name("Бяла", "BG323")["lau_code"] == "RSE04"
    assert municipality_by_name("Бяла", "BG331")["lau_code"] == "VAR05"
    assert municipality_by_name("Брегово", "BG314") is None
    assert municipality_by_name("Атлантида") is None


# --------------------------------------------------------------------------- normalising


@pytest.mark.parametrize(
    "text, expected",
    [
        ("община Брегово", "брегово"),
        ("Община Брегово", "брегово"),
        ("общ.Брегово", "брегово"),
        ("Столична община", "столична"),
        ("област Видин", "видин"),
        ("обл. Видин", "видин"),
        ("Видинска област", "видин"),
        ("Видинската област", "видин"),
        ("Пловдивска", "пловдив"),
        ("Софийска област", "софия"),
        ("Старозагорска област", "стара загора"),
        ("Великотърновска област", "велико търново"),
        ("Кърджалийска област", "кърджали"),
        ("Пазарджишка област", "пазарджик"),
        ("Пернишка област", "перник"),
        ("Ловешка област", "ловеч"),
        ("Търговищка област", "търговище"),
        ("Добричка", "добричка"),
        ("Добричка област", "добрич"),
        ("Столична", "столична"),
        ("гр.Левски", "левски"),
        ("гр. Левски", "левски"),
        ("град Левски", "левски"),
        ("с. Ново село", "ново село"),
        ("село Ново село", "ново село"),
        ("Ново село", "ново село"),
        ("\u00a0община\u00a0\u00a0„Брегово“ ", "брегово"),
        ('"Видин"', "видин"),
        ("Плевен (BG314)", "плевен"),
        ("София (столица) (BG411)", "софия (столица)"),
        ("София - град", "софия-град"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_place_name(text, expected):
    assert normalise_place_name(text) == expected


# --------------------------------------------------------------------------- resolving


def pick(result, *keys):
    return tuple(result[k] for k in keys)


def test_result_shape():
    r = resolve_place("община Брегово")
    assert set(r) >= {
        "level",
        "nuts2",
        "nuts3",
        "lau_code",
        "ekatte",
        "name_bg",
        "text",
        "ambiguous",
    }
    assert r["text"] == "община Брегово"


@pytest.mark.parametrize("text", ["област Видин", "Видинска област", "обл. Видин", "Видин (BG311)"])
def test_district_forms(text):
    r = resolve_place(text)
    assert pick(r, "level", "nuts2", "nuts3", "lau_code", "name_bg", "ambiguous") == (
        "district",
        "BG31",
        "BG311",
        None,
        "Видин",
        False,
    )


def test_bare_name_shared_by_district_and_municipality_is_the_municipality_flagged_ambiguous():
    r = resolve_place("Видин")
    assert pick(r, "level", "nuts3", "lau_code", "ambiguous") == (
        "municipality",
        "BG311",
        "VID09",
        True,
    )
    assert pick(resolve_place("Видин", "district"), "level", "nuts3") == ("district", "BG311")
    assert pick(resolve_place("Видин", "municipality"), "level", "lau_code", "ambiguous") == (
        "municipality",
        "VID09",
        False,
    )


def test_municipality_forms():
    assert pick(
        resolve_place("община Брегово"),
        "level",
        "nuts2",
        "nuts3",
        "lau_code",
        "name_bg",
        "ambiguous",
    ) == ("municipality", "BG31", "BG311", "VID06", "Брегово", False)
    assert pick(resolve_place("Левски"), "level", "lau_code", "ambiguous") == (
        "municipality",
        "PVN16",
        False,
    )
    assert pick(resolve_place("Столична община"), "level", "nuts3", "lau_code") == (
        "municipality",
        "BG411",
        "SOF46",
    )
    assert pick(resolve_place("Столична"), "level", "lau_code", "ambiguous") == (
        "municipality",
        "SOF46",
        False,
    )
    assert pick(resolve_place("Добричка"), "level", "lau_code", "ambiguous") == (
        "municipality",
        "DOB15",
        False,
    )
    assert pick(resolve_place("Добрич"), "level", "lau_code", "ambiguous") == (
        "municipality",
        "DOB28",
        True,
    )
    assert resolve_place("PVN16")["lau_code"] == "PVN16"


def test_sofia_forms():
    assert pick(resolve_place("Софийска област"), "level", "nuts3") == ("district", "BG412")
    assert pick(resolve_place("София (BG412)"), "level", "nuts3", "ambiguous") == (
        "district",
        "BG412",
        False,
    )
    assert pick(resolve_place("София (столица) (BG411)"), "level", "nuts3") == ("district", "BG411")
    assert pick(resolve_place("София-град"), "level", "nuts3") == ("district", "BG411")
    assert pick(resolve_place("област София"), "level", "nuts3") == ("district", "BG412")
    # bare "София" is district BG412 by name, but also the capital city
    assert pick(resolve_place("София"), "level", "nuts3", "ambiguous") == (
        "district",
        "BG412",
        True,
    )
    assert pick(resolve_place("гр. София"), "level", "lau_code", "ekatte") == (
        "settlement",
        "SOF46",
        "68134",
    )


def test_other_districts_by_adjective():
    assert resolve_place("Добричка област")["nuts3"] == "BG332"
    assert resolve_place("Пловдивска област")["nuts3"] == "BG421"
    assert resolve_place("Старозагорска област")["nuts3"] == "BG344"
    assert resolve_place("Хасковска област")["nuts3"] == "BG422"
    assert resolve_place("Ямболска област")["nuts3"] == "BG343"


@pytest.mark.parametrize("text", ["гр.Левски", "гр. Левски", "град Левски"])
def test_town_resolves_to_the_municipality_it_is_the_centre_of(text):
    r = resolve_place(text)
    assert pick(r, "level", "nuts2", "nuts3", "lau_code", "ekatte", "name_bg", "ambiguous") == (
        "settlement",
        "BG31",
        "BG314",
        "PVN16",
        "43236",
        "Левски",
        False,
    )


def test_city_that_hosts_several_municipalities_belongs_to_its_own():
    assert pick(resolve_place("гр. Пловдив"), "lau_code", "ekatte") == ("PDV22", "56784")
    assert pick(resolve_place("гр. Добрич"), "lau_code", "ekatte") == ("DOB28", "72624")
    assert pick(resolve_place("гр. Ямбол"), "lau_code", "ekatte") == ("JAM26", "87374")


def test_village_needs_context():
    r = resolve_place(
        "с. Ново село"
    )  # many villages have this name; only one is a municipal centre
    assert pick(r, "level", "lau_code", "ekatte", "nuts3", "name_bg", "ambiguous") == (
        "settlement",
        None,
        None,
        None,
        "Ново село",
        True,
    )
    r = resolve_place("с. Ново село (общ. Ново село)")
    assert pick(r, "level", "lau_code", "ekatte") == ("settlement", "VID30", "52180")
    assert resolve_place("с. Ново село", nuts3="BG311")["ekatte"] == "52180"


def test_settlement_that_is_not_a_centre_keeps_its_name_and_no_codes():
    r = resolve_place("гр. Баня")
    assert pick(r, "level", "lau_code", "ekatte", "name_bg", "ambiguous") == (
        "settlement",
        None,
        None,
        "Баня",
        False,
    )
    r = resolve_place("с.Абланица (общ.Хаджидимово)")  # ИСУН's settlement display name
    assert pick(r, "level", "nuts3", "lau_code", "ekatte", "name_bg") == (
        "settlement",
        "BG413",
        "BLG52",
        None,
        "Абланица",
    )


def test_municipality_names_shared_between_districts():
    r = resolve_place("Бяла")
    assert pick(r, "level", "lau_code", "nuts3", "ambiguous") == ("municipality", None, None, True)
    assert r["candidates"] == ["RSE04", "VAR05"]
    assert pick(resolve_place("Бяла (обл.Русе)"), "lau_code", "ambiguous") == ("RSE04", False)
    assert resolve_place("Бяла", nuts3="BG331")["lau_code"] == "VAR05"


def test_isun_location_parts():
    parts = [
        "България",
        "Северна и Югоизточна България (BG3)",
        "Северозападен (BG31)",
        "Плевен (BG314)",
        "Левски",
        "гр.Левски",
    ]
    got = [pick(resolve_place(p), "level", "nuts2", "nuts3", "lau_code", "ekatte") for p in parts]
    assert got == [
        ("country", None, None, None, None),
        ("nuts1", None, None, None, None),
        ("region", "BG31", None, None, None),
        ("district", "BG31", "BG314", None, None),
        ("municipality", "BG31", "BG314", "PVN16", None),
        ("settlement", "BG31", "BG314", "PVN16", "43236"),
    ]
    assert resolve_place("Югозападна и южно-централна България")["nuts1"] == "BG4"
    assert resolve_place("Северозападен район")["nuts2"] == "BG31"


@pytest.mark.parametrize(
    "text",
    [
        "Марсианска област",
        "община Атлантида",
        "Атлантида",
        "",
        "   ",
        None,
        42,
        "област",
        "(BG999)",
        "BGZZZ",
        "гр.",
        "с. ",
        "\u00a0",
    ],
)
def test_unresolvable_text_never_raises(text):
    r = resolve_place(text)
    assert r["level"] in {"unresolved", "settlement"}
    assert r["lau_code"] is None and r["nuts3"] is None and r["ekatte"] is None


def test_marsian_district_is_unresolved():
    assert resolve_place("Марсианска област")["level"] == "unresolved"


def test_bad_level_hint_is_a_programming_error():
    with pytest.raises(ValueError):
        resolve_place("Видин", "oblast")
