"""A deterministic synthetic ИСУН corpus: contracts at any scale, in a raw archive.

Pages are rendered by `bench.isun_render` from the site's own templates (PrintProject,
BasicData and Participants per contract, as the crawler fetches them), 1–12 activities with long descriptions,
about a quarter in EUR (fetched after 2026-01-01), a few per cent of activities reported
above contracted, and financing identities that hold, so the quality rules pass.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal as D
from pathlib import Path

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
from sources.raw_archive import RawArchive

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


def _contract(rng: random.Random, cid: int, facts: CorpusFacts) -> tuple[Contract, str]:
    code, axis, programme, fund, contract_no = rng.choice(PROGRAMMES)
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
    c = Contract(
        contract_id=encrypted_id(f"bench:{cid}"),
        reg_number=f"{code}-{axis}-{cid - 100000:05d}-{contract_no}",
        name=_sentence(rng, 10),
        procedure_code=f"{code}-{axis}",
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


def generate(n_contracts: int, archive_root: Path | str, seed: int = 7) -> CorpusFacts:
    """Write n contracts to a raw archive, as the crawler fetches them (`crawled_pages`: a PrintProject
    each, a BasicData per procedure, Participants where participants are listed); return what was
    generated."""
    rng = random.Random(seed)
    archive = RawArchive(archive_root, durable=False)
    facts = CorpusFacts()
    procedures: set[str] = set()
    names: dict[str, str] = {}
    for i in range(n_contracts):
        contract, fetched_at = _contract(rng, 100000 + i, facts)
        # A procedure has one name on the site (its BasicData is fetched once, for its first contract).
        contract.procedure_name = names.setdefault(contract.procedure_code, contract.procedure_name)
        for tab in crawled_pages(contract, procedures):
            data = (
                render_print(contract) if tab == "PrintProject" else render_tab(contract, tab)
            ).encode("utf-8")
            url = contract_url(contract, tab, "https://2020.eufunds.bg")
            archive.store(
                url,
                data,
                status=200,
                headers={"Content-Type": "text/html; charset=utf-8"},
                fetched_at=fetched_at,
            )
            facts.bytes += len(data)
            facts.urls.append(url)
    return facts


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bench.synthetic_corpus", description=__doc__.splitlines()[0]
    )
    parser.add_argument("contracts", type=int, help="how many contracts (3 pages each)")
    parser.add_argument(
        "archive", help="raw archive directory to write (objects/ and manifest.jsonl)"
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="same seed, same bytes (default 7, as make bench)"
    )
    args = parser.parse_args(argv)
    facts = generate(args.contracts, args.archive, seed=args.seed)
    print(
        f"{facts.contracts:,} contracts ({facts.eur_pages:,} in EUR), {facts.activities:,} activities "
        f"({facts.over_reported:,} reported above contracted), {facts.bytes / 2**20:,.1f} MiB in {args.archive}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
