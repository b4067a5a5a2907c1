"""Tables from ИСУН's bulk sources: the open-data API (projects, contractor contracts, entities,
places, programmes) and the register export.

Same Field/Table types as `registry.tables`, so the DDL, the Data Package, the data
dictionary and the quality suites come from here in the same way. Rows are built by
`transforms.isun_bulk`; every row carries the provenance of the archived answer it came from.
"""

from __future__ import annotations

from registry.tables import (
    CURRENCY_IN_SET,
    GRANT_PLUS_OWN,
    PLACE_LEVEL_IN_SET,
    PROCEDURE_CODE_FORMAT,
    PROGRAMME_CODE_FORMAT,
    PROVENANCE,
    Field,
    ForeignKey,
    Table,
    dates_in_order,
    eur_at_fixed_rate,
    one_of,
)


def _amounts(stem: str, en: str, bg: str) -> tuple[Field, ...]:
    return (
        Field(
            stem,
            "DECIMAL(18,2)",
            f"{en}, as stated (currency in currency_original)",
            f"{bg}, както е посочена (валута в currency_original)",
            "currency_original",
        ),
        Field(f"{stem}_eur", "DECIMAL(18,2)", f"{en}, in EUR", f"{bg}, в евро", "EUR"),
        Field(
            f"{stem}_bgn",
            "DECIMAL(18,2)",
            f"{en}, in BGN (1 EUR = 1.95583 BGN, half-up to stotinki)",
            f"{bg}, в лева (1 EUR = 1,95583 лв.)",
            "BGN",
        ),
    )


_CODES = (
    Field(
        "proposal_code",
        "VARCHAR",
        "Proposal code: the contract code without -Cnn (BG05SFOP001-2.009-0010)",
        "Номер на проектното предложение (номерът на договора без -Cnn)",
        nullable=False,
    ),
    Field("programme_code", "VARCHAR", "Programme code", "Код на програмата", nullable=False),
    Field("procedure_code", "VARCHAR", "Procedure code", "Код на процедурата", nullable=False),
    Field("code_flags", "VARCHAR", "Repairs made to the code, ';'-separated", "Поправки в кода"),
    Field(
        "project_code_original",
        "VARCHAR",
        "Code as published",
        "Кодът, както е публикуван",
        nullable=False,
    ),
)

LENIENT_VALUES = Field(
    "lenient_values",
    "VARCHAR",
    "Values read leniently, with what they were read as ('totalValue \\'1 000,50\\' read as 1000.50'), "
    "'; '-separated; null: every value as the source's type says",
    "Стойности, прочетени с допускане (напр. '18 месеца' като 18)",
)

