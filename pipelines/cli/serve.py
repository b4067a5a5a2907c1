"""`bgfunds serve`: the latest release over HTTP on loopback."""

from __future__ import annotations

from pathlib import Path


def serve_latest(
    data_dir: Path,
    port: int,
    host: str = "127.0.0.1",
    max_age_hours: float = 48.0,
    notify_url: str = "",
) -> int:
    """Serve data/publish (`/` follows `latest`, `/health` its freshness) until interrupted
    (`pipelines.serve`)."""
    from pipelines.serve import serve

    return serve(data_dir, host, port, max_age_hours=max_age_hours, notify_url=notify_url)
