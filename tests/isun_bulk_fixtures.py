"""Renderings of ИСУН's bulk sources in their real shapes, for tests, the mirror, the bench and the demo.

Shapes: the open-data API's criteria and per-programme answers (the site's open-data model,
`ExportOpenDataXmlClasses.cs`, in camelCase, as the public reader damyor/bg-budget reads it)
and the register export (a filter block, the 15-column header of 2026, rows, a notes footer,
as atanasster/electionsbg reads it). Programme ids, period ids and names are the live API's
(2026-10-05); the Стамболово rows' codes, names, totals and statuses are real register rows
(2026-06-22); every other value is invented.

`python -m tests.isun_bulk_fixtures DIR` writes the demo recording (`sample/isun_bulk`).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from sources.isun_opendata import Programme
from sources.isun_register_export import EXPORT_COLUMNS

# The live API's programme list (id, period id, name), 2026-10-05.
PROGRAMMES = [
    ("2", "1", "Транспорт и транспортна инфраструктура 2014-2020"),
    ("6", "1", "Околна среда 2014-2020"),
    ("3", "1", "Региони в растеж 2014-2020"),
    ("5", "1", "Иновации и конкурентоспособност 2014-2020"),
    ("7", "1", "Наука и образование за интелигентен растеж 2014-2020"),
    ("4", "1", "Развитие на човешките ресурси 2014-2020"),
    ("1", "1", "Добро управление 2014-2020"),
    ("8", "1", "Храни 2014-2020"),
    ("8010402", "1", "Инициатива за малки и средни предприятия 2014-2020"),
    ("8010406", "1", "Програма за морско дело и рибарство 2014-2020"),
    ("8010436", "1", 'Фонд "Убежище, миграция и интеграция"'),
    ("8010437", "1", 'Фонд "Вътрешна сигурност"'),
    ("8010510", "1", "Програма за развитие на селските райони (за мерки по чл. 9б, т.2 от ЗПЗП)"),
    ("8010686", "2", "Национален план за възстановяване и устойчивост"),
    ("8010709", "3", "Развитие на човешките ресурси 2021-2027"),
    ("8010710", "3", 'Програма "Образование" 2021-2027'),
    ("8010711", "3", 'Програма "Храни и основно материално подпомагане" 2021-2027'),
    ("8010759", "3", 'Програма "Околна среда" 2021-2027'),
    ("8010777", "3", 'Програма "Техническа помощ"'),
    ("8010781", "3", "Резерв за приспособяване във връзка с последиците от Брекзит"),
    ("8010785", "3", 'Програма "Конкурентоспособност и иновации в предприятията" 2021-2027'),
    ("8010798", "3", 'Програма "Транспортна свързаност" 2021-2027'),
    ("8010814", "3", "Програма на Република България по фонд „Убежище, миграция и интеграция“"),
    ("8010828", "3", "ПРБИУГВП"),
    ("8010829", "3", "Програма на Република България по фонд „Вътрешна сигурност“"),
    (
        "8010851",
        "3",
        'Програма "Научни изследвания, иновации и дигитализация за интелигентна трансформация"',
    ),
    ("8010862", "3", 'Програма "Развитие на регионите" 2021-2027'),
    ("8010879", "3", "Програма за морско дело, рибарство и аквакултури 2021-2027 г."),
    ("8010936", "3", "СПРЗСР-ВОМР"),
]
STAMBOLOVO = "България, Югозападна и Южна централна България (BG4), Южен централен (BG42), Хасково (BG422), Стамболово"
HTML_REFUSAL = (
    b"<!DOCTYPE html><html><head><title>2020.eufunds.bg</title></head><body>"
    b"<h1>\xd0\x9e\xd0\xbf\xd0\xb8\xd1\x82\xd0\xb0\xd0\xb9\xd1\x82\xd0\xb5 \xd0\xbf\xd0\xbe-\xd0\xba\xd1"
    b"\x8a\xd1\x81\xd0\xbd\xd0\xbe</h1></body></html>"
)  # "Опитайте по-късно", an ordinary HTML page


# The containment tests' (test_bulk_containment, test_one_bad_contract) programmes, one per way an
# answer can go bad, the municipality that owns every row, and a row's contract code.
P_ROWS, P_CUT, P_EMPTY, P_DEEP, P_NEVER = (
    Programme("5", "1", "Иновации и конкурентоспособност 2014-2020"),
    Programme("3", "1", "Региони в растеж 2014-2020"),
    Programme("4", "1", "Развитие на човешките ресурси 2014-2020"),
    Programme("6", "1", "Околна среда 2014-2020"),
    Programme("7", "1", "Наука и образование за интелигентен растеж 2014-2020"),
)
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def owner_entity() -> dict:
    return entity("E1", "000000001", "Община Стамболово", "Стамболово", "Хасково")


def rrp_code(procedure: str, n: int) -> str:
    """A contract code under ОПРР 2014-2020 (`BG16RFOP002-<procedure>-<n>`)."""
    return f"BG16RFOP002-{procedure}-{n:04d}"


def criteria_body(programmes=PROGRAMMES) -> bytes:
    return json.dumps(
        {
            "programmes": [
                {"id": int(i), "programmePeriodId": int(p), "name": n} for i, p, n in programmes
            ]
        },
        ensure_ascii=False,
    ).encode()


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(value)


def entity(
    entity_id: str,
    uin: str | None,
    name: str,
    municipality: str | None = None,
    district: str | None = None,
    city: str | None = None,
    address: str | None = None,
) -> dict:
    return {
        "entityId": entity_id,
        "entityUin": uin,
        "entityName": name,
        "entityAddress": address,
        "entityZipCode": None,
        "entityCity": city,
        "entityMunicipality": municipality,
        "entityDistrict": district,
    }


def project(
    code: str,
    name: str,
    beneficiary: str,
    total,
    paid=None,
    *,
    fund="ЕСФ",
    start="2019-01-18",
    end="2020-07-18",
    months=18,
    status="Приключен (към датата на приключване)",
    places=(STAMBOLOVO,),
    partners=(),
    description="",
) -> dict:
    return {
        "id": code,
        "sourceofFunding": fund,
        "initialDate": f"{start}T00:00:00",
        "endDate": f"{end}T00:00:00",
        "dateofDecisionforFunding": f"{start}T00:00:00",
        "projectBeneficiary": {"entityId": beneficiary},
        "placeOfExecution": [{"municipality": p} for p in places],
        "name": name,
        "totalValue": total,
        "beneficiaryFunding": 0,
        "actuallyPaidAmounts": [] if paid is None else [{"value": paid}],
        "durationInMonths": months,
        "description": description,
        "status": status,
        "partners": [{"entityId": p} for p in partners],
    }


def contract(
    project_code: str,
    number: str,
    contractor: str,
    amount,
    *,
    signed="2019-03-01",
    entity_type="LegalEntity",
    description="Доставка",
    end: str | None = None,
) -> dict:
    end = end or f"{int(signed[:4]) + 1}{signed[4:]}"
    return {
        "entityType": entity_type,
        "entityId": contractor,
        "contractId": f"{project_code}({number})",
        "signatureDate": f"{signed}T00:00:00",
        "initialDate": f"{signed}T00:00:00",
        "endDate": f"{end}T00:00:00",
        "description": description,
        "amount": amount,
        "subcontractEntities": [],
    }


def programme_body(
    projects: list[dict],
    contracts: list[dict],
    entities: list[dict],
    generated_at: str = "2026-11-25T03:10:00",
) -> bytes:
    return json.dumps(
        {
            "generatedAt": generated_at,
            "totalProjects": len(projects),
            "projects": projects,
            "contracts": contracts,
            "entities": entities,
        },
        ensure_ascii=False,
        default=_json_default,
    ).encode()


def write_big_programme(path: Path, n_projects: int, seed_code: str = "BG16RFOP002-2.073") -> int:
    """A programme answer of `n_projects` projects (one contractor contract each), written as a
    stream (never held whole), in the real shape with long names and descriptions; its size in bytes."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f'{{"generatedAt":"2026-11-25T03:10:00","totalProjects":{n_projects},"projects":[')
        for i in range(n_projects):
            p = project(
                f"{seed_code}-{i:05d}",
                f"Преодоляване на недостига на средства и липсата на ликвидност {i}",
                f"E{i % 40000:06d}",
                Decimal(f"{5000 + i % 900000}.{i % 100:02d}"),
                Decimal(f"{i % 5000}.5"),
                fund="ЕФРР",
                description="Описание на дейностите по проекта. " * 40,
            )
            fh.write(("," if i else "") + json.dumps(p, ensure_ascii=False, default=_json_default))
        fh.write('],"contracts":[')
        for i in range(n_projects):
            c = contract(
                f"{seed_code}-{i:05d}",
                f"Д-{i}/01.03.2021",
                f"E{(i + 7) % 40000:06d}",
                Decimal(f"{1000 + i % 5000}.00"),
            )
            fh.write(("," if i else "") + json.dumps(c, ensure_ascii=False, default=_json_default))
        fh.write('],"entities":[')
        for i in range(min(n_projects, 40000)):
            e = entity(
                f"E{i:06d}",
                f"{200000000 + i}" if i % 10 else "",
                f"Фирма {i} ЕООД" if i % 10 else "Иван",
                "Стамболово",
                "Хасково",
                "Стамболово",
                f"ул. Първа {i}",
            )
            fh.write(("," if i else "") + json.dumps(e, ensure_ascii=False))
        fh.write("]}")
    return path.stat().st_size


