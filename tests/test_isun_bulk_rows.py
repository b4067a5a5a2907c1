"""Open-data API rows that cannot be read: a clear BulkRowError naming source, field and value,
which `stage_bulk_tables` turns into a quarantine row (rule `bulk_row_unreadable`)."""

import json

import pytest

from records.raw import RawResponse
from tests.isun_bulk_fixtures import demo_answers
from transforms.isun_bulk import (
    BulkRowError,
    api_contract_row,
    api_project_row,
    bulk_quarantine_row,
    entity_row,
)

SOURCE = "https://2020.eufunds.bg/api/OpenData/Projects?programmeId=8010510&periodId=1"
PROVENANCE = {"source_url": SOURCE, "fetched_at": None, "content_sha256": "s"}
PROGRAMME = {"programme_id": "8010510", "period_id": "1"}


@pytest.fixture(scope="module")
def answer():
    answer = json.loads(demo_answers()[("8010510", "1")])
    entities = {e["entityId"]: entity_row(e, PROVENANCE) for e in answer["entities"]}
    return answer, entities


def _project_row(project: dict, entities: dict) -> dict:
    return api_project_row(project, PROGRAMME, entities, "EUR", "generatedAt", PROVENANCE)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("id", "BG06RDNP001-7.021", "field projects[].id is 'BG06RDNP001-7.021': a procedure code"),
        ("id", "BG06-NOT-A-CODE", "field projects[].id is 'BG06-NOT-A-CODE': not a project code"),
        ("initialDate", "2019-13-01T00:00:00", "projects[].initialDate is '2019-13-01T00:00:00'"),
        ("endDate", "31.02.2021", "field projects[].endDate is '31.02.2021': not a date"),
        ("totalValue", "1.234", "field totalValue is '1.234': not an amount"),
    ],
)
def test_an_unreadable_project_value_names_source_field_and_value(answer, field, value, message):
    projects, entities = answer[0]["projects"], answer[1]
    project = {**next(p for p in projects if p["id"] == "BG06RDNP001-7.021-0016"), field: value}
    with pytest.raises(BulkRowError, match=message.replace("[", r"\[").replace("]", r"\]")) as exc:
        _project_row(project, entities)
    assert str(exc.value).startswith(SOURCE)


def test_an_unreadable_contract_date_is_a_bulk_row_error():
    answer = json.loads(demo_answers()[("4", "1")])
    entities = {e["entityId"]: entity_row(e, PROVENANCE) for e in answer["entities"]}
    assert api_contract_row(answer["contracts"][0], entities, "EUR", PROVENANCE)["signature_date"]
    contract = {**answer["contracts"][0], "signatureDate": "2019-02-30T00:00:00"}
    with pytest.raises(BulkRowError, match=r"contracts\[\]\.signatureDate"):
        api_contract_row(contract, entities, "EUR", PROVENANCE)


def test_a_readable_project_gives_its_dates(answer):
    projects, entities = answer
    row = _project_row(
        next(p for p in projects["projects"] if p["id"] == "BG06RDNP001-7.021-0016"), entities
    )
    assert row["start_date"] is not None and row["start_date"] <= row["end_date"]


def test_the_quarantine_row_keeps_the_message_and_the_answer_it_came_from():
    record = RawResponse(SOURCE, "2026-03-02T03:10:00Z", 200, "a" * 64, "application/json", 10)
    row = bulk_quarantine_row("isun_api_projects", "projects[3]", BulkRowError("bad"), record)
    assert (row["rule"], row["record_key"], row["message"], row["source_url"]) == (
        "bulk_row_unreadable",
        "projects[3]",
        "bad",
        SOURCE,
    )
