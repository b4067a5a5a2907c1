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


def test_every_setting_has_one_name_for_env_flag_and_dagster_config():
    """`workers` is BGFUNDS_WORKERS, --workers and Settings.workers; the table's default is the field's."""
    from pipelines.resources import LiveIsunCrawler
    from pipelines.settings import SETTINGS

    resources = {"settings": Settings, "isun_pages": LiveIsunCrawler}
    for setting in SETTINGS:
        assert setting.env == "BGFUNDS_" + setting.name.upper()
        assert setting.option == "--" + setting.name.replace("_", "-")
        field = resources[setting.resource].model_fields[setting.name]
        assert field.default == setting.default, setting.name
    from sources.isun_crawl import ISUN_BASE_URL
    from sources.isun_opendata import DEFAULT_API_INTERVAL_SECONDS
    from warehouse.dcat_ap import DEFAULT_BASE_URL

    assert [s.default for s in SETTINGS if s.name == "isun_base_url"] == [ISUN_BASE_URL]
    assert [s.default for s in SETTINGS if s.name == "api_interval_seconds"] == [
        DEFAULT_API_INTERVAL_SECONDS
    ]
    assert [s.default for s in SETTINGS if s.name == "public_url"] == [DEFAULT_BASE_URL]


def test_an_env_var_reaches_the_dagster_config_and_the_cli_and_a_flag_wins(tmp_path, monkeypatch):
    from pipelines.cli import build_parser
    from pipelines.definitions import profile_resources

    env = {
        "BGFUNDS_PROFILE": "live",
        "BGFUNDS_DATA_DIR": str(tmp_path),
        "BGFUNDS_WORKERS": "3",
        "BGFUNDS_REQUESTS_PER_NIGHT": "7",
        "BGFUNDS_ISUN_BASE_URL": "http://127.0.0.1:8765",
        "BGFUNDS_PUBLIC_URL": "https://data.example.bg/bgfunds/",
    }
    resources = profile_resources(env)
    settings, crawler = resources["settings"], resources["isun_pages"]
    assert (settings.data_dir, settings.workers, settings.public_url) == (
        str(tmp_path),
        3,
        "https://data.example.bg/bgfunds/",
    )
    assert (crawler.requests_per_night, crawler.isun_base_url) == (7, "http://127.0.0.1:8765")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = build_parser().parse_args(["crawl", "--budget", "9"])
    assert (args.workers, args.requests_per_night, args.isun_base_url) == (
        3,
        9,
        "http://127.0.0.1:8765",
    )
    assert build_parser().parse_args(["build", "--workers", "1"]).workers == 1


def test_an_unreadable_setting_is_named_in_one_line(monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.setenv("BGFUNDS_WORKERS", "many")
    assert main(["demo"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "bgfunds: BGFUNDS_WORKERS: 'many' is not a valid workers (invalid literal for int() with base 10: 'many')"
    )