def export_xlsx(rows: list[dict], header: list[str] | None = None) -> bytes:
    """The register export: a filter block, the header, the rows, then the notes footer."""
    header = header or list(EXPORT_COLUMNS)
    wb = Workbook()
    ws = wb.active
    ws.append(["Проекти"])
    ws.append(["Програма:", "Всички"])
    ws.append(["Статус:", "Всички"])
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(
            [row.get(EXPORT_COLUMNS.get(h, ""), "") if h in EXPORT_COLUMNS else "" for h in header]
        )
    ws.append([])
    ws.append(["Забележки: Сумите са в евро."])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_row(
    programme: str,
    beneficiary: str,
    code: str,
    name: str,
    total,
    grant,
    own,
    paid,
    months,
    status,
    location=STAMBOLOVO,
    org=("Юридическо лице", "Организация с нестопанска цел", "Сдружение"),
) -> dict:
    return {
        "programme": programme,
        "beneficiary": beneficiary,
        "organisation_type": org[0],
        "organisation_kind": org[1],
        "organisation_form": org[2],
        "seat": "Хасково",
        "location": location,
        "proposal_code": code,
        "project_name": name,
        "amount_total": total,
        "amount_grant": grant,
        "amount_own": own,
        "amount_paid": paid,
        "duration_months": months,
        "status": status,
    }


