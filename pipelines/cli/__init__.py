"""The `bgfunds` command line: run the pipeline in-process and say what it produced.

Heavy libraries (Dagster, Great Expectations, DuckDB) are imported only by the commands
that use them, so `bgfunds --help` and `bgfunds extract FILE` start in a moment.

Exit codes: 0 released (or nothing changed), 1 the build ran and published nothing (a
failed step or quality check; `latest` is unchanged), 2 bad arguments, 3 another build
holds the data directory, 4 an input or the data directory is unusable (or a guard
refused), 130 interrupted. `extract`: 0 every input gave a record, 1 otherwise.

One module per concern: `parser` (arguments), `build` (the building commands),
`runs` (Dagster runs and what they did), `report` (what is printed), `extract`, `serve`,
`nightly` (one unattended night); the upload to object storage is `pipelines.release_upload`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.cli.build import _build_command, _crawler
from pipelines.cli.exits import EXIT_LOCKED, EXIT_UNUSABLE, EXIT_USAGE
from pipelines.cli.extract import extract_command
from pipelines.cli.parser import build_parser
from pipelines.cli.report import print_plan
from pipelines.cli.runs import run_build
from pipelines.cli.serve import serve_latest

__all__ = ["EXIT_LOCKED", "EXIT_UNUSABLE", "build_parser", "main", "run_build"]


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import SettingError

    try:
        parser = build_parser()
    except SettingError as exc:  # an env var that cannot be read: name it, its value and why
        print(f"bgfunds: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve_latest(
            Path(args.data_dir),
            args.port,
            args.host,
            max_age_hours=args.max_release_age_hours,
            notify_url=args.notify_url,
        )
    if args.command == "extract":
        return extract_command(args.paths, args.kind, args.data_dir, per_project=args.per_project)
    if args.command == "nightly":
        from pipelines.cli.nightly import nightly_command

        return nightly_command(args)
    if args.command == "crawl" and args.plan:
        return print_plan(_crawler(args), Path(args.data_dir))
    return _build_command(args)
