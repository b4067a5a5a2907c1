"""`bgfunds extract` on text, HTML, DOCX, PDF and ИСУН pages; clear failures on unreadable input."""

import json
import os
import shutil
import subprocess

import pytest

from pipelines.cli import main
from sources.recorded import SAMPLE_CORPUS
from tests.conftest import SEEDS

SEED_001 = next(SEEDS.glob("001_*.txt"))
CHROMIUM = shutil.which("chromium")


def run(capsys, *args) -> tuple[int, list[dict], str]:
    code = main(["extract", *map(str, args)])
    out = capsys.readouterr()
    return code, [json.loads(line) for line in out.out.splitlines() if line.strip()], out.err


def test_text_and_html_files(tmp_path, capsys):
    body = SEED_001.read_text(encoding="utf-8").replace("\n\n", "</p><p>")
    page = tmp_path / "news.html"
    page.write_text(
        f"<html><head><script>var views=1;</script></head><body><nav>Начало | Новини | Контакти</nav>"
        f"<div class='views'>Прегледи: 3 512</div><p>{body}</p><footer>© Община Стамболово</footer>"
        "</body></html>",
        encoding="utf-8",
    )
    code, records, err = run(capsys, SEED_001, page)
    assert code == 0 and err == ""
    assert [r["format"] for r in records] == ["text", "html"]
    for r in records:
        assert r["kind"] == "municipal-news" and r["project_code"] == "BG05SFOP001-2.009-0010-C01"
        assert (r["amount_total"], r["amount_eu"], r["amount_national"]) == (
            88840.80,
            75514.68,
            13326.12,
        )
        assert r["duration_months"] == 18 and r["start_date"] == "2019-01-18"


def test_isun_page_is_detected_and_normalised(capsys):
    page = SAMPLE_CORPUS / "pages" / "eur2026_PrintProject.html"
    code, [r], _ = run(capsys, page)
    assert code == 0 and r["kind"] == "isun"
    assert (r["project_code"], r["currency"], r["amount_total"], r["amount_total_bgn"]) == (
        "BG16FFPR003-1.001-0007-C01",
        "EUR",
        1113000.0,
        2176838.79,
    )
    # EU share derived as БФП × 85 %; the page states no split.
    assert (r["amount_eu"], r["amount_national"]) == (946050.0, 166950.0)
    assert r["start_date"] == "2026-02-01" and r["duration_months"] == 18


@pytest.mark.parametrize("name", sorted(p.name for p in (SAMPLE_CORPUS / "pages").glob("*.html")))
def test_extract_never_crashes_on_any_sample_isun_page(capsys, name):
    code, records, err = run(capsys, SAMPLE_CORPUS / "pages" / name)
    assert len(records) == 1 and "Traceback" not in err and "Error" not in err
    # A page that prints the contract's code gives its project; a tab without it (or the WAF page) gives
    # what it holds, or a warning naming the input: never a crash.
    has_code = any(t in name for t in ("PrintProject", "BasicData")) and not name.startswith("waf")
    assert (records[0]["project_code"] is not None) == has_code
    assert code == 0 or f"warning: {SAMPLE_CORPUS / 'pages' / name}" in err


def test_docx(tmp_path, capsys):
    import docx

    document = docx.Document()
    for line in (
        (SEEDS / next(SEEDS.glob("004_*.txt")).name).read_text(encoding="utf-8").splitlines()
    ):
        document.add_paragraph(line)
    path = tmp_path / "strategy.docx"
    document.save(path)
    code, [r], _ = run(capsys, path, "--kind", "auto")
    assert code == 0 and r["format"] == "docx" and r["kind"] == "strategy"
    assert r["decision"]["number"] == "84" and r["decision"]["council"] == "Общински Съвет Гулянци"
    assert r["period"] == "2016–2020"


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("BGFUNDS_REQUIRE_BROWSER"),
    reason="needs Debian's chromium to print a PDF",
)
def test_pdf_printed_by_chromium(tmp_path, capsys):
    text = next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8")
    html = tmp_path / "page.html"
    html.write_text(
        "<html><meta charset='utf-8'><body>"
        + "".join(f"<p>{line}</p>" for line in text.splitlines())
        + "</body></html>",
        encoding="utf-8",
    )
    pdf = tmp_path / "page.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'p'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    code, [r], _ = run(capsys, pdf, "--kind", "ngo-project")
    assert code == 0 and r["format"] == "pdf"
    assert r["project_code"] == "BG05SFOP001-2.009-0004"
    assert (r["amount_total"], r["amount_eu"], r["amount_national"]) == (
        67243.93,
        57157.34,
        10086.59,
    )


def test_unreadable_inputs_fail_clearly_and_the_rest_still_print(tmp_path, capsys):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 garbage")
    code, records, err = run(capsys, tmp_path / "missing.txt", broken, SEED_001)
    assert (
        code == 1
        and len(records) == 1
        and records[0]["project_code"] == "BG05SFOP001-2.009-0010-C01"
    )
    assert f"{tmp_path / 'missing.txt'}: cannot read" in err
    assert f"{broken}: not a readable PDF" in err
