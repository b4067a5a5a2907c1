"""Crawl state in DuckDB (`data/crawl_state.duckdb`): known contracts, runs, and each run's queue.

A run first writes its whole plan to `queue`; each item is marked done only after its
response is in the raw archive. A killed run leaves its unfinished items behind, and the
next run resumes them before planning anything new, so nothing is lost or fetched twice.

A night's queue, in this order (`QUEUE_CLASSES`, `plan`):
1. `new`: never fetched, and new to the register: first listed after discovery had read every known
   listing page once (a contract found by the first discovery is `backfill`);
2. `changed`: fetched, but its listing/bulk row fingerprint differs from when its pages were fetched
   (payments, totals, status, end date, contractors), so a change is fetched the next night;
3. `overdue`: fetched longer ago than `ROTATION_DUE_DAYS` (the backstop that keeps every page
   younger than `MAX_AGE_DAYS` once the backfill is done);
4. `backfill`: never fetched, listed earlier;
5. `identity`: the Participants tab of a contract whose PrintProject lists participants not read
   there yet (their ЕИК, legal or natural): once per contract, again when the list of names changes;
6. `rotation`: the rest, oldest first, with what is left of the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

SCHEMA = """
CREATE TABLE IF NOT EXISTS crawl_contracts (
  contract_id VARCHAR PRIMARY KEY,
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_listed_at TIMESTAMPTZ NOT NULL,
  listing_fingerprint VARCHAR,
  fetched_fingerprint VARCHAR,
  last_fetched_at TIMESTAMPTZ,
  last_sha256 VARCHAR,
  last_status INTEGER,
  page_url VARCHAR,         -- the listing's link to the contract (its /{lang}/{op}/{pr}/ path and isHistoric)
  listed_on VARCHAR,        -- the search it was last listed by (`sources.isun_discovery.search_route`)
  participants_listed VARCHAR,  -- the participants its last PrintProject lists (`participants_key`)
  participants_read VARCHAR     -- ... as they were when its Participants tab was last read
);
CREATE TABLE IF NOT EXISTS crawl_search_totals (
  route VARCHAR PRIMARY KEY,  -- a search (one per programme route), as `search_route` names it
  total_contracts INTEGER NOT NULL,  -- what its summary table last said
  checked_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS crawl_listing_pages (
  url VARCHAR PRIMARY KEY,  -- a listing page (search results, a company page) as linked
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_fetched_at TIMESTAMPTZ,
  rewalk_due BOOLEAN DEFAULT false  -- its search was found short of its total: read it again
);
CREATE TABLE IF NOT EXISTS crawl_runs (
  run_id INTEGER PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  status VARCHAR NOT NULL,  -- running | done | blocked
  note VARCHAR
);
CREATE TABLE IF NOT EXISTS crawl_procedures (
  procedure_code VARCHAR PRIMARY KEY,  -- its BasicData (the procedure's name) was fetched for ...
  contract_id VARCHAR NOT NULL,        -- ... this contract of it
  fetched_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS crawl_contract_requests (
  contract_id VARCHAR PRIMARY KEY,  -- requests its last fetch took (PrintProject + BasicData + Participants)
  requests INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS crawl_queue (
  run_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  contract_id VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,  -- new | changed | overdue | backfill | rotation
  done_at TIMESTAMPTZ,
  outcome VARCHAR,          -- fetched | not_modified | error: ...
  PRIMARY KEY (run_id, position)
);
"""


QUEUE_CLASSES = ("new", "changed", "overdue", "backfill", "identity", "rotation")
MAX_AGE_DAYS = 90  # the stated maximum age of a contract's page detail once the backfill is done
ROTATION_DUE_DAYS = 80  # fetched longer ago than this: queued before the backfill


def _now() -> datetime:
    return datetime.now(UTC)


# The queue class of each known contract (see the module docstring), given `now`.
_CLASS_SQL = f"""
CASE WHEN last_fetched_at IS NULL AND is_new AND ? IS NOT NULL THEN 'new'
     WHEN last_fetched_at IS NULL THEN 'backfill'
     WHEN fetched_fingerprint IS DISTINCT FROM listing_fingerprint THEN 'changed'
     WHEN last_fetched_at < ?::TIMESTAMPTZ - INTERVAL {ROTATION_DUE_DAYS} DAY THEN 'overdue'
     WHEN participants_listed IS NOT NULL AND participants_listed IS DISTINCT FROM participants_read
          THEN 'identity'
     ELSE 'rotation' END"""
_CLASS_ORDER = (
    "CASE reason " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(QUEUE_CLASSES)) + " END"
)


# Per-contract writes kept for `flush`, each with its set-based form over the table `_bulk`.
_PARTICIPANTS_LISTED = "UPDATE crawl_contracts SET participants_listed = ? WHERE contract_id = ?"
_PARTICIPANTS_READ = (
    "UPDATE crawl_contracts SET participants_read = participants_listed WHERE contract_id = ?"
)
_CONTRACT_REQUESTS = (
    "INSERT INTO crawl_contract_requests (requests, contract_id) VALUES (?, ?)"
    " ON CONFLICT (contract_id) DO UPDATE SET requests = excluded.requests"
)
_SET_BASED = {
    _PARTICIPANTS_LISTED: "UPDATE crawl_contracts c SET participants_listed = b.p0 FROM _bulk b"
    " WHERE c.contract_id = b.p1",
    _PARTICIPANTS_READ: "UPDATE crawl_contracts c SET participants_read = c.participants_listed"
    " FROM _bulk b WHERE c.contract_id = b.p0",
    _CONTRACT_REQUESTS: "INSERT INTO crawl_contract_requests (requests, contract_id)"
    " SELECT p0, p1 FROM _bulk ON CONFLICT (contract_id) DO UPDATE SET requests = excluded.requests",
}


class CrawlState:
    def __init__(self, path: Path | str, clock: Callable[[], datetime] = _now):
        """`clock` says what time it is (a simulation of many nights passes its own)."""
        self.clock = clock
        self._pending: list[tuple[str, list]] = []
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path))
        self.con.execute(SCHEMA)
        self.con.execute("ALTER TABLE crawl_contracts ADD COLUMN IF NOT EXISTS page_url VARCHAR")
        self.con.execute("ALTER TABLE crawl_contracts ADD COLUMN IF NOT EXISTS listed_on VARCHAR")
        self.con.execute(
            "ALTER TABLE crawl_contracts ADD COLUMN IF NOT EXISTS is_new BOOLEAN DEFAULT false"
        )
        self.con.execute(
            "ALTER TABLE crawl_listing_pages ADD COLUMN IF NOT EXISTS rewalk_due BOOLEAN DEFAULT false"
        )
        for column in ("participants_listed", "participants_read"):
            self.con.execute(
                f"ALTER TABLE crawl_contracts ADD COLUMN IF NOT EXISTS {column} VARCHAR"
            )

    def close(self) -> None:
        self.flush()
        self.con.close()

    # Small writes that only steer later plans (listing pages, search totals, what PrintProject listed,
    # requests a contract took) are kept and written together (`flush`, before any read of them): one
    # statement each costs milliseconds, 10 000 a night add up. Losing them in a crash only costs a
    # request again; what makes a run resumable (`mark_done`) is written at once.
    def _later(self, sql: str, params: list) -> None:
        self._pending.append((sql, params))

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        # The per-contract writes (`_SET_BASED`) touch nothing the others do: each kind is applied
        # as one statement after them, in `_SET_BASED`'s order (participants listed before read).
        grouped: dict[str, list[list]] = {sql: [] for sql in _SET_BASED}
        ordered = []
        for sql, params in pending:
            if sql in grouped:
                grouped[sql].append(params)
            else:
                ordered.append((sql, params))
        self.con.execute("BEGIN")
        i = 0
        while i < len(ordered):
            sql, j = ordered[i][0], i
            while j < len(ordered) and ordered[j][0] == sql:
                j += 1
            self.con.executemany(sql, [params for _, params in ordered[i:j]])
            i = j
        for sql, rows in grouped.items():
            if len(rows) == 1:
                self.con.execute(sql, rows[0])
            elif rows:
                self._set_based(_SET_BASED[sql], rows)
        self.con.execute("COMMIT")

    def _set_based(self, sql: str, params: list[list]) -> None:
        """One statement for many rows of a per-contract write (`_SET_BASED`): the parameters as a
        table `_bulk` (p0, p1, ...; the last write of a contract wins), joined on the contract id (the
        last parameter). A thousand single-row UPDATEs take seconds; this, milliseconds."""
        import pyarrow as pa

        last = {row[-1]: row for row in params}
        columns = list(zip(*last.values(), strict=True))
        self.con.register(
            "_bulk", pa.table({f"p{k}": pa.array(list(col)) for k, col in enumerate(columns)})
        )
        try:
            self.con.execute(sql)
        finally:
            self.con.unregister("_bulk")

    # runs
    def unfinished_run(self) -> int | None:
        self.flush()
        row = self.con.execute(
            "SELECT r.run_id FROM crawl_runs r WHERE r.status IN ('running', 'blocked') AND EXISTS ("
            " SELECT 1 FROM crawl_queue q WHERE q.run_id = r.run_id AND q.done_at IS NULL)"
            " ORDER BY r.run_id DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def start_run(self) -> int:
        run_id = self.con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM crawl_runs").fetchone()[
            0
        ]
        self.con.execute(
            "INSERT INTO crawl_runs VALUES (?, ?, NULL, 'running', NULL)", [run_id, self.clock()]
        )
        return run_id

    def set_run_status(self, run_id: int, status: str, note: str | None = None) -> None:
        finished = self.clock() if status != "running" else None
        self.con.execute(
            "UPDATE crawl_runs SET status = ?, finished_at = ?, note = ? WHERE run_id = ?",
            [status, finished, note, run_id],
        )

    # contracts
    def record_listing(
        self,
        contracts: dict[str, str],
        links: dict[str, str] | None = None,
        routes: dict[str, str] | None = None,
        new: bool = False,
    ) -> None:
        """Upsert every listed id (the decoded token) with its listing fingerprint and the link it was listed
        under, in one statement (80 000 ids in well under a second); `new`: ids not known yet are new to
        the register (discovery had read every listing page before)."""
        self.flush()
        if not contracts:
            return
        import pyarrow as pa

        links, routes = links or {}, routes or {}
        listed = pa.table(
            {
                "contract_id": pa.array(list(contracts), pa.string()),
                "listing_fingerprint": pa.array(list(contracts.values()), pa.string()),
                "page_url": pa.array([links.get(cid) for cid in contracts], pa.string()),
                "listed_on": pa.array([routes.get(cid) for cid in contracts], pa.string()),
            }
        )
        self.con.register("_listed", listed)
        try:
            self.con.execute(
                "INSERT INTO crawl_contracts (contract_id, first_seen_at, last_listed_at, "
                "listing_fingerprint, page_url, listed_on, is_new)"
                " SELECT contract_id, ?, ?, listing_fingerprint, page_url, listed_on, ? FROM _listed"
                " ON CONFLICT (contract_id)"
                " DO UPDATE SET last_listed_at = excluded.last_listed_at,"
                " listing_fingerprint = excluded.listing_fingerprint,"
                " page_url = coalesce(excluded.page_url, crawl_contracts.page_url),"
                " listed_on = coalesce(excluded.listed_on, crawl_contracts.listed_on)",
                [self.clock(), self.clock(), new],
            )
        finally:
            self.con.unregister("_listed")

    def apply_row_fingerprints(self, row_fingerprints: dict[str, str]) -> int:
        """Fold each contract's bulk-row fingerprint into its listing fingerprint, listed tonight or not:
        a change seen in the bulk row (payments, totals, status, dates, contractors) queues the contract
        as `changed` the same night. How many contracts changed."""
        self.flush()
        if not row_fingerprints:
            return 0
        import pyarrow as pa

        rows = pa.table(
            {
                "contract_id": pa.array(list(row_fingerprints), pa.string()),
                "row_fp": pa.array(list(row_fingerprints.values()), pa.string()),
            }
        )
        self.con.register("_rows", rows)
        try:
            changed = self.con.execute(
                "SELECT count(*) FROM crawl_contracts c JOIN _rows r USING (contract_id)"
                " WHERE strpos(c.listing_fingerprint, '+') > 0 AND c.listing_fingerprint IS DISTINCT FROM"
                " split_part(c.listing_fingerprint, '+', 1) || '+' || r.row_fp"
            ).fetchone()[0]
            # The first bulk fingerprint of a contract fetched before it had one is its baseline (else
            # every contract would look changed once): a change between that fetch and tonight waits
            # for the rotation (at most MAX_AGE_DAYS).
            self.con.execute(
                "UPDATE crawl_contracts c SET listing_fingerprint ="
                " split_part(c.listing_fingerprint, '+', 1) || '+' || r.row_fp,"
                " fetched_fingerprint = CASE WHEN c.fetched_fingerprint = c.listing_fingerprint"
                "   AND strpos(c.listing_fingerprint, '+') = 0"
                "   THEN split_part(c.listing_fingerprint, '+', 1) || '+' || r.row_fp"
                "   ELSE c.fetched_fingerprint END"
                " FROM _rows r WHERE c.contract_id = r.contract_id"
            )
        finally:
            self.con.unregister("_rows")
        return changed

    # searches: the summary's total against what the walk found
    def note_search_total(self, route: str, total: int) -> None:
        self._later(
            "INSERT INTO crawl_search_totals VALUES (?, ?, ?) ON CONFLICT (route) DO UPDATE SET"
            " total_contracts = excluded.total_contracts, checked_at = excluded.checked_at",
            [route, total, self.clock()],
        )

    def search_shortfalls(
        self, route_of: Callable[[str], str | None]
    ) -> list[tuple[str, int, int]]:
        """(route, stated total, contracts found) of every search whose walk is done (no page of it
        left unfetched) but found fewer contracts than its summary states: rows shifted under the walk."""
        self.flush()
        totals = self.con.execute(
            "SELECT route, total_contracts FROM crawl_search_totals"
        ).fetchall()
        found = dict(
            self.con.execute(
                "SELECT listed_on, count(*) FROM crawl_contracts WHERE listed_on IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
        pending = {
            route_of(url)
            for (url,) in self.con.execute(
                "SELECT url FROM crawl_listing_pages WHERE last_fetched_at IS NULL OR rewalk_due"
            ).fetchall()
        }
        return [
            (route, total, found.get(route, 0))
            for route, total in totals
            if route not in pending and found.get(route, 0) < total
        ]

    def rewalk(self, route: str, route_of: Callable[[str], str | None]) -> int:
        """Mark every known page of a search unfetched, so discovery reads it again first."""
        self.flush()
        urls = [
            u
            for (u,) in self.con.execute("SELECT url FROM crawl_listing_pages").fetchall()
            if route_of(u) == route
        ]
        if urls:
            self.con.executemany(
                "UPDATE crawl_listing_pages SET rewalk_due = true WHERE url = ?",
                [[u] for u in urls],
            )
        return len(urls)

    # listing pages: the frontier of discovery, carried from night to night
    def add_listing_pages(self, urls: list[str]) -> None:
        now = self.clock()
        for u in dict.fromkeys(urls):
            self._later(
                "INSERT INTO crawl_listing_pages VALUES (?, ?, NULL, false) ON CONFLICT (url) DO NOTHING",
                [u, now],
            )

    def stated_total(self) -> int:
        """What the searches' summary tables state, added up (the register's size, as far as read)."""
        self.flush()
        return self.con.execute(
            "SELECT coalesce(sum(total_contracts), 0) FROM crawl_search_totals"
        ).fetchone()[0]

    def discovery_pages_left(self, rows_a_page: int = 25) -> int:
        """Listing pages discovery has still to read once: what the searches' stated totals need
        (`rows_a_page` rows a page, as Search.cshtml pages them) less the pages read, and at least
        the pages known but never read; 0 once discovery is complete."""
        self.flush()
        if self.discovery_complete():
            return 0
        needed = self.con.execute(
            "SELECT coalesce(sum(greatest(ceil(total_contracts / ?), 1)), 0)::BIGINT"
            " FROM crawl_search_totals",
            [rows_a_page],
        ).fetchone()[0]
        read, unread = self.con.execute(
            "SELECT count(*) FILTER (WHERE last_fetched_at IS NOT NULL),"
            " count(*) FILTER (WHERE last_fetched_at IS NULL) FROM crawl_listing_pages"
        ).fetchone()
        return max(needed - read, unread)

    def new_per_night(self, days: int = 7) -> float:
        """Contracts new to the register found a night, on average over the last `days` (found by
        the searches' re-walks once discovery is done; 0 before)."""
        self.flush()
        n = self.con.execute(
            "SELECT count(*) FROM crawl_contracts WHERE is_new"
            " AND first_seen_at >= ?::TIMESTAMPTZ - to_days(?)",
            [self.clock(), days],
        ).fetchone()[0]
        return n / days

    def runs_done(self) -> int:
        return self.con.execute("SELECT count(*) FROM crawl_runs WHERE status = 'done'").fetchone()[
            0
        ]

    def discovery_complete(self) -> bool:
        """Every listing page known has been read at least once (a contract found from now on is new)."""
        self.flush()
        known, unread = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE last_fetched_at IS NULL) FROM crawl_listing_pages"
        ).fetchone()
        return known > 0 and unread == 0

    def listing_frontier(self, limit: int, unread_only: bool = False) -> list[str]:
        """Listing pages never fetched first, then those of a search found short, then (unless
        `unread_only`: while discovery goes on, the links found tonight come before pages read
        already) the longest unfetched: where discovery goes on tonight."""
        self.flush()
        where = " WHERE last_fetched_at IS NULL OR rewalk_due" if unread_only else ""
        return [
            r[0]
            for r in self.con.execute(
                f"SELECT url FROM crawl_listing_pages{where}"
                " ORDER BY last_fetched_at IS NOT NULL, NOT rewalk_due, last_fetched_at, first_seen_at, url"
                " LIMIT ?",
                [max(limit, 0)],
            ).fetchall()
        ]

    def listing_pages_read(self, with_rewalks: bool = False) -> set[str]:
        """Listing pages read at least once and (unless `with_rewalks`) not due for a re-walk."""
        self.flush()
        due = "" if with_rewalks else " AND NOT rewalk_due"
        return {
            r[0]
            for r in self.con.execute(
                f"SELECT url FROM crawl_listing_pages WHERE last_fetched_at IS NOT NULL{due}"
            ).fetchall()
        }

    def mark_listing_fetched(self, url: str) -> None:
        now = self.clock()
        self._later(
            "INSERT INTO crawl_listing_pages VALUES (?, ?, ?, false) ON CONFLICT (url) DO UPDATE SET"
            " last_fetched_at = excluded.last_fetched_at, rewalk_due = false",
            [url, now, now],
        )

    def page_urls(self, contract_ids: list[str]) -> dict[str, str]:
        """contract id -> the link it was listed under, for many at once."""
        import pyarrow as pa

        self.con.register("_ids", pa.table({"contract_id": pa.array(contract_ids, pa.string())}))
        try:
            return dict(
                self.con.execute(
                    "SELECT contract_id, page_url FROM crawl_contracts JOIN _ids USING (contract_id)"
                    " WHERE page_url IS NOT NULL"
                ).fetchall()
            )
        finally:
            self.con.unregister("_ids")

    def fresh_procedures(self, max_age_days: int) -> set[str]:
        """The procedures whose BasicData was fetched within `max_age_days`."""
        return {
            r[0]
            for r in self.con.execute(
                "SELECT procedure_code FROM crawl_procedures WHERE fetched_at >= ?::TIMESTAMPTZ - to_days(?)",
                [self.clock(), max_age_days],
            ).fetchall()
        }

    def page_url(self, contract_id: str) -> str | None:
        row = self.con.execute(
            "SELECT page_url FROM crawl_contracts WHERE contract_id = ?", [contract_id]
        ).fetchone()
        return row[0] if row else None

    def backfill_pending(self) -> bool:
        """The backfill is not done: a known contract was never fetched, or discovery has listing
        pages it never read (contracts not listed yet)."""
        self.flush()
        never = self.con.execute(
            "SELECT count(*) FROM crawl_contracts WHERE last_fetched_at IS NULL"
        ).fetchone()[0]
        return bool(never) or not self.discovery_complete()

    def queue_order(
        self,
        limit: int,
        now: datetime | None = None,
        max_changed_during_backfill: int | None = None,
    ) -> list[tuple[str, str]]:
        """(contract_id, class) in the night's order (`QUEUE_CLASSES`), the first `limit`. While the
        backfill lasts, at most `max_changed_during_backfill` `changed` contracts (the longest fetched
        first) keep their place; the others wait after the backfill (and lead tomorrow's changes)."""
        self.flush()
        now = now or self.clock()
        cap = max_changed_during_backfill
        if cap is None or not self.backfill_pending():
            cap = -1
        return self.con.execute(
            f"SELECT contract_id, reason FROM ("
            f" SELECT contract_id, reason, last_fetched_at, first_seen_at,"
            f"  row_number() OVER (PARTITION BY reason"
            f"   ORDER BY last_fetched_at NULLS FIRST, first_seen_at, contract_id) AS rank_in_class"
            f" FROM (SELECT contract_id, {_CLASS_SQL} AS reason, last_fetched_at, first_seen_at"
            f"  FROM crawl_contracts))"
            f" ORDER BY CASE WHEN reason = 'changed' AND ? >= 0 AND rank_in_class > ?"
            f"  THEN {QUEUE_CLASSES.index('backfill')} + 0.5 ELSE {_CLASS_ORDER} END,"
            f" last_fetched_at NULLS FIRST, first_seen_at, contract_id LIMIT ?",
            [now, now, cap, cap, max(limit, 0)],
        ).fetchall()

    def class_counts(self, now: datetime | None = None) -> dict[str, int]:
        """How many known contracts are in each queue class right now."""
        self.flush()
        now = now or self.clock()
        return dict(
            self.con.execute(
                f"SELECT {_CLASS_SQL} AS reason, count(*) FROM crawl_contracts GROUP BY ALL",
                [now, now],
            ).fetchall()
        )

    def oldest_fetch(self) -> datetime | None:
        self.flush()
        return self.con.execute("SELECT min(last_fetched_at) FROM crawl_contracts").fetchone()[0]

    # procedures: one BasicData each
    def procedure_is_fresh(self, procedure_code: str, max_age_days: int) -> bool:
        row = self.con.execute(
            "SELECT fetched_at >= ?::TIMESTAMPTZ - to_days(?) FROM crawl_procedures WHERE procedure_code = ?",
            [self.clock(), max_age_days, procedure_code],
        ).fetchone()
        return bool(row and row[0])

    def mark_procedure_fetched(self, procedure_code: str, contract_id: str) -> None:
        self.con.execute(
            "INSERT INTO crawl_procedures VALUES (?, ?, ?) ON CONFLICT (procedure_code) DO UPDATE SET"
            " contract_id = excluded.contract_id, fetched_at = excluded.fetched_at",
            [procedure_code, contract_id, self.clock()],
        )

    def mark_procedures_named(self, procedure_codes: list[str]) -> None:
        """Procedures the project-proposals export named tonight (`sources.isun_procedures`): their
        name is fresh, so their contracts need no BasicData (`contract_id` '' says: by the export)."""
        if not procedure_codes:
            return
        import pyarrow as pa

        self.con.register("_named", pa.table({"procedure_code": pa.array(procedure_codes)}))
        try:
            self.con.execute(
                "INSERT INTO crawl_procedures SELECT procedure_code, '', ? FROM _named"
                " ON CONFLICT (procedure_code) DO UPDATE SET contract_id = excluded.contract_id,"
                " fetched_at = excluded.fetched_at",
                [self.clock()],
            )
        finally:
            self.con.unregister("_named")

    def note_participants_listed(self, contract_id: str, key: str | None) -> None:
        self._later(_PARTICIPANTS_LISTED, [key, contract_id])

    def mark_participants_fetched(self, contract_id: str) -> None:
        self._later(_PARTICIPANTS_READ, [contract_id])

    def note_contract_requests(self, contract_id: str, requests: int) -> None:
        self._later(_CONTRACT_REQUESTS, [requests, contract_id])

    def requests_per_contract(self, default: float = 1.0) -> float:
        """Requests a contract's fetch has taken on average (its PrintProject and the BasicData and
        Participants it asked for), from the fetches so far; `default` before there are any."""
        self.flush()
        row = self.con.execute(
            "SELECT avg(requests), count(*) FROM crawl_contract_requests"
        ).fetchone()
        return float(row[0]) if row and row[1] else default

    def plan(
        self,
        run_id: int,
        budget: int,
        now: datetime | None = None,
        max_changed_during_backfill: int | None = None,
    ) -> list[tuple[str, str]]:
        """Queue up to `budget` contracts in the night's order (`queue_order`)."""
        rows = self.queue_order(budget, now, max_changed_during_backfill)
        if rows:
            import pyarrow as pa

            queue = pa.table(
                {
                    "position": pa.array(range(len(rows)), pa.int32()),
                    "contract_id": pa.array([cid for cid, _ in rows], pa.string()),
                    "reason": pa.array([reason for _, reason in rows], pa.string()),
                }
            )
            self.con.register("_planned", queue)
            try:
                self.con.execute(
                    "INSERT INTO crawl_queue SELECT ?, position, contract_id, reason, NULL, NULL"
                    " FROM _planned",
                    [run_id],
                )
            finally:
                self.con.unregister("_planned")
        return rows

    def pending(self, run_id: int) -> list[tuple[int, str, str]]:
        return self.con.execute(
            "SELECT position, contract_id, reason FROM crawl_queue WHERE run_id = ? AND done_at IS NULL"
            " ORDER BY position",
            [run_id],
        ).fetchall()

    def mark_done(
        self,
        run_id: int,
        position: int,
        contract_id: str,
        outcome: str,
        sha256: str | None = None,
        status: int | None = None,
    ) -> None:
        now = self.clock()
        self.con.execute("BEGIN")
        self.con.execute(
            "UPDATE crawl_queue SET done_at = ?, outcome = ? WHERE run_id = ? AND position = ?",
            [now, outcome, run_id, position],
        )
        if sha256 is not None:
            self.con.execute(
                "UPDATE crawl_contracts SET last_fetched_at = ?, last_sha256 = ?, last_status = ?,"
                " fetched_fingerprint = listing_fingerprint WHERE contract_id = ?",
                [now, sha256, status, contract_id],
            )
        self.con.execute("COMMIT")

    def defer_rest(self, run_id: int, outcome: str) -> int:
        """Close the run's unfinished items without fetching them (the next plan queues them again by
        their class); how many there were."""
        n = self.con.execute(
            "SELECT count(*) FROM crawl_queue WHERE run_id = ? AND done_at IS NULL", [run_id]
        ).fetchone()[0]
        self.con.execute(
            "UPDATE crawl_queue SET done_at = ?, outcome = ? WHERE run_id = ? AND done_at IS NULL",
            [self.clock(), outcome, run_id],
        )
        return n

    def counts(self) -> dict[str, int]:
        self.flush()
        return dict(
            self.con.execute(
                "SELECT 'contracts', count(*) FROM crawl_contracts UNION ALL"
                " SELECT 'fetched', count(*) FROM crawl_contracts WHERE last_fetched_at IS NOT NULL"
            ).fetchall()
        )
