"""What the operator sees: exit codes, one line per failure, progress, run_status.json,
the data directory's lock and guards, argument validation, help, version, extract warnings,
and readers bounded against hostile documents."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipelines.cli import EXIT_LOCKED, EXIT_UNUSABLE, build_parser, main
from pipelines.settings import BY_NAME
from sources.documents import DocumentError, html_to_text, read_document
from sources.recorded import SAMPLE_CORPUS

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URL = BY_NAME["isun_base_url"].default


def test_demo_reports_progress_writes_run_status_and_cleans_leftovers(tmp_path, capsys):
    data = tmp_path / "data"
    leftover = data / "publish" / ".staging-2026-01-01-deadbeef"
    leftover.mkdir(parents=True)
    (leftover / "warehouse.duckdb").write_bytes(
        b"\0" * 1024
    )  # a release-sized leftover of a killed build
    assert main(["demo", "--data-dir", str(data)]) == 0
    out, err = capsys.readouterr()
    assert not leftover.exists()
    assert (
        "_core_isun__tables: batch 1/1 staged" in err
        and "projects_rules_projects: projects: 11 rows" in err  # every contract of the demo
    )
    assert "out_bgfunds__release.release_publish: released" in err and "Traceback" not in err
    assert "pages read:        14 (1 rejected" in out
    status = json.loads((data / "run_status.json").read_text(encoding="utf-8"))
    assert (status["command"], status["outcome"], status["exit_code"]) == ("demo", "released", 0)
    assert status["counts"]["projects"] == 11 and status["counts"]["quarantined"] == 2
    assert status["quarantine_by_rule"] == {
        "activities:amount_unparseable": 1,
        "pages:blocked_by_waf": 1,
    }
    assert status["started"] <= status["ended"] and status["release"]
    assert len(list((data / "runs").glob("*-demo/run_status.json"))) == 1
    # The run is in the data dir's own Dagster instance, which `make dev`'s UI opens.
    assert (data / "dagster" / "dagster.yaml").exists() and (data / "dagster" / "history").is_dir()

    # The sample's made-up contracts never go into a data dir that holds live data.
    (data / ".profile").write_text("live\n", encoding="utf-8")
    assert main(["demo", "--data-dir", str(data)]) == EXIT_UNUSABLE
    assert "holds live (crawled) data" in capsys.readouterr().err
    assert json.loads((data / "run_status.json").read_text())["outcome"] == "refused"


def test_a_second_build_of_the_same_data_dir_is_refused_naming_the_first(tmp_path, capsys):
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from warehouse.data_lock import data_dir_lock\n"
            f"with data_dir_lock({str(data)!r}):\n    print('held', flush=True); time.sleep(30)",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert main(["demo", "--data-dir", str(data), "--wait", "0.5"]) == EXIT_LOCKED
        assert time.monotonic() - started < 10
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err and "another build is writing this data directory" in err
        assert json.loads((data / "run_status.json").read_text())["outcome"] == "locked"
    finally:
        holder.kill()
        holder.wait()
    assert not (data / "publish").exists()  # the refused build wrote nothing


def test_a_failing_step_is_one_line_naming_it_and_exit_1(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text('{"responses": "not a list"}', encoding="utf-8")
    assert main(["build", "--corpus", str(corpus), "--data-dir", str(tmp_path / "data")]) == 1
    out, err = capsys.readouterr()
    line = next(line for line in out.splitlines() if "FAILED step" in line)
    assert line.strip() == (
        f"FAILED step raw_isun__contract_pages: RecordingError: {corpus / 'manifest.json'}: "
        "field 'responses' is missing or not a list"
    )
    assert "Traceback" not in out + err and "--debug" in out
    status = json.loads((tmp_path / "data" / "run_status.json").read_text())
    assert (
        status["outcome"] == "failed"
        and status["exit_code"] == 1
        and "RecordingError" in status["error"]
    )


def test_unwritable_data_dir_is_one_line_and_exit_4(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["demo", "--data-dir", str(blocker / "data")]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write there" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["crawl", "--budget", "-5"],
        ["crawl", "--budget", "many"],
        ["crawl", "--interval", "-1"],
        ["crawl", "--base-url", "ftp://example.org"],
        ["crawl", "--contact", "nobody"],
        ["serve", "--port", "70000"],
        ["build", "--corpus", "/nonexistent"],
        ["demo", "--workers", "-2"],
    ],
)
def test_bad_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_version_and_help_with_descriptions_and_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("bgfunds ")
    crawl = " ".join(
        build_parser()._subparsers._group_actions[0].choices["crawl"].format_help().split()
    )
    assert (
        "requests per run, listings included (env BGFUNDS_REQUESTS_PER_NIGHT) (default: 2000)"
        in crawl
    )
    assert "Listings, then new, changed" in crawl and f"(default: {DEFAULT_BASE_URL})" in crawl


def test_default_base_url_is_the_crawlers():
    from sources.isun_crawl import ISUN_BASE_URL

    assert DEFAULT_BASE_URL == ISUN_BASE_URL


def test_extract_decodes_utf16_and_warns_on_empty_results(tmp_path, capsys):
    seed = next((REPO / "tests" / "fixtures" / "seeds").glob("001_*.txt")).read_text(
        encoding="utf-8"
    )
    utf16 = tmp_path / "news-utf16.txt"
    utf16.write_bytes(seed.encode("utf-16"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("qwerty " * 500, encoding="utf-8")
    code = main(["extract", str(utf16), str(empty), str(garbage)])
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(records) == 3
    assert records[0]["project_code"] == "BG05SFOP001-2.009-0010-C01"
    assert (
        f"warning: {empty}: no text" in err
        and f"warning: {garbage}: nothing extracted from 3500 characters" in err
    )
    assert str(utf16) not in err


def test_deeply_nested_html_keeps_its_text():
    html = (
        "<html><body>"
        + "<div>" * 3000
        + "<p>Проект BG05SFOP001-2.009-0010-C01</p>"
        + "</div>" * 3000
        + "<script>var x = 1;</script></body></html>"
    )
    text = html_to_text(html)
    assert "Проект BG05SFOP001-2.009-0010-C01" in text and "var x" not in text


def _zip_bomb(path: Path) -> Path:
    """A DOCX-shaped zip whose document.xml inflates to 300 MiB (about 300 KiB on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            block = b"A" * (1 << 20)
            for _ in range(300):
                member.write(block)
    path.write_bytes(out.getvalue())
    return path


def test_docx_zip_bomb_is_refused_before_inflating(tmp_path):
    bomb = _zip_bomb(tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 1_000_000
    started = time.monotonic()
    with pytest.raises(DocumentError, match="zip bomb"):
        read_document(bomb)
    assert time.monotonic() - started < 2


def test_oversized_input_is_refused(tmp_path):
    from sources.documents import ReadLimits

    big = tmp_path / "big.html"
    big.write_bytes(b"<p>x</p>" * 2000)
    with pytest.raises(DocumentError, match="limit 1000"):
        read_document(big, limits=ReadLimits(max_input_bytes=1000))


def test_sample_corpus_path_is_the_bundled_one():
    assert (SAMPLE_CORPUS / "manifest.json").exists()


def test_crawl_defaults_agree_with_the_modules_that_use_them():
    from pipelines.cli import build_parser
    from sources.isun_opendata import DEFAULT_API_INTERVAL_SECONDS

    args = build_parser().parse_args(["crawl", "--plan"])
    assert (
        args.api_interval_seconds == DEFAULT_API_INTERVAL_SECONDS and args.plan and not args.no_bulk
    )


@pytest.mark.unit
def test_two_runs_started_in_the_same_second_keep_their_own_run_status(tmp_path):
    from pipelines.cli.build import write_run_status

    status = {"started": "2026-12-07T16:33:08+00:00", "command": "nightly", "outcome": "failed"}
    first = write_run_status(tmp_path, status)
    second = write_run_status(tmp_path, {**status, "outcome": "unchanged"})
    assert first != second and first.parent.name.endswith("-nightly")
    assert second.parent.name == "2026-12-07T163308+0000.2-nightly"
    assert json.loads(first.read_text())["outcome"] == "failed"
    assert json.loads(second.read_text())["outcome"] == "unchanged"
