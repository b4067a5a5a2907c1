"""Which archived ИСУН responses are parsed as data, and why the others go to quarantine.

Pages are rendered from the site's own templates (`bench.isun_render`) and the WAF page is
the one in the sample recording; the archive is a dict, so these run in milliseconds.
"""

import hashlib
from pathlib import Path

from bench.isun_render import contract_url, render_print, render_tab
from bench.isun_sample import stambolovo_contract
from records.raw import RawResponse
from sources.isun_pages import contract_batches, is_contract_page, parse_archived_pages

BASE = "https://2020.eufunds.bg"
WAF_PAGE = (Path(__file__).parents[1] / "sample/isun/pages/waf_BasicData.html").read_bytes()


class Archive:
    """Bodies by sha256, and the records pointing at them, as a raw archive keeps them."""

    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.records: list[RawResponse] = []

    def add(self, url: str, body: bytes | str, *, status=200, fetched_at="2026-03-02T03:10:00Z"):
        body = body.encode("utf-8") if isinstance(body, str) else body
        sha = hashlib.sha256(body).hexdigest()
        self.bodies[sha] = body
        self.records.append(
            RawResponse(url, fetched_at, status, sha, "text/html; charset=utf-8", len(body))
        )

    def parse(self):
        return parse_archived_pages(self.records, self.bodies.__getitem__)


def _only_rejection(archive: Archive) -> dict:
    parsed, rejected = archive.parse()
    assert parsed == [] and len(rejected) == 1
    return rejected[0]


def test_a_good_tab_is_parsed():
    c, archive = stambolovo_contract(), Archive()
    archive.add(contract_url(c, "BasicData", BASE), render_tab(c, "BasicData"))
    parsed, rejected = archive.parse()
    assert rejected == []
    assert parsed[0][0].fields["contract_code"] == "BG05SFOP001-2.009-0010-C01"


def test_a_tab_whose_labels_changed_is_quarantined_as_page_structure_not_parsed_empty():
    c, archive = stambolovo_contract(), Archive()
    url = contract_url(c, "BasicData", BASE)
    archive.add(url, render_tab(c, "BasicData").replace("Номер от ИСУН", "Рег. номер"))
    q = _only_rejection(archive)
    assert (q["table_name"], q["record_key"], q["rule"]) == ("pages", url, "page_structure")
    assert "Номер от ИСУН" in q["message"] and q["source_url"] == url


def test_an_activities_table_whose_header_changed_is_quarantined_as_page_structure():
    c, archive = stambolovo_contract(), Archive()
    url = contract_url(c, "Activities", BASE)
    archive.add(url, render_tab(c, "Activities").replace("Отчетена стойност", "Изплатена стойност"))
    q = _only_rejection(archive)
    assert q["rule"] == "page_structure" and "activities table header" in q["message"]


def test_a_waf_page_with_http_200_is_never_parsed():
    c, archive = stambolovo_contract(), Archive()
    url = contract_url(c, "BasicData", BASE)
    archive.add(url, WAF_PAGE)
    q = _only_rejection(archive)
    assert (q["rule"], q["record_key"]) == ("blocked_by_waf", url)
    assert "firewall page" in q["message"]


def test_an_http_error_is_never_parsed_even_when_its_body_looks_like_a_page():
    c, archive = stambolovo_contract(), Archive()
    archive.add(contract_url(c, "PrintProject", BASE), render_print(c), status=500)
    q = _only_rejection(archive)
    assert (q["rule"], q["field"], q["value"]) == ("http_status", "status", "500")


def test_an_empty_body_is_quarantined():
    c, archive = stambolovo_contract(), Archive()
    archive.add(contract_url(c, "BasicData", BASE), b" \n")
    q = _only_rejection(archive)
    assert (q["rule"], q["field"], q["value"]) == ("empty_body", "body", "2 bytes")


def test_a_newer_waf_page_never_replaces_an_older_good_one():
    c, archive = stambolovo_contract(), Archive()
    url = contract_url(c, "BasicData", BASE)
    archive.add(url, WAF_PAGE, fetched_at="2026-03-03T03:10:00Z")  # stored first, fetched later
    archive.add(url, render_tab(c, "BasicData"), fetched_at="2026-03-02T03:10:00Z")
    parsed, rejected = archive.parse()
    assert rejected == [] and parsed[0][1].fetched_at == "2026-03-02T03:10:00Z"


def test_batches_keep_every_tab_of_a_contract_together():
    c, archive = stambolovo_contract(), Archive()
    for tab in ("BasicData", "Activities", "Participants"):
        archive.add(contract_url(c, tab, BASE), render_tab(c, tab))
    other = stambolovo_contract()
    other.contract_id = "99999"
    archive.add(contract_url(other, "BasicData", BASE), render_tab(other, "BasicData"))
    assert all(is_contract_page(r.url) for r in archive.records)
    batches = list(contract_batches(archive.records, 1))
    assert [len(b) for b in batches] == [3, 1]
