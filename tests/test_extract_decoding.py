"""`bgfunds extract` decodes what the README says it does (issue 27): an XHTML page with an
`<?xml … encoding=…?>` declaration (UTF-8 and windows-1251) and UTF-16-LE/BE text without a
BOM give the same record as the page in plain UTF-8, for each real seed text."""

from __future__ import annotations

import json
from html import escape

import pytest

from pipelines.cli import main
from sources.charset import detect_charset
from tests.conftest import SEEDS

SEED_TEXTS = sorted(SEEDS.glob("00[1-4]_*.txt"))


def _record(capsys, path) -> dict:
    assert main(["extract", str(path)]) == 0, capsys.readouterr().err
    record = json.loads(capsys.readouterr().out)
    record.pop("source")
    return record


def _xhtml(text: str, encoding: str) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
    page = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>{body}</body></html>'
    )
    return page.encode(encoding, errors="xmlcharrefreplace")


@pytest.mark.unit
@pytest.mark.parametrize("seed", SEED_TEXTS, ids=lambda p: p.name[:3])
def test_xhtml_with_an_encoding_declaration_reads_like_html(tmp_path, capsys, seed):
    text = seed.read_text(encoding="utf-8")
    plain = tmp_path / "plain.html"
    plain.write_bytes(_xhtml(text, "utf-8").split(b"\n", 1)[1])  # the same page, no declaration
    expected = _record(capsys, plain)
    assert any(v for k, v in expected.items() if k != "kind")  # a real record, not all nulls
    for encoding in ("utf-8", "windows-1251"):
        page = tmp_path / f"page-{encoding}.xhtml"
        page.write_bytes(_xhtml(text, encoding))
        assert _record(capsys, page) == expected, encoding


@pytest.mark.unit
@pytest.mark.parametrize("seed", SEED_TEXTS, ids=lambda p: p.name[:3])
def test_utf16_without_a_bom_reads_like_utf8(tmp_path, capsys, seed):
    text = seed.read_text(encoding="utf-8")
    expected = _record(capsys, seed)
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"seed-{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        assert not path.read_bytes().startswith((b"\xff\xfe", b"\xfe\xff"))
        assert detect_charset(path.read_bytes()) == encoding
        assert _record(capsys, path) == expected, encoding


@pytest.mark.unit
def test_utf8_and_windows_1251_are_never_taken_for_utf16():
    for seed in SEED_TEXTS:
        text = seed.read_text(encoding="utf-8")
        assert detect_charset(text.encode("utf-8")) == "utf-8"
        assert detect_charset(text.encode("cp1251", errors="replace")) != "utf-16-le"
