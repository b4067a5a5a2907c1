"""The building commands (demo, build, publish, crawl): checks, the data-dir lock, run status, exit codes."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.cli.exits import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_UNUSABLE,
    PROFILE_MARKER,
)
from pipelines.cli.report import print_summary
from pipelines.cli.runs import ARCHIVE, BuildSummary, run_build
from sources.recorded import SAMPLE_CORPUS


class UnusableError(RuntimeError):
    """The data directory or an input cannot be used; the message says which and why."""


def check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UnusableError(
            f"data dir {data_dir}: cannot write there: {exc.strerror or exc}"
        ) from None


def data_profile(data_dir: Path) -> str | None:
    """'live' or 'sample': what the data directory holds (None: nothing yet)."""
    marker = data_dir / PROFILE_MARKER
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip() or None
    if (data_dir / "crawl_state.duckdb").exists():
        return "live"  # crawled before the marker existed
    return None


def guard_profile(data_dir: Path, wanted: str) -> None:
    """Refuse the sample's fake contracts in a data directory that holds live data."""
    held = data_profile(data_dir)
    if wanted == "sample" and held == "live":
        raise UnusableError(
            f"data dir {data_dir} holds live (crawled) data; the sample corpus would mix its "
            "made-up contracts into it. Use another --data-dir for the demo."
        )
    if held is None or (held == "sample" and wanted == "live"):
        (data_dir / PROFILE_MARKER).write_text(wanted + "\n", encoding="utf-8")


def _last_crawl(data_dir: Path, since: float) -> dict:
    path = data_dir / "last_crawl.json"
    if path.exists() and path.stat().st_mtime >= since:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return {}
    return {}


def _new_run_dir(runs: Path, started: str, command: str) -> Path:
    """`runs/<start>-<command>`, or `<start>.2-<command>`, … where a run of the same second has
    it already."""
    runs.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        run_dir = runs / (f"{started}-{command}" if n == 1 else f"{started}.{n}-{command}")
        try:
            run_dir.mkdir()
            return run_dir
        except FileExistsError:
            continue
    raise OSError(f"{runs}: no free run directory for {started}-{command}")


def write_run_status(data_dir: Path, status: dict) -> Path | None:
    """`<data_dir>/runs/<start>-<command>/run_status.json` (one directory per run), and a copy
    as `<data_dir>/run_status.json`."""
    try:
        run_dir = _new_run_dir(
            data_dir / "runs", status["started"].replace(":", ""), status["command"]
        )
        text = json.dumps(status, ensure_ascii=False, indent=1, default=str)
        for path in (run_dir / "run_status.json", data_dir / "run_status.json"):
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        return run_dir / "run_status.json"
    except OSError:
        return None


def _status(
    args,
    started: float,
    outcome: str,
    exit_code: int,
    summary: BuildSummary | None = None,
    error: str | None = None,
) -> dict:
    when = lambda t: datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")  # noqa: E731
    status = {
        "command": args.command,
        "argv": sys.argv[1:],
        "started": when(started),
        "ended": when(time.time()),
        "seconds": round(time.time() - started, 1),
        "outcome": outcome,
        "exit_code": exit_code,
        "error": error,
    }
    if summary is not None:
        status.update(
            {
                "counts": {
                    "responses_this_run": summary.responses,
                    "pages_read": summary.pages_read,
                    "pages_rejected": summary.pages_rejected,
                    "projects": summary.projects,
                    "activities": summary.activities,
                    "quarantined": summary.rows_rejected,
                    "documents": sum(summary.documents_by_kind.values()),
                    "linked_projects": summary.linked_projects,
                },
                "quarantine_by_rule": summary.quarantine_by_rule,
                "checks": summary.checks,
                "failures": summary.failures,
                "release": summary.release,
                "unchanged": summary.unchanged,
                "fetch": summary.fetch_summary,
                "dagster_run_id": summary.dagster_run_id,
                "publish_to": summary.upload,
                "steps_seconds": {k: round(e - s, 2) for k, (s, e) in summary.steps.items()},
            }
        )
    status["requests"] = _last_crawl(Path(args.data_dir), started).get("http", {})
    return status


