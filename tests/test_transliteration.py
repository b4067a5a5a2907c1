"""Bulgarian Cyrillic -> Latin by the official streamlined system, as the search uses it."""

import csv
from pathlib import Path

import pytest

from shared.transliteration import to_latin

MUNICIPALITIES = Path(__file__).resolve().parents[1] / "transforms" / "data" / "municipalities.csv"


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        # names whose Latin form the law's own examples and official usage give
        ("София", "Sofia"),  # -ия at the end of a word: ia
        ("Стамболово", "Stambolovo"),
        ("Пазарджик", "Pazardzhik"),
        ("Кърджали", "Kardzhali"),  # ъ: a
        ("Търговище", "Targovishte"),  # щ: sht
        ("Смолян", "Smolyan"),
        ("Враца", "Vratsa"),
        ("Юндола", "Yundola"),
        ("Община Стамболово", "Obshtina Stambolovo"),
        ("ЖЕРАВНА", "ZHERAVNA"),  # a word in capitals stays in capitals
        ("BG05SFOP001-2.009-0010", "BG05SFOP001-2.009-0010"),
    ],
)
def test_the_streamlined_system(cyrillic, latin):
    assert to_latin(cyrillic) == latin


def test_every_municipality_name_matches_the_gazetteers_latin_name():
    """The gazetteer's English names (the same system, spot-checked against ИСУН's own) for all 265."""
    rows = list(csv.DictReader(MUNICIPALITIES.open(encoding="utf-8")))
    assert len(rows) == 265
    assert [to_latin(r["municipality_bg"]).lower() for r in rows] == [
        r["municipality_en"].lower() for r in rows
    ]
