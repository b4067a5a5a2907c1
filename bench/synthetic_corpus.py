"""A deterministic synthetic ИСУН corpus: PrintProject pages at any scale, in a raw archive.

Pages have the real structure (div.list-item fields, activities, participants, financial
table, indicators, currency note), 8–40 KB each, 1–12 activities with long descriptions,
about a quarter in EUR (fetched after 2026-01-01), a few per cent of activities reported
above contracted, and financing identities that hold, so the quality suites pass.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from pathlib import Path

from sources.raw_archive import RawArchive

PROGRAMMES = [
    ("BG05SFOP001", "2.009", "Оперативна програма „Добро управление“", "ЕСФ", "C01"),
    ("BG05M9OP001", "2.010", "Оперативна програма „Развитие на човешките ресурси“", "ЕСФ", "C01"),
    ("BG16RFOP001", "1.003", "Оперативна програма „Региони в растеж“", "ЕФРР", "C01"),
    ("BG06RDNP001", "7.007", "Програма за развитие на селските райони", "ЕЗФРСР", "C01"),
    ("BG051PO001", "2.3.03", "Оперативна програма „Развитие на човешките ресурси“ 2007-2013", "ЕСФ", "C0001"),
    ("BG16FFPR003", "1.001", "Програма „Развитие на регионите“ 2021-2027", "ЕФРР", "C01"),
]
PLACES = [
    ("Северна и Югоизточна България (BG3)", "Северозападен (BG31)", "Видин (BG311)", ["Видин", "Белоградчик", "Брегово", "Кула"]),
    ("Северна и Югоизточна България (BG3)", "Северозападен (BG31)", "Плевен (BG314)", ["Левски", "Плевен", "Белене"]),
    ("Северна и Югоизточна България (BG3)", "Северен централен (BG32)", "Русе (BG323)", ["Русе", "Бяла", "Ветово"]),
    ("Северна и Югоизточна България (BG3)", "Североизточен (BG33)", "Варна (BG331)", ["Варна", "Провадия", "Аксаково"]),
    ("Северна и Югоизточна България (BG3)", "Югоизточен (BG34)", "Бургас (BG341)", ["Бургас", "Несебър", "Созопол"]),
    ("Югозападна и Южна централна България (BG4)", "Югозападен (BG41)", "София (столица) (BG411)", ["Столична"]),
    ("Югозападна и Южна централна България (BG4)", "Южен централен (BG42)", "Пловдив (BG421)", ["Пловдив", "Асеновград", "Карлово"]),
    ("Югозападна и Южна централна България (BG4)", "Южен централен (BG42)", "Хасково (BG422)", ["Хасково", "Стамболово", "Димитровград"]),
]
FORMS = ["Община", "Сдружение", "Фондация", "ЕООД", "ООД", "АД"]
WORDS = ("гражданско участие социални услуги мониторинг политики община общност обучение информационна кампания "
         "енергийна ефективност ремонт сграда училище детска градина инфраструктура улична мрежа водопровод "
         "заетост младежи работни места иновации предприятие оборудване дигитализация администрация").split()
BGN_NOTE = "Всички суми са в български лева (BGN) /1 EUR = 1,95583 BGN"
EUR_NOTE = "Всички суми са в евро (EUR) /1 EUR = 1,95583 BGN"


def _eik(rng: random.Random) -> str:
    d = [rng.randrange(10) for _ in range(8)]
    check = sum(d[i] * (i + 1) for i in range(8)) % 11
    if check == 10:
        check = sum(d[i] * (i + 3) for i in range(8)) % 11 % 10
    return "".join(map(str, d)) + str(check)


def _amount(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"{whole:,}".replace(",", " ") + f".{frac:02d}"


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


def _page(rng: random.Random, cid: int, facts: CorpusFacts) -> tuple[str, str]:
    code, axis, programme, fund, contract = rng.choice(PROGRAMMES)
    eur = rng.random() < 0.25
    nuts1, region, district, municipalities = rng.choice(PLACES)
    municipality = rng.choice(municipalities)
    form = rng.choice(FORMS)
    beneficiary = f"Община {municipality}" if form == "Община" else f"{form} „{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {cid % 97}“"
    n_act = rng.randint(1, 12)
    acts, total = [], 0
    for _ in range(n_act):
        contracted = rng.randint(2_000_00, 400_000_00)
        over = rng.random() < 0.04
        reported = contracted + rng.randint(1, 5_000_00) if over else rng.randint(0, contracted)
        facts.over_reported += over
        acts.append((f"{_sentence(rng, 6)[:-1]}: {' '.join(_sentence(rng, 14) for _ in range(rng.randint(3, 25)))}",
                     contracted, reported))
        total += contracted
    own = total * rng.choice([0, 0, 0, 5, 10]) // 100
    grant = total - own
    eu = grant * 85 // 100
    paid = grant * rng.randint(0, 100) // 100
    start_year = rng.randint(2027, 2028) if eur else rng.randint(2016, 2024)
    project_code = f"{code}-{axis}-{cid - 100000:05d}-{contract}"
    fields = [("Номер на договора/заповедта", project_code), ("Номер от ИСУН", project_code.rsplit("-", 1)[0]),
              ("Наименование на проекта", _sentence(rng, 10)), ("Програма", programme),
              ("Процедура", f"{code}-{axis} {_sentence(rng, 6)}"), ("Бенефициент", beneficiary), ("ЕИК", _eik(rng)),
              ("Дата на сключване на договора/заповедта", f"15.01.{start_year}"),
              ("Дата на стартиране", f"01.02.{start_year}"), ("Дата на приключване", f"31.07.{start_year + 1}"),
              ("Продължителност (месеци)", "18"),
              ("Статус на изпълнение на договора/заповедта за БФП", "В изпълнение (от дата на стартиране)"),
              ("Местонахождение", f"България, {nuts1}, {region}, {district}, {municipality}, гр.{municipality}")]
    items = "\n".join(f'<div class="list-item"><label>{k}</label><p>{html.escape(v)}</p></div>' for k, v in fields)
    rows = "\n".join(f'<tr><td><span class="activity-name">{html.escape(t)}</span></td><td class="text-right">{_amount(c)}</td>'
                     f'<td class="text-right">{_amount(r)}</td></tr>' for t, c, r in acts)
    partner = (f'<table class="table"><thead><tr><th>Наименование на организацията</th><th>ЕИК</th><th>Вид на организацията</th>'
               f'</tr></thead><tbody><tr><td>Община {rng.choice(municipalities)}</td><td>{_eik(rng)}</td><td>Община</td></tr>'
               f"</tbody></table>") if rng.random() < 0.3 else "<p>Няма</p>"
    body = f"""<!DOCTYPE html><html lang="bg"><head><meta charset="utf-8"><title>ИСУН 2020</title></head><body>