ISUN_API_PROJECTS = Table(
    name="isun_api_projects",
    en="Every project ИСУН's open-data API lists (one row per proposal code): programme, fund, dates, status, "
    "total and paid amounts. The backbone of coverage: pages add detail for the contracts crawled.",
    bg="Всички проекти от отворените данни на ИСУН (по номер на проектно предложение): програма, фонд, дати, "
    "статус, обща стойност и изплатени суми.",
    primary_key=("proposal_code", "position"),
    fields=(
        *_CODES,
        Field(
            "position",
            "INTEGER",
            "1 for the first project with this code in the API, 2 for a second one, ...",
            "Пореден номер",
            nullable=False,
        ),
        Field(
            "isun_programme_id",
            "VARCHAR",
            "ИСУН programme id (ProgrammeId in the API call)",
            "Идентификатор на програмата в ИСУН",
            nullable=False,
        ),
        Field(
            "isun_period_id",
            "VARCHAR",
            "ИСУН programme period id",
            "Идентификатор на програмния период",
            nullable=False,
        ),
        Field(
            "programme_name",
            "VARCHAR",
            "Programme name in the API's list",
            "Наименование на програмата",
        ),
        Field(
            "project_name",
            "VARCHAR",
            "Project name (withheld when the beneficiary has no ЕИК)",
            "Наименование на проекта",
        ),
        Field(
            "description",
            "VARCHAR",
            "Project description (withheld when the beneficiary has no ЕИК)",
            "Описание",
        ),
        Field("funding_source", "VARCHAR", "Fund (sourceofFunding)", "Източник на финансиране"),
        Field(
            "beneficiary_entity_id",
            "VARCHAR",
            "The API's hashed entity id of the beneficiary",
            "Идентификатор на бенефициента",
        ),
        Field(
            "beneficiary_eik", "VARCHAR", "Beneficiary's ЕИК where published", "ЕИК на бенефициента"
        ),
        Field("beneficiary_name", "VARCHAR", "Beneficiary (legal entities only)", "Бенефициент"),
        Field(
            "beneficiary_without_eik",
            "BOOLEAN",
            "Beneficiary has no ЕИК (natural person or unknown): nothing personal published",
            "Бенефициент без ЕИК",
            nullable=False,
        ),
        Field("partner_entity_ids", "VARCHAR", "Partners' entity ids, ';'-separated", "Партньори"),
        Field(
            "decision_date",
            "DATE",
            "Date of the funding decision",
            "Дата на решението за финансиране",
        ),
        Field("start_date", "DATE", "Start date", "Начална дата"),
        Field("end_date", "DATE", "End date", "Крайна дата"),
        Field("duration_months", "INTEGER", "Duration", "Продължителност", "months"),
        Field("status", "VARCHAR", "Status", "Статус"),
        Field(
            "currency_original",
            "VARCHAR",
            "Currency of the amounts (the JSON states none: EUR from 2026-01-01)",
            "Валута",
            nullable=False,
        ),
        Field(
            "currency_basis",
            "VARCHAR",
            "Why that currency: the answer's date against the changeover",
            "Основание за валутата",
            nullable=False,
        ),
        *_amounts("amount_total", "Total value", "Обща стойност"),
        *_amounts(
            "amount_beneficiary_funding",
            "BeneficiaryFunding as the API names it",
            "BeneficiaryFunding",
        ),
        *_amounts(
            "amount_paid", "Actually paid (sum of actuallyPaidAmounts)", "Реално изплатени суми"
        ),
        Field(
            "paid_amounts_count",
            "INTEGER",
            "Number of paid amounts summed",
            "Брой изплатени суми",
            nullable=False,
        ),
        Field(
            "location",
            "VARCHAR",
            "Places of execution as published, '; '-separated",
            "Място на изпълнение",
        ),
        Field(
            "generated_at", "VARCHAR", "generatedAt of the API answer", "Кога е генериран отговорът"
        ),
        Field(
            "row_fingerprint",
            "VARCHAR",
            "Digest of status, amounts, dates and name: a change queues the contract's pages",
            "Отпечатък на реда",
            nullable=False,
        ),
        LENIENT_VALUES,
        *PROVENANCE,
    ),
    asset="core_isun__api_projects",
    rules=(
        PROCEDURE_CODE_FORMAT,
        PROGRAMME_CODE_FORMAT,
        CURRENCY_IN_SET,
        *eur_at_fixed_rate("amount_total", "amount_beneficiary_funding", "amount_paid"),
        dates_in_order(),
    ),
)

ISUN_API_PLACES = Table(
    name="isun_api_places",
    en="Places of execution of each API project, resolved to the gazetteer (NUTS, LAU, EKATTE); 'unresolved' kept.",
    bg="Места на изпълнение на всеки проект от отворените данни, с кодове NUTS, ЛАУ и ЕКАТТЕ.",
    primary_key=("proposal_code", "level", "text"),
    fields=(
        Field(
            "proposal_code",
            "VARCHAR",
            "Proposal code",
            "Номер на проектното предложение",
            nullable=False,
        ),
        Field(
            "level",
            "VARCHAR",
            "country, nuts1, region, district, municipality, settlement or unresolved",
            "Ниво",
            nullable=False,
        ),
        Field(
            "code",
            "VARCHAR",
            "NUTS code, LAU code of a municipality, EKATTE of a settlement",
            "Код",
        ),
        Field("name", "VARCHAR", "Name", "Наименование"),
        Field("nuts3", "VARCHAR", "District (NUTS 3)", "Област (NUTS 3)"),
        Field("lau_code", "VARCHAR", "Municipality (LAU)", "Община (ЛАУ)"),
        Field("ekatte", "VARCHAR", "EKATTE of a settlement", "ЕКАТТЕ"),
        Field("text", "VARCHAR", "As published", "Както е публикувано", nullable=False),
        *PROVENANCE,
    ),
    asset="core_isun__api_places",
    foreign_keys=(ForeignKey("proposal_code", "isun_api_projects", "proposal_code"),),
    rules=(PLACE_LEVEL_IN_SET,),
)

