"""Write the bundled sample corpus `sample/isun/` with our template-faithful renderer.

    python -m bench.isun_sample sample/isun

Five contracts, each exercising something the real site serves (see README, "The sample
corpus"): seed 000's activities with their exact amounts as six tab pages; a 2021–27
contract in EUR; a contract with a Cyrillic `С` in its code, a natural person, "Няма"
sections and one garbled amount (an injected fault that must be quarantined); the
project of seed 001 (Община Стамболово); and an F5 WAF challenge served with HTTP 200.
The pages are rendered, not recorded: the structure is the site's, the values are the
seeds' where they state them and illustrative elsewhere (`note` in the manifest).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from bench.isun_render import (
    TAB_BODIES,
    Contract,
    Correction,
    Offer,
    Participant,
    contract_url,
    encrypted_id,
    render_print,
    render_tab,
)
from sources.isun import parse_isun_text

ROOT = Path(__file__).resolve().parent.parent
# The sample's contracts by name, and their (decoded) contractId tokens.
SAMPLE_CONTRACT_IDS = {
    name: encrypted_id(f"contract:{seed}")
    for name, seed in (
        ("seed000", "seed-000"),
        ("eur", "eur-2026"),
        ("cyrillic", "cyrillic-c"),
        ("seed001", "seed-001"),
        ("waf", "waf"),
    )
}
SEED_000 = ROOT / "tests" / "fixtures" / "seeds" / "000_5b4cec09bd580300.txt"
BASE = "https://2020.eufunds.bg"
WAF_BODY = """<html><head><title>Request Rejected</title></head><body>
<script type="text/javascript" src="/TSPD/08a1b2c3d4e5f6?type=9"></script>
<noscript>Please enable JavaScript to view the page content.<br/>Your support ID is: 1234567890123456789</noscript>
<input type="hidden" name="APM_DO_NOT_TOUCH" value="1"/>
</body></html>
"""
HASKOVO_STAMBOLOVO = (
    "България, Югозападна и Южна централна България (BG4), Южен централен (BG42), Хасково (BG422), "
    "Стамболово"
)


def seed_000_contract() -> Contract:
    page = parse_isun_text(SEED_000.read_text(encoding="utf-8"), "file:seed-000")
    activities = [
        (a["title"], D(a["contracted"].replace(" ", "")), D(a["reported"].replace(" ", "")))
        for a in page.activities
    ]
    return Contract(
        contract_id=SAMPLE_CONTRACT_IDS["seed000"],
        reg_number="BG05SFOP001-2.009-0042-C01",
        name="Гражданско участие в социалните политики на четири общини",
        procedure_code="BG05SFOP001-2.009",
        procedure_name="Подобряване на гражданското участие в процесите на формулиране, изпълнение и мониторинг на "
        "политики и законодателство",
        beneficiary_uin="176543213",
        beneficiary_name="Фондация „Гражданска инициатива“",
        programme_name="Оперативна програма „Добро управление“",
        funds=["ЕСФ"],
        programme_id=5,
        contract_date=date(2018, 12, 21),
        start_date=date(2019, 1, 2),
        end_date=date(2020, 7, 2),
        status="Приключен (към датата на приключване)",
        places=["България"],
        description=page.fields["description"],
        activities=activities,
        eu_amount=D("31687.59"),
        bg_amount=D("5591.93"),
        self_amount=D("0"),  # 37 279.52: the activities' sum
        paid_eu=D("31261.06"),
        paid_bg=D("5516.66"),
        eu_percent=D("85.00"),  # 36 777.72: their reported sum
        indicators=[
            ("Брой подкрепени неправителствени организации", "брой", D("0"), D("1"), D("1"))
        ],
    )


def euro_contract() -> Contract:
    return Contract(
        contract_id=SAMPLE_CONTRACT_IDS["eur"],
        reg_number="BG16FFPR003-1.001-0007-C01",
        name="Енергийна ефективност на сградата на СУ „Христо Ботев“, гр. Левски",
        procedure_code="BG16FFPR003-1.001",
        procedure_name="Интегрирани градски инвестиции",
        beneficiary_uin="000413878",
        beneficiary_name="Община Левски",
        programme_name="Програма „Развитие на регионите“ 2021-2027",
        funds=["ЕФРР"],
        programme_id=583,
        contract_date=date(2026, 1, 15),
        start_date=date(2026, 2, 1),
        end_date=date(2027, 7, 31),
        status="В изпълнение (от дата на стартиране)",
        places=[
            "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), "
            "Левски, гр.Левски"
        ],
        description="Прилагане на мерки за енергийна ефективност в училищна сграда.",
        activities=[
            (
                "Строително-монтажни работи за енергийна ефективност на сградата: топлоизолация, подмяна на дограма и "
                "отоплителна инсталация",
                D("1062400.00"),
                D("254980.35"),
            ),
            (
                "Строителен надзор и авторски надзор: упражняване на надзор по време на строителството",
                D("38600.00"),
                D("9264.00"),
            ),
            (
                "Организация и управление на проекта: екип за управление, отчитане и публичност",
                D("12000.00"),
                D("12410.16"),
            ),
        ],
        contractors=[
            Participant(
                "СТРОИТЕЛНА КОМПАНИЯ ЛЕВСКИ ЕООД", "201234563", D("1062400.00"), D("254980.35")
            )
        ],
        eu_amount=D("946050.00"),
        bg_amount=D("166950.00"),
        self_amount=D("0"),
        paid_eu=D("189210.00"),
        paid_bg=D("33390.00"),
        eu_percent=D("85.00"),
        indicators=[
            ("Сгради с подобрени енергийни характеристики", "м2", D("0"), D("4250"), D("0"))
        ],
        offers=[
            Offer(
                "Изпълнение на СМР за енергийна ефективност на СУ „Христо Ботев“",
                D("1062400.00"),
                [("Обособена позиция 1 – СМР", "СТРОИТЕЛНА КОМПАНИЯ ЛЕВСКИ ЕООД", D("1062400.00"))],
            )
        ],
        currency="EUR",
    )


def cyrillic_code_contract() -> Contract:
    return Contract(
        contract_id=SAMPLE_CONTRACT_IDS["cyrillic"],
        reg_number="BG06RDNP001-7.007-0051-С01",
        name="Реконструкция на улична мрежа в с. Бяла вода",
        procedure_code="BG06RDNP001-7.007",
        procedure_name="Подмярка 7.2 Инвестиции в малка по мащаби инфраструктура",
        beneficiary_uin="000303524",
        beneficiary_name="Община Белоградчик",
        programme_name="Програма за развитие на селските райони 2014-2020",
        funds=["ЕЗФРСР"],
        programme_id=3,
        contract_date=date(2019, 6, 14),
        start_date=date(2019, 6, 14),
        end_date=date(2022, 6, 14),
        status="Приключен (към датата на приключване)",
        places=[
            "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Видин (BG311), Белоградчик"
        ],
        description="Реконструкция на улици и тротоари.",
        activities=[
            ("Строителство: реконструкция на улици и тротоари", D("1410522.18"), D("1398004.61")),
            ("Инженеринг и надзор: проектиране и строителен надзор", D("48750.00"), D("48750.00")),
            ("Публичност: табели и информационни материали", D("12300.00"), D("2150.00")),
        ],
        partners=[
            Participant(
                "Сдружение „Местна инициативна група Белоградчик – Димово“",
                "177012347",
                D("10000.00"),
                D("9850.00"),
            ),
            Participant("Иван", None, D("2400.00"), D("2400.00")),
        ],
        eu_amount=D("1118394.86"),
        bg_amount=D("279598.71"),
        self_amount=D("73578.61"),
        paid_eu=D("1062475.11"),
        paid_bg=D("265618.78"),
        eu_percent=D("80.00"),
        corrections=[
            Correction(
                "Нарушение по чл. 70, ал. 1, т. 9 от ЗУСЕФСУ",
                D("5.00"),
                D("70526.11"),
                D("0.00"),
                D("70526.11"),
                "Договор № 12/2020 за СМР",
            )
        ],
    )


def stambolovo_contract() -> Contract:
    activities = [
        (
            "Проучване на тема: „Гражданското участие в процесите на формулиране, изпълнение и мониторинг на местните "
            "политики за предоставяне на социални услуги“",
            "9200.00",
            "9180.40",
        ),
        (
            "Пренасяне на добрите практики и иновативните решения в община Стамболово",
            "8400.00",
            "8400.00",
        ),
        (
            "Разработване на механизми и инструментариум за обратна връзка и оценка от страна на гражданите и бизнеса",
            "8900.00",
            "8655.12",
        ),
        ("Организиране на широка информационна кампания", "11240.80", "11240.80"),
        (
            "Анализ на нормативната уредба в България, регламентираща предоставянето на социални услуги на общинско "
            "равнище",
            "7600.00",
            "7600.00",
        ),
        ("Проучвания на европейските практики и иновативни решения", "7800.00", "7752.30"),
        (
            "Междинна оценка на Общинската стратегия за развитие на социалните услуги в община Стамболово",
            "6900.00",
            "6900.00",
        ),
        ("Разработване на „Методика за подобряване на гражданското участие“", "8300.00", "8300.00"),
        ("Провеждане на обучения на представителите на НПО", "9500.00", "9310.00"),
        (
            "Провеждане на съвместна конференция на представителите на НПО сектора, бизнеса и общината",
            "11000.00",
            "10870.25",
        ),
    ]
    return Contract(
        contract_id=SAMPLE_CONTRACT_IDS["seed001"],
        reg_number="BG05SFOP001-2.009-0010-C01",
        name="Гражданите в партньорство с местната администрация за създаване на една по-добра социална среда на "
        "местно ниво",
        procedure_code="BG05SFOP001-2.009",
        procedure_name="Подобряване на гражданското участие в процесите на формулиране, изпълнение и мониторинг на "
        "политики и законодателство",
        beneficiary_uin="126574932",
        beneficiary_name="Сдружение „Съюз за възстановяване и развитие“",
        programme_name="Оперативна програма „Добро управление“",
        funds=["ЕСФ"],
        programme_id=5,
        contract_date=date(2018, 12, 20),
        start_date=date(2019, 1, 18),
        end_date=date(2020, 7, 18),
        status="Приключен (към датата на приключване)",
        places=[HASKOVO_STAMBOLOVO],
        description="Проектът цели повишаване на гражданското участие в процесите на формулиране, изпълнение и "
        "мониторинг на местните политики в община Стамболово.",
        activities=[(t, D(a), D(r)) for t, a, r in activities],
        partners=[Participant("Община Стамболово", "000903049", D("8000.00"), D("7850.00"))],
        eu_amount=D("75514.68"),
        bg_amount=D("13326.12"),
        self_amount=D("0"),
        paid_eu=D("73195.54"),
        paid_bg=D("12916.86"),
        eu_percent=D("85.00"),
    )


def _entry(
    url: str, body: bytes, fetched_at: str, note: str | None = None, status: int = 200
) -> dict:
    entry = {
        "url": url,
        "status": status,
        "fetched_at": fetched_at,
        "headers": {"Content-Type": "text/html; charset=utf-8", "Server": "Microsoft-IIS/10.0"},
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    if note:
        entry["note"] = note
    return entry


def write_sample(out: Path) -> list[dict]:
    pages_dir = out / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    for old in pages_dir.glob("*.html"):
        old.unlink()
    responses: list[dict] = []

    def add(name: str, url: str, html: str, fetched_at: str, note: str | None = None) -> None:
        body = html.encode("utf-8")
        (pages_dir / name).write_bytes(body)
        responses.append({**_entry(url, body, fetched_at, note), "file": f"pages/{name}"})

    seed0 = seed_000_contract()
    for i, tab in enumerate(TAB_BODIES):
        add(
            f"seed000_{tab}.html",
            contract_url(seed0, tab, BASE),
            render_tab(seed0, tab),
            "2025-03-14T09:12:05Z",
            None
            if i
            else "Seed 000's activities with their exact amounts, as the six tab pages; the seed's text "
            "omits the code, beneficiary, dates and financial tab, so those are illustrative.",
        )
    euro = euro_contract()
    add(
        "eur2026_PrintProject.html",
        contract_url(euro, "PrintProject", BASE),
        render_print(euro),
        "2026-03-02T03:10:00Z",
        "Illustrative 2021-27 contract after the euro changeover: ' EUR' after each amount "
        "and an EUR note (the live wording is not known; the parser reads any wording).",
    )
    cyr = cyrillic_code_contract()
    add(
        "cyrillic_PrintProject.html",
        contract_url(cyr, "PrintProject", BASE),
        render_print(cyr).replace("12 300.00", "12 3O0.00", 1),
        "2025-03-14T09:14:40Z",
        "Illustrative 2014-20 contract: Cyrillic 'С' for Latin 'C' in its code, a natural person as partner, a "
        "financial correction; one activity amount garbled ('12 3O0.00', an injected fault) to exercise quarantine.",
    )
    for tab in ("BasicData", "Participants"):
        add(
            f"cyrillic_{tab}.html",
            contract_url(cyr, tab, BASE),
            render_tab(cyr, tab),
            "2025-03-14T09:14:44Z",
        )
    stam = stambolovo_contract()
    for tab, html in (
        ("PrintProject", render_print(stam)),
        ("BasicData", render_tab(stam, "BasicData")),
        ("Participants", render_tab(stam, "Participants")),
    ):
        add(
            f"seed001_{tab}.html",
            contract_url(stam, tab, BASE),
            html,
            "2025-03-14T09:16:02Z",
            "The project of seed 001 (municipal news of Община Стамболово): code, beneficiary, partner, total "
            "88 840.80 = 75 514.68 EU + 13 326.12 national (85 %), start 18.01.2019 and 18 months are as the news "
            "states; the activity split and the reported and paid amounts are illustrative."
            if tab == "PrintProject"
            else None,
        )
    waf_url = contract_url(
        Contract(SAMPLE_CONTRACT_IDS["waf"], "", "", "", "", None, "", ""), "BasicData", BASE
    )
    add(
        "waf_BasicData.html",
        waf_url,
        WAF_BODY,
        "2025-03-14T09:18:30Z",
        "An F5 WAF JavaScript challenge served with HTTP 200 instead of the page: detected, never parsed.",
    )
    manifest = {
        "source": "ИСУН 2020 public module (2020.eufunds.bg), pages rendered from its own templates "
        "(bench/isun_render.py)",
        "recorded": False,
        "rendered": True,
        "responses": responses,
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return responses


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "sample" / "isun")
    for r in write_sample(target):
        print(r["url"])
