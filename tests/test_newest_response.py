"""The newest response by fetch time, not the one stored last, is what every reader uses.

A replay of a 2025 recording stored after a 2026 response must not be published over it:
documents, ИСУН pages and the bulk answers all choose by `sources.raw_archive.newest_first`.
"""

from pathlib import Path

import dagster as dg
import pytest

from pipelines.document_assets import _core_documents__records
from pipelines.resources import Settings
from sources.isun_opendata import CRITERIA_PATH, newest_bulk_responses
from sources.isun_register_export import EXPORT_PATH
from sources.raw_archive import RawArchive, newest_per_url

pytestmark = pytest.mark.unit

DOCUMENT = Path(__file__).resolve().parents[1] / "sample" / "documents" / "002_403cd6a6e79c0046.txt"
TEXT = {"Content-Type": "text/plain; charset=utf-8"}
NEWER, OLDER = "2026-11-01T00:00:00Z", "2025-03-01T10:00:00+02:00"


def test_a_2025_replay_stored_after_a_2026_document_is_not_published(tmp_path):
    url = "file:shared/seeds/002_403cd6a6e79c0046.txt"
    text = DOCUMENT.read_text(encoding="utf-8")
    assert "BG05SFOP001-2.009-0004" in text
    settings = Settings(data_dir=str(tmp_path))
    archive = settings.raw_archive
    archive.store(url, text.encode(), status=200, headers=TEXT, fetched_at=NEWER)
    # The old recording, replayed later: another reference number, stored last.
    replay = text.replace("BG05SFOP001-2.009-0004", "BG05SFOP001-2.009-0001")
    archive.store(url, replay.encode(), status=200, headers=TEXT, fetched_at=OLDER)

    (record,) = _core_documents__records(dg.build_asset_context(), settings, [url])
    assert record["project_code"] == "BG05SFOP001-2.009-0004"
    assert record["fetched_at"].year == 2026


def test_a_refusal_never_hides_an_older_good_response(tmp_path):
    archive = RawArchive(tmp_path)
    good = archive.store("https://x/a", b"ok", status=200, headers={}, fetched_at=OLDER)
    archive.store("https://x/a", b"", status=503, headers={}, fetched_at=NEWER)
    assert newest_per_url(archive.records(), lambda r: r.status == 200) == {"https://x/a": good}
    # Equal times: the one stored later.
    again = archive.store("https://x/a", b"ok2", status=200, headers={}, fetched_at=OLDER)
    assert newest_per_url(archive.records(), lambda r: r.status == 200) == {"https://x/a": again}


def test_bulk_answers_are_chosen_by_fetch_time(tmp_path):
    archive = RawArchive(tmp_path)
    host = "https://2020.eufunds.bg"
    json_type = {"Content-Type": "application/json"}
    criteria = archive.store(
        host + CRITERIA_PATH, b'{"programmes": []}', status=200, headers=json_type, fetched_at=NEWER
    )
    archive.store(
        host + CRITERIA_PATH,
        b'{"programmes": [1]}',
        status=200,
        headers=json_type,
        fetched_at=OLDER,
    )
    export = archive.store(
        host + EXPORT_PATH, b"PK\x03\x04 2026", status=200, headers={}, fetched_at=NEWER
    )
    archive.store(host + EXPORT_PATH, b"PK\x03\x04 2025", status=200, headers={}, fetched_at=OLDER)
    # A WAF page stored last, with the newest time, is never data.
    archive.store(
        host + EXPORT_PATH,
        b"<html>Request Rejected</html>",
        status=200,
        headers={},
        fetched_at="2026-12-01T00:00:00Z",
    )
    chosen_criteria, programmes, chosen_export = newest_bulk_responses(archive)
    assert (chosen_criteria, programmes, chosen_export) == (criteria, {}, export)


def test_the_fetch_reads_the_last_warehouse_through_the_registry(tmp_path):
    import duckdb

    from registry.isun_bulk import ISUN_API_PROJECTS
    from registry.tables import PROJECTS, create_table_sql
    from sources.isun_bulk_crawl import _last_release_fingerprints
    from warehouse.duckdb_store import read_columns

    path = tmp_path / "warehouse.duckdb"
    assert _last_release_fingerprints(path) == ({}, {})  # before the first build
    con = duckdb.connect(str(path))
    for table in (PROJECTS, ISUN_API_PROJECTS):
        con.execute(create_table_sql(table).replace("NOT NULL", ""))
    con.execute(
        "INSERT INTO projects (project_code, proposal_code, isun_contract_id) VALUES "
        "('BG16RFOP002-2.073-0001-C01', 'BG16RFOP002-2.073-0001', 'tok1'), "
        "('BG16RFOP002-2.073-0001-C02', 'BG16RFOP002-2.073-0001', 'tok2'), "
        "('BG16RFOP002-2.073-0002-C01', 'BG16RFOP002-2.073-0002', NULL)"
    )
    con.execute(
        "INSERT INTO isun_api_projects (proposal_code, position, row_fingerprint) VALUES "
        "('BG16RFOP002-2.073-0001', 1, 'b'), ('BG16RFOP002-2.073-0001', 2, 'a')"
    )
    con.close()
    assert _last_release_fingerprints(path) == (
        {"BG16RFOP002-2.073-0001": "a"},
        {"BG16RFOP002-2.073-0001": ["tok1", "tok2"]},
    )
    with pytest.raises(KeyError, match="projects declares no column contract_token"):
        read_columns(path, PROJECTS, ["contract_token"])