def _build(args, data_dir: Path) -> BuildSummary:
    """Check the data dir, take its lock and run the build the command asks for."""
    from warehouse.data_lock import data_dir_lock

    check_writable(data_dir)
    corpus = SAMPLE_CORPUS if args.command != "build" else Path(args.corpus)
    if args.command in ("demo", "build") and corpus.resolve() == SAMPLE_CORPUS.resolve():
        guard_profile(data_dir, "sample")
    elif args.command == "crawl":
        guard_profile(data_dir, "live")
    with data_dir_lock(
        data_dir,
        args.lock_wait_seconds,
        on_wait=lambda m: print(m, file=sys.stderr, flush=True),
    ):
        source = documents = None
        if args.command == "demo":
            print(
                f"Building from the recorded sample corpus {corpus} (recorded pages, not live data)"
            )
        if args.command == "publish":
            # Named, not built: a quiet night is told before the resources (and Dagster) load.
            source = documents = ARCHIVE
        if args.command == "crawl":
            source = _crawler(args, show_progress=True)
        summary = run_build(
            data_dir,
            corpus,
            "DEBUG" if args.debug else args.log_level,
            source=source,
            force_rebuild=args.force_rebuild,
            documents=documents,
            workers=args.workers,
            progress=True,
            persistent_instance=True,
        )
        upload(args, data_dir, summary)  # still under the lock: `latest` cannot move meanwhile
        return summary


def upload(args, data_dir: Path, summary: BuildSummary) -> None:
    """With `--publish-to URL`, upload the release a successful build left as `latest`
    (`pipelines.release_upload`); a failed upload fails the command, naming why."""
    url = getattr(args, "publish_to", "")
    if not url or not summary.success:
        return
    from pipelines.release_upload import publish_latest_to, upload_line

    try:
        summary.upload = publish_latest_to(data_dir, url, unchanged=summary.unchanged)
    except Exception as exc:  # noqa: BLE001 - any storage error: one line, the command fails
        summary.upload = {"url": url, "error": f"{type(exc).__name__}: {exc}"}
        summary.failures.append(f"publish_to: {summary.upload['error']}")
        summary.success = False
        return
    summary.upload["line"] = upload_line(summary.upload)


def _build_command(args) -> int:
    """A building command (demo, build, publish, crawl): the build, its summary and run status;
    every way it can end gets an exit code and a run_status.json."""
    from warehouse.data_lock import DataDirLockedError

    data_dir = Path(args.data_dir)
    started = time.time()
    summary = None
    try:
        summary = _build(args, data_dir)
    except DataDirLockedError as exc:
        print(f"bgfunds {args.command}: {exc}", file=sys.stderr)
        write_run_status(data_dir, _status(args, started, "locked", EXIT_LOCKED, error=str(exc)))
        return EXIT_LOCKED
    except UnusableError as exc:
        print(f"bgfunds {args.command}: {exc}", file=sys.stderr)
        if data_dir.is_dir() and os.access(data_dir, os.W_OK):
            write_run_status(
                data_dir, _status(args, started, "refused", EXIT_UNUSABLE, error=str(exc))
            )
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print(
            f"bgfunds {args.command}: interrupted; 'latest' still points at the last good release",
            file=sys.stderr,
        )
        write_run_status(data_dir, _status(args, started, "interrupted", EXIT_INTERRUPTED, summary))
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line naming what failed; the trace with --debug
        if args.debug:
            raise
        print(
            f"bgfunds {args.command}: {type(exc).__name__}: {exc} (run again with --debug for the trace)",
            file=sys.stderr,
        )
        write_run_status(
            data_dir, _status(args, started, "failed", EXIT_FAILED, summary, error=str(exc))
        )
        return EXIT_FAILED
    print_summary(summary, debug=args.debug, command=args.command)
    code = EXIT_OK if summary.success else EXIT_FAILED
    outcome = "failed" if not summary.success else "unchanged" if summary.unchanged else "released"
    path = write_run_status(
        data_dir,
        _status(args, started, outcome, code, summary, error="; ".join(summary.failures) or None),
    )
    if path and not (summary.unchanged and summary.success):
        print(f"  run status:        {path}")
    return code


def _crawler(args, show_progress: bool = False):
    """The live crawler configured by the crawl command's settings (`pipelines.settings`)."""
    from pipelines.resources import LiveIsunCrawler
    from pipelines.settings import resolve

    return LiveIsunCrawler(
        **resolve(os.environ, args)["isun_pages"],
        show_progress=show_progress,
        bulk=not args.no_bulk,
    )
