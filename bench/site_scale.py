"""Time the release's site at scale: every page, download, search entry and feed for N contracts.

`python -m bench.site_scale [--contracts 80000] [--pages-share 0.02] [--workdir DIR]` (not a test; `make bench`
runs it) writes a warehouse shaped like a release's — `projects` with N contracts (as the open-data
API gives every night: bulk rows, and `pages-share` of them with their pages read, 6 activities
each), their places (265 municipalities, 28 districts), ~0.59 N beneficiaries (80 728 contracts
have 47 550 in the real register), one release of history, the programmes and places — in a child
process, then builds the site from it (`warehouse.site.build_site`) in this one and prints the
seconds, the peak resident memory of this process and what was written. Values are synthetic;
the shapes and the counts are the real register's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RELEASE = "2026-12-07"
NIGHT = "2026-12-08"


def generate(path: Path, contracts: int, pages_share: float) -> None:
    """The warehouse: every registry table (empty where the site does not need rows), filled by SQL."""
    import duckdb

    from registry import all_tables
    from registry.tables import (
        HISTORY_ACTIVITIES,
        HISTORY_PROJECTS,
        HISTORY_TABLES,
        create_table_sql,
    )
    from transforms.gazetteer import places_table
    from transforms.programmes import programmes_table
    from warehouse.views import create_release_views, create_views

    def tracked(table) -> str:
        return ", ".join(c for c in table.columns if c not in ("release_id", "is_removed"))

    con = duckdb.connect(str(path))
    for table in [*all_tables().values(), *HISTORY_TABLES.values()]:
        con.execute(create_table_sql(table))
    places = places_table()
    con.register("_places", places)
    con.execute("INSERT INTO places BY NAME SELECT * FROM _places")
    con.register("_programmes", programmes_table())
    con.execute("INSERT INTO programmes BY NAME SELECT * FROM _programmes")
    beneficiaries = max(1, int(contracts * 0.589))
    every = max(1, round(1 / pages_share)) if pages_share else 0
    con.execute(
        f"""
        CREATE TEMP TABLE m AS SELECT row_number() OVER (ORDER BY code) - 1 AS i, code, name_bg, nuts3
        FROM _places WHERE level = 'municipality';
        CREATE TEMP TABLE g AS SELECT row_number() OVER (ORDER BY programme_code) - 1 AS i, programme_code
        FROM _programmes;
        CREATE TEMP TABLE base AS
        SELECT r.range AS n, g.programme_code,
               g.programme_code || '-' || (1 + r.range % 9) || '.' || lpad((r.range % 37)::VARCHAR, 3, '0')
                   AS procedure_code,
               {every} > 0 AND r.range % {every or 1} = 0 AS read,
               m.code AS lau, m.name_bg AS municipality, m.nuts3,
               lpad((r.range * 7919 % {beneficiaries})::VARCHAR, 9, '0') AS eik,
               round(10000 + (hash(r.range) % 2000000), 2)::DECIMAL(18,2) AS total_eur
        FROM range({contracts}) r
        JOIN m ON m.i = r.range % 265
        JOIN g ON g.i = r.range % (SELECT count(*) FROM g);
        ALTER TABLE base ADD COLUMN code VARCHAR;
        UPDATE base SET code = procedure_code || '-' || lpad(n::VARCHAR, 5, '0')
                               || CASE WHEN read THEN '-C01' ELSE '' END;
        INSERT INTO projects BY NAME
        SELECT code AS project_code,
               procedure_code || '-' || lpad(n::VARCHAR, 5, '0') AS project_code_original,
               procedure_code || '-' || lpad(n::VARCHAR, 5, '0') AS proposal_code,
               programme_code, procedure_code,
               'Проект ' || n || ' за развитие на община ' || municipality AS project_name,
               'Община ' || municipality || ' ' || eik AS beneficiary_name, eik AS beneficiary_eik,
               DATE '2022-01-01' + (n % 700)::INTEGER AS start_date, DATE '2025-01-01' + (n % 700)::INTEGER AS end_date,
               CASE n % 3 WHEN 0 THEN 'Сключен' WHEN 1 THEN 'Приключен' ELSE 'Прекратен' END AS status,
               'България, ' || municipality AS location, 'EUR' AS currency_original,
               total_eur AS amount_total, total_eur AS amount_total_eur,
               round(total_eur * 1.95583, 2) AS amount_total_bgn,
               round(total_eur / 3, 2) AS amount_paid, round(total_eur / 3, 2) AS amount_paid_eur,
               round(total_eur / 3 * 1.95583, 2) AS amount_paid_bgn,
               CASE WHEN read THEN 6 END AS activities_count, CASE WHEN read THEN false END AS is_over_reported,
               CASE WHEN read THEN 'pages' ELSE 'bulk' END AS detail_level, 'isun-api' AS bulk_source,
               CASE WHEN read THEN TIMESTAMPTZ '2026-11-20 02:00:00+00' END AS pages_fetched_at,
               false AS beneficiary_without_eik,
               'https://2020.eufunds.bg/api/v1.0/opendata?ProgrammeId=' || (n % 29) AS source_url,
               TIMESTAMPTZ '2026-12-07 01:30:00+00' AS fetched_at, sha256(n::VARCHAR) AS content_sha256
        FROM base;
        INSERT INTO project_places BY NAME
        SELECT b.code AS project_code, l.level, l.code, l.name, b.nuts3 AS nuts3,
               CASE WHEN l.level = 'municipality' THEN b.lau END AS lau_code,
               l.name AS text, p.source_url, p.fetched_at, p.content_sha256
        FROM base b JOIN projects p ON p.project_code = b.code
        CROSS JOIN LATERAL (SELECT 'municipality' AS level, b.lau AS code, b.municipality AS name
                            UNION ALL SELECT 'district', b.nuts3, b.nuts3) l;
        INSERT INTO activities BY NAME
        SELECT p.project_code, a.range + 1 AS activity_no,
               'Дейност ' || (a.range + 1) AS activity_title,
               'Дейност ' || (a.range + 1) AS activity_name,
               round(p.amount_total_eur / 6, 2) AS amount_contracted,
               round(p.amount_total_eur / 6, 2) AS amount_contracted_eur,
               round(p.amount_total_bgn / 6, 2) AS amount_contracted_bgn,
               round(p.amount_total_eur / 7, 2) AS amount_reported,
               round(p.amount_total_eur / 7, 2) AS amount_reported_eur,
               round(p.amount_total_bgn / 7, 2) AS amount_reported_bgn, 'EUR' AS currency_original,
               0.86 AS execution_rate, false AS is_over_reported,
               p.source_url, p.fetched_at, p.content_sha256
        FROM projects p CROSS JOIN range(6) a WHERE p.detail_level = 'pages';
        INSERT INTO history_projects BY NAME
        SELECT '{RELEASE}' AS release_id, {tracked(HISTORY_PROJECTS)}, false AS is_removed FROM projects;
        INSERT INTO history_activities BY NAME
        SELECT '{RELEASE}' AS release_id, {tracked(HISTORY_ACTIVITIES)}, false AS is_removed FROM activities;
        """
    )
    create_views(con)
    create_release_views(con)
    con.close()


def measure(path: Path, out: Path, previous: Path | None = None) -> dict:
    """Build the site of warehouse `path` into `out` (with the previous release's site in
    `previous`/site, linking what did not change), in this process and its site workers."""
    import duckdb

    from warehouse.site import build_site, site_workers

    state = out.parent / "reuse.json"
    before = json.loads((previous / "reuse.json").read_text()) if previous else {}
    reuse = {"before": before}
    con = duckdb.connect(str(path), read_only=True)
    projects = con.execute("SELECT count(*) FROM projects").fetchone()[0]
    start, cpu = time.perf_counter(), time.process_time()
    counts = build_site(
        con, out, out.parent.name, "bench", "http://127.0.0.1:8000/", previous=previous, reuse=reuse
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    state.write_text(json.dumps(reuse["now"]))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the site's workers, waited for
    files = [p for p in out.rglob("*") if p.is_file()]
    stats = [p.stat() for p in files]
    new = [st for st in stats if st.st_nlink == 1]  # not linked from the previous release
    return {
        "contracts": projects,
        "workers": site_workers(),
        "seconds": round(seconds, 1),
        # CPU of this process and of its workers: the figure that other loads inflate least
        "cpu_seconds": round(cpu, 1),
        "workers_cpu_seconds": round(workers.ru_utime + workers.ru_stime, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_rss_mib": round(workers.ru_maxrss / 1024),
        "files": len(files),
        "site_mib": round(sum(st.st_size for st in stats) / 2**20),
        "files_written": len(new),
        "mib_written": round(sum(st.st_size for st in new) / 2**20),
        "search_index_mib": round(
            sum((out / f).stat().st_size for f in ("search-index.js", "search-index-projects.js"))
            / 2**20,
            1,
        ),
        "downloads_linked": reuse.get("reused", 0),
        # the machine's 1-minute load average as the build ended (other jobs inflate wall seconds)
        "load_average": round(os.getloadavg()[0], 1),
        **counts,
    }


def change(path: Path, share: float) -> int:
    """A night: `share` of the contracts paid 1 000 € more (history gets a row for each)."""
    import duckdb

    from registry.tables import HISTORY_PROJECTS

    every = max(1, round(1 / share))
    cols = ", ".join(c for c in HISTORY_PROJECTS.columns if c not in ("release_id", "is_removed"))
    con = duckdb.connect(str(path))
    changed = con.execute(
        f"""UPDATE projects SET amount_paid_eur = amount_paid_eur + 1000,
                   amount_paid = amount_paid + 1000,
                   amount_paid_bgn = round((amount_paid_eur + 1000) * 1.95583, 2)
            WHERE hash(project_code) % {every} = 0"""
    ).fetchone()[0]
    con.execute(
        f"INSERT INTO history_projects BY NAME SELECT '{NIGHT}' AS release_id, {cols}, "
        f"false AS is_removed FROM projects WHERE hash(project_code) % {every} = 0"
    )
    con.close()
    return changed


def _measure_in_child(db: Path, out: Path, previous: Path | None) -> dict:
    """`measure` in a child process, so its peak memory and its workers' CPU are the site's alone."""
    command = [sys.executable, "-m", "bench.site_scale", "--measure", str(db), str(out)]
    if previous:
        command += ["--previous", str(previous)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=80_000)
    parser.add_argument("--pages-share", type=float, default=0.02)
    parser.add_argument("--changed-share", type=float, default=0.01)
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to put the warehouse and the sites (removed after; default: a temp directory)",
    )
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--previous", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_only:
        generate(args.generate_only, args.contracts, args.pages_share)
        return 0
    if args.measure:
        print(json.dumps(measure(*args.measure, args.previous)))
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bgfunds-site-", dir=args.workdir))
    try:
        db = work / "warehouse.duckdb"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.site_scale",
                "--contracts",
                str(args.contracts),
                "--pages-share",
                str(args.pages_share),
                "--generate-only",
                str(db),
            ],
            check=True,
        )
        print(
            f"warehouse of {args.contracts} contracts generated in {time.perf_counter() - started:.1f} s"
        )
        result = _measure_in_child(db, work / RELEASE / "site", None)
        print("site: " + ", ".join(f"{k} {v}" for k, v in result.items()))
        if args.changed_share:
            changed = change(db, args.changed_share)
            night = _measure_in_child(db, work / NIGHT / "site", work / RELEASE)
            print(
                f"site, a night with {changed} contracts changed: "
                + ", ".join(f"{k} {v}" for k, v in night.items())
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
