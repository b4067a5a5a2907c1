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


# What Bulgarian text is made of: ASCII, Latin-1, Cyrillic, general punctuation („“ — …),
# the euro sign and №. BOM-less UTF-16 is recognised when a sample decodes to such text.
_PLAUSIBLE = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\u00ff\u0400-\u04ff\u2000-\u206f\u20ac\u2116]")


def _bomless_utf16(body: bytes) -> str | None:
    """UTF-16 without a BOM: a sample that holds zero bytes (ASCII letters, spaces and
    punctuation have one in every two bytes; UTF-8 and windows-1251 text never do) and
    decodes, one way round, to text that is 97 % made of what Bulgarian text is made of."""
    sample = body[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4 or 0 not in sample:
        return None
    best, best_share = None, 0.0
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:  # a lone surrogate: not this byte order
            continue
        share = len(_PLAUSIBLE.findall(text)) / len(text)
        if share > best_share:
            best, best_share = name, share
    return best if best_share >= 0.97 else None


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
