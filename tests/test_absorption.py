"""Absorption views on the sample warehouse: exact sums and rates."""

from decimal import Decimal

import duckdb

from transforms.isun_location import isun_location_places


def test_isun_location_string_gives_its_places():
    places = isun_location_places(
        "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), Левски, гр.Левски")
    assert [(p["level"], p["code"], p["name"]) for p in places] == [
        ("country", "BG", "България"), ("nuts1", "BG3", "Северна и Югоизточна България"),
        ("region", "BG31", "Северозападен"), ("district", "BG314", "Плевен"),
        ("municipality", "BG314:Левски", "Левски"), ("settlement", None, "гр. Левски")]
    assert [p["level"] for p in isun_location_places("Черно море, крайбрежие")] == ["unresolved", "unresolved"]


def test_absorption_by_programme_and_district(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    row = con.execute("SELECT projects, contracted_eur, paid_eur, payment_rate, over_reported_activities"
                      " FROM absorption_by_programme WHERE programme_code = 'BG05SFOP001'").fetchone()
    # 37 279.52 BGN + 88 840.80 BGN contracted; 36 777.72 + 86 112.40 BGN paid.
    assert row[:3] == (2, Decimal("19060.72") + Decimal("45423.58"), Decimal("18804.15") + Decimal("44028.57"))
    assert row[3] == round(62832.72 / 64484.30, 4) and row[4] == 1
    district = con.execute("SELECT district_name, contracted_eur, reported_eur, execution_rate"
                           " FROM absorption_by_district WHERE district_code = 'BG314'").fetchone()
    assert district[:3] == ("Плевен", Decimal("1113000.00"), Decimal("276654.51"))
    assert district[3] == round(276654.51 / 1113000, 4)
    municipalities = dict(con.execute("SELECT municipality_name, projects FROM absorption_by_municipality").fetchall())
    assert municipalities == {"Левски": 1, "Белоградчик": 1, "Стамболово": 1}
    # The seed-000 contract says only "България": counted nowhere by district, kept in project_places.
    assert con.execute("SELECT level FROM project_places p JOIN projects USING (project_code)"
                       " WHERE isun_contract_id = '4711'").fetchall() == [("country",)]
