"""Exit codes of `bgfunds` and the data directory's profile marker."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


PROFILE_MARKER = ".profile"  # "sample" or "live": what a data directory holds
