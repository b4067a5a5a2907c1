"""ИСУН pages (rendered from the site's templates) to typed rows, and every way a contract goes to quarantine."""

from decimal import Decimal as D

import pandas as pd
import pytest

from bench.isun_render import Participant, contract_url, render_print, render_tab
from bench.isun_sample import cyrillic_code_contract, euro_contract, stambolovo_contract
from sources.isun import parse_isun_html
from sources.raw_archive import RawResponse
from transforms.isun import build_isun_tables, months_between, split_uin

BASE = "https://2020.eufunds.bg"


def _tables(contract, pages=("PrintProject", "BasicData", "Participants"), edit=None):
    parsed = []
    for i, tab in enumerate(pages):
        html = render_print(contract) if tab == "PrintProject" else render_tab(contract, tab)
        for old, new in (edit or {}).get(tab, []):
            html = html.replace(old, new)
        url = contract_url(contract, tab, BASE)
        raw = RawResponse(
            url=url,
            fetched_at=f"2026-03-02T03:10:0{i}Z",
            status=200,
            sha256=f"{i:064d}",
            content_type="text/html; charset=utf-8",
            bytes=len(html),
        )
        parsed.append((parse_isun_html(html, url), raw))
    return build_isun_tables(parsed)


def test_stambolovo_contract_every_field():
    t = _tables(stambolovo_contract())
    p = t.projects.iloc[0]
    assert (p.project_code, p.proposal_code, p.procedure_code, p.programme_code) == (
        "BG05SFOP001-2.009-0010-C01",
        "BG05SFOP001-2.009-0010",
        "BG05SFOP001-2.009",
        "BG05SFOP001",
    )
    assert p.procedure_name.startswith("Подобряване на гражданското участие")
    assert (p.funds, p.programme_name) == ("ЕСФ", "Оперативна програма „Добро управление“")
    assert (p.beneficiary_uin, p.beneficiary_eik, p.beneficiary_name) == (
        "126574932",
        "126574932",
        "Сдружение „Съюз за възстановяване и развитие“",
    )
    assert (str(p.start_date), str(p.end_date), p.duration_months) == (
        "2019-01-18",
        "2020-07-18",
        18,
    )
    assert (
        p.amount_total,
        p.amount_grant,
        p.eu_cofinancing_percent,
        p.amount_eu,
        p.amount_national,
    ) == (88840.80, 88840.80, 85.0, 75514.68, 13326.12)
    assert (p.currency_original, p.amount_total_eur, p.activities_count) == ("BGN", 45423.58, 10)
    assert p.location.endswith("Хасково (BG422), Стамболово")
    partner = t.project_organisations.query("role == 'partner'").iloc[0]
    assert (
        partner.organisation_id,
        partner.name_as_published,
        partner.amount_contracted,
        partner.amount_reported,
    ) == ("eik:000903049", "Община Стамболово", 8000.0, 7850.0)
    assert t.quarantine.empty


def test_eur_contract_keeps_eur_and_derives_bgn():
    p = _tables(euro_contract(), pages=("PrintProject",)).projects.iloc[0]
    assert (p.currency_original, p.amount_total, p.amount_total_eur, p.amount_total_bgn) == (
        "EUR",
        1113000.0,
        1113000.0,
        2176838.79,
    )
    assert (p.amount_paid_eur, p.amount_paid_bgn) == (222600.0, 435367.76)
    # PrintProject prints no procedure name: read only from BasicData.
    assert pd.isna(p.procedure_name) and p.procedure_code == "BG16FFPR003-1.001"


def test_natural_person_is_kept_without_a_name_and_print_alone_cannot_tell():
    t = _tables(cyrillic_code_contract())
    partners = t.project_organisations.query("role == 'partner'").sort_values("organisation_id")
    assert list(partners.is_natural_person) == [False, True]
    person = partners[partners.is_natural_person].iloc[0]
    assert person.organisation_id.startswith("person:") and pd.isna(person.name_as_published)
    assert pd.isna(person.eik) and person.amount_contracted == 2400.0
    print_only = _tables(cyrillic_code_contract(), pages=("PrintProject",)).project_organisations
    assert print_only.query("role == 'partner'").is_natural_person.isna().all()


def test_beneficiary_identifier_with_a_bad_check_digit_is_kept_but_not_as_eik():
    c = stambolovo_contract()
    c.beneficiary_uin = "126574933"
    p = _tables(c).projects.iloc[0]
    assert p.beneficiary_uin == "126574933" and pd.isna(p.beneficiary_eik)
    assert split_uin("Иван") == (None, "Иван") and split_uin("BG123 Foreign Ltd") == (
        "BG123",
        "Foreign Ltd",
    )


