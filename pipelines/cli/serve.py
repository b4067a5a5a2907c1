"""`bgfunds serve`: the latest release over HTTP on loopback."""

from __future__ import annotations

from pathlib import Path


def serve_latest(data_dir: Path, port: int, host: str = "127.0.0.1") -> int:
    """Serve data/publish (`/` follows `latest`) until interrupted (`pipelines.serve`)."""
    from pipelines.serve import serve

    return serve(data_dir, host, port)
