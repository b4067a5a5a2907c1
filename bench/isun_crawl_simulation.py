"""Many nights of the ИСУН crawl over a simulated register, on the loopback mirror.

A register of N contracts (80 700 by default, the live register's size in 2026) spread over the
live API's programmes in their real proportions (damyor/bg-budget `isun-programmes.csv`, 2026-10-05),
served by `tests.fault_server.FaultServer` on 127.0.0.1 and rendered on request by `bench.isun_render`
as the site renders today: per-programme searches (`/bg/{op}/0/Project/Search?showRes=True`, 25 rows
a page sorted by beneficiary name, a summary table with the total, a pager of at most 10 numbers,
the header's English link) and each contract's PrintProject, BasicData and Participants.

Each simulated day the register changes before the night: new contracts appear (their rows shift
the search pages) and the bulk rows of some fetched contracts change (payments: the page changes
too); the night's bulk fetch is represented by the contract -> row fingerprint map the crawler
gets from `sources.isun_bulk_crawl.bulk_row_fingerprints`. Then `sources.isun_crawl.run_crawl`
runs against the mirror with the night's request budget, its crawl state on a simulated clock.

`python -m bench.isun_crawl_simulation [N] [NIGHTS] [BUDGET]` prints a table per night: requests,
contracts refreshed, backlog (contracts with no page detail yet), changes injected and fetched the
same night, and the oldest page detail's age in days.
"""

from __future__ import annotations

import argparse
import bisect
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from bench.isun_render import (
    Contract,
    Participant,
    SearchSummary,
    encrypted_id,
    page_token,
    render_print,
    render_procedures_export,
    render_search,
    render_tab,
)
from sources.isun_opendata import criteria_url
from sources.isun_procedures import PROCEDURES_EXPORT_PATH

# The live API's programmes and their project counts (damyor/bg-budget @ ce179ec,
# data/sources/eu-funds/isun-programmes.csv, 2026-10-05): the `{op}` route segment and its size.
PROGRAMMES = (
    (2, 80), (6, 391), (3, 824), (5, 35332), (7, 376), (4, 4403), (1, 706), (8, 548),
    (8010402, 1), (8010406, 1143), (8010436, 59), (8010437, 108), (8010510, 12151),
    (8010686, 14801), (8010709, 2033), (8010710, 639), (8010711, 251), (8010759, 207),
    (8010777, 83), (8010781, 3), (8010785, 7049), (8010798, 47), (8010814, 42), (8010828, 64),
    (8010829, 29), (8010851, 183), (8010862, 733), (8010879, 148), (8010936, 97),
)  # fmt: skip
PAGE_ROWS = 25  # Search.cshtml: 25 results a page
CONTRACTS_PER_PROCEDURE = 60  # a procedure's contracts
# One procedure in this many is left out of the project-proposals export (as the site leaves out a
# cancelled one): its contracts' procedure name takes one BasicData.
UNEXPORTED_PROCEDURE_EVERY = 50
NAMES = ("АГРО", "БАЛКАН", "ВАРНА", "ГАЛА", "ДЕЛТА", "ЕКО", "ЗАРА", "ИНВЕСТ", "КОМ", "ЛОГО", "МЕГА")


def procedure_code_of(procedure: int) -> str:
    return f"BG16RFOP001-{1 + procedure // 1000}.{procedure % 1000:03d}"


@dataclass
class SimContract:
    index: int
    op: int
    procedure: int
    code: str
    beneficiary: str  # the search pages' sort key
    participants: bool  # PrintProject lists a participant (a contractor)
    version: int = 0  # bumped by each change of its bulk row (and page)

    @property
    def token(self) -> str:
        return encrypted_id(f"sim:{self.index}")