# -- the loopback mirror -----------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIRROR_PROGRAMMES = [
    ("8010862", "3", 'Програма "Развитие на регионите" 2021-2027'),
    ("4", "1", "Развитие на човешките ресурси 2014-2020"),
]


def mirror_answers(contract_codes: list[str]) -> dict[tuple[str, str], bytes]:
    """The mirror's two programmes: one with a project per crawled contract (by its proposal
    code), one with two projects no page of the mirror shows."""
    proposals = sorted({c.rsplit("-", 1)[0] for c in contract_codes})
    regions = programme_body(
        [
            project(
                p,
                "Енергийна ефективност на сградата на СУ „Христо Ботев“, гр. Левски",
                "l413",
                Decimal("1113000.00"),
                Decimal("222600.00"),
                fund="ЕФРР",
                start="2026-02-01",
                end="2027-07-31",
                status=RUNNING,
                places=(LEVSKI,),
            )
            for p in proposals
        ],
        [],
        [entity("l413", "000413878", "Община Левски", "Левски", "Плевен", "Левски")],
    )
    hrd = programme_body(
        [
            project(
                "BG05M9OP001-1.096-0014",
                "Детски кът Стамболово",
                "c9d0",
                Decimal("29656.25"),
                Decimal("29656.25"),
            ),
            project(
                "BG05M9OP001-2.002-0273",
                "Насърчаване на социалното включване",
                "c9d0",
                Decimal("255557.53"),
            ),
        ],
        [],
        [entity("c9d0", "000903985", "Община Стамболово", "Стамболово", "Хасково", "Стамболово")],
    )
    return {("8010862", "3"): regions, ("4", "1"): hrd}


