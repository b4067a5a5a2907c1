"""One archived HTTP response as the raw archive's manifest records it (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawResponse:
    url: str
    fetched_at: str  # ISO 8601, UTC
    status: int
    sha256: str
    content_type: str
    bytes: int
    headers: dict[str, str] = field(default_factory=dict)