<main class="container"><section class="basic-data"><h3>Основни данни</h3>
{items}</section>
<section class="activities"><h3>Дейности</h3><table class="table"><thead><tr><th>Дейност</th><th>Договорена стойност</th><th>Отчетена стойност</th></tr></thead><tbody>
{rows}</tbody></table></section>
<section class="participants"><h3>Участници</h3><h4>Партньори</h4>{partner}</section>
<section class="financial-information"><h3>Финансова информация</h3><table class="table"><thead><tr><th>Източник на финансиране</th><th>Обща стойност на проекта</th><th>БФП</th><th>Финансиране от ЕС</th><th>Финансиране от НФ</th><th>Собствено финансиране</th><th>Общо реално изплатени суми</th></tr></thead>
<tbody><tr><td>{fund}</td><td>{_amount(total)}</td><td>{_amount(grant)}</td><td>{_amount(eu)}</td><td>{_amount(grant - eu)}</td><td>{_amount(own)}</td><td>{_amount(paid)}</td></tr></tbody></table></section>
<section class="indicators"><h3>Индикатори</h3><table class="table"><thead><tr><th>Индикатор</th><th>Мерна единица</th><th>Целева стойност</th><th>Достигната стойност</th></tr></thead><tbody><tr><td>{_sentence(rng, 8)}</td><td>брой</td><td>10</td><td>{rng.randint(0, 10)}</td></tr></tbody></table></section>
<div class="notes"><h4>Забележки:</h4><p>{EUR_NOTE if eur else BGN_NOTE}</p></div></main></body></html>"""
    facts.contracts += 1
    facts.eur_pages += eur
    facts.activities += n_act
    fetched_at = f"{2026 if eur else 2025}-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}T02:00:00Z"
    return body, fetched_at


def generate(n_contracts: int, archive_root: Path | str, seed: int = 7) -> CorpusFacts:
    """Write n PrintProject pages to a raw archive; return what was generated."""
    rng = random.Random(seed)
    archive = RawArchive(archive_root, durable=False)
    facts = CorpusFacts()
    for i in range(n_contracts):
        cid = 100000 + i
        body, fetched_at = _page(rng, cid, facts)
        data = body.encode("utf-8")
        url = f"https://2020.eufunds.bg/bg/0/0/Project/PrintProject?contractId={cid}&isHistoric=False"
        archive.store(url, data, status=200, headers={"Content-Type": "text/html; charset=utf-8"}, fetched_at=fetched_at)
        facts.bytes += len(data)
        facts.urls.append(url)
    return facts


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.synthetic_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("contracts", type=int, help="how many contracts (PrintProject pages)")
    parser.add_argument("archive", help="raw archive directory to write (objects/ and manifest.jsonl)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes (default 7, as make bench)")
    args = parser.parse_args(argv)
    facts = generate(args.contracts, args.archive, seed=args.seed)
    print(f"{facts.contracts:,} contracts ({facts.eur_pages:,} in EUR), {facts.activities:,} activities "
          f"({facts.over_reported:,} reported above contracted), {facts.bytes / 2**20:,.1f} MiB in {args.archive}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
