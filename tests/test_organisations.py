import pytest

from transforms.organisations import is_valid_eik, parse_organisation


@pytest.mark.parametrize(
    ("text", "name", "form", "town"),
    [
        (
            "Сдружение „Съюз за възстановяване и развитие” – гр. Хасково",
            "Съюз за възстановяване и развитие",
            "сдружение",
            "Хасково",
        ),  # seed 001
        ("Община Стамболово", "Стамболово", "община", None),
        ("Фондация „Гражданска инициатива“", "Гражданска инициатива", "фондация", None),
        ("„Екопроект“ ЕООД", "Екопроект", "ЕООД", None),
        ("Народно читалище „Просвета-1900“, гр. Левски", "Просвета-1900", "читалище", "Левски"),
        ("БУЛСТРОЙ ООД", "БУЛСТРОЙ", "ООД", None),
        ("Областна администрация Видин", "Видин", "областна администрация", None),
    ],
)
def test_legal_form_name_and_town(text, name, form, town):
    org = parse_organisation(text)
    assert (org.name, org.legal_form, org.town) == (name, form, town)


def test_same_organisation_written_two_ways_gets_one_id():
    a = parse_organisation("Сдружение „Съюз за възстановяване и развитие” – гр. Хасково")
    b = parse_organisation('сдружение "Съюз за възстановяване и развитие", гр. Хасково')
    c = parse_organisation("Сдружение „Съюз за възстановяване и развитие” – гр. Видин")
    assert a.organisation_id == b.organisation_id != c.organisation_id


def test_eik_checksum():
    assert is_valid_eik("831641791")  # check digit from weights 1..8
    assert not is_valid_eik("831641792")
    assert not is_valid_eik("12345")
    org = parse_organisation("Община Левски", eik="831641791")
    assert org.organisation_id == "eik:831641791" and org.eik == "831641791"
    bad = parse_organisation("Община Левски", eik="000413873")
    assert (
        bad.eik is None
        and bad.flags == ("eik_checksum_invalid",)
        and bad.organisation_id.startswith("org:")
    )
