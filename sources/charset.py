"""Decode fetched bytes to text: UTF-8 and windows-1251 both occur on Bulgarian sites.

Order: the charset in the Content-Type header, then a `<meta charset>` in the page, then
strict UTF-8, then charset-normalizer's best guess. The raw archive keeps the bytes; only
parsers decode.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def detect_charset(body: bytes, content_type: str | None = None) -> str:
    declared = _known(m.group(1)) if content_type and (m := _HEADER_CHARSET.search(content_type)) else None
    if declared:
        return declared
    meta = _META_CHARSET.search(body[:4096])
    if meta and (name := _known(meta.group(1).decode("ascii", "ignore"))):
        return name
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body, cp_isolation=["cp1251", "utf_8", "koi8_r", "iso8859_5"]).best()
    return _known(best.encoding) if best else "cp1251"


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """The body as text, in the charset it was sent in (undecodable bytes replaced)."""
    return body.decode(detect_charset(body, content_type), errors="replace")