def add_bulk_routes(server, contract_codes: list[str]) -> None:
    """Criteria, one answer per programme and the register export on a `tests.fault_server` mirror."""
    from sources.isun_opendata import CRITERIA_PATH, Programme, programme_url
    from sources.isun_register_export import EXPORT_PATH
    from tests.fault_server import Route

    json_type = "application/json; charset=utf-8"
    server.routes[CRITERIA_PATH] = Route(criteria_body(MIRROR_PROGRAMMES), json_type)
    for (pid, period), body in mirror_answers(contract_codes).items():
        server.routes[programme_url("", Programme(pid, period, ""))] = Route(body, json_type)
    server.routes[EXPORT_PATH] = Route(
        export_xlsx(
            [
                export_row(
                    "2021BG16FFPR003 Развитие на регионите",
                    "000413878 Община Левски",
                    c.rsplit("-", 1)[0],
                    "Енергийна ефективност на сградата на СУ „Христо Ботев“, гр. Левски",
                    1113000.00,
                    1113000.00,
                    0,
                    222600.00,
                    18,
                    RUNNING,
                    location=LEVSKI,
                )
                for c in sorted(contract_codes)
            ]
        ),
        XLSX_TYPE,
    )


# -- the demo recording -----------------------------------------------------------------------

LEVSKI = "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Плевен (BG314), Левски, гр.Левски"
BELOGRADCHIK = "България, Северна и Югоизточна България (BG3), Северозападен (BG31), Видин (BG311), Белоградчик"
SIGNED = "Сключен"
RUNNING = "В изпълнение (от дата на стартиране)"
CLOSED = "Приключен (към датата на приключване)"


