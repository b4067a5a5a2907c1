"""The field catalogue: every field name the registry publishes, declared once.

Like PUDL's field metadata (`pudl.metadata.fields`): a name has one DuckDB type, one unit,
one description in Bulgarian and English and its constraints (`enum`, `pattern`,
`minimum`/`maximum`) wherever it appears. Tables (`registry.tables` and its siblings)
list fields by name (`field("project_code", nullable=False)`: whether a value is required
is the table's say); where a name means something narrower in one table (the corrections'
`amount_grant` is the correction of the grant; `name` in `places` is a place's name), the
table's own wording is in `TABLE_DESCRIPTIONS`, keyed by (table, field), and only there; where a
table accepts other forms of a code than the catalogue's (a free-text page's project code of any
family), the table's own pattern is in `TABLE_PATTERNS`, and only there.
`tests/test_fields.py` fails on a second type for a name, a description or pattern that drifts
from the catalogue outside `TABLE_DESCRIPTIONS` and `TABLE_PATTERNS`, or an override that nothing uses.

The rules that follow from a field alone are derived from its constraints
(`registry.tables.table_rules`): `pattern` -> `code_format`, `enum` ->
`value_in_allowed_set`, `minimum` 0 alone -> `amount_not_negative`, a range ->
`percent_in_range` (unit percent) or `value_in_range`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from registry.formats import (
    ANY_SCHEME_PROCEDURE_CODE_REGEX,
    ANY_SCHEME_PROJECT_CODE_REGEX,
    CODE_SCHEME_REGEX,
    PROCEDURE_CODE_REGEX,
    PROGRAMME_CODE_REGEX,
    PROJECT_CODE_REGEX,
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # DuckDB type
    en: str
    bg: str
    unit: str | None = None
    nullable: bool = True
    enum: tuple[str, ...] = ()
    pattern: str | None = None  # a Python regex a value must match (`re.search`)
    minimum: float | None = None
    maximum: float | None = None


def _amounts(stem: str, en: str, bg: str) -> tuple[Field, ...]:
    """An amount in the currency its source states, and in BGN and EUR at the fixed rate."""
    return (
        Field(
            stem,
            "DECIMAL(18,2)",
            f"{en}, in the stated currency (currency_original)",
            f"{bg}, в посочената валута (currency_original)",
            unit="currency_original",
            minimum=0,
        ),
        Field(
            f"{stem}_bgn",
            "DECIMAL(18,2)",
            f"{en}, in BGN (1 EUR = 1.95583 BGN)",
            f"{bg}, в лева (1 EUR = 1,95583 лв.)",
            unit="BGN",
            minimum=0,
        ),
        Field(
            f"{stem}_eur",
            "DECIMAL(18,2)",
            f"{en}, in EUR (1 EUR = 1.95583 BGN)",
            f"{bg}, в евро (1 EUR = 1,95583 лв.)",
            unit="EUR",
            minimum=0,
        ),
    )


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "project_code",
            "VARCHAR",
            "Contract code ('Номер от ИСУН', with -Cnn), normalised",
            "Номер от ИСУН, нормализиран",
            pattern=PROJECT_CODE_REGEX,  # ИСУН's own form; the document tables' in TABLE_PATTERNS
        ),
        Field("project_code_original", "VARCHAR", "Code as published", "Кодът, както е публикуван"),
        Field(
            "code_scheme",
            "VARCHAR",
            "Family of the project code, each with its own validated form (registry.formats."
            "CODE_SCHEME_REGEX): isun, rrp, eea, interreg, dfz, phare, solidarity, life, opos, swiss",
            "Вид на кода на проекта (ИСУН, НПВУ, ЕИП, Интеррег, ДФЗ, ФАР, фонд „Солидарност“, LIFE, "
            "ОПОС 2007–13, Българо-швейцарска програма)",
            enum=tuple(CODE_SCHEME_REGEX),
        ),
        Field(
            "code_flags", "VARCHAR", "Repairs made to the code, ';'-separated", "Поправки в кода"
        ),
        Field(
            "proposal_code",
            "VARCHAR",
            "Proposal code: the contract code without -Cnn (BG05SFOP001-2.009-0010)",
            "Номер на проектното предложение (номерът на договора без -Cnn)",
        ),
        Field(
            "programme_code",
            "VARCHAR",
            "Programme code",
            "Код на програмата",
            pattern=PROGRAMME_CODE_REGEX,
        ),
        Field(
            "procedure_code",
            "VARCHAR",
            "Procedure code",
            "Код на процедурата",
            pattern=PROCEDURE_CODE_REGEX,  # ИСУН's own form; the document tables' in TABLE_PATTERNS
        ),
        Field(
            "proposal_no",
            "VARCHAR",
            "Project proposal number within the procedure",
            "Номер на проектното предложение",
        ),
        Field("contract_no", "VARCHAR", "Contract suffix (C01, C0001)", "Номер на договора (C01)"),
        Field(
            "isun_contract_id",
            "VARCHAR",
            "ИСУН's contractId (an encrypted token, URL-decoded) in the page URLs",
            "contractId на ИСУН (шифрован) в адресите",
        ),
        Field(
            "is_historic",
            "BOOLEAN",
            "The pages were read with isHistoric=True",
            "Страниците са с isHistoric=True",
        ),
        Field(
            "programme_name",
            "VARCHAR",
            "Programme, from 'Източник на финансиране' (after '==>')",
            "Програма (от „Източник на финансиране“)",
        ),
        Field(
            "funds",
            "VARCHAR",
            "Funds, from 'Източник на финансиране' (before '==>'), ', '-separated",
            "Фондове (от „Източник на финансиране“)",
        ),
        Field(
            "procedure_name",
            "VARCHAR",
            "Procedure name, from BasicData's procedure link",
            "Наименование на процедурата",
        ),
        Field("project_name", "VARCHAR", "Project name", "Наименование на проекта"),
        Field(
            "description",
            "VARCHAR",
            "Brief description ('Кратко описание на проекта')",
            "Кратко описание на проекта",
        ),
        Field(
            "beneficiary_name",
            "VARCHAR",
            "Beneficiary's name (the page prints '{ЕИК} {name}'; the ЕИК is split off)",
            "Бенефициент (наименование)",
        ),
        Field(
            "beneficiary_uin",
            "VARCHAR",
            "Beneficiary's identifier as printed before its name",
            "Идентификатор на бенефициента, както е изписан",
        ),
        Field(
            "beneficiary_eik",
            "VARCHAR",
            "Beneficiary's EIK/BULSTAT, only if its check digit is valid",
            "ЕИК/БУЛСТАТ на бенефициента (с валидна контролна цифра)",
        ),
        Field(
            "contract_date",
            "DATE",
            "Date of the contract/order",
            "Дата на сключване на договора/заповедта",
        ),
        Field("start_date", "DATE", "Start date", "Дата на стартиране"),
        Field("end_date", "DATE", "End date", "Дата на приключване"),
        Field("duration_months", "INTEGER", "Duration", "Продължителност", unit="months"),
        Field("status", "VARCHAR", "Implementation status", "Статус на изпълнение"),
        Field(
            "location",
            "VARCHAR",
            "Places of performance as printed, ';'-separated",
            "Местонахождение",
        ),
        Field(
            "currency_original",
            "VARCHAR",
            "Currency the page states (BGN or EUR)",
            "Валута, посочена на страницата",
            enum=("BGN", "EUR"),
        ),
        Field(
            "eu_cofinancing_percent",
            "DECIMAL(9,4)",
            "EU co-financing percentage of the procedure ('Процент на съфинансиране от ЕС')",
            "Процент на съфинансиране от ЕС",
            unit="percent",
            minimum=0,
            maximum=100,
        ),
        Field(
            "corrections_count",
            "INTEGER",
            "Financial corrections imposed",
            "Брой финансови корекции",
        ),
        Field("activities_count", "INTEGER", "Number of activities published", "Брой дейности"),
        Field(
            "is_over_reported",
            "BOOLEAN",
            "Any activity reported above its contracted value",
            "Има дейност с отчетено над договореното",
        ),
        Field(
            "source_url", "VARCHAR", "URL the row was read from", "Адрес, от който е прочетен редът"
        ),
        Field(
            "fetched_at",
            "TIMESTAMPTZ",
            "When that page was fetched (UTC)",
            "Кога е изтеглена страницата (UTC)",
        ),
        Field(
            "content_sha256",
            "VARCHAR",
            "SHA-256 of the archived page bytes",
            "SHA-256 на архивираната страница",
        ),
        Field(
            "activity_no",
            "INTEGER",
            "Position of the activity on the page, from 1",
            "Пореден номер на дейността",
        ),
        Field(
            "activity_title",
            "VARCHAR",
            "The activity as the page prints it ('Дейност')",
            "Дейност, както е изписана",
        ),
        Field(
            "activity_name",
            "VARCHAR",
            "Activity name (the title before its first ': ')",
            "Наименование на дейността",
        ),
        Field(
            "activity_description",
            "VARCHAR",
            "Activity description (the title after its first ': ')",
            "Описание на дейността",
        ),
        Field(
            "amount_contracted_text",
            "VARCHAR",
            "Contracted value as printed",
            "Договорена стойност, както е изписана",
        ),
        Field(
            "amount_reported_text",
            "VARCHAR",
            "Reported value as printed",
            "Отчетена стойност, както е изписана",
        ),
        Field(
            "execution_rate",
            "DOUBLE",
            "Reported / contracted",
            "Отчетено / договорено",
            unit="ratio",
        ),
        Field(
            "organisation_id",
            "VARCHAR",
            "Stable id: eik:<EIK> where a valid EIK is known, else org:<hash of form, name, town>",
            "Идентификатор",
        ),
        Field(
            "name",
            "VARCHAR",
            "Name without legal form, quotes or town ('физическо лице' for a natural person)",
            "Наименование без правна форма и кавички",
        ),
        Field(
            "legal_form",
            "VARCHAR",
            "община, сдружение, фондация, ЕООД, ООД, АД, ...",
            "Правна форма",
        ),
        Field("town", "VARCHAR", "Town written with the name (гр. Хасково)", "Населено място"),
        Field("eik", "VARCHAR", "EIK/BULSTAT with a valid check digit", "ЕИК/БУЛСТАТ"),
        Field(
            "names_seen",
            "VARCHAR",
            "Every spelling seen, ' | '-separated",
            "Всички срещнати изписвания",
        ),
        Field(
            "is_natural_person", "BOOLEAN", "A natural person (no name published)", "Физическо лице"
        ),
        Field("projects", "INTEGER", "Contracts it takes part in", "Брой договори"),
        Field("roles", "VARCHAR", "Roles it has had, ';'-separated", "Роли"),
        Field(
            "role",
            "VARCHAR",
            "beneficiary, partner, contractor, subcontractor or consortium_member",
            "Роля",
            enum=("beneficiary", "partner", "contractor", "subcontractor", "consortium_member"),
        ),
        Field(
            "name_as_published",
            "VARCHAR",
            "The name as the page prints it, without the ЕИК before it; null for natural persons",
            "Наименование, както е изписано (без ЕИК)",
        ),
        Field(
            "level",
            "VARCHAR",
            "country, nuts1, region, district, municipality, settlement or unresolved",
            "Ниво",
        ),
        Field(
            "code",
            "VARCHAR",
            "The place's own code: NUTS (BG314) for country to district, LAU (PVN16) for a municipality, EKATTE (43236) for a settlement",
            "Код (NUTS, ЛАУ или ЕКАТТЕ)",
        ),
        Field("nuts3", "VARCHAR", "District (NUTS 3)", "Област (NUTS 3)"),
        Field("lau_code", "VARCHAR", "Municipality (LAU)", "Община (ЛАУ)"),
        Field("ekatte", "VARCHAR", "EKATTE code of a settlement", "Код по ЕКАТТЕ"),
        Field(
            "text", "VARCHAR", "The part of the location string it was read from", "Изходен текст"
        ),
        Field(
            "indicator_no",
            "INTEGER",
            "Number of the indicator on the page, from 1",
            "Пореден номер",
        ),
        Field("indicator_name", "VARCHAR", "Indicator", "Индикатор"),
        Field("unit", "VARCHAR", "Measure unit", "Мерна единица"),
        Field(
            "base_value", "DECIMAL(20,2)", "Base value", "Базова стойност", unit="unit", minimum=0
        ),
        Field(
            "target_value",
            "DECIMAL(20,2)",
            "Target value",
            "Целева стойност",
            unit="unit",
            minimum=0,
        ),
        Field(
            "reached_value",
            "DECIMAL(20,2)",
            "Reached value (cumulative)",
            "Достигната стойност",
            unit="unit",
            minimum=0,
        ),
        Field(
            "is_target_reached",
            "BOOLEAN",
            "Reached value ≥ target value",
            "Достигната ≥ целева стойност",
        ),
        Field(
            "procurement_no",
            "INTEGER",
            "Number of the procurement on the page, from 1",
            "Пореден номер на процедурата",
        ),
        Field(
            "subject", "VARCHAR", "Subject of the procurement", "Предмет на предвидената процедура"
        ),
        Field(
            "lot_no",
            "INTEGER",
            "Number of the lot, from 1; 0 for a procurement without lots",
            "Обособена позиция (0: без позиции)",
        ),
        Field("lot_name", "VARCHAR", "Lot", "Обособена позиция"),
        Field("contractor_name", "VARCHAR", "Contractor of the lot", "Изпълнител"),
        Field("correction_no", "INTEGER", "Position on the page, from 1", "Пореден номер"),
        Field(
            "reason", "VARCHAR", "Reason for the correction", "Основание за налагане на корекция"
        ),
        Field(
            "correction_percent",
            "DECIMAL(9,2)",
            "% of the imposed correction",
            "% на наложената финансова корекция",
            unit="percent",
            minimum=0,
            maximum=100,
        ),
        Field(
            "contractor_contract",
            "VARCHAR",
            "Contract with a contractor it concerns (empty: project level)",
            "Договор с изпълнител",
        ),
        Field("table_name", "VARCHAR", "Table the row was meant for (or 'pages')", "Таблица"),
        Field("record_key", "VARCHAR", "Key of the rejected record", "Ключ на записа"),
        Field("rule", "VARCHAR", "Rule that failed", "Нарушено правило"),
        Field("field", "VARCHAR", "Field", "Поле"),
        Field("value", "VARCHAR", "Offending value as read", "Стойност"),
        Field("message", "VARCHAR", "Explanation naming source, field and value", "Обяснение"),
        Field(
            "position",
            "INTEGER",
            "1 for the first project with this code in the API, 2 for a second one, ...",
            "Пореден номер",
        ),
        Field(
            "isun_programme_id",
            "VARCHAR",
            "ИСУН programme id (ProgrammeId in the API call)",
            "Идентификатор на програмата в ИСУН",
        ),
        Field(
            "isun_period_id",
            "VARCHAR",
            "ИСУН programme period id",
            "Идентификатор на програмния период",
        ),
        Field("funding_source", "VARCHAR", "Fund (sourceofFunding)", "Източник на финансиране"),
        Field(
            "beneficiary_entity_id",
            "VARCHAR",
            "The API's hashed entity id of the beneficiary",
            "Идентификатор на бенефициента",
        ),
        Field(
            "beneficiary_without_eik",
            "BOOLEAN",
            "Beneficiary has no ЕИК (natural person or unknown): nothing personal published",
            "Бенефициент без ЕИК",
        ),
        Field("partner_entity_ids", "VARCHAR", "Partners' entity ids, ';'-separated", "Партньори"),
        # Where a row of `projects` comes from (every contract of the bulk sources; pages enrich).
        Field(
            "detail_level",
            "VARCHAR",
            "Where the row's values come from: 'pages' (the contract's ИСУН pages were read: their values; "
            "where the bulk sources disagree, see project_conflicts) or 'bulk' (only the open-data API or "
            "the register export: project_code is then the proposal code)",
            "Откъде са стойностите: 'pages' (прочетени страници на договора) или 'bulk' (само отворените "
            "данни или регистъра; тогава project_code е номерът на проектното предложение)",
            enum=("bulk", "pages"),
        ),
        Field(
            "bulk_source",
            "VARCHAR",
            "The bulk source that lists the contract: 'isun-api' (open-data API), 'isun-export' (register "
            "export, when the API does not list it), null when only its pages are known",
            "Масовият източник, който съдържа договора: 'isun-api', 'isun-export' или празно",
            enum=("isun-api", "isun-export"),
        ),
        Field(
            "pages_fetched_at",
            "TIMESTAMPTZ",
            "When the contract's page was fetched (UTC); null: page detail not read yet",
            "Кога е изтеглена страницата на договора (UTC); празно: страниците още не са прочетени",
        ),
        Field(
            "decision_date",
            "DATE",
            "Date of the funding decision",
            "Дата на решението за финансиране",
        ),
        Field(
            "currency_basis",
            "VARCHAR",
            "Why that currency: the answer's date against the changeover",
            "Основание за валутата",
        ),
        Field(
            "paid_amounts_count", "INTEGER", "Number of paid amounts summed", "Брой изплатени суми"
        ),
        Field(
            "generated_at", "VARCHAR", "generatedAt of the API answer", "Кога е генериран отговорът"
        ),
        Field(
            "row_fingerprint",
            "VARCHAR",
            "Digest of status, amounts, dates and name: a change queues the contract's pages",
            "Отпечатък на реда",
        ),
        Field(
            "lenient_values",
            "VARCHAR",
            "Values read leniently, with what they were read as "
            "(\"totalValue '1 000,50' read as 1000.50\"), '; '-separated; null: every value "
            "as the source's type says",
            "Стойности, прочетени с допускане (напр. '18 месеца' като 18)",
        ),
        Field(
            "contract_key",
            "VARCHAR",
            "contractId as published: <project id>(<contract number>)",
            "Ключ на договора",
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
        ),
        Field("contractor_entity_type", "VARCHAR", "entityType as published", "Вид на изпълнителя"),
        Field(
            "contractor_eik", "VARCHAR", "Contractor's ЕИК where published", "ЕИК на изпълнителя"
        ),
        Field(
            "contractor_key",
            "VARCHAR",
            "The contractor as compared across releases: eik:<ЕИК>, else name:<name in capitals>, "
            "else entity:<the open-data API's entity id> (a natural person, whose name is not published)",
            "Ключ на изпълнителя: ЕИК, иначе наименование, иначе идентификатор в отворените данни",
        ),
        Field(
            "contractor_sources",
            "VARCHAR",
            "Where the contractor was read, ';'-separated: isun-api (contracts[] of the open-data API), "
            "procurements (the contract's Procurements page), participants (its Participants page)",
            "Откъде е изпълнителят: отворени данни, обществени поръчки, участници",
        ),
        Field("signature_date", "DATE", "Signature date", "Дата на подписване"),
        Field(
            "subcontractor_entity_ids",
            "VARCHAR",
            "Subcontractors' entity ids, ';'-separated",
            "Подизпълнители",
        ),
        Field("entity_id", "VARCHAR", "The API's hashed entity id", "Идентификатор"),
        Field(
            "entity_type",
            "VARCHAR",
            "legal (has an ЕИК) or without_eik",
            "Вид",
            enum=("legal", "without_eik"),
        ),
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
        ),
        Field("programme_text", "VARCHAR", "Програма, as written", "Програма"),
        Field("organisation_type", "VARCHAR", "Тип на организацията", "Тип на организацията"),
        Field("organisation_kind", "VARCHAR", "Вид на организацията", "Вид на организацията"),
        Field("organisation_form", "VARCHAR", "Форма на организацията", "Форма на организацията"),
        Field("seat", "VARCHAR", "Seat (with an ЕИК only)", "Седалище"),
        Field("row_no", "INTEGER", "Row number in the sheet", "Ред в таблицата"),
        Field(
            "record_id",
            "VARCHAR",
            "Id of the document (hash of its URL)",
            "Идентификатор на документа",
        ),
        Field(
            "project_ordinal",
            "INTEGER",
            "Which project of the page, 1, 2, ... in the order the text gives them",
            "Пореден номер на проекта в документа",
        ),
        Field("kind", "VARCHAR", "Source kind", "Вид на източника"),
        Field("title", "VARCHAR", "Project title as written", "Наименование на проекта"),
        Field(
            "beneficiary",
            "VARCHAR",
            "Lead beneficiary as written",
            "Бенефициент / водеща организация",
        ),
        Field("partners", "VARCHAR", "Partners, ' | '-separated", "Партньори"),
        Field(
            "currency",
            "VARCHAR",
            "Currency stated with the amounts (BGN or EUR); null if none stated",
            "Валута",
        ),
        Field("municipalities", "VARCHAR", "Municipalities named, ' | '-separated", "Общини"),
        Field("district", "VARCHAR", "District named", "Област"),
        Field("activities", "JSON", "Activities listed", "Дейности"),
        Field(
            "flags",
            "VARCHAR",
            "Repairs and doubts (cyrillic_lookalike, scale_word_ignored, ...), ';'-separated",
            "Бележки",
        ),
        Field(
            "spans",
            "JSON",
            "For each field, the text and offsets it was read from",
            "Откъде е прочетено всяко поле",
        ),
        Field(
            "details",
            "JSON",
            "Kind-specific fields (objectives, target groups, publications, ...)",
            "Други полета",
        ),
        Field("event_title", "VARCHAR", "Event as announced", "Събитие"),
        Field("event_date", "DATE", "Event date", "Дата на събитието"),
        Field("event_time", "VARCHAR", "Event time (HH:MM)", "Час"),
        Field("email", "VARCHAR", "Contact e-mail", "Електронна поща"),
        Field("municipality", "VARCHAR", "Municipality", "Община"),
        Field("period_start_year", "INTEGER", "First year covered", "Начална година", unit="year"),
        Field("period_end_year", "INTEGER", "Last year covered", "Крайна година", unit="year"),
        Field("decision_number", "VARCHAR", "Council decision number", "Номер на решението"),
        Field("protocol", "VARCHAR", "Protocol number", "Номер на протокола"),
        Field("protocol_date", "DATE", "Protocol date", "Дата на протокола"),
        Field("council", "VARCHAR", "Council that adopted it", "Общински съвет"),
        Field("sections", "JSON", "Numbered sections", "Раздели"),
        Field(
            "measure_type",
            "VARCHAR",
            "stage, partnership_mechanism or financing_source",
            "Вид",
            enum=("stage", "partnership_mechanism", "financing_source"),
        ),
        Field("period_start", "VARCHAR", "Stage start (year)", "Начало на етапа"),
        Field("period_end", "VARCHAR", "Stage end (year)", "Край на етапа"),
        Field("period_text", "VARCHAR", "Stage period as written", "Период, както е изписан"),
        Field("project_key", "VARCHAR", "Linked project", "Проект"),
        Field("source_kinds", "VARCHAR", "Sources that speak of it, ';'-separated", "Източници"),
        Field("n_sources", "INTEGER", "Number of claims linked", "Брой източници"),
        Field(
            "n_conflicting_fields",
            "INTEGER",
            "Fields where sources disagree",
            "Полета с разминаване",
        ),
        Field("source_kind", "VARCHAR", "Source kind", "Вид на източника"),
        Field(
            "match_method",
            "VARCHAR",
            "project_code, fuzzy_title_beneficiary or unmatched",
            "Начин на свързване",
        ),
        Field("match_score", "DOUBLE", "Match score 0–100", "Оценка на съвпадението"),
        Field("values", "JSON", "Each source's value and page", "Стойности"),
        Field(
            "max_difference", "DOUBLE", "Largest difference between amounts", "Най-голяма разлика"
        ),
        Field("name_bg", "VARCHAR", "Name in Bulgarian", "Наименование"),
        Field("name_en", "VARCHAR", "Name in English", "Наименование на английски"),
        Field(
            "short_bg", "VARCHAR", "Short name used on Bulgarian pages (ОПДУ, ПРР)", "Съкращение"
        ),
        Field(
            "period",
            "VARCHAR",
            "Programming period: 2007-2013, 2014-2020 or 2021-2027",
            "Програмен период",
        ),
        Field(
            "verified",
            "BOOLEAN",
            "Whether the code was seen in a real public source",
            "Проверен ли е кодът в публичен източник",
        ),
        Field("source", "VARCHAR", "Where the code was seen", "Къде е видян кодът"),
        Field("parent_code", "VARCHAR", "Code of the enclosing area", "Код на по-горното ниво"),
        Field("nuts1", "VARCHAR", "NUTS 1", "NUTS 1"),
        Field("nuts2", "VARCHAR", "Planning region (NUTS 2)", "Район за планиране (NUTS 2)"),
        Field(
            "centre_bg",
            "VARCHAR",
            "Administrative centre of a municipality",
            "Административен център",
        ),
        Field("centre_ekatte", "VARCHAR", "EKATTE code of that centre", "ЕКАТТЕ на центъра"),
        Field(
            "release_id",
            "VARCHAR",
            "Release the snapshot belongs to (YYYY-MM-DD)",
            "Издание (ГГГГ-ММ-ДД)",
        ),
        Field(
            "is_removed",
            "BOOLEAN",
            "Gone from this release (its page no longer lists it, or it was quarantined); the other values are its last known ones",
            "Липсва в това издание (страницата вече не го съдържа или е под карантина); останалите стойности са последните известни",
        ),
        Field("url", "VARCHAR", "URL fetched", "Изтеглен адрес"),
        Field(
            "http_status",
            "INTEGER",
            "HTTP status (304: unchanged, body is the archived one)",
            "HTTP статус",
        ),
        Field(
            "sha256",
            "VARCHAR",
            "SHA-256 of the body; its path is raw/objects/<first 2>/<sha256>",
            "SHA-256 на съдържанието",
        ),
        Field("content_type", "VARCHAR", "Content-Type header", "Заглавка Content-Type"),
        Field("bytes", "BIGINT", "Body size", "Размер", unit="bytes"),
        Field("headers", "JSON", "Response headers", "Заглавки на отговора"),
        *_amounts("amount", "Contract amount", "Стойност на договора"),
        *_amounts(
            "amount_beneficiary_funding",
            "BeneficiaryFunding as the API names it",
            "BeneficiaryFunding",
        ),
        *_amounts(
            "amount_contract_funded",
            "Contract total funded by the project",
            "Обща стойност на договора, финансирана по проекта",
        ),
        *_amounts("amount_contracted", "Contracted value", "Договорена стойност"),
        *_amounts("amount_estimated", "Estimated value of the procurement", "Прогнозна стойност"),
        *_amounts(
            "amount_eu",
            "EU share of the grant: DERIVED as БФП × EU co-financing % (ИСУН does not publish it)",
            "Дял на ЕС от БФП: ИЗЧИСЛЕН като БФП × процента на съфинансиране от ЕС",
        ),
        *_amounts("amount_grant", "Grant (БФП)", "БФП"),
        *_amounts(
            "amount_national",
            "National share of the grant: DERIVED as БФП − the derived EU share",
            "Национален дял от БФП: ИЗЧИСЛЕН като БФП − дела на ЕС",
        ),
        *_amounts("amount_own", "Beneficiary's own financing", "Собствено финансиране"),
        *_amounts("amount_paid", "Total actually paid", "Общо реално изплатени суми"),
        *_amounts("amount_reported", "Reported value", "Отчетена стойност"),
        *_amounts("amount_total", "Total value", "Обща стойност"),
    )
}

# Where a field means something narrower in one table: that table's wording (en, bg, and
# the unit where the currency sits in another column), keyed by (table, field).
TABLE_DESCRIPTIONS: dict[tuple[str, str], dict[str, str]] = {
    ("projects", "duration_months"): {
        "en": "Duration derived from start and end date with ИСУН's own rule (DataUtils.GetMonthsDuration)",
        "bg": "Продължителност, изчислена от датите по правилото на ИСУН",
    },
    ("projects", "procedure_code"): {
        "en": "Procedure code (from the contract code; BasicData's procedure link must agree)",
        "bg": "Код на процедурата",
    },
    ("activities", "is_over_reported"): {
        "en": "Reported above contracted (kept, not dropped; ИСУН explains such cases in a footnote)",
        "bg": "Отчетено над договореното",
    },
    ("project_organisations", "amount_contracted"): {
        "en": "Contracted amount of this participant ('Договорена стойност по проекта'), in the page's currency",
        "bg": "Договорена стойност по проекта, във валутата на страницата",
    },
    ("project_organisations", "amount_contracted_bgn"): {
        "en": "Contracted amount of this participant ('Договорена стойност по проекта'), in BGN",
        "bg": "Договорена стойност по проекта, в лева",
    },
    ("project_organisations", "amount_contracted_eur"): {
        "en": "Contracted amount of this participant ('Договорена стойност по проекта'), in EUR (1 EUR = 1.95583 BGN)",
        "bg": "Договорена стойност по проекта, в евро (1 EUR = 1,95583 лв.)",
    },
    ("project_organisations", "amount_reported"): {
        "en": "Reported amount of this participant ('Отчетена стойност'; partners and contractors only), in the page's currency",
        "bg": "Отчетена стойност, във валутата на страницата",
    },
    ("project_organisations", "amount_reported_bgn"): {
        "en": "Reported amount of this participant ('Отчетена стойност'; partners and contractors only), in BGN",
        "bg": "Отчетена стойност, в лева",
    },
    ("project_organisations", "amount_reported_eur"): {
        "en": "Reported amount of this participant ('Отчетена стойност'; partners and contractors only), in EUR (1 EUR = 1.95583 BGN)",
        "bg": "Отчетена стойност, в евро (1 EUR = 1,95583 лв.)",
    },
    ("project_organisations", "organisation_id"): {
        "en": "Stable organisation id (eik:<EIK> or org:<hash>); person:<hash> for a natural person",
        "bg": "Идентификатор на организацията",
    },
    ("project_places", "name"): {"en": "Place name", "bg": "Наименование"},
    ("project_financial_corrections", "amount_grant"): {
        "en": "Correction of the grant (БФП), in the page's currency",
        "bg": "Корекция на БФП, във валутата на страницата",
    },
    ("project_financial_corrections", "amount_grant_bgn"): {
        "en": "Correction of the grant (БФП), in BGN",
        "bg": "Корекция на БФП, в лева",
    },
    ("project_financial_corrections", "amount_grant_eur"): {
        "en": "Correction of the grant (БФП), in EUR (1 EUR = 1.95583 BGN)",
        "bg": "Корекция на БФП, в евро (1 EUR = 1,95583 лв.)",
    },
    ("project_financial_corrections", "amount_own"): {
        "en": "Correction of own financing, in the page's currency",
        "bg": "Корекция на собственото финансиране, във валутата на страницата",
    },
    ("project_financial_corrections", "amount_own_bgn"): {
        "en": "Correction of own financing, in BGN",
        "bg": "Корекция на собственото финансиране, в лева",
    },
    ("project_financial_corrections", "amount_own_eur"): {
        "en": "Correction of own financing, in EUR (1 EUR = 1.95583 BGN)",
        "bg": "Корекция на собственото финансиране, в евро (1 EUR = 1,95583 лв.)",
    },
    ("project_financial_corrections", "amount_total"): {
        "en": "Correction in total, in the page's currency",
        "bg": "Корекция общо, във валутата на страницата",
    },
    ("project_financial_corrections", "amount_total_bgn"): {
        "en": "Correction in total, in BGN",
        "bg": "Корекция общо, в лева",
    },
    ("project_financial_corrections", "amount_total_eur"): {
        "en": "Correction in total, in EUR (1 EUR = 1.95583 BGN)",
        "bg": "Корекция общо, в евро (1 EUR = 1,95583 лв.)",
    },
    ("isun_api_projects", "amount_paid"): {
        "en": "Actually paid (sum of actuallyPaidAmounts), as stated (currency in currency_original)",
        "bg": "Реално изплатени суми, както е посочена (валута в currency_original)",
    },
    ("isun_api_projects", "amount_paid_bgn"): {
        "en": "Actually paid (sum of actuallyPaidAmounts), in BGN (1 EUR = 1.95583 BGN, half-up to stotinki)",
        "bg": "Реално изплатени суми, в лева (1 EUR = 1,95583 лв.)",
    },
    ("isun_api_projects", "amount_paid_eur"): {
        "en": "Actually paid (sum of actuallyPaidAmounts), in EUR",
        "bg": "Реално изплатени суми, в евро",
    },
    ("isun_api_projects", "beneficiary_eik"): {
        "en": "Beneficiary's ЕИК where published",
        "bg": "ЕИК на бенефициента",
    },
    ("isun_api_projects", "beneficiary_name"): {
        "en": "Beneficiary (legal entities only)",
        "bg": "Бенефициент",
    },
    ("isun_api_projects", "currency_original"): {
        "en": "Currency of the amounts (the JSON states none: EUR from 2026-01-01)",
        "bg": "Валута",
    },
    ("isun_api_projects", "description"): {
        "en": "Project description (withheld when the beneficiary has no ЕИК)",
        "bg": "Описание",
    },
    ("isun_api_projects", "location"): {
        "en": "Places of execution as published, '; '-separated",
        "bg": "Място на изпълнение",
    },
    ("isun_api_projects", "programme_name"): {
        "en": "Programme name in the API's list",
        "bg": "Наименование на програмата",
    },
    ("isun_api_projects", "project_name"): {
        "en": "Project name (withheld when the beneficiary has no ЕИК)",
        "bg": "Наименование на проекта",
    },
    ("isun_api_places", "code"): {
        "en": "NUTS code, LAU code of a municipality, EKATTE of a settlement",
        "bg": "Код",
    },
    ("isun_api_places", "name"): {"en": "Name", "bg": "Наименование"},
    ("isun_api_places", "text"): {"en": "As published", "bg": "Както е публикувано"},
    ("isun_api_contracts", "contractor_name"): {
        "en": "Contractor (legal entities only)",
        "bg": "Изпълнител",
    },
    ("isun_api_contracts", "description"): {"en": "Subject", "bg": "Предмет"},
    ("isun_entities", "eik"): {"en": "ЕИК/БУЛСТАТ (9 or 13 digits)", "bg": "ЕИК/БУЛСТАТ"},
    ("isun_entities", "name"): {"en": "Name (legal entities only)", "bg": "Наименование"},
    ("isun_api_programmes", "fetched_at"): {
        "en": "When fetched (UTC; null: not fetched yet)",
        "bg": "Кога е изтеглен",
    },
    ("isun_api_programmes", "programme_name"): {
        "en": "Name in the API's list",
        "bg": "Наименование",
    },
    ("isun_api_programmes", "source_url"): {"en": "API call", "bg": "Заявка"},
    ("isun_export_projects", "beneficiary_eik"): {
        "en": "Beneficiary's ЕИК",
        "bg": "ЕИК на бенефициента",
    },
    ("isun_export_projects", "beneficiary_name"): {
        "en": "Beneficiary (with an ЕИК only)",
        "bg": "Бенефициент",
    },
    ("isun_export_projects", "location"): {"en": "Location as written", "bg": "Местонахождение"},
    ("isun_export_projects", "position"): {
        "en": "1 for the first row of this proposal code, 2 for the next, ...",
        "bg": "Пореден номер",
    },
    ("isun_export_projects", "project_name"): {
        "en": "Project name (with an ЕИК only)",
        "bg": "Наименование на проекта",
    },
    ("news_mentions", "project_code"): {
        "en": "Project code, normalised (typos repaired and flagged), of any code family (code_scheme)",
        "bg": "Код на проекта",
    },
    ("ngo_projects", "project_code"): {
        "en": "Project code, normalised (typos repaired and flagged), of any code family (code_scheme)",
        "bg": "Код на проекта",
    },
    ("events", "address"): {"en": "Address", "bg": "Адрес"},
    ("events", "project_code"): {
        "en": "Project code, normalised (typos repaired and flagged), of any code family (code_scheme)",
        "bg": "Код на проекта",
    },
    ("strategies", "decision_date"): {"en": "Decision date", "bg": "Дата на решението"},
    ("strategies", "title"): {"en": "Title", "bg": "Заглавие"},
    ("strategy_measures", "position"): {
        "en": "Order in the document, from 1",
        "bg": "Пореден номер",
    },
    ("strategy_measures", "text"): {"en": "The measure or stage as written", "bg": "Текст"},
    ("document_places", "code"): {
        "en": "NUTS 3 code of a district, LAU code of a municipality",
        "bg": "Код (NUTS или ЛАУ)",
    },
    ("document_places", "level"): {"en": "district, municipality or unresolved", "bg": "Ниво"},
    ("document_places", "name"): {"en": "Name in the gazetteer", "bg": "Наименование"},
    ("document_places", "project_code"): {
        "en": "Project code the document names, if any",
        "bg": "Код на проекта",
    },
    ("document_places", "text"): {"en": "As written in the document", "bg": "Както е написано"},
    ("linked_projects", "amount_eu_bgn"): {
        "en": "EU financing (ИСУН first)",
        "bg": "Финансиране от ЕС",
    },
    ("linked_projects", "amount_national_bgn"): {
        "en": "National financing (ИСУН first)",
        "bg": "Национално финансиране",
    },
    ("linked_projects", "amount_paid_eur"): {
        "en": "Actually paid (ИСУН first)",
        "bg": "Реално изплатени суми",
    },
    ("linked_projects", "amount_total_bgn"): {"en": "Total (ИСУН first)", "bg": "Обща стойност"},
    ("linked_projects", "amount_total_eur"): {"en": "Total (ИСУН first)", "bg": "Обща стойност"},
    ("linked_projects", "beneficiary"): {"en": "Beneficiary (ИСУН first)", "bg": "Бенефициент"},
    ("linked_projects", "duration_months"): {
        "en": "Duration (ИСУН first)",
        "bg": "Продължителност",
    },
    ("linked_projects", "end_date"): {
        "en": "End (ИСУН first); a document's month-only date as the month's first day (project_sources keeps it as given)",
        "bg": "Край (първо от ИСУН); дата само с месец от документ е първият ден на месеца",
    },
    ("linked_projects", "project_code"): {"en": "Project code", "bg": "Код на проекта"},
    ("linked_projects", "project_key"): {
        "en": "Contract code (a proposal code where no single crawled contract extends it), or unmatched:<hash> for a claim with no match",
        "bg": "Ключ",
    },
    ("linked_projects", "start_date"): {
        "en": "Start (ИСУН first); a document's month-only date as the month's first day (project_sources keeps it as given)",
        "bg": "Начало (първо от ИСУН); дата само с месец от документ е първият ден на месеца",
    },
    ("linked_projects", "status"): {"en": "Status (ИСУН first)", "bg": "Статус"},
    ("linked_projects", "title"): {"en": "Title (ИСУН first)", "bg": "Наименование"},
    ("project_sources", "value"): {"en": "Value as this source gives it", "bg": "Стойност"},
    ("project_conflicts", "n_sources"): {"en": "Sources giving a value", "bg": "Брой източници"},
    ("programmes", "funds"): {
        "en": "EU funds, ';'-separated (ESF, ERDF, CF, ESF+, JTF, RRF, ...)",
        "bg": "Фондове",
    },
    ("places", "code"): {
        "en": "NUTS code for areas, regions and districts; LAU code for municipalities",
        "bg": "Код",
    },
    ("places", "level"): {"en": "nuts1, region, district or municipality", "bg": "Ниво"},
    ("places", "name_en"): {
        "en": "Name in English (Streamlined System transliteration for municipalities)",
        "bg": "Наименование на английски",
    },
    ("history_activities", "is_over_reported"): {
        "en": "Reported above contracted (kept, not dropped; ИСУН explains such cases in a footnote)",
        "bg": "Отчетено над договореното",
    },
    ("news_mentions", "amount_total"): {
        "en": "Total value in the stated currency",
        "bg": "Обща стойност",
        "unit": "currency",
    },
    ("news_mentions", "amount_eu"): {
        "en": "EU financing in the stated currency",
        "bg": "Европейско финансиране",
        "unit": "currency",
    },
    ("news_mentions", "amount_national"): {
        "en": "National co-financing in the stated currency",
        "bg": "Национално съфинансиране",
        "unit": "currency",
    },
    ("news_mentions", "start_date"): {
        "en": "Start date; where the document gives only the month, its first day (flag start_date_month_only)",
        "bg": "Начало; ако е посочен само месецът, първият му ден (бележка start_date_month_only)",
    },
    ("news_mentions", "end_date"): {
        "en": "End date; where the document gives only the month, its first day (flag end_date_month_only)",
        "bg": "Край; ако е посочен само месецът, първият му ден (бележка end_date_month_only)",
    },
    ("ngo_projects", "amount_total"): {
        "en": "Total value in the stated currency",
        "bg": "Обща стойност",
        "unit": "currency",
    },
    ("ngo_projects", "amount_eu"): {
        "en": "EU financing in the stated currency",
        "bg": "Европейско финансиране",
        "unit": "currency",
    },
    ("ngo_projects", "amount_national"): {
        "en": "National co-financing in the stated currency",
        "bg": "Национално съфинансиране",
        "unit": "currency",
    },
    ("ngo_projects", "start_date"): {
        "en": "Start date; where the document gives only the month, its first day (flag start_date_month_only)",
        "bg": "Начало; ако е посочен само месецът, първият му ден (бележка start_date_month_only)",
    },
    ("ngo_projects", "end_date"): {
        "en": "End date; where the document gives only the month, its first day (flag end_date_month_only)",
        "bg": "Край; ако е посочен само месецът, първият му ден (бележка end_date_month_only)",
    },
    ("events", "amount_total"): {
        "en": "Total value in the stated currency",
        "bg": "Обща стойност",
        "unit": "currency",
    },
    ("events", "amount_eu"): {
        "en": "EU financing in the stated currency",
        "bg": "Европейско финансиране",
        "unit": "currency",
    },
    ("events", "amount_national"): {
        "en": "National co-financing in the stated currency",
        "bg": "Национално съфинансиране",
        "unit": "currency",
    },
    ("events", "start_date"): {
        "en": "Start date; where the document gives only the month, its first day (flag start_date_month_only)",
        "bg": "Начало; ако е посочен само месецът, първият му ден (бележка start_date_month_only)",
    },
    ("events", "end_date"): {
        "en": "End date; where the document gives only the month, its first day (flag end_date_month_only)",
        "bg": "Край; ако е посочен само месецът, първият му ден (бележка end_date_month_only)",
    },
}


# Where a table accepts other forms of a code than the catalogue's (ИСУН's), keyed by (table, field):
# the tables of free-text documents hold codes of every family (`code_scheme`: EEA grants, Interreg,
# ДФЗ, PHARE, Solidarity Fund, LIFE; and the procedure forms pages print). The ИСУН tables (projects
# and its children, isun_api_*, isun_export_*) keep the catalogue's strict ИСУН form, so an EEA
# code there fails `code_format`.
TABLE_PATTERNS: dict[tuple[str, str], str] = {
    ("news_mentions", "project_code"): ANY_SCHEME_PROJECT_CODE_REGEX,
    ("news_mentions", "procedure_code"): ANY_SCHEME_PROCEDURE_CODE_REGEX,
    ("ngo_projects", "project_code"): ANY_SCHEME_PROJECT_CODE_REGEX,
    ("ngo_projects", "procedure_code"): ANY_SCHEME_PROCEDURE_CODE_REGEX,
    ("events", "project_code"): ANY_SCHEME_PROJECT_CODE_REGEX,
    ("events", "procedure_code"): ANY_SCHEME_PROCEDURE_CODE_REGEX,
    ("document_places", "project_code"): ANY_SCHEME_PROJECT_CODE_REGEX,
    ("linked_projects", "project_code"): ANY_SCHEME_PROJECT_CODE_REGEX,
}


def field(name: str, nullable: bool = True) -> Field:
    """The catalogue's field `name`; `nullable=False` where the table requires a value."""
    try:
        return replace(FIELDS[name], nullable=nullable)
    except KeyError:
        raise KeyError(
            f"field {name!r} is not in the catalogue: declare it in registry/fields.py"
        ) from None


def in_table(table: str, f: Field) -> Field:
    """`f` as table `table` describes it: the catalogue's wording unless `TABLE_DESCRIPTIONS` has the
    table's, the catalogue's pattern unless `TABLE_PATTERNS` has the table's."""
    base = FIELDS.get(f.name)
    if base is None:
        raise KeyError(
            f"{table}.{f.name} is not in the catalogue: declare it in registry/fields.py"
        )
    own = TABLE_DESCRIPTIONS.get((table, f.name), {})
    pattern = TABLE_PATTERNS.get((table, f.name), base.pattern)
    return replace(base, nullable=f.nullable, pattern=pattern, **own)
