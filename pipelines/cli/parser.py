"""The `bgfunds` argument parser: commands, flags, and the types their values must have."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sources.recorded import SAMPLE_CORPUS

DESCRIPTION = """The `bgfunds` command line: run the pipeline in-process and say what it produced.

Exit codes: 0 released (or nothing changed), 1 the build ran and published nothing (a
failed step or quality check; `latest` is unchanged), 2 bad arguments, 3 another build
holds the data directory, 4 an input or the data directory is unusable (or a guard
refused), 130 interrupted. `extract`: 0 every input gave a record, 1 otherwise.
"""


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum of {minimum}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds >= 0")
    return value


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of hours >= 0")
    return value


def _port(text: str) -> int:
    value = _count(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def _http_url(text: str) -> str:
    from urllib.parse import urlparse

    parts = urlparse(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL with a host")
    return text


def _webhook(text: str) -> str:
    """An http(s) URL, or "" for none (the setting's default)."""
    return text and _http_url(text)


def _contact(text: str) -> str:
    if "@" not in text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an e-mail address")
    return text


def _corpus(text: str) -> str:
    if not (Path(text) / "manifest.json").is_file():
        raise argparse.ArgumentTypeError(f"{text}: not a recording (no manifest.json in it)")
    return text


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"bgfunds {version('bgfunds')}"
    except PackageNotFoundError:
        return "bgfunds (not installed: run from a source tree)"


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _setting_flag(parser: argparse.ArgumentParser, name: str, **kw) -> None:
    """The flag of a setting (`pipelines.settings`): `--<name>` and its older aliases, its env
    var's value as the default, the env var named in the help."""
    from pipelines.settings import BY_NAME, initial

    setting = BY_NAME[name]
    parser.add_argument(
        setting.option,
        *setting.aliases,
        dest=setting.name,
        default=initial(setting, os.environ, cli=True),
        help=f"{setting.help} (env {setting.env})",
        **kw,
    )


def _parent_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The flags every command has, and those of the commands that build."""
    common = argparse.ArgumentParser(add_help=False)
    _setting_flag(common, "data_dir")
    common.add_argument(
        "--debug", action="store_true", help="print full error traces and Dagster's debug log"
    )
    building = argparse.ArgumentParser(add_help=False)
    building.add_argument(
        "--log-level",
        default=None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="also show Dagster's own log at this level; unset: progress lines only",
    )
    _setting_flag(building, "force_rebuild", action="store_const", const=True)
    _setting_flag(building, "workers", type=_count(0))
    _setting_flag(building, "lock_wait_seconds", type=_seconds)
    _setting_flag(building, "public_url", type=_http_url)
    return common, building


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bgfunds", description=DESCRIPTION, formatter_class=_HelpFormatter
    )
    parser.add_argument("--version", action="version", version=_version())
    common, building = _parent_parsers()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, details: str, parents) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=f"{summary}.\n\n{details}",
            parents=parents,
            formatter_class=_HelpFormatter,
        )

    _add_build_commands(command, common, building)
    _add_serve_and_extract(command, common)
    _add_crawl(command, common, building)
    # The night's own copies of the shared flags: it changes a default (argparse shares the
    # flag objects of parent parsers, so a changed default would change every command's).
    _add_nightly(command, *_parent_parsers(), _crawl_flags())
    return parser


def _add_build_commands(command, common, building) -> None:
    """demo, build and publish."""
    command(
        "demo",
        "build everything from the bundled recorded sample corpus",
        "Replays the sample recording (recorded pages, not live data) into the data dir and builds, checks and "
        "releases it. Refuses a data dir that holds live (crawled) data.",
        [common, building],
    )
    build = command(
        "build",
        "build from a recording (a directory with manifest.json)",
        "Replays the recording into the raw archive, then builds, checks and releases. Manifest entries "
        "that cannot be trusted go to quarantine.",
        [common, building],
    )
    build.add_argument(
        "--corpus", type=_corpus, default=str(SAMPLE_CORPUS), help="the recording to replay"
    )
    publish = command(
        "publish",
        "rebuild and release offline from the raw archive (no fetching)",
        "Reads only what the raw archive already holds. With --to s3://bucket/prefix (any fsspec "
        "URL) the release is also uploaded there: every file read back and checked against "
        "SHA256SUMS, then copied to latest/, then LATEST switched; a failed upload leaves "
        "the URL's latest as it was.",
        [common, building],
    )
    _setting_flag(publish, "publish_to")


def _add_serve_and_extract(command, common) -> None:
    serve = command(
        "serve",
        "serve the releases over HTTP: / follows 'latest', /releases/<id>/ is fixed",
        "Serves <data-dir>/publish until interrupted, with Range requests (remote DuckDB reads "
        "only what it needs).",
        [common],
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 for all)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (0: any free port)")
    _setting_flag(serve, "max_release_age_hours", type=_hours)
    _setting_flag(serve, "notify_url", type=_webhook)
    ext = command(
        "extract",
        "extract normalised project records from files or URLs, as JSON lines",
        "One JSON object per input on stdout; unreadable or empty inputs are named on stderr and make "
        "the exit code 1. Text files may be UTF-8, UTF-16 (with a BOM) or windows-1251.",
        [common],
    )
    ext.add_argument(
        "paths", nargs="+", metavar="PATH", help="files (HTML, text, PDF, DOCX) or http(s) URLs"
    )
    ext.add_argument(
        "--kind",
        default="auto",
        choices=["auto", "isun", "municipal-news", "ngo-project", "ngo-event", "strategy"],
        help="what the inputs are; auto guesses per input",
    )
    ext.add_argument(
        "--per-project",
        action="store_true",
        help="one line per project the text speaks of (none where it names none), with evidence",
    )


def _crawl_flags() -> argparse.ArgumentParser:
    """The live crawler's flags (crawl, nightly)."""
    crawling = argparse.ArgumentParser(add_help=False)
    _setting_flag(crawling, "isun_base_url", type=_http_url)
    _setting_flag(crawling, "requests_per_night", type=_count(1))
    _setting_flag(crawling, "interval_seconds", type=_seconds)
    _setting_flag(crawling, "contact", type=_contact)
    _setting_flag(crawling, "api_interval_seconds", type=_seconds)
    _setting_flag(crawling, "max_programme_calls", type=_count(0))
    crawling.add_argument(
        "--no-bulk", action="store_true", help="skip the open-data API and the register export"
    )
    return crawling


def _add_crawl(command, common, building) -> None:
    crawling = _crawl_flags()
    crawl = command(
        "crawl",
        "crawl ИСУН (or a mirror) politely, then build from the archive",
        "Listings, then new, changed and a rotating slice of known contracts, within the request budget "
        "(every request counts: robots.txt, listings, redirects, retries). A firewall page or a long "
        "Retry-After stops the night for that host; what is left stays queued.",
        [common, building, crawling],
    )
    crawl.add_argument(
        "--plan",
        action="store_true",
        help="print what tonight's crawl would fetch and its request count; fetch nothing",
    )


def _add_nightly(command, common, building, crawling) -> None:
    from pipelines.settings import BY_NAME, initial

    nightly = command(
        "nightly",
        "one unattended night: fetch, build, check, release and (with --publish-to) upload",
        "Crawls ИСУН as `crawl` does (or replays --corpus), under the data dir's lock, waiting for "
        "another build up to --lock-wait-seconds (default here: 3600). Ends with one line: released / "
        "nothing changed / failed: reason; writes <data-dir>/nightly_status.json. Exit 1 only when "
        "no release could be made and the data is older than --max-release-age-hours; else 0.",
        [common, building, crawling],
    )
    nightly.add_argument(
        "--corpus", type=_corpus, default=None, help="replay this recording instead of crawling"
    )
    _setting_flag(nightly, "publish_to")
    _setting_flag(nightly, "notify_url", type=_webhook)
    _setting_flag(nightly, "max_release_age_hours", type=_hours)
    # A scheduled night waits for a manual build to finish rather than giving up at once.
    nightly.set_defaults(
        lock_wait_seconds=initial(BY_NAME["lock_wait_seconds"], os.environ, cli=False)
    )
