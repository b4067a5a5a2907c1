"""The ИСУН parser on the seed's text rendering and on the recorded HTML tab pages."""

import json
from pathlib import Path

import pytest

from sources.isun import PageStructureError, parse_isun_html, parse_isun_text
from sources.recorded import SAMPLE_CORPUS
from sources.waf import block_reason
from tests.conftest import SEED_000

SEED_000_AMOUNTS = [
    ("10 889.76", "10 766.01"),
    ("10 889.76", "7 202.24"),
    ("8 000.00", "11 309.87"),
    ("7 500.00", "7 499.60"),
]


def _recorded(name: str) -> tuple[bytes, str]:
    manifest = json.loads((SAMPLE_CORPUS / "manifest.json").read_text())
    entry = next(e for e in manifest["responses"] if name in e["url"])
    return (SAMPLE_CORPUS / entry["file"]).read_bytes(), entry["url"]


def test_text_rendering_of_seed_000_gives_four_activities_with_exact_amounts():
    page = parse_isun_text(SEED_000.read_text(encoding="utf-8"), "file:seed-000")
    assert [(a["contracted"], a["reported"]) for a in page.activities] == SEED_000_AMOUNTS
    assert page.activities[0]["activity_text"].startswith(
        "Дейности по разработване на анализи, проучвания, оценки")
    assert page.activities[2]["activity_text"].startswith("Съвместни дейности между НПО")
    assert page.currency == "BGN"
    # The "Програма: ..." line is the site's search filter, not a fact about the project.
    assert "programme_name" not in page.fields
    assert page.fields["description"].startswith("Настоящият проект ще се реализира в четири общини")


def test_activities_tab_html_gives_the_same_amounts_as_the_text():
    body, url = _recorded("Activities?contractId=4711")
    page = parse_isun_html(body, url)
    assert (page.contract_id, page.tab, page.currency) == ("4711", "Activities", "BGN")
    assert [(a["contracted"], a["reported"]) for a in page.activities] == SEED_000_AMOUNTS


def test_basic_data_fields_are_read_by_label():
    body, url = _recorded("BasicData?contractId=4711")
    page = parse_isun_html(body, url)
    assert page.fields["project_code"] == "BG05SFOP001-2.009-0042-C01"
    assert page.fields["start_date"] == "02.01.2019"
    assert page.fields["duration_months"] == "18"
    assert page.fields["status"] == "Приключен (към датата на приключване)"
    assert page.unknown_labels == []


def test_print_project_in_eur():
    body, url = _recorded("PrintProject?contractId=90210")
    page = parse_isun_html(body, url)
    assert page.currency == "EUR"
    assert page.financial["total"] == "1 113 000.00"
    assert page.financial["eu"] == "946 050.00"
    assert [a["reported"] for a in page.activities] == ["254 980.35", "9 264.00", "12 410.16"]


def test_columns_are_found_by_label_not_position():
    body, url = _recorded("Activities?contractId=4711")
    html = body.decode()
    # Swap the two amount columns in the header and in every row.
    html = html.replace("<th>Договорена стойност</th><th>Отчетена стойност</th>",
                        "<th>Отчетена стойност</th><th>Договорена стойност</th>")
    import re
    html = re.sub(r'(<td class="text-right">[^<]*</td>)(<td class="text-right">[^<]*</td>)', r"\2\1", html)
    page = parse_isun_html(html, url)
    assert [(a["contracted"], a["reported"]) for a in page.activities] == SEED_000_AMOUNTS


def test_a_changed_page_fails_loudly_naming_the_url():
    body, url = _recorded("Activities?contractId=4711")
    html = body.decode().replace("Договорена стойност", "Стойност по договор")
    with pytest.raises(PageStructureError, match=r"contractId=4711.*Договорена стойност"):
        parse_isun_html(html, url)


def test_waf_challenge_recorded_with_status_200_is_recognised():
    body, _ = _recorded("contractId=55555")
    assert block_reason(body) == "javascript challenge (TSPD/APM_DO_NOT_TOUCH)"


def test_request_rejected_page_is_recognised_and_real_pages_are_not():
    rejected = (b"<html><head><title>Request Rejected</title></head><body>The requested URL was "
                b"rejected. Please consult with your administrator.<br><br>Your support ID is: "
                b"1409212344210000123</body></html>")
    assert block_reason(rejected) == "request rejected"
    for path in (SAMPLE_CORPUS / "pages").glob("*4711*.html"):
        assert block_reason(path.read_bytes()) is None, path
    # A real page that carries an F5 script tag is still content.
    body, _ = _recorded("PrintProject?contractId=90210")
    assert block_reason(body.replace(b"</head>", b'<script src="/TSPD/x"></script></head>')) is None


def test_sample_manifest_hashes_match_bodies():
    import hashlib
    manifest = json.loads((SAMPLE_CORPUS / "manifest.json").read_text())
    assert manifest["recorded"] is True
    for entry in manifest["responses"]:
        data = Path(SAMPLE_CORPUS, entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