ISUN_API_CONTRACTS = Table(
    name="isun_api_contracts",
    en="Contracts of beneficiaries with contractors, from the open-data API (contracts[]).",
    bg="Договори на бенефициентите с изпълнители, от отворените данни на ИСУН.",
    primary_key=("contract_key", "contractor_entity_id"),
    fields=(
        Field(
            "contract_key",
            "VARCHAR",
            "contractId as published: <project id>(<contract number>)",
            "Ключ на договора",
            nullable=False,
        ),
        Field(
            "proposal_code",
            "VARCHAR",
            "Proposal code of the project",
            "Номер на проектното предложение",
            nullable=False,
        ),
        Field(
            "contract_number",
            "VARCHAR",
            "Contract number and date as written in the key",
            "Номер на договора",
        ),
        Field(
            "contractor_entity_id",
            "VARCHAR",
            "The API's hashed entity id of the contractor",
            "Идентификатор на изпълнителя",
            nullable=False,
        ),
        Field("contractor_entity_type", "VARCHAR", "entityType as published", "Вид на изпълнителя"),
        Field(
            "contractor_eik", "VARCHAR", "Contractor's ЕИК where published", "ЕИК на изпълнителя"
        ),
        Field("contractor_name", "VARCHAR", "Contractor (legal entities only)", "Изпълнител"),
        Field("signature_date", "DATE", "Signature date", "Дата на подписване"),
        Field("start_date", "DATE", "Start date", "Начална дата"),
        Field("end_date", "DATE", "End date", "Крайна дата"),
        Field("description", "VARCHAR", "Subject", "Предмет"),
        Field("currency_original", "VARCHAR", "Currency of the amount", "Валута", nullable=False),
        *_amounts("amount", "Contract amount", "Стойност на договора"),
        Field(
            "subcontractor_entity_ids",
            "VARCHAR",
            "Subcontractors' entity ids, ';'-separated",
            "Подизпълнители",
        ),
        LENIENT_VALUES,
        *PROVENANCE,
    ),
    asset="core_isun__api_contracts",
    rules=(CURRENCY_IN_SET, *eur_at_fixed_rate("amount"), dates_in_order()),
)

ISUN_ENTITIES = Table(
    name="isun_entities",
    en="Beneficiaries, partners and contractors in the open-data API. Without an ЕИК (natural persons, or "
    "entities that cannot be told from them) no name, address or number is published.",
    bg="Бенефициенти, партньори и изпълнители от отворените данни. Без ЕИК (физически лица) не се публикуват "
    "име, адрес и номер.",
    primary_key=("entity_id",),
    fields=(
        Field(
            "entity_id", "VARCHAR", "The API's hashed entity id", "Идентификатор", nullable=False
        ),
        Field("entity_type", "VARCHAR", "legal (has an ЕИК) or without_eik", "Вид", nullable=False),
        Field("eik", "VARCHAR", "ЕИК/БУЛСТАТ (9 or 13 digits)", "ЕИК/БУЛСТАТ"),
        Field("name", "VARCHAR", "Name (legal entities only)", "Наименование"),
        Field("address", "VARCHAR", "Address (legal entities only)", "Адрес"),
        Field("zip_code", "VARCHAR", "Postcode (legal entities only)", "Пощенски код"),
        Field("city", "VARCHAR", "Town (legal entities only)", "Населено място"),
        Field("municipality_text", "VARCHAR", "Municipality as published", "Община"),
        Field("district_text", "VARCHAR", "District as published", "Област"),
        Field(
            "municipality_code", "VARCHAR", "Municipality (LAU), from the gazetteer", "Община (ЛАУ)"
        ),
        Field(
            "district_code", "VARCHAR", "District (NUTS 3), from the gazetteer", "Област (NUTS 3)"
        ),
        *PROVENANCE,
    ),
    asset="core_isun__entities",
    rules=(one_of("entity_type", "legal", "without_eik"),),
)

