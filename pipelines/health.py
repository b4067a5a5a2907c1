"""Is the published data fresh? What `/health` answers, what decides `bgfunds nightly`'s exit
code, and the webhook that tells someone when it is not.

Fresh means the latest release was made, or a later night confirmed it is still current
("nothing changed"), less than `max_age_hours` ago. The release's own date alone would call a
quiet week stale; a night that failed confirms nothing. The facts come from two files of the
data directory: `publish/latest/quality_report.json` (the release: its id, when it was
issued, its coverage line) and `nightly_status.json` (what `bgfunds nightly` last did, and
when a night last ended well).

Imports nothing heavy: `bgfunds serve` answers `/health` from it.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NIGHTLY_STATUS = "nightly_status.json"
DEFAULT_MAX_AGE_HOURS = 48.0  # a missed night is tolerated; two in a row are not


def read_json(path: Path) -> dict:
    """A JSON object from a file; {} when it is missing or unreadable (a half-written file
    cannot happen: writers replace files whole)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hours(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else round((now - since).total_seconds() / 3600, 2)


def latest_release(data_dir: Path | str) -> dict | None:
    """The release `latest` points at: id, issued (ISO time), coverage line; None before the first."""
    report = read_json(Path(data_dir) / "publish" / "latest" / "quality_report.json")
    if not report.get("release_id"):
        return None
    return {
        "id": report["release_id"],
        "issued": report.get("issued"),
        "coverage": (report.get("coverage") or {}).get("line"),
    }


def health(
    data_dir: Path | str, max_age_hours: float = DEFAULT_MAX_AGE_HOURS, now: datetime | None = None
) -> dict:
    """The data directory's health as `/health` shows it; `fresh` says whether it is within
    `max_age_hours`."""
    now = now or datetime.now(UTC)
    release = latest_release(data_dir)
    night = read_json(Path(data_dir) / NIGHTLY_STATUS)
    issued = _instant(release["issued"]) if release else None
    confirmed = [t for t in (issued, _instant(night.get("last_good_at"))) if t is not None]
    current_since = max(confirmed) if confirmed else None
    age_hours = _hours(current_since, now)
    fresh = (
        current_since is not None and (now - current_since).total_seconds() <= max_age_hours * 3600
    )
    return {
        "status": "ok" if fresh else ("no release" if release is None else "stale"),
        "fresh": fresh,
        "checked": now.isoformat(timespec="seconds"),
        "max_age_hours": max_age_hours,
        "release": None
        if release is None
        else {"id": release["id"], "issued": release["issued"], "age_hours": _hours(issued, now)},
        # When the data was last known current: the release, or a later night that found nothing new.
        "current_since": current_since.isoformat(timespec="seconds") if current_since else None,
        "age_hours": age_hours,
        "last_night": {key: night.get(key) for key in ("outcome", "line", "ended")}
        if night
        else None,
        "coverage": release["coverage"] if release else None,
    }


def summary_line(state: dict) -> str:
    """One line for a person (and a chat webhook's `text`)."""
    release = state.get("release")
    if release is None:
        return "bgfunds: no release has been published yet"
    night = state.get("last_night") or {}
    return (
        f"bgfunds: {'fresh' if state['fresh'] else 'STALE'}: release {release['id']}, data current "
        f"as of {state['current_since']} ({state['age_hours']} h ago, limit {state['max_age_hours']} h)"
        + (f"; last night: {night['line']}" if night.get("line") else "")
    )


def notify(url: str, event: str, state: dict, timeout_seconds: float = 10.0) -> str | None:
    """POST `{"event", "text", "health"}` as JSON to the webhook `url` (`text` is what Slack,
    Mattermost and most chat hooks show); return None, or one line saying why it failed
    (a webhook that is down never stops a night or the server)."""
    body = json.dumps(
        {"event": event, "text": summary_line(state), "health": state}, ensure_ascii=False
    ).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "bgfunds-notify"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            response.read(1 << 16)
    except urllib.error.HTTPError as exc:
        line = f"notify {url}: {event} not delivered: HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        line = f"notify {url}: {event} not delivered: {getattr(exc, 'reason', None) or exc}"
    else:
        return None
    print(line, file=sys.stderr, flush=True)
    return line


class StalenessWatch:
    """Calls the webhook once when the data turns stale and once when it is fresh again
    (`bgfunds serve` checks every few minutes, so a night that never ran is noticed too)."""

    def __init__(self, data_dir: Path | str, max_age_hours: float, url: str) -> None:
        self.data_dir, self.max_age_hours, self.url = Path(data_dir), max_age_hours, url
        self.was_fresh: bool | None = None

    def check(self, now: datetime | None = None) -> str | None:
        """Look once; return the event sent ("stale" or "recovered"), or None."""
        state = health(self.data_dir, self.max_age_hours, now)
        event = None
        if not state["fresh"] and self.was_fresh is not False:
            event = "stale"
        elif state["fresh"] and self.was_fresh is False:
            event = "recovered"
        self.was_fresh = state["fresh"]
        if event and self.url:
            notify(self.url, event, state)
        return event