def demo_answers() -> dict[tuple[str, str], bytes]:
    """Four programmes' answers. Where a crawled contract page of the sample corpus exists, its
    values are the page's (in EUR); the Стамболово projects carry the real register rows'
    codes, names, totals and statuses; the rest is invented."""
    hrd = programme_body(
        [
            project(
                "BG05SFOP001-2.009-0010",
                "Гражданите в партньорство с местната администрация за създаване на една "
                "по-добра социална среда на местно ниво",
                "a1f3",
                Decimal("45423.58"),
                Decimal("44028.57"),
            ),
            project(
                "BG05SFOP001-2.009-0042",
                "Гражданско участие в социалните политики на четири общини",
                "b7c2",
                Decimal("19060.72"),
                Decimal("18804.15"),
                start="2019-01-02",
                end="2020-07-02",
                places=("България",),
            ),
            project(
                "BG05M9OP001-2.002-0273",
                "Насърчаване на социалното включване за независим живот в общ. Стамболово",
                "c9d0",
                Decimal("255557.53"),
                Decimal("251002.10"),
                start="2018-03-01",
                end="2020-12-31",
                months=34,
            ),
            project(
                "BG05M9OP001-1.096-0014",
                "Детски кът Стамболово",
                "c9d0",
                Decimal("29656.25"),
                Decimal("29656.25"),
                start="2021-05-01",
                end="2022-04-30",
                months=12,
            ),
        ],
        [
            contract(
                "BG05M9OP001-2.002-0273",
                "ДД-17/15.10.2020",
                "e411",
                Decimal("12400.00"),
                signed="2020-10-15",
                description="Доставка на обзавеждане",
            ),
            contract(
                "BG05M9OP001-2.002-0273",
                "Д-3/02.02.2021",
                "f002",
                Decimal("3000.00"),
                signed="2021-02-02",
                entity_type="NaturalPerson",
                description="Услуги на психолог",
            ),
        ],
        [
            entity(
                "a1f3",
                "126574932",
                "Сдружение „Съюз за възстановяване и развитие“",
                "Хасково",
                "Хасково",
                "Хасково",
                "ул. Добруджа 1",
            ),
            entity(
                "b7c2",
                "176543213",
                "Фондация „Гражданска инициатива“",
                "Столична",
                "София (столица)",
                "София",
            ),
            entity(
                "c9d0",
                "000903985",
                "Община Стамболово",
                "Стамболово",
                "Хасково",
                "Стамболово",
                "пл. Първи май 1",
            ),
            entity(
                "e411",
                "204123456",
                "Мебел Хасково ЕООД",
                "Хасково",
                "Хасково",
                "Хасково",
                "бул. България 7",
            ),
            entity("f002", "", "Мария", "Хасково", "Хасково", "Хасково", "ул. Вятър 3"),
        ],
    )
    rural = programme_body(
        [
            project(
                "BG06RDNP001-7.007-0051",
                "Реконструкция на улична мрежа в с. Бяла вода",
                "d100",
                Decimal("752402.91"),
                Decimal("679043.62"),
                fund="ЕЗФРСР",
                start="2019-06-14",
                end="2022-06-14",
                months=36,
                places=(BELOGRADCHIK,),
            ),
            project(
                "BG06RDNP001-7.021-0016",
                "Реконструкция на на довеждащ водопровод от шахтов кладенец №11 до "
                "Помпена станция Силен, община Стамболово, област Хасково",
                "c9d0",
                Decimal("1496621.81"),
                Decimal("312000.00"),
                fund="ЕЗФРСР",
                start="2024-05-20",
                end="2026-11-20",
                months=30,
                status=SIGNED,
            ),
            project(
                "BG06RDNP001-8.004-0010",
                "„Дейности по предотвратяването на щети от горски пожари в горите на "
                "територията на община Стамболово“",
                "c9d0",
                Decimal("1116191.62"),
                None,
                fund="ЕЗФРСР",
                start="2025-03-01",
                end="2027-03-01",
                months=24,
                status=SIGNED,
            ),
            project(
                "BG06RDNP001-4.001-0812",
                "Модернизация на земеделско стопанство на Георги Петров",
                "f771",
                Decimal("48000.00"),
                Decimal("48000.00"),
                fund="ЕЗФРСР",
                start="2020-04-01",
                end="2021-04-01",
                months=12,
            ),
        ],
        [],
        [
            entity(
                "d100", "000303524", "Община Белоградчик", "Белоградчик", "Видин", "Белоградчик"
            ),
            entity(
                "c9d0",
                "000903985",
                "Община Стамболово",
                "Стамболово",
                "Хасково",
                "Стамболово",
                "пл. Първи май 1",
            ),
            entity("f771", "", "Георги", "Стамболово", "Хасково", "с. Долно поле", "ул. Седма 2"),
        ],
    )
    food = programme_body(
        [
            project(
                "BG05SFPR003-1.001-0036",
                "Топъл обяд в община Стамболово",
                "c9d0",
                Decimal("1098552.72"),
                Decimal("402511.30"),
                fund="ЕСФ+",
                start="2024-01-01",
                end="2027-12-31",
                months=48,
                status=SIGNED,
            )
        ],
        [],
        [entity("c9d0", "000903985", "Община Стамболово", "Стамболово", "Хасково", "Стамболово")],
    )
    regions = programme_body(
        [
            project(
                "BG16FFPR003-1.001-0007",
                "Енергийна ефективност на сградата на СУ „Христо Ботев“, гр. Левски",
                "l413",
                Decimal("1113000.00"),
                Decimal("222600.00"),
                fund="ЕФРР",
                start="2026-02-01",
                end="2027-07-31",
                months=18,
                status=RUNNING,
                places=(LEVSKI,),
            )
        ],
        [
            contract(
                "BG16FFPR003-1.001-0007",
                "ОП-12/10.03.2026",
                "s555",
                Decimal("845000.00"),
                signed="2026-03-10",
                description="Строително-монтажни работи",
            )
        ],
        [
            entity("l413", "000413878", "Община Левски", "Левски", "Плевен", "Левски"),
            entity("s555", "130000123", "Строител Плевен АД", "Плевен", "Плевен", "Плевен"),
        ],
    )
    return {
        ("4", "1"): hrd,
        ("8010510", "1"): rural,
        ("8010711", "3"): food,
        ("8010862", "3"): regions,
    }


