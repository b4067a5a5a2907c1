"""Startup time of the command line (not a test): `bgfunds --help`, `bgfunds extract FILE` and,
with `--night DATA_DIR`, a quiet night.

Each command runs `--runs` times in a fresh interpreter; the table shows the fastest and
the median wall time. Targets (issue 18): --help under 1 s, extract under 2 s; (issue 24) a
quiet night under 2 s: `bgfunds publish --data-dir DATA_DIR`, offline, on a data directory
whose archive and code have not changed since its last release (a `bench.run` work
directory's `out-N`, say; the first run may take the Dagster way and leave the stamp the
others read, `pipelines.quiet_night`).

    python -m bench.startup [--runs 5] [--night DATA_DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_NEWS = ROOT / "sample" / "documents" / "001_bed355c73594888d.txt"
SAMPLE_ISUN = (
    ROOT / "sample" / "isun" / "pages" / "PrintProject_contractId_90210_isHistoric_False.html"
)


def _bgfunds() -> list[str]:
    script = Path(sys.executable).with_name("bgfunds")
    return (
        [str(script)]
        if script.exists()
        else [shutil.which("bgfunds") or sys.executable, "-m", "pipelines.cli"]
    )


def time_command(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--night",
        metavar="DATA_DIR",
        help="also time a quiet night: bgfunds publish --data-dir DATA_DIR (nothing changed)",
    )
    args = parser.parse_args(argv)
    cli = _bgfunds()
    cases = [
        ("bgfunds --help", [*cli, "--help"], 1.0),
        ("bgfunds extract NEWS.txt", [*cli, "extract", str(SAMPLE_NEWS)], 2.0),
        ("bgfunds extract ISUN.html", [*cli, "extract", str(SAMPLE_ISUN)], 2.0),
    ]
    if args.night:
        cases.append(
            ("bgfunds publish (quiet night)", [*cli, "publish", "--data-dir", args.night], 2.0)
        )
    print(f"{'command':<28} {'fastest s':>10} {'median s':>10} {'target s':>9}")
    for name, command, target in cases:
        times = time_command(command, args.runs)
        print(
            f"{name:<28} {min(times):>10.2f} {statistics.median(times):>10.2f} {target:>9.1f}"
            + ("" if statistics.median(times) < target else "  OVER")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
