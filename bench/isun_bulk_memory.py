"""Peak memory of ИСУН's open-data API at the size of its largest programme: prints a table, asserts nothing.

For each size (projects in one programme answer, real shape, ~4.5 KB a project with its
contract and entity): write the answer as a stream, serve it on 127.0.0.1, and in a fresh
process per step measure the peak resident memory (`wait4` rusage) of
  1. fetch: the programme list and the answer through `PoliteClient` into the raw archive;
  2. stage: `stage_bulk_tables`, reading the archived answer as a stream into Parquet parts;
  3. naive: `json.load` of the same answer, the way a reader without streaming would parse it.

    python -m bench.isun_bulk_memory [--sizes 1000,10000,35000]
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.isun_bulk_fixtures import criteria_body, write_big_programme

ROOT = Path(__file__).resolve().parent.parent

FETCH = """
import sys
from sources.http_client import CrawlPolicy, PoliteClient
from sources.isun_opendata import api_policy, fetch_open_data
from sources.raw_archive import RawArchive
base = CrawlPolicy(allowed_hosts=frozenset({"127.0.0.1"}), contact="bench@bgfunds.example")
client = PoliteClient(api_policy(base, 0.0, max_bytes=2 * 1024 ** 3), RawArchive(sys.argv[2], durable=False))
night = fetch_open_data(client, sys.argv[1])
assert night.fetched and not night.stopped, night.lines()
"""
STAGE = """
import sys
from pipelines.isun_bulk_staging import stage_bulk_tables
from sources.raw_archive import RawArchive
bulk = stage_bulk_tables(RawArchive(sys.argv[1]), sys.argv[2])
print(bulk.projects.rows, bulk.contracts.rows, bulk.entities.rows)
"""
NAIVE = """
import json, sys
with open(sys.argv[1], "rb") as fh:
    data = json.load(fh)
print(len(data["projects"]))
"""


def serve(files: dict[str, Path]) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = files.get(self.path)
            if path is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()
            with open(path, "rb") as fh:
                shutil.copyfileobj(fh, self.wfile, 1024 * 1024)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def peak_mib(code: str, *args: str) -> tuple[float, float, str]:
    """(peak RSS MiB, seconds, stdout) of `python -c code args` in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"step failed ({proc.returncode}): {code[:60]!r}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start, out.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,35000")
    args = parser.parse_args(argv)
    print("| projects | answer MiB | step | peak RSS MiB | seconds |")
    print("| ---: | ---: | --- | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            big = tmp / "programme.json"
            mib = write_big_programme(big, size) / 1024**2
            criteria = tmp / "criteria.json"
            criteria.write_bytes(
                criteria_body([("5", "1", "Иновации и конкурентоспособност 2014-2020")])
            )
            server = serve(
                {
                    "/api/v1.0/opendata/criteria": criteria,
                    "/api/v1.0/opendata?ProgrammeId=5&ProgrammePeriodId=1": big,
                }
            )
            base = f"http://127.0.0.1:{server.server_address[1]}"
            try:
                rows = [
                    (
                        "fetch (PoliteClient -> raw archive)",
                        *peak_mib(FETCH, base, str(tmp / "raw"))[:2],
                    ),
                    (
                        "stage (streamed -> Parquet parts)",
                        *peak_mib(STAGE, str(tmp / "raw"), str(tmp / "st"))[:2],
                    ),
                    ("naive json.load of the answer", *peak_mib(NAIVE, str(big))[:2]),
                ]
            finally:
                server.shutdown()
            for step, peak, seconds in rows:
                print(f"| {size:,} | {mib:.1f} | {step} | {peak:.0f} | {seconds:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