def demo_export() -> bytes:
    hrd, rural = (
        "2014BG05M9OP001 Развитие на човешките ресурси",
        "2014BG06RDNP001 Програма за развитие на селските райони",
    )
    return export_xlsx(
        [
            export_row(
                hrd,
                "126574932 Сдружение „Съюз за възстановяване и развитие“",
                "BG05SFOP001-2.009-0010",
                "Гражданите в партньорство с местната администрация за създаване на една по-добра социална среда "
                "на местно ниво",
                45423.58,
                45423.58,
                0,
                44028.57,
                18,
                CLOSED,
            ),
            # The export states a different paid amount than the API: a conflict to reconcile.
            export_row(
                hrd,
                "176543213 Фондация „Гражданска инициатива“",
                "BG05SFOP001-2.009-0042",
                "Гражданско участие в социалните политики на четири общини",
                19060.72,
                19060.72,
                0,
                18904.15,
                18,
                CLOSED,
                location="България",
            ),
            export_row(
                hrd,
                "000903985 Община Стамболово",
                "BG05M9OP001-2.002-0273",
                "Насърчаване на социалното включване за независим живот в общ. Стамболово",
                255557.53,
                255557.53,
                0,
                251002.10,
                34,
                CLOSED,
            ),
            export_row(
                rural,
                "000903985 Община Стамболово",
                "BG06RDNP001-7.021-0016",
                "Реконструкция на на довеждащ водопровод от шахтов кладенец №11 до Помпена станция Силен, община "
                "Стамболово, област Хасково",
                1496621.81,
                1496621.81,
                0,
                312000.00,
                30,
                SIGNED,
            ),
            export_row(
                rural,
                "Георги",
                "BG06RDNP001-4.001-0812",
                "Модернизация на земеделско стопанство на Георги Петров",
                48000.00,
                24000.00,
                24000.00,
                48000.00,
                12,
                CLOSED,
                org=("Физическо лице", "", ""),
            ),
            export_row(
                "2021BG-RRP Национален план за възстановяване и устойчивост",
                "000903985 Община Стамболово",
                "BG-RRP-4.028-0017",
                "Повишаване на енергийната ефективност на системите за външно изкуствено "
                "осветление в осемнадесет населени места на територията на община Стамболово",
                675004.75,
                675004.75,
                0,
                135000.95,
                24,
                RUNNING,
            ),
        ]
    )


def write_demo_recording(directory: Path, base_url: str = "https://2020.eufunds.bg") -> None:
    """The demo's recording: criteria, four programmes, one HTML refusal, the export."""
    from sources.isun_opendata import Programme, criteria_url, programme_url
    from sources.isun_register_export import EXPORT_PATH

    directory = Path(directory)
    (directory / "bodies").mkdir(parents=True, exist_ok=True)
    json_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Server": "Microsoft-IIS/10.0",
    }
    entries = []

    def add(url: str, name: str, body: bytes, headers: dict, fetched_at: str, note: str) -> None:
        (directory / "bodies" / name).write_bytes(body)
        entries.append(
            {
                "url": url,
                "file": f"bodies/{name}",
                "status": 200,
                "fetched_at": fetched_at,
                "headers": headers,
                "sha256": hashlib.sha256(body).hexdigest(),
                "note": note,
            }
        )

    add(
        criteria_url(base_url),
        "criteria.json",
        criteria_body(),
        json_headers,
        "2026-11-25T01:30:00Z",
        "the live API's programme list (ids, periods, names of 2026-10-05)",
    )
    names = {(i, p): n for i, p, n in PROGRAMMES}
    for n, ((pid, period), body) in enumerate(demo_answers().items()):
        add(
            programme_url(base_url, Programme(pid, period, names[(pid, period)])),
            f"opendata_{pid}_{period}.json",
            body,
            json_headers,
            f"2026-11-25T01:{34 + 4 * n:02d}:00Z",
            "our rendering in the API's shape; values of crawled pages and real Стамболово "
            "register rows, rest invented",
        )
    add(
        programme_url(base_url, Programme("8010785", "3", "")),
        "opendata_8010785_3.html",
        HTML_REFUSAL,
        {"Content-Type": "text/html; charset=utf-8"},
        "2026-11-25T01:50:00Z",
        "HTML instead of JSON: the API's rate limit; never data, the programme waits for the next night",
    )
    add(
        base_url + EXPORT_PATH,
        "ExportToExcel.xlsx",
        demo_export(),
        {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        "2026-11-25T01:54:00Z",
        "our rendering of the register export: 15-column header of 2026, amounts in EUR",
    )
    manifest = {
        "source": "ИСУН 2020 open-data API and register export (2020.eufunds.bg)",
        "recorded": True,
        "note": "Our renderings in the real shapes; see tests/isun_bulk_fixtures.py for what is real.",
        "responses": entries,
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )


if __name__ == "__main__":
    write_demo_recording(Path(sys.argv[1]))
