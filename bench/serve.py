"""`python -m bench.serve`: latency of `bgfunds serve` under concurrent load, on loopback.

Starts `bgfunds serve` (the real CLI, its own process) on a free 127.0.0.1 port over a data
dir with a release (`--data-dir`; without one, the bundled sample is built into a temporary
directory first), then sends `--requests` requests from `--concurrency` client threads, each
on its own keep-alive connection: the search page, site pages, the search index, a CSV, and
Range reads of a Parquet file's footer (what DuckDB's httpfs sends). Prints p50/p95/p99/max
latency and throughput. Not a test: nothing here asserts; the target is p99 < 200 ms for
2 000 requests at 50 concurrent on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _paths(release: Path) -> list[tuple[str, dict[str, str]]]:
    site = release / "site"
    pages = sorted(p.relative_to(release).as_posix() for p in site.rglob("*.html"))[:20]
    parquet = next(iter(sorted(release.glob("*.parquet"))), None)
    paths: list[tuple[str, dict[str, str]]] = [
        ("/", {}),
        ("/site/index.html", {}),
        ("/site/search-index.js", {}),
        ("/projects.csv", {}),
    ]
    paths += [(f"/{p}", {}) for p in pages]
    if parquet:
        paths += [
            (f"/{parquet.name}", {"Range": "bytes=-8"}),
            (f"/{parquet.name}", {"Range": "bytes=0-4095"}),
        ]
    return paths


def run(data_dir: Path, requests: int, concurrency: int) -> dict:
    release = (data_dir / "publish" / "latest").resolve()
    paths = _paths(release)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            "0",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:", 1)[1].split("/", 1)[0])
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        counter = iter(range(requests))

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    break
                path, headers = paths[n % len(paths)]
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status in (200, 206)
                except OSError as exc:
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    response = exc
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors.append(f"{path}: {getattr(response, 'status', response)}")
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * len(ordered))) - 1)] * 1000

    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "errors": len(errors),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": ordered[-1] * 1000,
        "mean_ms": statistics.mean(latencies) * 1000,
        "requests_per_s": len(latencies) / wall,
        "distinct_paths": len(paths),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", help="a data dir with a release (default: build the sample into a temp dir)"
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bgfunds-bench-serve-") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        if not args.data_dir:
            from pipelines.cli import run_build

            print(f"building the sample into {data_dir} ...", flush=True)
            if not run_build(data_dir).success:
                print("the sample build failed", file=sys.stderr)
                return 1
        result = run(data_dir, args.requests, args.concurrency)
    print(
        f"bgfunds serve: {result['requests']} requests, {result['concurrency']} concurrent, "
        f"{result['distinct_paths']} paths, {result['errors']} errors"
    )
    print(
        f"  p50 {result['p50_ms']:.1f} ms · p95 {result['p95_ms']:.1f} ms · p99 {result['p99_ms']:.1f} ms · "
        f"max {result['max_ms']:.1f} ms · {result['requests_per_s']:.0f} requests/s "
        f"(target: p99 < 200 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
