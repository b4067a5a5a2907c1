"""A deterministic synthetic ИСУН corpus: contracts at any scale, in a raw archive.

What a night archives under the one-request-per-contract plan: PrintProject for every
contract, BasicData once per procedure (its first contract), Participants only where
PrintProject lists subcontractors; and the bulk sources for every contract (the open-data
API's criteria and one answer per programme, the register export). Pages are rendered by
`bench.isun_render` from the site's own templates; 1–12 activities with long descriptions,
about a quarter in EUR (fetched after 2026-01-01), a few per cent of activities reported
above contracted, and financing identities that hold, so the quality rules pass.

`change_night` adds what a night with some contracts changed archives: new PrintProject
responses for a share of contracts (a reported amount moved) and new bulk answers and
export in which a share of rows changed (the paid amount).
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from openpyxl import Workbook

from bench.isun_render import (
    Contract,
    Participant,
    contract_url,
    encrypted_id,
    render_print,
    render_tab,
)
from sources.isun_crawl import (
    CONTRACT_PAGES,
    PARTICIPANT_ROLES_NEEDING_TAB,
    PARTICIPANTS_PAGE,
    PrintFacts,
    contract_pages_for,
)
from sources.isun_opendata import Programme, criteria_url, programme_url
from sources.isun_register_export import EXPORT_COLUMNS, EXPORT_PATH
from sources.raw_archive import RawArchive
from tests import isun_bulk_fixtures as fx

PROGRAMMES = [
    ("BG05SFOP001", "2.009", "Оперативна програма „Добро управление“", "ЕСФ", "C01"),
    ("BG05M9OP001", "2.010", "Оперативна програма „Развитие на човешките ресурси“", "ЕСФ", "C01"),
    ("BG16RFOP001", "1.003", "Оперативна програма „Региони в растеж“", "ЕФРР", "C01"),
    ("BG06RDNP001", "7.007", "Програма за развитие на селските райони", "ЕЗФРСР", "C01"),
    (
        "BG051PO001",
        "2.3.03",
        "Оперативна програма „Развитие на човешките ресурси“ 2007-2013",
        "ЕСФ",
        "C0001",
    ),
    ("BG16FFPR003", "1.001", "Програма „Развитие на регионите“ 2021-2027", "ЕФРР", "C01"),
]
PLACES = [
    (
        "Северна и Югоизточна България (BG3)",
        "Северозападен (BG31)",
        "Видин (BG311)",
        ["Видин", "Белоградчик", "Брегово", "Кула"],
    ),
    (
        "Северна и Югоизточна България (BG3)",
        "Северозападен (BG31)",
        "Плевен (BG314)",
        ["Левски", "Плевен", "Белене"],
    ),
    (
        "Северна и Югоизточна България (BG3)",
        "Северен централен (BG32)",
        "Русе (BG323)",
        ["Русе", "Бяла", "Ветово"],
    ),
    (
        "Северна и Югоизточна България (BG3)",
        "Североизточен (BG33)",
        "Варна (BG331)",
        ["Варна", "Провадия", "Аксаково"],
    ),
    (
        "Северна и Югоизточна България (BG3)",
        "Югоизточен (BG34)",
        "Бургас (BG341)",
        ["Бургас", "Несебър", "Созопол"],
    ),
    (
        "Югозападна и Южна централна България (BG4)",
        "Югозападен (BG41)",
        "София (столица) (BG411)",
        ["Столична"],
    ),
    (
        "Югозападна и Южна централна България (BG4)",
        "Южен централен (BG42)",
        "Пловдив (BG421)",
        ["Пловдив", "Асеновград", "Карлово"],
    ),
    (
        "Югозападна и Южна централна България (BG4)",
        "Южен централен (BG42)",
        "Хасково (BG422)",
        ["Хасково", "Стамболово", "Димитровград"],
    ),
]
# About one procedure per this many contracts (ИСУН 2020: ~80 700 contracts, ~1 500 procedures).
CONTRACTS_PER_PROCEDURE = 50
# Contracts whose PrintProject lists subcontractors (their Participants tab is fetched for the ЕИК).
SUBCONTRACTED_SHARE = 0.06
FORMS = ["Община", "Сдружение", "Фондация", "ЕООД", "ООД", "АД"]
WORDS = (
    "гражданско участие социални услуги мониторинг политики община общност обучение информационна кампания "
    "енергийна ефективност ремонт сграда училище детска градина инфраструктура улична мрежа водопровод "
    "заетост младежи работни места иновации предприятие оборудване дигитализация администрация"
).split()


def _eik(rng: random.Random) -> str:
    d = [rng.randrange(10) for _ in range(8)]
    check = sum(d[i] * (i + 1) for i in range(8)) % 11
    if check == 10:
        check = sum(d[i] * (i + 3) for i in range(8)) % 11 % 10
    return "".join(map(str, d)) + str(check)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


@dataclass
class CorpusFacts:
    contracts: int = 0
    eur_pages: int = 0
    activities: int = 0
    over_reported: int = 0
    bytes: int = 0
    urls: list[str] = field(default_factory=list)


def _procedure_code(code: str, axis: str, procedure_no: int) -> str:
    """`BG05SFOP001-2.009` -> `BG05SFOP001-2.<procedure_no>` (the last group numbers the procedure)."""
    head = axis.rsplit(".", 1)[0]
    return f"{code}-{head}.{procedure_no % 1000:03d}"


def _contract(
    rng: random.Random, cid: int, facts: CorpusFacts, procedures: int = 1
) -> tuple[Contract, str]:
    code, axis, programme, fund, contract_no = rng.choice(PROGRAMMES)
    procedure_code = _procedure_code(code, axis, 1 + rng.randrange(procedures))
    eur = rng.random() < 0.25
    nuts1, region, district, municipalities = rng.choice(PLACES)
    municipality = rng.choice(municipalities)
    form = rng.choice(FORMS)
    beneficiary = (
        f"ОБЩИНА {municipality.upper()}"
        if form == "Община"
        else f"{form} „{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {cid % 97}“"
    )
    n_act = rng.randint(1, 12)
    acts, total = [], 0
    for _ in range(n_act):
        contracted = rng.randint(2_000_00, 400_000_00)
        over = rng.random() < 0.04
        reported = contracted + rng.randint(1, 5_000_00) if over else rng.randint(0, contracted)
        facts.over_reported += over
        acts.append(
            (
                f"{_sentence(rng, 6)[:-1]}: {' '.join(_sentence(rng, 14) for _ in range(rng.randint(3, 25)))}",
                D(contracted) / 100,
                D(reported) / 100,
            )
        )
        total += contracted
    own = total * rng.choice([0, 0, 0, 5, 10]) // 100
    grant = total - own
    eu = grant * 85 // 100
    paid = grant * rng.randint(0, 100) // 100
    start_year = rng.randint(2027, 2028) if eur else rng.randint(2016, 2024)
    people = []
    if rng.random() < 0.3:
        people.append(
            Participant(
                f"ОБЩИНА {rng.choice(municipalities).upper()}",
                _eik(rng),
                D(rng.randint(1_000_00, 50_000_00)) / 100,
                D(rng.randint(0, 1_000_00)) / 100,
            )
        )
    if rng.random() < 0.05:
        people.append(
            Participant(
                rng.choice(["Иван", "Мария", "Георги"]),
                None,
                D(rng.randint(1_000_00, 9_000_00)) / 100,
            )
        )
    contractors = (
        [
            Participant(
                f"{rng.choice(WORDS).upper()} ЕООД",
                _eik(rng),
                D(rng.randint(5_000_00, 90_000_00)) / 100,
                D(rng.randint(0, 5_000_00)) / 100,
            )
        ]
        if rng.random() < 0.5
        else []
    )
    subcontractors = (
        [
            Participant(
                f"{rng.choice(WORDS).upper()} ООД",
                _eik(rng),
                D(rng.randint(1_000_00, 20_000_00)) / 100,
            )
        ]
        if contractors and rng.random() < SUBCONTRACTED_SHARE * 2
        else []
    )
    c = Contract(
        contract_id=encrypted_id(f"bench:{cid}"),
        reg_number=f"{procedure_code}-{cid - 100000:05d}-{contract_no}",
        name=_sentence(rng, 10),
        procedure_code=procedure_code,
        procedure_name=_sentence(rng, 6),
        beneficiary_uin=_eik(rng),
        beneficiary_name=beneficiary,
        programme_name=programme,
        funds=[fund],
        contract_date=date(start_year, 1, 15),
        start_date=date(start_year, 2, 1),
        end_date=date(start_year + 1, 7, 31),
        status="В изпълнение (от дата на стартиране)",
        places=[f"България, {nuts1}, {region}, {district}, {municipality}, гр.{municipality}"],
        description=" ".join(_sentence(rng, 14) for _ in range(rng.randint(2, 8))),
        activities=acts,
        partners=people,
        contractors=contractors,
        subcontractors=subcontractors,
        eu_amount=D(eu) / 100,
        bg_amount=D(grant - eu) / 100,
        self_amount=D(own) / 100,
        paid_eu=D(paid * 85 // 100) / 100,
        paid_bg=D(paid - paid * 85 // 100) / 100,
        eu_percent=D("85.00"),
        indicators=[(_sentence(rng, 8), "брой", D(0), D(10), D(rng.randint(0, 10)))],
        currency="EUR" if eur else "BGN",
    )
    facts.contracts += 1
    facts.eur_pages += eur
    facts.activities += n_act
    fetched_at = (
        f"{2026 if eur else 2025}-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}T02:00:00Z"
    )
    return c, fetched_at


# Bump when the generator writes different bytes for the same scale and seed: `make bench`
# keeps corpora by scale and this version (`bench.run.corpus_dir`) and regenerates on a change.
GENERATOR_VERSION = "v4"

API_PROGRAMMES = {  # our programme code -> the open-data API's (programme id, period id)
    "BG05SFOP001": ("1", "1"),
    "BG05M9OP001": ("4", "1"),
    "BG16RFOP001": ("3", "1"),
    "BG06RDNP001": ("8010510", "1"),
    "BG051PO001": ("4", "1"),
    "BG16FFPR003": ("8010862", "3"),
}
BASE = "https://2020.eufunds.bg"
HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
BULK_FETCHED_AT = "2026-11-25T01:{minute:02d}:00Z"
NIGHT_FETCHED_AT = "2026-11-26T02:{minute:02d}:00Z"


def crawled_pages(contract: Contract, procedures_seen: set[str]) -> list[str]:
    """The pages the crawler archives for this contract (`sources.isun_crawl`): PrintProject, BasicData
    when its procedure has none yet, Participants when PrintProject lists participants (read once, by
    the `identity` queue class)."""
    roles = {
        role
        for kind, role in (
            ("partners", "partner"),
            ("contractors", "contractor"),
            ("subcontractors", "subcontractor"),
            ("members", "consortium_member"),
        )
        if getattr(contract, kind)
    }
    facts = PrintFacts(contract.procedure_code, frozenset(roles))
    pages = [
        *CONTRACT_PAGES,
        *contract_pages_for(facts, contract.procedure_code in procedures_seen),
    ]
    if roles & set(PARTICIPANT_ROLES_NEEDING_TAB):
        pages.append(PARTICIPANTS_PAGE)  # read once, by the crawl's `identity` class
    procedures_seen.add(contract.procedure_code)
    return pages


def _contracts(
    n_contracts: int, seed: int
) -> Iterator[tuple[Contract, str, list[str], CorpusFacts]]:
    """The corpus's contracts in order, with their fetch time and the pages the crawler fetches
    for each (same seed, same contracts)."""
    rng = random.Random(seed)
    facts = CorpusFacts()
    procedures = max(1, n_contracts // CONTRACTS_PER_PROCEDURE // len(PROGRAMMES))
    seen: set[str] = set()
    names: dict[str, str] = {}
    for i in range(n_contracts):
        contract, fetched_at = _contract(rng, 100000 + i, facts, procedures)
        # A procedure has one name on the site (its BasicData is fetched once, for its first contract).
        contract.procedure_name = names.setdefault(contract.procedure_code, contract.procedure_name)
        yield contract, fetched_at, crawled_pages(contract, seen), facts


def _store_page(
    archive: RawArchive, contract: Contract, tab: str, fetched_at: str
) -> tuple[str, int]:
    data = (render_print(contract) if tab == "PrintProject" else render_tab(contract, tab)).encode()
    url = contract_url(contract, tab, BASE)
    archive.store(url, data, status=200, headers=HTML, fetched_at=fetched_at)
    return url, len(data)


def generate(
    n_contracts: int, archive_root: Path | str, seed: int = 7, with_bulk: bool = True
) -> CorpusFacts:
    """Write n contracts to a raw archive as a night under the crawl plan archives them
    (`crawled_pages`: a PrintProject each, a BasicData per procedure, Participants where
    participants are listed), with the bulk sources for every contract unless `with_bulk` is
    false (a test that records its own); return what was generated."""
    archive = RawArchive(archive_root, durable=False)
    bulk = BulkSources()
    facts = CorpusFacts()
    for contract, fetched_at, tabs, facts in _contracts(n_contracts, seed):
        for tab in tabs:
            url, size = _store_page(archive, contract, tab, fetched_at)
            facts.bytes += size
            facts.urls.append(url)
        bulk.add(contract)
    if with_bulk:
        facts.bytes += bulk.store(archive, BULK_FETCHED_AT)
    return facts


def change_night(
    n_contracts: int,
    archive_root: Path | str,
    seed: int = 7,
    pages_share: float = 0.01,
    bulk_share: float = 0.025,
) -> dict:
    """Append a night to a corpus made by `generate(n_contracts, ..., seed)`: a new PrintProject for
    every 1/`pages_share`-th contract (its first activity's reported amount moved), and new bulk
    answers and export in which every 1/`bulk_share`-th contract's paid amount changed."""
    archive = RawArchive(archive_root, durable=False)
    bulk = BulkSources()
    page_every, bulk_every = round(1 / pages_share), round(1 / bulk_share)
    changed = {"contracts_with_new_pages": 0, "bulk_rows_changed": 0}
    for i, (contract, _, _, _) in enumerate(_contracts(n_contracts, seed)):
        if i % page_every == page_every // 2 and contract.activities:
            title, contracted, reported = contract.activities[0]
            contract.activities[0] = (title, contracted, min(contracted, reported + D("1000.00")))
            _store_page(archive, contract, "PrintProject", NIGHT_FETCHED_AT.format(minute=i % 60))
            changed["contracts_with_new_pages"] += 1
        if i % bulk_every == bulk_every // 3:
            contract.paid_bg += D("500.00")
            changed["bulk_rows_changed"] += 1
        bulk.add(contract)
    bulk.store(archive, NIGHT_FETCHED_AT)
    return changed


def _fixed_zip(xlsx: bytes) -> bytes:
    """The workbook with its save time taken out (entry times, docProps' modified): same corpus, same bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*<",
                    rb"<dcterms:modified\1>2026-11-25T00:00:00Z<",
                    data,
                )
                data = re.sub(
                    rb"<dcterms:created([^>]*)>[^<]*<",
                    rb"<dcterms:created\1>2026-11-25T00:00:00Z<",
                    data,
                )
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2026, 11, 25, 0, 0, 0)),
                data,
                zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


class BulkSources:
    """The open-data API's answers (one per programme) and the register export, row by row."""

    def __init__(self) -> None:
        self.projects: dict[tuple[str, str], list[str]] = {}
        self.contracts: dict[tuple[str, str], list[str]] = {}
        self.entities: dict[tuple[str, str], dict[str, str]] = {}
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("Проекти")
        for row in (
            ["Проекти"],
            ["Програма:", "Всички"],
            ["Статус:", "Всички"],
            [],
            list(EXPORT_COLUMNS),
        ):
            self.sheet.append(row)

    def add(self, c: Contract) -> None:
        code = c.reg_number.rsplit("-", 1)[0]
        programme = API_PROGRAMMES[code.split("-", 1)[0]]
        total = c.eu_amount + c.bg_amount + c.self_amount
        paid = c.paid_eu + c.paid_bg
        ents = self.entities.setdefault(programme, {})
        beneficiary = f"b{c.beneficiary_uin}"
        ents[beneficiary] = json.dumps(
            fx.entity(
                beneficiary, c.beneficiary_uin, c.beneficiary_name, "Видин", "Видин", "Видин"
            ),
            ensure_ascii=False,
        )
        project = fx.project(
            code,
            c.name,
            beneficiary,
            total,
            paid,
            fund=c.funds[0],
            start=c.start_date.isoformat(),
            end=c.end_date.isoformat(),
            months=c.months,
            status=c.status,
            places=tuple(p.rsplit(", ", 1)[0] for p in c.places),
            description=c.description,
        )
        self.projects.setdefault(programme, []).append(
            json.dumps(project, ensure_ascii=False, default=fx._json_default)
        )
        for k, who in enumerate(c.contractors, start=1):
            entity_id = f"c{who.uin}"
            ents[entity_id] = json.dumps(
                fx.entity(entity_id, who.uin, who.name), ensure_ascii=False
            )
            self.contracts.setdefault(programme, []).append(
                json.dumps(
                    fx.contract(
                        code, f"Д-{k}/{c.contract_date:%d.%m.%Y}", entity_id, who.contracted
                    ),
                    ensure_ascii=False,
                    default=fx._json_default,
                )
            )
        row = fx.export_row(
            f"{code.split('-', 1)[0]} {c.programme_name}",
            f"{c.beneficiary_uin} {c.beneficiary_name}",
            code,
            c.name,
            float(total),
            float(c.eu_amount + c.bg_amount),
            float(c.self_amount),
            float(paid),
            c.months,
            c.status,
            location=c.places[0] if c.places else "",
        )
        self.sheet.append([row.get(name, "") for name in EXPORT_COLUMNS.values()])

    def store(self, archive: RawArchive, fetched_at: str) -> int:
        """Archive the criteria, every programme's answer and the export; their bytes in all."""
        names = {(i, p): n for i, p, n in fx.PROGRAMMES}
        size = 0
        criteria = fx.criteria_body()
        archive.store(
            criteria_url(BASE),
            criteria,
            status=200,
            headers=JSON,
            fetched_at=fetched_at.format(minute=30),
        )
        size += len(criteria)
        for n, programme in enumerate(sorted(self.projects)):
            body = (
                f'{{"generatedAt":"2026-11-25T03:10:00","totalProjects":{len(self.projects[programme])},'
                f'"projects":[{",".join(self.projects[programme])}],'
                f'"contracts":[{",".join(self.contracts.get(programme, []))}],'
                f'"entities":[{",".join(self.entities[programme].values())}]}}'
            ).encode()
            url = programme_url(BASE, Programme(*programme, names.get(programme, "")))
            archive.store(
                url, body, status=200, headers=JSON, fetched_at=fetched_at.format(minute=31 + n)
            )
            size += len(body)
        self.sheet.append([])
        self.sheet.append(["Забележки: Сумите са в евро."])
        out = io.BytesIO()
        self.workbook.save(out)
        export = _fixed_zip(out.getvalue())
        archive.store(
            BASE + EXPORT_PATH,
            export,
            status=200,
            headers=XLSX,
            fetched_at=fetched_at.format(minute=50),
        )
        return size + len(export)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bench.synthetic_corpus", description=__doc__.splitlines()[0]
    )
    parser.add_argument("contracts", type=int, help="how many contracts")
    parser.add_argument(
        "archive", help="raw archive directory to write (objects/ and manifest.jsonl)"
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="same seed, same bytes (default 7, as make bench)"
    )
    parser.add_argument(
        "--night", action="store_true", help="append a night with 1 %% of contracts changed"
    )
    args = parser.parse_args(argv)
    if args.night:
        print(change_night(args.contracts, args.archive, seed=args.seed))
        return 0
    facts = generate(args.contracts, args.archive, seed=args.seed)
    print(
        f"{facts.contracts:,} contracts ({facts.eur_pages:,} in EUR), {facts.activities:,} activities "
        f"({facts.over_reported:,} reported above contracted), {facts.bytes / 2**20:,.1f} MiB in {args.archive}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
