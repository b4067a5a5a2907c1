"""Places in documents and the published gazetteer: resolved to codes, the rest reported."""

import duckdb

from sources.extract import extract
from tests.conftest import FIXTURES, SEEDS
from transforms.extracted_tables import document_places
from transforms.gazetteer import places_table


def test_seed_002_names_vidin_district_and_its_eleven_municipalities_with_codes():
    record = extract((SEEDS / "002_403cd6a6e79c0046.txt").read_text(encoding="utf-8"), "auto")
    places = document_places(record)
    assert places[0] | {} == {
        "level": "district",
        "code": "BG311",
        "name": "Видин",
        "nuts3": "BG311",
        "lau_code": None,
        "text": "област Видин",
    }
    municipalities = [(p["code"], p["name"]) for p in places if p["level"] == "municipality"]
    assert len(municipalities) == 11 and {p["nuts3"] for p in places} == {"BG311"}
    assert ("VID09", "Видин") in municipalities and ("VID30", "Ново село") in municipalities


def test_counted_but_unnamed_and_unknown_places_are_reported_not_dropped():
    page = (
        FIXTURES / "pages" / "ngo-project" / "07.txt"
    )  # "Териториален обхват четири общини в Северозапада"
    record = extract(page.read_text(encoding="utf-8"), "auto")
    assert [(p["level"], p["text"]) for p in document_places(record)] == [
        ("unresolved", "четири общини")
    ]
    odd = document_places(
        {"kind": "municipal-news", "municipalities": ["Марсово", "Стамболово"], "flags": []}
    )
    assert [(p["level"], p["code"], p["text"]) for p in odd] == [
        ("unresolved", None, "Марсово"),
        ("municipality", "HKV30", "Стамболово"),
    ]


def test_published_gazetteer_and_document_places(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    assert dict(con.execute("SELECT level, count(*) FROM places GROUP BY 1").fetchall()) == {
        "nuts1": 2,
        "region": 6,
        "district": 28,
        "municipality": 265,
    }
    assert con.execute(
        "SELECT name_bg, parent_code, centre_ekatte FROM places WHERE code = 'VID09'"
    ).fetchone() == ("Видин", "BG311", "10971")
    # Every resolved place in the published tables is in the gazetteer.
    for table in ("project_places", "document_places"):
        assert (
            con.execute(
                f"SELECT count(*) FROM {table} t ANTI JOIN places p ON t.code = p.code"
                " WHERE t.level IN ('region', 'district', 'municipality')"
            ).fetchone()[0]
            == 0
        )
    assert (
        con.execute(
            "SELECT count(*) FROM document_places WHERE nuts3 = 'BG311' AND level = 'municipality'"
        ).fetchone()[0]
        == 11
    )
    assert len(places_table()) == 301