ISUN_API_PROGRAMMES = Table(
    name="isun_api_programmes",
    en="Each programme of the open-data API: projects it announces (totalProjects) and published, and when fetched.",
    bg="Програмите в отворените данни: обявени и публикувани проекти и кога са изтеглени.",
    primary_key=("isun_programme_id", "isun_period_id"),
    fields=(
        Field(
            "isun_programme_id",
            "VARCHAR",
            "ИСУН programme id",
            "Идентификатор на програмата",
            nullable=False,
        ),
        Field(
            "isun_period_id",
            "VARCHAR",
            "ИСУН programme period id",
            "Програмен период",
            nullable=False,
        ),
        Field("programme_name", "VARCHAR", "Name in the API's list", "Наименование"),
        Field(
            "total_projects",
            "INTEGER",
            "totalProjects the answer announces (null: not fetched yet)",
            "Обявени проекти",
        ),
        Field(
            "projects_published",
            "INTEGER",
            "Projects of it in isun_api_projects",
            "Публикувани проекти",
            nullable=False,
        ),
        Field("generated_at", "VARCHAR", "generatedAt of the answer", "Генериран на"),
        Field("source_url", "VARCHAR", "API call", "Заявка"),
        Field(
            "fetched_at",
            "TIMESTAMPTZ",
            "When fetched (UTC; null: not fetched yet)",
            "Кога е изтеглен",
        ),
        Field("content_sha256", "VARCHAR", "SHA-256 of the archived answer", "SHA-256"),
    ),
    asset="core_isun__api_programmes",
)

ISUN_EXPORT_PROJECTS = Table(
    name="isun_export_projects",
    en="Rows of ИСУН's project register export (Project/ExportToExcel), read by header name.",
    bg="Редовете от регистъра на проектите в ИСУН (експорт в Excel), четени по име на колона.",
    primary_key=("proposal_code", "position"),
    fields=(
        *_CODES,
        Field(
            "position",
            "INTEGER",
            "1 for the first row of this proposal code, 2 for the next, ...",
            "Пореден номер",
            nullable=False,
        ),
        Field("programme_text", "VARCHAR", "Програма, as written", "Програма"),
        Field("beneficiary_eik", "VARCHAR", "Beneficiary's ЕИК", "ЕИК на бенефициента"),
        Field("beneficiary_name", "VARCHAR", "Beneficiary (with an ЕИК only)", "Бенефициент"),
        Field(
            "beneficiary_without_eik",
            "BOOLEAN",
            "No ЕИК in the beneficiary cell: nothing personal published",
            "Без ЕИК",
            nullable=False,
        ),
        Field("organisation_type", "VARCHAR", "Тип на организацията", "Тип на организацията"),
        Field("organisation_kind", "VARCHAR", "Вид на организацията", "Вид на организацията"),
        Field("organisation_form", "VARCHAR", "Форма на организацията", "Форма на организацията"),
        Field("seat", "VARCHAR", "Seat (with an ЕИК only)", "Седалище"),
        Field("location", "VARCHAR", "Location as written", "Местонахождение"),
        Field(
            "project_name", "VARCHAR", "Project name (with an ЕИК only)", "Наименование на проекта"
        ),
        Field("currency_original", "VARCHAR", "Currency of the amounts", "Валута", nullable=False),
        *_amounts("amount_total", "Total value", "Обща стойност"),
        *_amounts("amount_grant", "Grant (БФП)", "БФП"),
        *_amounts("amount_own", "Beneficiary's own co-financing", "Собствено съфинансиране"),
        *_amounts("amount_paid", "Actually paid", "Реално изплатени суми"),
        Field("duration_months", "INTEGER", "Duration", "Продължителност", "months"),
        Field("status", "VARCHAR", "Status of the contract", "Статус на изпълнение"),
        Field("row_no", "INTEGER", "Row number in the sheet", "Ред в таблицата", nullable=False),
        LENIENT_VALUES,
        *PROVENANCE,
    ),
    asset="core_isun__export_projects",
    rules=(
        PROCEDURE_CODE_FORMAT,
        PROGRAMME_CODE_FORMAT,
        CURRENCY_IN_SET,
        GRANT_PLUS_OWN,
        *eur_at_fixed_rate("amount_total", "amount_grant", "amount_own", "amount_paid"),
    ),
)

BULK_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        ISUN_API_PROJECTS,
        ISUN_API_PLACES,
        ISUN_API_CONTRACTS,
        ISUN_ENTITIES,
        ISUN_API_PROGRAMMES,
        ISUN_EXPORT_PROJECTS,
    )
}
