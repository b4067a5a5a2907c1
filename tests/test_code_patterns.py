"""Which code forms each table accepts: ИСУН's tables only ИСУН's, the document tables every family.

The catalogue's `project_code`/`procedure_code` pattern is ИСУН's own form (`registry.formats`);
the tables of free-text documents widen it in `registry.fields.TABLE_PATTERNS` to every code family
(`code_scheme`). The checks run through the build's own screening SQL (`quality.rules_sql`).
"""

import pandas as pd
import pytest

from quality.rules_sql import screen_frame
from registry import all_tables
from registry.documents import DOCUMENT_TABLES, NEWS_MENTIONS
from registry.fields import TABLE_PATTERNS
from registry.formats import (
    ANY_SCHEME_PROCEDURE_CODE_REGEX,
    ANY_SCHEME_PROJECT_CODE_REGEX,
    PROCEDURE_CODE_REGEX,
    PROJECT_CODE_REGEX,
)
from registry.isun_bulk import BULK_TABLES
from registry.tables import HISTORY_TABLES, PUBLISHED_TABLES
from transforms.codes import code_scheme
from transforms.extracted_tables import extracted_tables

pytestmark = pytest.mark.unit

STRICT = {"project_code": PROJECT_CODE_REGEX, "procedure_code": PROCEDURE_CODE_REGEX}
WIDE = {
    "project_code": ANY_SCHEME_PROJECT_CODE_REGEX,
    "procedure_code": ANY_SCHEME_PROCEDURE_CODE_REGEX,
}
EEA_CODE = "BGLD-3.001-0004-C01"  # an EEA grants project (Local Development, Norway Grants)


def _code_fields(tables: dict) -> dict[tuple[str, str], str]:
    return {
        (t.name, f.name): f.pattern for t in tables.values() for f in t.fields if f.name in STRICT
    }


def test_isun_tables_keep_the_strict_isun_form():
    isun = _code_fields({**PUBLISHED_TABLES, **BULK_TABLES, **HISTORY_TABLES})
    assert isun  # projects, its children, isun_api_projects, isun_export_projects, history
    assert {key: p for key, p in isun.items() if p != STRICT[key[1]]} == {}


def test_document_tables_accept_every_family():
    documents = _code_fields(DOCUMENT_TABLES)
    assert documents
    assert {key: p for key, p in documents.items() if p != WIDE[key[1]]} == {}
    assert set(TABLE_PATTERNS) == set(documents)  # every override is used, by a document table


def _place_row(code: str) -> dict:
    return {
        "project_code": code,
        "level": "municipality",
        "code": None,
        "name": "Пример",
        "nuts3": None,
        "lau_code": None,
        "ekatte": None,
        "text": "Община Пример",
        "source_url": "https://2020.eufunds.bg/bg/0/0/Project/Details?contractId=x",
        "fetched_at": pd.Timestamp("2026-12-07T00:00:00Z"),
        "content_sha256": "0" * 64,
    }


def test_an_eea_code_in_an_isun_table_fails_its_code_check():
    places = all_tables()["project_places"]
    frame = pd.DataFrame([_place_row("BG16RFOP001-1.027-0008-C01"), _place_row(EEA_CODE)])
    kept, rejected = screen_frame(places, frame)
    assert list(kept["project_code"]) == ["BG16RFOP001-1.027-0008-C01"]
    assert list(rejected[["rule", "field", "value"]].itertuples(index=False, name=None)) == [
        ("code_format", "project_code", EEA_CODE)
    ]


def test_an_eea_procedure_in_an_isun_bulk_table_fails_and_an_isun_one_passes():
    import re

    procedure = all_tables()["isun_api_projects"].field("procedure_code").pattern
    assert re.search(procedure, "BG16RFOP001-1.027")
    assert not re.search(procedure, "BGLD-3.001")
    assert not re.search(
        procedure, "BG16RFOP001-1.001-039"
    )  # ОПРР's own call number: documents only


def test_an_eea_code_in_an_extracted_table_passes_with_its_scheme():
    # "Проект BGLD-3.001-0004-C01 …": a real EEA grants number form (see tests/test_extract_families.py)
    record = {
        "kind": "municipal-news",
        "project_code": EEA_CODE,
        "procedure_code": "BGLD-3.001",
        "source_url": "https://example.org/eea",
        "fetched_at": "2026-12-07T00:00:00Z",
        "content_sha256": "eea",
        "flags": [],
        "spans": {},
    }
    frame = extracted_tables([record])["news_mentions"]
    assert frame["code_scheme"].tolist() == ["eea"] == [code_scheme(EEA_CODE)]
    kept, rejected = screen_frame(NEWS_MENTIONS, frame)
    assert list(kept["project_code"]) == [EEA_CODE]
    assert rejected.empty


@pytest.mark.parametrize(
    "code, procedure, scheme",
    [
        # unseen6's real codes: 446 "безвъзмездна финансова помощ 58111-с077-268", 448 "Проект PF 022-038",
        # 447 "BG-RRP-4.020-037" (a three-digit proposal), 486 "по процедура BG161PO005/10/1.11/02/16"
        ("58111-c077-268", None, "opos"),
        ("PF 022-038", None, "swiss"),
        ("BG-RRP-4.020-037", "BG-RRP-4.020", "rrp"),
        (None, "BG161PO005/10/1.11/02/16", None),
    ],
)
def test_the_fifth_rounds_code_forms_pass_the_document_tables(code, procedure, scheme):
    record = {
        "kind": "municipal-news",
        "project_code": code,
        "procedure_code": procedure,
        "source_url": "https://example.org/unseen6",
        "fetched_at": "2026-12-07T00:00:00Z",
        "content_sha256": "unseen6",
        "flags": [],
        "spans": {},
    }
    frame = extracted_tables([record])["news_mentions"]
    assert frame["code_scheme"].tolist() == [scheme] == [code_scheme(code)]
    kept, rejected = screen_frame(NEWS_MENTIONS, frame)
    assert len(kept) == 1
    assert rejected.empty
