"""Decode fetched bytes to text: UTF-8 and windows-1251 both occur on Bulgarian sites.

Order: a byte-order mark (UTF-8, UTF-16, UTF-32), the charset in the Content-Type header,
then a `<meta charset>` in the page, then BOM-less UTF-16 (every other byte zero), then
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


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bomless_utf16(body: bytes) -> str | None:
    """UTF-16 without a BOM: text whose every other byte is zero (Latin or Cyrillic alike have one zero
    byte in two only for Latin; Cyrillic's high byte is 0x04)."""
    sample = body[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        high = set(zeros)
        if high <= {0, 4} and 0 in high and other.count(0) == 0:
            return name
    return None


def detect_charset(body: bytes, content_type: str | None = None) -> str:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = (
        _known(m.group(1)) if content_type and (m := _HEADER_CHARSET.search(content_type)) else None
    )
    if declared:
        return declared
    meta = _META_CHARSET.search(body[:4096])
    if meta and (name := _known(meta.group(1).decode("ascii", "ignore"))):
        return name
    if (utf16 := _bomless_utf16(body)) is not None:
        return utf16
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