def test_none_means_none():
    c = stambolovo_contract()
    c.places, c.partners = [], []
    t = _tables(c)
    assert pd.isna(t.projects.iloc[0].location)
    assert list(t.project_organisations.role) == ["beneficiary"]


def test_months_between_follows_isun():
    from datetime import date

    assert months_between(date(2019, 1, 18), date(2020, 7, 18)) == 18
    assert months_between(date(2019, 1, 18), date(2020, 7, 19)) == 19
    assert months_between(date(2026, 2, 1), date(2027, 7, 31)) == 18


NOTE = "Всички суми са в български лева (BGN) /1 EUR = 1,95583 BGN"


@pytest.mark.parametrize(
    "edit,rule,field",
    [
        # the note says BGN, the amounts say EUR
        (
            {"PrintProject": [("</span> BGN", "</span> EUR")]},
            "currency_conflict",
            "currency_original",
        ),
        # no note and no suffix anywhere
        (
            {
                tab: [("</span> BGN", "</span>"), (NOTE, "")]
                for tab in ("PrintProject", "BasicData", "Participants")
            },
            "currency_missing",
            "currency_original",
        ),
        (
            {"PrintProject": [("BG05SFOP001-2.009-0010-C01", "BG05SFOP001-2.009-0011-C01")]},
            "contract_code_conflict",
            "project_code",
        ),
        (
            {
                "PrintProject": [("BG05SFOP001-2.009-0010-C01", "BG05SFOP001-2.009")],
                "BasicData": [("BG05SFOP001-2.009-0010-C01", "BG05SFOP001-2.009")],
            },
            "project_code_invalid",
            "project_code",
        ),
        ({"BasicData": [("18.01.2019", "18.13.2019")]}, "date_unparseable", "start_date"),
        (
            {"BasicData": [("BG05SFOP001-2.009 Подобряване", "BG05SFOP001-2.010 Подобряване")]},
            "procedure_code_conflict",
            "procedure_code",
        ),
        (
            {"PrintProject": [("88 840.80</span> BGN", "-88 840.80</span> BGN")]},
            "amount_not_negative",  # the registry's name for the rule
            "amount_total",
        ),
        (
            {"PrintProject": [("85.00</span> %", "185.00</span> %")]},
            "percent_in_range",
            "eu_cofinancing_percent",
        ),
    ],
)
def test_each_rule_quarantines_the_contract_with_field_and_value(edit, rule, field):
    t = _tables(stambolovo_contract(), edit=edit)
    assert t.projects.empty
    q = t.quarantine.iloc[0]
    assert (q.table_name, q.rule, q.field) == ("projects", rule, field)
    assert q.message and q.source_url.startswith(BASE)


@pytest.mark.parametrize(
    "edit,rule,field",
    [
        # the project's name is printed nowhere (its label changed on every page)
        (
            {
                tab: [("Наименование на проекта", "Име на проекта")]
                for tab in ("PrintProject", "BasicData")
            },
            "required_field_missing",
            "project_name",
        ),
        (
            {"PrintProject": [("85.00</span> %", "1.234</span> %")]},
            "percent_unparseable",
            "eu_cofinancing_percent",
        ),
    ],
)
def test_more_rules_quarantine_the_contract_with_field_and_value(edit, rule, field):
    t = _tables(stambolovo_contract(), edit=edit)
    assert t.projects.empty
    q = t.quarantine.iloc[0]
    assert (q.table_name, q.rule, q.field) == ("projects", rule, field)


def test_a_contract_whose_pages_carry_no_code_is_quarantined_not_guessed():
    # only the Participants tab was archived: it prints no 'Номер от ИСУН'
    t = _tables(stambolovo_contract(), pages=("Participants",))
    assert t.projects.empty
    q = t.quarantine.iloc[0]
    assert (q.table_name, q.rule, q.field) == ("projects", "project_code_missing", "project_code")
    assert "no 'Номер от ИСУН'" in q.message


def test_a_bad_participant_amount_quarantines_that_row_only():
    c = stambolovo_contract()
    c.partners = [Participant("Община Стамболово", "000903049", D("8000"), D("7850"))]
    t = _tables(c, edit={"Participants": [("8 000.00", "8 OOO.00")]})
    assert len(t.projects) == 1
    q = t.quarantine.iloc[0]
    assert (q.table_name, q.rule, q.field, q.value) == (
        "project_organisations",
        "amount_unparseable",
        "amount_contracted",
        "8 OOO.00",
    )
