"""Read a document into plain text: HTML, plain text, PDF (pypdf) or DOCX (python-docx).

HTML loses its scripts, styles, navigation, headers and footers; block elements become
lines, so "label value" blocks and numbered lists survive. Unreadable input raises
DocumentError naming the file and why.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import lxml.html

from sources.charset import decode_body

_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section", "article", "table", "ul", "ol",
           "dt", "dd", "label"}


class DocumentError(ValueError):
    pass


def html_to_text(html: str) -> str:
    root = lxml.html.fromstring(html)
    for bad in root.xpath("//script|//style|//nav|//noscript|//header|//footer|//form"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() == "li":
                el.text = "• " + (el.text or "")
    text = root.text_content()
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t\u00a0]+", " ", text)).strip()


def read_document(path: Path | str, data: bytes | None = None, content_type: str | None = None) -> tuple[str, str]:
    """(text, format) for a file or for fetched bytes; format is html, text, pdf or docx."""
    path = Path(path)
    try:
        data = path.read_bytes() if data is None else data
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(data))
            return "\n".join(page.extract_text() or "" for page in reader.pages), "pdf"
        except (PdfReadError, ValueError, KeyError) as exc:
            raise DocumentError(f"{path}: not a readable PDF: {exc}") from exc
    if data.startswith(b"PK\x03\x04") or suffix == ".docx":
        import zipfile

        import docx

        try:
            document = docx.Document(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise DocumentError(f"{path}: not a readable DOCX: {exc}") from exc
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" ".join(cell.text for cell in row.cells))
        return "\n".join(lines), "docx"
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{path}: binary content that is not PDF or DOCX")
    text = decode_body(data, content_type)
    if suffix in {".html", ".htm"} or re.search(r"<(html|body|div|p)\b", text[:2000], re.I):
        return text, "html"
    return text, "text"
