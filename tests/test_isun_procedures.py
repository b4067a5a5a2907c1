"""Procedure names from the project-proposals export: the columns the site's controller writes (tied to
Texts.resx), the export as ExportHtml.cshtml renders it, and the names the build takes from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.isun_render import PROPOSALS_TEXTS, render_procedures_export, render_tab
from bench.synthetic_corpus import CorpusFacts, _contract
from sources.isun_pages import procedure_names
from sources.isun_procedures import (
    CODE_HEADERS,
    NAME_HEADERS,
    ProceduresExportError,
    is_procedures_export,
    parse_procedures_export,
    procedures_export_url,
)
from sources.raw_archive import RawArchive

pytestmark = pytest.mark.unit

LABELS = json.loads(Path("/work/shared/isun_labels_bg_en.json").read_text("utf-8"))


def test_the_columns_are_the_sites_own_texts():
    """ProjectProposalsController.RenderTemplate heads the columns with these Texts.resx keys."""
    assert CODE_HEADERS == tuple(
        LABELS["ProjectProposals_Index_ProcedureNumber"][k] for k in ("bg", "en")
    )
    assert NAME_HEADERS == tuple(
        LABELS["ProjectProposals_Index_ProcedureNamе"][k] for k in ("bg", "en")
    )
    for key, texts in PROPOSALS_TEXTS.items():
        assert LABELS[key] == texts, key


def test_the_export_names_every_procedure_it_lists_in_either_language():
    rows = [
        ("BG16RFOP001-1.001", "Подкрепа за   устойчиво\n градско развитие", 41),
        ("BG05M9OP001-2.018", "Активно включване & „Заетост“", 7),
    ]
    for lang in ("bg", "en"):
        names = parse_procedures_export(render_procedures_export(rows, lang).encode("utf-8"))
        assert names == {
            "BG16RFOP001-1.001": "Подкрепа за устойчиво градско развитие",
            "BG05M9OP001-2.018": "Активно включване & „Заетост“",
        }
    assert procedures_export_url("https://2020.eufunds.bg/") == (
        "https://2020.eufunds.bg/bg/0/0/ProjectProposals/ExportToHtml"
    )
    assert is_procedures_export(procedures_export_url("http://127.0.0.1:8000"))
    assert not is_procedures_export("https://2020.eufunds.bg/bg/0/0/Project/ExportToExcel")


def test_a_page_without_the_table_is_an_error_naming_the_columns():
    with pytest.raises(ProceduresExportError, match="'Номер на процедура' and 'Име на процедура'"):
        parse_procedures_export(b"<html><body><table><tr><td>x</td></tr></table></body></html>")


def test_the_build_takes_names_from_the_export_and_the_newest_response_wins(tmp_path):
    import random

    archive = RawArchive(tmp_path / "raw")
    contract = _contract(random.Random(5), 100001, CorpusFacts())[0]
    code = contract.procedure_code
    export = archive.store(
        procedures_export_url("https://2020.eufunds.bg"),
        render_procedures_export(
            [(code, "Име от експорта", 3), ("BG06RDNP001-7.021", "Друга", 1)]
        ).encode("utf-8"),
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        fetched_at="2026-03-01T02:00:00Z",
    )
    names = procedure_names([export], archive.read)
    assert names == {code: "Име от експорта", "BG06RDNP001-7.021": "Друга"}
    # A BasicData fetched later names the procedure as it reads then: the newer response wins.
    contract.procedure_name = "Име от BasicData"
    basic = archive.store(
        f"https://2020.eufunds.bg/bg/0/0/Project/BasicData?contractId={contract.contract_id}"
        "&isHistoric=False",
        render_tab(contract, "BasicData").encode("utf-8"),
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        fetched_at="2026-03-02T02:00:00Z",
    )
    assert procedure_names([export, basic], archive.read)[code] == "Име от BasicData"
