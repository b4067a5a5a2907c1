"""`bgfunds nightly`: one unattended night, for a timer (deploy/systemd) or cron.

Under the data directory's lock: the fetch (the live crawl, or `--corpus` replayed), the build
and its checks, the release, and with `--publish-to` the upload (`pipelines.release_upload`).
It ends with one line, `bgfunds nightly: released …` / `nothing changed …` / `failed: <reason>
…`, and writes `<data_dir>/nightly_status.json` (machine-readable: outcome, reason, release,
when the data was last known current, freshness), which `/health` reads (`pipelines.health`).

Exit 0 when the night released or found nothing new, and when it failed while the data is
still fresh (the last good night is within `--max-release-age-hours`: tomorrow may do better);
exit 1 only when no release could be made and the data is older than that. A failure (and
staleness) is also POSTed to `--notify-url`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.cli.build import (
    _crawler,
    _status,
    check_writable,
    guard_profile,
    upload,
    write_run_status,
)
from pipelines.cli.exits import EXIT_FAILED, EXIT_OK
from pipelines.cli.report import print_summary
from pipelines.cli.runs import BuildSummary, run_build
from pipelines.health import NIGHTLY_STATUS, health, notify, read_json
from shared.atomic import atomic_write
from sources.recorded import SAMPLE_CORPUS


def _night(args, data_dir: Path) -> BuildSummary:
    """Fetch, build, release and upload under the lock (raises what the build command raises)."""
    from warehouse.data_lock import data_dir_lock

    check_writable(data_dir)
    corpus = Path(args.corpus) if args.corpus else None
    if corpus is None:
        guard_profile(data_dir, "live")
    elif corpus.resolve() == SAMPLE_CORPUS.resolve():
        guard_profile(data_dir, "sample")
    with data_dir_lock(
        data_dir, args.lock_wait_seconds, on_wait=lambda m: print(m, file=sys.stderr, flush=True)
    ):
        summary = run_build(
            data_dir,
            corpus or SAMPLE_CORPUS,
            "DEBUG" if args.debug else args.log_level,
            source=None if corpus else _crawler(args, show_progress=True),
            force_rebuild=args.force_rebuild,
            workers=args.workers,
            progress=True,
            persistent_instance=True,
        )
        upload(args, data_dir, summary)
        return summary


def _failure_reason(summary: BuildSummary) -> str:
    failed_checks = sorted(name for name, passed in summary.checks.items() if not passed)
    reasons = [*summary.failures]
    if failed_checks:
        reasons.append(f"quality checks failed: {', '.join(failed_checks)}")
    return "; ".join(reasons) or "the build published nothing"


def _outcome(summary: BuildSummary | None, error: str | None) -> tuple[str, str | None]:
    """("released" | "unchanged" | "failed", the reason it failed)."""
    if summary is None:
        return "failed", error or "the night did not run"
    if not summary.success:
        return "failed", _failure_reason(summary)
    return ("unchanged" if summary.unchanged else "released"), None


def outcome_line(outcome: str, reason: str | None, state: dict, summary) -> str:
    release = state.get("release") or {}
    if outcome == "released":
        text = f"released {release.get('id')}"
        if summary is not None and summary.coverage:
            text += f" ({summary.coverage})"
    elif outcome == "unchanged":
        text = f"nothing changed; latest stays {release.get('id')}"
    else:
        kept = (
            f"latest stays {release['id']}, data {state['age_hours']} h old, "
            f"{'within' if state['fresh'] else 'OVER'} the {state['max_age_hours']} h limit"
            if release
            else "no release yet"
        )
        text = f"failed: {reason} ({kept})"
    if summary is not None and summary.upload and summary.upload.get("line"):
        text += f"; {summary.upload['line']}"
    return text


def _write_status(data_dir: Path, status: dict) -> None:
    atomic_write(
        data_dir / NIGHTLY_STATUS, json.dumps(status, ensure_ascii=False, indent=1, default=str)
    )


def nightly_command(args) -> int:
    """Run the night; print its summary and one outcome line; write the status; notify."""
    data_dir = Path(args.data_dir)
    started = time.time()
    previous = read_json(data_dir / NIGHTLY_STATUS)
    summary, error = None, None
    try:
        summary = _night(args, data_dir)
    except KeyboardInterrupt:
        error = "interrupted"
    except Exception as exc:  # noqa: BLE001 - a night ends with one line whatever happened
        if args.debug:
            raise
        error = f"{type(exc).__name__}: {exc}"
    if summary is not None and not (summary.unchanged and summary.success):
        # A night that changed nothing is told by the one line below.
        print_summary(summary, debug=args.debug, command="nightly")
    outcome, reason = _outcome(summary, error)
    ended = datetime.now(UTC)
    last_good_at = (
        ended.isoformat(timespec="seconds") if outcome != "failed" else previous.get("last_good_at")
    )
    status = {
        "command": "nightly",
        "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "outcome": outcome,
        "reason": reason,
        "last_good_at": last_good_at,
    }
    writable = data_dir.is_dir() and os.access(data_dir, os.W_OK)
    if writable:
        _write_status(data_dir, status)  # health() below reads last_good_at from it
    state = health(data_dir, args.max_release_age_hours, now=ended)
    code = EXIT_FAILED if outcome == "failed" and not state["fresh"] else EXIT_OK
    line = outcome_line(outcome, reason, state, summary)
    status.update(
        line=line,
        exit_code=code,
        fresh=state["fresh"],
        age_hours=state["age_hours"],
        max_age_hours=args.max_release_age_hours,
        release=state["release"],
        coverage=state["coverage"],
        publish_to=summary.upload if summary else None,
        notified=None,
    )
    if outcome == "failed" and args.notify_url:
        event = "failed" if state["fresh"] else "stale"
        state["last_night"] = {"outcome": outcome, "line": line, "ended": status["ended"]}
        status["notified"] = {"event": event, "error": notify(args.notify_url, event, state)}
    if writable:
        _write_status(data_dir, status)
        run = _status(args, started, outcome, code, summary, error=reason)
        status_path = write_run_status(data_dir, run)
        if status_path and outcome != "unchanged":
            print(f"  run status:        {status_path}")
    print(f"bgfunds nightly: {line}", flush=True)
    return code
