"""The synthetic corpus is deterministic, parses, and passes the registry's row rules as generated."""

from collections import Counter

from bench.synthetic_corpus import generate
from pipelines.isun_batches import PROJECTS_AS_READ as PROJECTS  # the pages' rows, as read
from quality.rules_sql import screen_frame
from registry.tables import ACTIVITIES
from sources.isun_pages import is_contract_page, parse_archived_pages, procedure_names
from sources.raw_archive import RawArchive
from transforms.isun import build_isun_tables


def _tab(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[-1]


def test_synthetic_corpus_is_deterministic_and_clean(tmp_path):
    """The corpus is what a night archives under the crawl plan: PrintProject for every contract,
    BasicData once per procedure, Participants where participants are listed, and the bulk
    sources with a row for every contract; it parses and passes the row rules as generated."""
    from pipelines.isun_bulk_staging import stage_bulk_tables

    facts = generate(40, tmp_path / "a", seed=3)
    again = generate(40, tmp_path / "b", seed=3)
    records = list(RawArchive(tmp_path / "a").records())
    assert [r.sha256 for r in records] == [r.sha256 for r in RawArchive(tmp_path / "b").records()]
    assert facts.bytes == again.bytes and 3_000 * 40 < facts.bytes < 3 * 40_000 * 40
    tabs = Counter(_tab(r.url) for r in records)
    assert (
        tabs["PrintProject"] == 40 and 1 <= tabs["BasicData"] <= 6
    )  # 6 programmes, 1 procedure each
    assert tabs["opendata"] == 5 and tabs["criteria"] == 1 and tabs["ExportToExcel"] == 1

    archive = RawArchive(tmp_path / "a")
    pages = [r for r in records if is_contract_page(r.url)]
    parsed, rejected = parse_archived_pages(pages, archive.read)
    tables = build_isun_tables(parsed, rejected, procedure_names(pages, archive.read))
    assert (len(tables.projects), len(tables.activities), len(tables.quarantine)) == (
        40,
        facts.activities,
        0,
    )
    participants = tables.project_organisations.query("role != 'beneficiary'")
    assert tabs["Participants"] == participants["project_code"].nunique()
    assert (
        tables.projects["procedure_name"].notna().all()  # every procedure named by one BasicData
        and tables.projects["beneficiary_eik"].notna().all()
    )
    assert int(tables.activities["is_over_reported"].sum()) == facts.over_reported
    assert int((tables.projects["currency_original"] == "EUR").sum()) == facts.eur_pages
    for table, frame in ((PROJECTS, tables.projects), (ACTIVITIES, tables.activities)):
        kept, rejected = screen_frame(table, frame)
        assert rejected.empty and len(kept) == len(frame)
    bulk = stage_bulk_tables(archive, tmp_path / "staging")
    assert bulk.projects.rows == 40 and bulk.export.rows == 40 and bulk.quarantine.empty


def test_a_changed_night_adds_new_pages_and_bulk_answers(tmp_path):
    from bench.synthetic_corpus import change_night

    generate(200, tmp_path / "c", seed=3)
    before = list(RawArchive(tmp_path / "c").records())
    changed = change_night(200, tmp_path / "c", seed=3)
    added = list(RawArchive(tmp_path / "c").records())[len(before) :]
    assert changed == {"contracts_with_new_pages": 2, "bulk_rows_changed": 5}
    assert Counter(_tab(r.url) for r in added) == Counter(
        PrintProject=2, opendata=5, criteria=1, ExportToExcel=1
    )
    old = {r.url: r.sha256 for r in before}
    assert all(old[r.url] != r.sha256 for r in added if _tab(r.url) == "PrintProject")


def test_batched_build_equals_one_pass_on_the_sample_and_a_synthetic_corpus(tmp_path):
    from pipelines.isun_batches import parse_and_build_in_batches, screen_tables
    from sources.isun_pages import is_contract_page
    from sources.recorded import SAMPLE_CORPUS, replay_recording

    generate(25, tmp_path / "synthetic", seed=5)
    sample = RawArchive(tmp_path / "sample")
    replay_recording(
        SAMPLE_CORPUS, sample
    )  # several tabs per contract, a WAF page, a quarantined row
    for archive in (RawArchive(tmp_path / "synthetic"), sample):
        records = [r for r in archive.records() if is_contract_page(r.url)]
        names = procedure_names(records, archive.read)
        whole = build_isun_tables(*parse_archived_pages(records, archive.read), names)
        for screen in (False, True):
            one_pass = build_isun_tables(*parse_archived_pages(records, archive.read), names)
            if screen:
                one_pass = screen_tables(one_pass)
            batched = parse_and_build_in_batches(
                records, archive.read, batch_contracts=2, screen=screen
            )
            for name in (
                "projects",
                "activities",
                "quarantine",
                "project_organisations",
                "project_indicators",
                "project_procurements",
                "project_financial_corrections",
            ):
                a = (
                    getattr(one_pass, name)
                    .sort_values(list(getattr(one_pass, name).columns[:3]))
                    .reset_index(drop=True)
                )
                b = getattr(batched, name).sort_values(list(a.columns[:3])).reset_index(drop=True)
                assert len(a) == len(b) and a.astype(str).equals(b.astype(str)), (screen, name)
    # The sample: a WAF page and a garbled activity amount rejected; screening keeps all four projects.
    assert len(whole.quarantine) == 2 and len(batched.projects) == 4


def test_bench_times_the_real_job_and_detects_a_quiet_night(tmp_path):
    """`make bench`'s measurement at a tiny scale: the real job builds every generated contract, the
    second run sees nothing changed, a changed night is timed, and every stage of the report was timed."""
    from bench.run import STAGES, corpus_dir, markdown, run_scale

    # run_scale reuses a corpus already in its workdir (by scale and generator version)
    facts = generate(60, corpus_dir(tmp_path, 60))
    result = run_scale(tmp_path, 60, workers=1)
    assert (result["contracts"], result["activities"]) == (60, facts.activities)
    assert [s["stage"] for s in result["stages"]] == [name for name, _ in STAGES]
    assert all(s["seconds"] > 0 and s["peak_rss_mib"] > 0 for s in result["stages"])
    assert result["unchanged_detected"] and result["unchanged_seconds"] < result["full_seconds"]
    assert result["night"] == {"contracts_with_new_pages": 1, "bulk_rows_changed": 2}
    assert 0 < result["night_seconds"]
    assert result["parse_sample"] == len(facts.urls) and result["speedup_vs_naive"] > 1
    assert result["ratio_to_lxml_floor"] > 1  # nothing parses faster than lxml's own walk
    assert result["sizes"]["parquet"]["files"] > 10 and result["sizes"]["site"]["mb"] > 0
    assert set(result["query_ms"]) == {"absorption by municipality", "top 20 beneficiaries"}
    # The release's sub-steps, timed in wall and CPU seconds, for the full build and the night.
    exports = result["release_substeps"]["exports: Parquet + CSV, XLSX meanwhile"]
    assert exports[0] > 0 and exports[1] > 0 and result["full_cpu_seconds"] > 0
    assert result["night_release_substeps"]["reused"]["path"] == "incremental"
    assert "GX checkpoint: validate" in result["release_substeps"]
    table = markdown([result])
    assert "| 60 | documents: Data Package validation |" in table
    assert (
        "| 60 | **full build, 1 worker** |" in table and f"| 60 | {facts.activities:,} |" in table
    )


def test_corpus_command_writes_an_archive_of_that_many_pages(tmp_path, capsys):
    from bench.synthetic_corpus import main

    assert main(["30", str(tmp_path / "c"), "--seed", "3"]) == 0
    records = list(RawArchive(tmp_path / "c").records())
    pages = len(generate(30, tmp_path / "again", seed=3).urls)  # the pages the crawler would fetch
    assert sum("Project/PrintProject?contractId=" in r.url for r in records) == 30
    assert sum(is_contract_page(r.url) for r in records) == pages < 90
    assert capsys.readouterr().out.startswith("30 contracts (")