@dataclass
class SimRegister:
    """The simulated register: contracts by programme route in search order, rendered on request."""

    n: int
    participant_share: float = 0.05
    seed: int = 23
    programmes: tuple[tuple[int, int], ...] = PROGRAMMES  # (op, size): where contracts land
    contracts: list[SimContract] = field(default_factory=list)
    by_token: dict[str, SimContract] = field(default_factory=dict)
    by_op: dict[int, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # op -> sorted (name, token)
    page_of_token: dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        total = sum(size for _, size in self.programmes)
        self.weights = [size / total for _, size in self.programmes]
        self._per_procedure: dict[int, int] = {}
        self._export_cache: tuple[int, bytes] = (-1, b"")
        self.add(self.n)

    def add(self, k: int, name_prefix: str = "") -> list[SimContract]:
        """k new contracts, each in a programme drawn by size; their rows land anywhere in the
        beneficiary-sorted search (or first, with `name_prefix` "А"), shifting the rows after them."""
        new = []
        for _ in range(k):
            i = len(self.contracts)
            op = self.rng.choices([op for op, _ in self.programmes], self.weights)[0]
            procedure = i // CONTRACTS_PER_PROCEDURE
            no = self._per_procedure.get(procedure, 0) + 1
            self._per_procedure[procedure] = no
            code = f"{procedure_code_of(procedure)}-{no:04d}-C01"
            name = f"{name_prefix}{self.rng.choice(NAMES)} {self.rng.randrange(10**6):06d} ЕООД"
            c = SimContract(
                i, op, procedure, code, name, self.rng.random() < self.participant_share
            )
            self.contracts.append(c)
            self.by_token[c.token] = c
            bisect.insort(self.by_op.setdefault(op, []), (name, c.token))
            new.append(c)
        return new

    def change(self, candidates: list[SimContract], k: int) -> list[SimContract]:
        changed = self.rng.sample(candidates, min(k, len(candidates)))
        for c in changed:
            c.version += 1
        return changed

    def search_paths(self) -> tuple[str, ...]:
        return tuple(f"/bg/{op}/0/Project/Search?showRes=True" for op in sorted(self.by_op))

    def contract(self, c: SimContract) -> Contract:
        paid = D(1000 * c.version) + D("100.00")
        procedure_code = c.code.rsplit("-", 2)[0]
        return Contract(
            contract_id=c.token,
            reg_number=c.code,
            name=f"Проект {c.index}",
            procedure_code=procedure_code,
            procedure_name=f"Процедура {procedure_code}",
            beneficiary_uin="000413878",
            beneficiary_name=c.beneficiary,
            programme_name="Програма",
            funds=["ЕФРР"],
            contract_date=date(2024, 1, 15),
            start_date=date(2024, 2, 1),
            end_date=date(2026, 7, 31),
            places=[
                "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), Левски"
            ],
            description="Описание.",
            activities=[("Дейност: описание", D("90000.00"), paid)],
            contractors=[Participant("ИЗПЪЛНИТЕЛ ЕООД", "201234563", D("50000.00"), paid)]
            if c.participants
            else [],
            eu_amount=D("85000.00"),
            bg_amount=D("15000.00"),
            paid_eu=paid,
            currency="EUR",
        )

    def _search(self, op: int, page_no: int) -> bytes:
        rows = self.by_op.get(op, [])
        pages = max(1, -(-len(rows) // PAGE_ROWS))
        chunk = rows[(page_no - 1) * PAGE_ROWS : page_no * PAGE_ROWS]
        listed = [self.contract(self.by_token[token]) for _, token in chunk]
        summary = SearchSummary(len(rows), len({name for name, _ in rows}))
        for n in range(1, pages + 1):
            self.page_of_token.setdefault(page_token(n, op=op), n)
        return render_search(listed, page_no, pages, op=op, summary=summary).encode("utf-8")

    def _procedures_export(self) -> bytes:
        """The project-proposals export: every procedure but one in `UNEXPORTED_PROCEDURE_EVERY`."""
        key = len(self._per_procedure)
        if self._export_cache[0] != key:
            rows = [
                (code, f"Процедура {code}", count)
                for procedure, count in sorted(self._per_procedure.items())
                if procedure % UNEXPORTED_PROCEDURE_EVERY != UNEXPORTED_PROCEDURE_EVERY - 1
                for code in [procedure_code_of(procedure)]
            ]
            self._export_cache = (key, render_procedures_export(rows).encode("utf-8"))
        return self._export_cache[1]

    def resolve(self, path: str):
        """The page at `path`, rendered from the register as it is now (None: 404)."""
        from tests.fault_server import Route

        self.requests += 1
        parsed = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        parts = parsed.path.strip("/").split("/")
        if parsed.path == PROCEDURES_EXPORT_PATH:
            return Route(self._procedures_export(), "text/html; charset=utf-8")
        if len(parts) != 5 or parts[0] != "bg" or parts[3] != "Project":
            return None
        if parts[4] == "Search":
            op = int(parts[1])
            page = query.get("page")
            number = 1 if page is None else self.page_of_token.get(unquote(page))
            return Route(self._search(op, number)) if number else None
        c = self.by_token.get(query.get("contractId", "").replace(" ", "+"))
        if c is None or parts[4] not in {"PrintProject", "BasicData", "Participants"}:
            return None
        contract = self.contract(c)
        html = (
            render_print(contract) if parts[4] == "PrintProject" else render_tab(contract, parts[4])
        )
        return Route(html.encode("utf-8"))


START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # the first simulated night


@dataclass
class Night:
    night: int
    requests: int
    listing_pages: int
    contracts_refreshed: int
    new_contracts: int
    changes: int
    changes_fetched: int
    backlog: int
    max_age_days: float | None
    by_class: dict[str, int]
    seconds: float
    # requests by page: PrintProject, BasicData, ...
    by_page: dict[str, int] = field(default_factory=dict)
    changed_fetched: int = (
        0  # contracts fetched as `changed` that night (earlier nights' changes too)
    )
    changed_waiting: int = 0  # changed contracts left waiting after the night


def simulate(
    n: int = 80_700,
    nights: int = 60,
    budget: int = 2000,
    new_per_night: int = 30,
    changes_per_night: int = 400,
    participant_share: float = 0.05,
    workdir: Path | str = "/tmp/bgfunds-crawl-sim",
    progress=None,
    max_listing_pages: int | None = None,
    bulk_requests: int = 32,
    snapshot_nights: tuple[int, ...] = (),
    max_rewalk_pages: int = 50,
) -> list[Night]:
    """Run `nights` nights; a `Night` row each (see the module docstring). After each night of
    `snapshot_nights`, the crawl state is copied to `workdir/state-night-<n>.duckdb` (for
    `crawl --plan` on it: `plan_at`)."""
    from sources.crawl_state import CrawlState
    from sources.isun_crawl import CrawlConfig, run_crawl
    from sources.raw_archive import RawArchive
    from tests.fault_server import FaultServer

    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    register = SimRegister(n, participant_share)
    now = [START]
    state = CrawlState(workdir / "crawl_state.duckdb", clock=lambda: now[0])
    archive = RawArchive(workdir / "raw", durable=False)
    rows: list[Night] = []
    with FaultServer(resolve=register.resolve) as server:
        server.log = _NoLog()
        # What the bulk fetch archives first: the API's programme list (criteria), so `crawl --plan` on
        # the simulated state counts the real night's API calls (`plan_at`).
        archive.store(
            criteria_url(server.base_url),
            criteria_answer(),
            status=200,
            headers={"Content-Type": "application/json; charset=utf-8"},
            fetched_at=now[0].isoformat(),
        )
        (workdir / "base_url.txt").write_text(server.base_url)
        for night in range(1, nights + 1):
            started = time.monotonic()
            new, changed = [], []
            fetched = _fetched_tokens(state)
            if night > 1:
                new = register.add(new_per_night)
                changed = register.change(
                    [register.by_token[t] for t in fetched if t in register.by_token],
                    changes_per_night,
                )
            # The bulk fetch: every contract's open-data row fingerprint (a changed row differs); the
            # crawler applies those of the contracts it knows.
            row_fps = {c.token: f"v{c.version}" for c in register.contracts}
            # The bulk sources' requests (robots.txt, the API's criteria and one call per programme,
            # the register export) come out of the night's budget first, as in `bgfunds crawl`.
            config = CrawlConfig(
                base_url=server.base_url,
                listings=register.search_paths(),
                requests_per_night=budget - bulk_requests,
                interval_seconds=0.0,
                read_timeout_seconds=10.0,
                contact="sim@bgfunds.example",
                row_fingerprints=row_fps,
                max_listing_pages=max_listing_pages or budget // 10,
                max_rewalk_pages=max_rewalk_pages,
            )
            summary = run_crawl(config, archive, state)
            tonight = now[0]
            refreshed = {
                r[0]
                for r in state.con.execute(
                    "SELECT contract_id FROM crawl_contracts WHERE last_fetched_at >= ?", [tonight]
                ).fetchall()
            }
            fetched_all, oldest = state.con.execute(
                "SELECT count(*), min(last_fetched_at) FROM crawl_contracts WHERE last_fetched_at IS NOT NULL"
            ).fetchone()
            rows.append(
                Night(
                    night,
                    summary.http.get("requests", 0) + bulk_requests,
                    summary.listing_pages,
                    len(refreshed),
                    len(new),
                    len(changed),
                    sum(c.token in refreshed for c in changed),
                    len(register.contracts) - fetched_all,
                    (tonight - oldest).total_seconds() / 86400 if oldest else None,
                    state.class_counts(tonight + timedelta(hours=1)),
                    time.monotonic() - started,
                    dict(summary.requests_by_page),
                    state.con.execute(
                        "SELECT count(*) FROM crawl_queue WHERE run_id = ? AND reason = 'changed'"
                        " AND outcome IN ('fetched', 'not_modified')",
                        [summary.run_id],
                    ).fetchone()[0],
                )
            )
            rows[-1].changed_waiting = rows[-1].by_class.get("changed", 0)
            if night in snapshot_nights:
                state.flush()
                state.con.execute("CHECKPOINT")
                shutil.copyfile(
                    workdir / "crawl_state.duckdb", workdir / f"state-night-{night}.duckdb"
                )
            if progress:
                progress(rows[-1])
            now[0] += timedelta(days=1)
    state.close()
    return rows


# The live API's programme period ids (damyor/bg-budget isun-programmes.csv): 1 for the first 13.
def criteria_answer() -> bytes:
    """The open-data API's criteria answer (`{programmes: [{id, programmePeriodId, name}]}`)."""
    import json

    programmes = [
        {"id": op, "programmePeriodId": 1 if i < 13 else (2 if op == 8010686 else 3), "name": ""}
        for i, (op, _) in enumerate(PROGRAMMES)
    ]
    return json.dumps({"programmes": programmes}).encode("utf-8")


def plan_at(workdir: Path | str, night: int, budget: int = 2000, **config):
    """`bgfunds crawl --plan` on the state the simulation left after `night` (its snapshot), for the
    next night: the same `night_plan` the CLI prints (its `lines()`), with the simulation's listings
    and budget and the real bulk sources (the archived criteria: 29 programme calls, the register
    export); `config`: more `CrawlConfig` settings (`max_listing_pages`, ...)."""
    from sources.isun_bulk_crawl import BulkConfig, night_plan
    from sources.isun_crawl import CrawlConfig
    from sources.raw_archive import RawArchive

    workdir = Path(workdir)
    base_url = (workdir / "base_url.txt").read_text().strip()
    listings = tuple(f"/bg/{op}/0/Project/Search?showRes=True" for op, _ in sorted(PROGRAMMES))
    tonight = START + timedelta(days=night)
    return night_plan(
        CrawlConfig(base_url=base_url, listings=listings, requests_per_night=budget, **config),
        BulkConfig(),
        RawArchive(workdir / "raw", durable=False),
        workdir / f"state-night-{night}.duckdb",
        clock=lambda: tonight + timedelta(minutes=30),
    )


class _NoLog(list):
    """The server's request log, not kept (a hundred thousand requests)."""

    def append(self, item) -> None:
        pass


def _fetched_tokens(state) -> list[str]:
    return [
        r[0]
        for r in state.con.execute(
            "SELECT contract_id FROM crawl_contracts WHERE last_fetched_at IS NOT NULL"
        ).fetchall()
    ]


HEADER = (
    "| night | requests | listing pages | contracts refreshed | new | changes injected | "
    "changes fetched that night | changed fetched (all) / waiting | backlog (no page detail) | "
    "oldest page detail (days) |"
)


def table_row(r: Night) -> str:
    age = f"{r.max_age_days:.0f}" if r.max_age_days is not None else "-"
    return (
        f"| {r.night} | {r.requests} | {r.listing_pages} | {r.contracts_refreshed} | {r.new_contracts} | "
        f"{r.changes} | {r.changes_fetched} | {r.changed_fetched} / {r.changed_waiting} | {r.backlog} | {age} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contracts", nargs="?", type=int, default=80_700)
    parser.add_argument("nights", nargs="?", type=int, default=60)
    parser.add_argument("budget", nargs="?", type=int, default=2000)
    parser.add_argument("--new", type=int, default=30, help="new contracts a day")
    parser.add_argument("--changes", type=int, default=400, help="bulk rows changed a day")
    parser.add_argument(
        "--participants", type=float, default=0.05, help="share listing participants"
    )
    parser.add_argument("--workdir", default="/tmp/bgfunds-crawl-sim")
    parser.add_argument("--listing-pages", type=int, default=None, help="a night's cap (budget/10)")
    parser.add_argument(
        "--snapshot", type=int, nargs="*", default=[], help="nights after which to copy the state"
    )
    parser.add_argument(
        "--bulk-requests",
        type=int,
        default=32,
        help="the bulk sources' requests a night, taken from the budget (robots.txt, the API's "
        "criteria and 29 programme calls, the register export)",
    )
    parser.add_argument(
        "--plan-after",
        type=int,
        default=None,
        help="print `crawl --plan` on the state after this night (a snapshot of an earlier run)",
    )
    args = parser.parse_args(argv)
    if args.plan_after is not None:
        print("\n".join(plan_at(args.workdir, args.plan_after, args.budget).lines()))
        return 0
    print(HEADER)
    print("|" + "---|" * 10)
    simulate(
        args.contracts,
        args.nights,
        args.budget,
        args.new,
        args.changes,
        args.participants,
        args.workdir,
        max_listing_pages=args.listing_pages,
        bulk_requests=args.bulk_requests,
        snapshot_nights=tuple(args.snapshot),
        progress=lambda r: print(
            table_row(r) + f" <!-- {r.seconds:.0f} s, {r.by_page}, {r.by_class} -->", flush=True
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
