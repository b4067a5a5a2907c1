"""Offline resources: a rebuild from the archive alone tells ИСУН pages from documents by path."""

import logging

from pipelines.resources import ArchivedDocumentsOnly, Settings
from sources.raw_archive import RawArchive
from sources.recorded import SAMPLE_CORPUS, SAMPLE_DOCUMENTS, replay_recording
from tests.conftest import SAMPLE_QUERY


def test_archived_documents_are_everything_but_isun_pages_even_from_a_mirror(tmp_path):
    settings = Settings(data_dir=str(tmp_path))
    archive = RawArchive(settings.root / "raw")
    replay_recording(SAMPLE_CORPUS, archive)
    documents = replay_recording(SAMPLE_DOCUMENTS, archive)
    query = SAMPLE_QUERY["seed000"]
    page = archive.read(next(r for r in archive.records() if query in r.url).sha256)
    archive.store(
        f"http://127.0.0.1:8765/bg/583/0/Project/BasicData?{query}&isHistoric=False",
        page,
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        fetched_at="2026-11-25T00:00:00Z",
    )
    archive.store(
        "http://127.0.0.1:8765/api/v1.0/opendata?page=1",
        b"[]",
        status=200,
        headers={"Content-Type": "application/json"},
        fetched_at="2026-11-25T00:00:00Z",
    )
    # Organisation listings the crawler follows are ИСУН pages too, never municipal news.
    for url in (
        "http://127.0.0.1:8765/bg/0/0/Company?uin=znKRv9UUvjn1j1XEJG98%2Fw%3D%3D&uinType=Bulstat",
        "https://2020.eufunds.bg/en/0/0/Beneficiary/Details?id=17",
    ):
        archive.store(
            url,
            b"<html><body><a href='/bg/0/0/Project/BasicData?contractId=4711'>x</a></body></html>",
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
            fetched_at="2026-11-25T00:00:00Z",
        )

    found = ArchivedDocumentsOnly().fetch_into(settings, logging.getLogger("test"))
    assert sorted(r.url for r in found) == sorted(r.url for r in documents)
    assert (
        "file:shared/seeds/001_bed355c73594888d.txt" in {r.url for r in found} and len(found) == 4
    )


def test_the_rebuild_fingerprint_covers_the_installed_libraries():
    import duckdb
    import great_expectations

    from pipelines.code_versions import library_versions

    versions = library_versions()
    assert f"duckdb=={duckdb.__version__}" in versions
    assert f"great-expectations=={great_expectations.__version__}" in versions
    assert not any(
        v.startswith(("pytest", "pillow")) for v in versions
    )  # test extras do not shape the output


def test_one_worker_per_cpu_this_process_may_use():
    import os

    assert Settings().worker_count == len(os.sched_getaffinity(0))
    assert Settings(workers=3).worker_count == 3
