"""Recognise ИСУН's F5 WAF answers that are not data, even when they come with HTTP 200.

Two kinds come back: a JavaScript challenge (markers `TSPD`, `APM_DO_NOT_TOUCH`) and a
short "Request Rejected" page. We detect them so the crawler backs off and stops for
that host, and so the parsers never read them as data. We never try to defeat them.
"""

from __future__ import annotations

import re

_CHALLENGE_MARKERS = (b"TSPD", b"APM_DO_NOT_TOUCH")
_REJECTED = re.compile(rb"(?i)request\s+rejected|the\s+requested\s+url\s+was\s+rejected")
# Real ИСУН pages carry these; a challenge page does not.
_CONTENT_MARKERS = (b'class="list-item"', b"<table")
_SHORT_PAGE_BYTES = 8 * 1024


class BlockedError(RuntimeError):
    """A WAF page came back where data was expected."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: blocked by the site's firewall ({reason}); not parsed")
        self.url = url
        self.reason = reason


def block_reason(body: bytes) -> str | None:
    """Why this body is a WAF page rather than content, or None if it is content."""
    has_content = any(marker in body for marker in _CONTENT_MARKERS)
    if any(marker in body for marker in _CHALLENGE_MARKERS) and not has_content:
        return "javascript challenge (TSPD/APM_DO_NOT_TOUCH)"
    # The content markers first: the case-blind search is tried at every byte of a short page.
    if len(body) < _SHORT_PAGE_BYTES and not has_content and _REJECTED.search(body):
        return "request rejected"
    return None
