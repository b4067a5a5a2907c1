"""Read a document into plain text: HTML, plain text, PDF (pypdf) or DOCX (python-docx).

HTML loses its scripts, styles, navigation, headers and footers; block elements become
lines, so "label value" blocks and numbered lists survive. Unreadable input raises
DocumentError naming the file and why.

Every reader is bounded (`ReadLimits`): the input's size; a DOCX's total and per-part
uncompressed size and compression ratio, checked from the zip directory before anything
is inflated (a 352 KiB zip bomb is refused, not read into 1.6 GiB); a PDF's pages and the
time spent extracting them; HTML nested deeper than the tree parser keeps is read flat
(every text node, no tree), so no text is lost silently.
"""

from __future__ import annotations

import html.parser
import io
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import lxml.etree
import lxml.html

from sources.charset import decode_body

_BLOCKS = {
    "p",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "dt",
    "dd",
    "label",
}


class DocumentError(ValueError):
    pass


@dataclass(frozen=True)
class ReadLimits:
    max_input_bytes: int = 50 * 1024 * 1024
    max_docx_uncompressed_bytes: int = 100 * 1024 * 1024
    max_docx_ratio: float = 200.0  # uncompressed / compressed, per part above 1 MiB
    max_pdf_pages: int = 2000
    max_pdf_seconds: float = 60.0
    max_text_chars: int = 20_000_000


LIMITS = ReadLimits()
# libxml2 keeps at most this many levels of elements (more, with huge_tree); deeper text is dropped.
_LXML_MAX_DEPTH = 255
_SKIPPED = {"script", "style", "nav", "noscript", "header", "footer", "form"}


class _FlatText(html.parser.HTMLParser):
    """Every text node of an HTML document in order, no tree (so no depth limit): scripts,
    styles and navigation left out, block elements as line breaks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "li":
            self.parts.append("\n• ")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def _tidy(text: str) -> str:
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t\u00a0]+", " ", text)).strip()


def _too_deep(html: str) -> bool:
    """Whether the page nests elements deeper than lxml keeps (a cheap upper bound first)."""
    if html.count("<") < _LXML_MAX_DEPTH:
        return False
    depth = deepest = 0
    for m in re.finditer(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>", html):
        if m.group(1):
            depth = max(depth - 1, 0)
        elif not m.group(3) and m.group(2).lower() not in {
            "br",
            "img",
            "hr",
            "meta",
            "link",
            "input",
            "wbr",
        }:
            depth += 1
            deepest = max(deepest, depth)
            if deepest > _LXML_MAX_DEPTH - 10:
                return True
    return False


# An XHTML page's `<?xml … encoding="…"?>`: the text is decoded already (sources.charset),
# and lxml refuses a str that still declares an encoding.
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>", re.I)


def html_to_text(html: str) -> str:
    html = _XML_DECLARATION.sub("", html, count=1)
    if _too_deep(html):
        flat = _FlatText()
        flat.feed(html)
        flat.close()
        return _tidy("".join(flat.parts))
    root = lxml.html.fromstring(html)
    for bad in root.xpath("//script|//style|//nav|//noscript|//header|//footer|//form"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() == "li":
                el.text = "• " + (el.text or "")
    return _tidy(root.text_content())


def _check_docx_zip(path: Path, data: bytes, limits: ReadLimits) -> None:
    """Refuse a DOCX whose parts would inflate beyond the limits, before inflating any."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"{path}: not a readable DOCX: {exc}") from exc
    total = sum(i.file_size for i in infos)
    if total > limits.max_docx_uncompressed_bytes:
        raise DocumentError(
            f"{path}: DOCX would inflate to {total} bytes (limit "
            f"{limits.max_docx_uncompressed_bytes}): refused as a possible zip bomb"
        )
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_docx_ratio * max(
            info.compress_size, 1
        ):
            raise DocumentError(
                f"{path}: DOCX part {info.filename} inflates {info.compress_size} bytes to "
                f"{info.file_size}: refused as a possible zip bomb"
            )


def _read_pdf(path: Path, data: bytes, limits: ReadLimits) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        if len(pages) > limits.max_pdf_pages:
            raise DocumentError(f"{path}: PDF of {len(pages)} pages (limit {limits.max_pdf_pages})")
        deadline = time.monotonic() + limits.max_pdf_seconds
        texts, chars = [], 0
        for number, page in enumerate(pages, 1):
            if time.monotonic() > deadline:
                raise DocumentError(
                    f"{path}: PDF text extraction took over {limits.max_pdf_seconds:g} s "
                    f"(stopped at page {number} of {len(pages)})"
                )
            text = page.extract_text() or ""
            chars += len(text)
            if chars > limits.max_text_chars:
                raise DocumentError(f"{path}: PDF text exceeds {limits.max_text_chars} characters")
            texts.append(text)
        return "\n".join(texts)
    except (PdfReadError, ValueError, KeyError, RecursionError) as exc:
        if isinstance(exc, DocumentError):
            raise
        raise DocumentError(f"{path}: not a readable PDF: {exc}") from exc


def read_document(
    path: Path | str,
    data: bytes | None = None,
    content_type: str | None = None,
    limits: ReadLimits = LIMITS,
) -> tuple[str, str]:
    """(text, format) for a file or for fetched bytes; format is html, text, pdf or docx."""
    path = Path(path)
    try:
        if data is None:
            size = path.stat().st_size
            if size > limits.max_input_bytes:
                raise DocumentError(f"{path}: {size} bytes (limit {limits.max_input_bytes})")
            data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > limits.max_input_bytes:
        raise DocumentError(f"{path}: {len(data)} bytes (limit {limits.max_input_bytes})")
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        return _read_pdf(path, data, limits), "pdf"
    if data.startswith(b"PK\x03\x04") or suffix == ".docx":
        import docx

        _check_docx_zip(path, data, limits)
        try:
            document = docx.Document(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise DocumentError(f"{path}: not a readable DOCX: {exc}") from exc
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" ".join(cell.text for cell in row.cells))
        return "\n".join(lines), "docx"
    from sources.charset import detect_charset

    if b"\x00" in data[:4096] and not detect_charset(data, content_type).startswith(
        ("utf-16", "utf-32")
    ):
        raise DocumentError(f"{path}: binary content that is not PDF or DOCX")
    text = decode_body(data, content_type)
    if suffix in {".html", ".htm"} or re.search(r"<(html|body|div|p)\b", text[:2000], re.I):
        return text, "html"
    return text, "text"
