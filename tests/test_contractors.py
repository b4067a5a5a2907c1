"""Each project's contractors from the open-data API's contracts and the Procurements and
Participants pages (`warehouse.contractors`), and which of them are new on a known project."""

from __future__ import annotations

import duckdb

from warehouse.contractors import create_contractors_view, new_contractors


def _database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE projects (project_code VARCHAR, proposal_code VARCHAR)")
    con.execute(
        "INSERT INTO projects VALUES ('BG16FFPR003-1.001-0007-C01', 'BG16FFPR003-1.001-0007'), "
        "('BG05M9OP001-2.002-0273', 'BG05M9OP001-2.002-0273')"
    )
    # The demo's rows (sample/isun_bulk/bodies/opendata_4_1.json, opendata_8010862_3.json and the
    # Левски contract's pages).
    con.execute(
        "CREATE TABLE isun_api_contracts (proposal_code VARCHAR, contractor_entity_id VARCHAR, "
        "contractor_eik VARCHAR, contractor_name VARCHAR)"
    )
    con.execute(
        "INSERT INTO isun_api_contracts VALUES "
        "('BG05M9OP001-2.002-0273', 'e411', '204123456', 'Мебел Хасково ЕООД'), "
        "('BG05M9OP001-2.002-0273', 'f002', NULL, NULL), "
        "('BG16FFPR003-1.001-0007', 's555', '130000123', 'Строител Плевен АД')"
    )
    con.execute("CREATE TABLE project_procurements (project_code VARCHAR, contractor_name VARCHAR)")
    con.execute(
        "INSERT INTO project_procurements VALUES "
        "('BG16FFPR003-1.001-0007-C01', 'СТРОИТЕЛНА КОМПАНИЯ ЛЕВСКИ ЕООД'), ('BG16FFPR003-1.001-0007-C01', ' '), "
        "('BG16FFPR003-1.001-0007-C01', 'Строител  Плевен АД')"
    )
    con.execute(
        "CREATE TABLE project_organisations (project_code VARCHAR, role VARCHAR, organisation_id VARCHAR, "
        "eik VARCHAR, name_as_published VARCHAR)"
    )
    con.execute(
        "INSERT INTO project_organisations VALUES "
        "('BG16FFPR003-1.001-0007-C01', 'contractor', 'org:cd99', NULL, 'Строителна компания  Левски ЕООД'), "
        "('BG16FFPR003-1.001-0007-C01', 'partner', 'org:aa11', '000413878', 'Община Левски')"
    )
    return con


def test_contractors_of_every_source_once_per_project():
    con = _database()
    create_contractors_view(con)
    rows = con.execute("SELECT * FROM project_contractors ORDER BY ALL").fetchall()
    assert rows == [
        ("BG05M9OP001-2.002-0273", "eik:204123456", "Мебел Хасково ЕООД", "204123456", "isun-api"),
        ("BG05M9OP001-2.002-0273", "entity:f002", None, None, "isun-api"),  # a natural person
        # The same contractor on its Procurements page, named without its ЕИК: one contractor.
        (
            "BG16FFPR003-1.001-0007-C01",
            "eik:130000123",
            "Строител Плевен АД",
            "130000123",
            "isun-api;procurements",
        ),
        (
            "BG16FFPR003-1.001-0007-C01",
            "name:СТРОИТЕЛНА КОМПАНИЯ ЛЕВСКИ ЕООД",
            "СТРОИТЕЛНА КОМПАНИЯ ЛЕВСКИ ЕООД",
            None,
            "participants;procurements",
        ),
    ]


def _history(release_id: str, code: str, key: str, name: str | None, eik=None, removed=False):
    return {
        "release_id": release_id,
        "project_code": code,
        "contractor_key": key,
        "contractor_name": name,
        "contractor_eik": eik,
        "is_removed": removed,
    }


def test_a_contractor_new_on_a_known_project_is_reported_with_before_and_after():
    history = [
        _history("2026-12-07", "P1", "eik:130000123", "Строител Плевен АД", "130000123"),
        _history("2026-12-07.2", "P1", "name:ЛЕВСКИ ЕООД", "Левски ЕООД"),  # from its pages
        _history(
            "2026-12-07.2", "P2", "eik:204123456", "Мебел Хасково ЕООД", "204123456"
        ),  # new project
        _history("2026-12-08", "P1", "eik:130000123", "Строител Плевен АД", "130000123", True),
        _history("2026-12-08", "P2", "entity:f002", None),
    ]
    first_seen = {"P1": "2026-12-07", "P2": "2026-12-07.2"}
    assert new_contractors(history, first_seen) == [
        {
            "release_id": "2026-12-07.2",
            "project_code": "P1",
            "contractor": "Левски ЕООД",
            "contractor_eik": None,
            "before": ["Строител Плевен АД (ЕИК 130000123)"],
            "after": ["Левски ЕООД", "Строител Плевен АД (ЕИК 130000123)"],
        },
        {
            "release_id": "2026-12-08",
            "project_code": "P2",
            "contractor": "физическо лице / natural person",
            "contractor_eik": None,
            "before": ["Мебел Хасково ЕООД (ЕИК 204123456)"],
            "after": ["Мебел Хасково ЕООД (ЕИК 204123456)", "физическо лице / natural person"],
        },
    ]
    # The release where the history begins reports nothing: its contractors came with their projects.
    assert new_contractors(history[:1], first_seen) == []
    # Nor a project's contractors in the release where the project first appears.
    assert new_contractors(history, {**first_seen, "P1": "2026-12-07.2"})[0]["project_code"] == "P2"
