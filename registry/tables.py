"""The single source of truth for every published table and field: the table registry.

Each table declares its fields (DuckDB type, unit, description in Bulgarian and
English), its primary key, its foreign keys, the Dagster asset that produces it and
its quality rules. From these come the DuckDB DDL, the column order of the Parquet and
CSV files, the Data Package, the dictionary, the quality rules (row screening, the
blocking checks, the Great Expectations suites), the warehouse's inputs and the
release.

Rules: `table_rules(table)` is every rule of a table, in the order they are applied.
The obvious ones are derived from the declarations in that one place (a non-nullable
field is required, a DECIMAL field is >= 0 unless the table gives it a range, the
primary key is unique, each checked foreign key's parent row exists, the row count
may not drop by more than the table's limit); the rest each table lists in `rules`,
one helper call a rule (`one_of`, `in_range`, `code_format`, `sums_to`,
`eur_at_fixed_rate`, `dates_in_order`). Each rule has a stable `name`, which is the
`rule` a failing row carries into quarantine, and a `level`: "row" rules can set one
row aside, "table" rules (unique key, parent rows, row-count drop) can only fail the
whole table. `registry.all_tables()` gives every table the warehouse holds (defined here
and in `registry.documents`, `registry.isun_bulk` and `registry.reference`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from registry.formats import PROCEDURE_CODE_REGEX, PROGRAMME_CODE_REGEX, PROJECT_CODE_REGEX

CENT = 0.01  # tolerance of the financing identities and of EUR = BGN / rate


@dataclass(frozen=True)
class Rule:
    """One quality rule of a table; the engines (`quality.rules_sql`, `quality.checkpoint`) read it.

    `test` is what is evaluated on `columns` (the first is the field a failing row is
    reported under): not_null, range (`min_value`/`max_value`), in_set (`values`),
    pattern (`pattern`, a Python regex), sum (columns[0] equals the sum of the rest
    within `tolerance`), rate (columns[0], in EUR, equals columns[1], in BGN, divided
    by 1.95583 within `tolerance`), order (columns[0] <= columns[1]), unique,
    parent (columns[0] is among `parent`'s `parent_column`), row_drop (rows fell by at
    most `max_value` as a share of the last release's; None: the build's setting).
    """

    name: str
    test: str
    columns: tuple[str, ...] = ()
    level: str = "row"
    min_value: float | None = None
    max_value: float | None = None
    values: tuple[str, ...] = ()
    pattern: str | None = None
    tolerance: float = 0.0
    parent: str | None = None
    parent_column: str | None = None

    @property
    def field(self) -> str | None:
        return self.columns[0] if self.columns else None


def required(column: str) -> Rule:
    return Rule("required_value_missing", "not_null", (column,))


def in_range(
    column: str,
    min_value: float | None = None,
    max_value: float | None = None,
    name: str = "value_in_range",
) -> Rule:
    return Rule(name, "range", (column,), min_value=min_value, max_value=max_value)


def one_of(column: str, *values: str) -> Rule:
    return Rule("value_in_allowed_set", "in_set", (column,), values=values)


def code_format(column: str, pattern: str) -> Rule:
    return Rule("code_format", "pattern", (column,), pattern=pattern)


def sums_to(total: str, parts: tuple[str, ...], name: str, tolerance: float = CENT) -> Rule:
    return Rule(name, "sum", (total, *parts), tolerance=tolerance)


def eur_at_fixed_rate(*stems: str) -> tuple[Rule, ...]:
    """`<stem>_eur` = `<stem>_bgn` / 1.95583 within a cent, for each stem."""
    return tuple(
        Rule("eur_equals_bgn_at_fixed_rate", "rate", (f"{s}_eur", f"{s}_bgn"), tolerance=CENT)
        for s in stems
    )


def dates_in_order(start: str = "start_date", end: str = "end_date") -> Rule:
    return Rule("start_date_not_after_end_date", "order", (start, end))


PROJECT_CODE_FORMAT = code_format("project_code", PROJECT_CODE_REGEX)
PROCEDURE_CODE_FORMAT = code_format("procedure_code", PROCEDURE_CODE_REGEX)
PROGRAMME_CODE_FORMAT = code_format("programme_code", PROGRAMME_CODE_REGEX)
CURRENCY_IN_SET = one_of("currency_original", "BGN", "EUR")
# A place of a contract, from ИСУН's pages or its open-data API, down to the settlement.
PLACE_LEVEL_IN_SET = one_of(
    "level", "country", "nuts1", "region", "district", "municipality", "settlement", "unresolved"
)
GRANT_PLUS_OWN = sums_to(
    "amount_total", ("amount_grant", "amount_own"), "grant_plus_own_equals_total"
)
PERCENT = (0, 100)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # DuckDB type
    en: str
    bg: str
    unit: str | None = None
    nullable: bool = True


@dataclass(frozen=True)
class ForeignKey:
    """`column` points at `parent_column` of table `parent`.

    `checked=False` where the parent is derived from this very table (organisations from
    project_organisations), so the row-level check would only restate the derivation."""

    column: str
    parent: str
    parent_column: str
    checked: bool = True


# A contract's rows in another table point at its project.
TO_PROJECT = ForeignKey("project_code", "projects", "project_code")


@dataclass(frozen=True)
class Table:
    name: str
    en: str
    bg: str
    primary_key: tuple[str, ...]
    fields: tuple[Field, ...]
    asset: str | None = None  # the Dagster asset that produces it; None: not in the warehouse build
    foreign_keys: tuple[ForeignKey, ...] = ()
    rules: tuple[Rule, ...] = ()  # besides those `table_rules` derives from the declarations
    # Largest share of rows that may vanish since the last release; None: the build's setting.
    max_row_drop_share: float | None = None

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def table_rules(table: Table) -> tuple[Rule, ...]:
    """Every rule of `table`, in the order they are applied (a row fails on the first).

    The one place rules are derived from declarations: non-nullable fields are required,
    DECIMAL fields are >= 0 (unless the table declares a range for them), then the
    table's own rules, then the whole-table rules: the primary key is unique, each
    checked foreign key's parent row exists, and the row count does not drop too far.
    """
    ranged = {r.field for r in table.rules if r.test == "range"}
    derived = [required(f.name) for f in table.fields if not f.nullable]
    derived += [
        in_range(f.name, min_value=0, name="amount_not_negative")
        for f in table.fields
        if f.type.startswith("DECIMAL") and f.name not in ranged
    ]
    whole = (
        [Rule("unique_key", "unique", table.primary_key, level="table")]
        if table.primary_key
        else []
    )
    whole += [
        Rule(
            "parent_row_exists",
            "parent",
            (fk.column,),
            level="table",
            parent=fk.parent,
            parent_column=fk.parent_column,
        )
        for fk in table.foreign_keys
        if fk.checked
    ]
    whole.append(
        Rule("row_count_drop", "row_drop", level="table", max_value=table.max_row_drop_share)
    )
    return (*derived, *table.rules, *whole)


PROVENANCE = (
    Field(
        "source_url",
        "VARCHAR",
        "URL the row was read from",
        "Адрес, от който е прочетен редът",
        nullable=False,
    ),
    Field(
        "fetched_at",
        "TIMESTAMPTZ",
        "When that page was fetched (UTC)",
        "Кога е изтеглена страницата (UTC)",
        nullable=False,
    ),
    Field(
        "content_sha256",
        "VARCHAR",
        "SHA-256 of the archived page bytes",
        "SHA-256 на архивираната страница",
        nullable=False,
    ),
)


def _amount_fields(stem: str, en: str, bg: str) -> tuple[Field, ...]:
    return (
        Field(
            f"{stem}",
            "DECIMAL(18,2)",
            f"{en}, in the page's currency",
            f"{bg}, във валутата на страницата",
            "currency_original",
        ),
        Field(f"{stem}_bgn", "DECIMAL(18,2)", f"{en}, in BGN", f"{bg}, в лева", "BGN"),
        Field(
            f"{stem}_eur",
            "DECIMAL(18,2)",
            f"{en}, in EUR (1 EUR = 1.95583 BGN)",
            f"{bg}, в евро (1 EUR = 1,95583 лв.)",
            "EUR",
        ),
    )


PROJECT_PAGES = Table(
    name="project_pages",
    en="One row per ИСУН contract whose pages were read: codes, names, dates, status and financing "
    "as the pages state them (an intermediate table: `projects` publishes these rows with every "
    "other contract of the bulk sources).",
    bg="Един ред за всеки договор в ИСУН, чиито страници са прочетени (междинна таблица).",
    primary_key=("project_code",),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code ('Номер от ИСУН', with -Cnn), normalised",
            "Номер от ИСУН, нормализиран",
            nullable=False,
        ),
        Field(
            "project_code_original",
            "VARCHAR",
            "Contract code as printed on the page",
            "Номер от ИСУН, както е изписан",
            nullable=False,
        ),
        Field(
            "code_flags",
            "VARCHAR",
            "Repairs made to the code (e.g. cyrillic_lookalike), ';'-separated",
            "Поправки в кода, разделени с ';'",
        ),
        Field(
            "proposal_code",
            "VARCHAR",
            "Project proposal code: the contract code without -Cnn (the key of the open-data "
            "API and the register export)",
            "Код на проектното предложение (без -Cnn)",
            nullable=False,
        ),
        Field("programme_code", "VARCHAR", "Programme code", "Код на програмата", nullable=False),
        Field(
            "procedure_code",
            "VARCHAR",
            "Procedure code (from the contract code; BasicData's procedure link must agree)",
            "Код на процедурата",
            nullable=False,
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
        Field("project_name", "VARCHAR", "Project name", "Наименование на проекта", nullable=False),
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
        Field(
            "duration_months",
            "INTEGER",
            "Duration derived from start and end date with ИСУН's own rule (DataUtils.GetMonthsDuration)",
            "Продължителност, изчислена от датите по правилото на ИСУН",
            "months",
        ),
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
            nullable=False,
        ),
        *_amount_fields("amount_total", "Total project value", "Обща стойност на проекта"),
        *_amount_fields("amount_grant", "Grant (БФП)", "БФП"),
        Field(
            "eu_cofinancing_percent",
            "DECIMAL(9,4)",
            "EU co-financing percentage of the procedure ('Процент на съфинансиране от ЕС')",
            "Процент на съфинансиране от ЕС",
            "percent",
        ),
        *_amount_fields(
            "amount_eu",
            "EU share of the grant: DERIVED as БФП × EU co-financing % (ИСУН does not publish it)",
            "Дял на ЕС от БФП: ИЗЧИСЛЕН като БФП × процента на съфинансиране от ЕС",
        ),
        *_amount_fields(
            "amount_national",
            "National share of the grant: DERIVED as БФП − the derived EU share",
            "Национален дял от БФП: ИЗЧИСЛЕН като БФП − дела на ЕС",
        ),
        *_amount_fields("amount_own", "Beneficiary's own financing", "Собствено финансиране"),
        *_amount_fields("amount_paid", "Total actually paid", "Общо реално изплатени суми"),
        Field(
            "corrections_count",
            "INTEGER",
            "Financial corrections imposed",
            "Брой финансови корекции",
        ),
        Field(
            "activities_count",
            "INTEGER",
            "Number of activities published",
            "Брой дейности",
            nullable=False,
        ),
        Field(
            "is_over_reported",
            "BOOLEAN",
            "Any activity reported above its contracted value",
            "Има дейност с отчетено над договореното",
            nullable=False,
        ),
        *PROVENANCE,
    ),
    asset="_core_isun__project_pages",
    rules=(
        PROJECT_CODE_FORMAT,
        PROCEDURE_CODE_FORMAT,
        PROGRAMME_CODE_FORMAT,
        CURRENCY_IN_SET,
        in_range("eu_cofinancing_percent", *PERCENT, name="percent_in_range"),
        GRANT_PLUS_OWN,
        sums_to("amount_grant", ("amount_eu", "amount_national"), "eu_plus_national_equals_grant"),
        *eur_at_fixed_rate(
            "amount_total",
            "amount_grant",
            "amount_eu",
            "amount_national",
            "amount_own",
            "amount_paid",
        ),
        dates_in_order(),
    ),
)

# Page fields a contract known only from the bulk sources does not have.
_PAGE_ONLY_REQUIRED = {"project_name", "activities_count", "is_over_reported"}
_UNIVERSE_FIELDS = (
    Field(
        "detail_level",
        "VARCHAR",
        "Where the row's values come from: 'pages' (the contract's ИСУН pages were read: their values; "
        "where the bulk sources disagree, see project_conflicts) or 'bulk' (only the open-data API or the "
        "register export: project_code is then the proposal code)",
        "Откъде са стойностите: 'pages' (прочетени страници на договора) или 'bulk' (само отворените данни "
        "или регистъра; тогава project_code е номерът на проектното предложение)",
        nullable=False,
    ),
    Field(
        "bulk_source",
        "VARCHAR",
        "The bulk source that lists the contract: 'isun-api' (open-data API), 'isun-export' (register "
        "export, when the API does not list it), null when only its pages are known",
        "Масовият източник, който съдържа договора: 'isun-api', 'isun-export' или празно",
    ),
    Field(
        "pages_fetched_at",
        "TIMESTAMPTZ",
        "When the contract's page was fetched (UTC); null: page detail not read yet",
        "Кога е изтеглена страницата на договора (UTC); празно: страниците още не са прочетени",
    ),
    Field(
        "beneficiary_without_eik",
        "BOOLEAN",
        "The beneficiary has no ЕИК (a natural person or unknown): nothing personal is published",
        "Бенефициентът няма ЕИК (физическо лице или неизвестен): не се публикуват лични данни",
        nullable=False,
    ),
)

PROJECTS = Table(
    name="projects",
    en="One row per ИСУН contract, every contract the open-data API or the register export lists: codes, "
    "names, dates, status and financing; page values where the contract's pages were read (detail_level).",
    bg="Един ред за всеки договор в ИСУН от отворените данни или регистъра: кодове, наименования, дати, "
    "статус и финансиране; стойностите от страниците, където са прочетени (detail_level).",
    primary_key=("project_code",),
    fields=(
        *(
            replace(f, nullable=True) if f.name in _PAGE_ONLY_REQUIRED else f
            for f in PROJECT_PAGES.fields[: -len(PROVENANCE)]
        ),
        *_UNIVERSE_FIELDS,
        *PROVENANCE,
    ),
    asset="core_isun__projects",
    rules=PROJECT_PAGES.rules,
    foreign_keys=(),
)

ACTIVITIES = Table(
    name="activities",
    en="One row per activity of a contract: contracted and reported amounts.",
    bg="Един ред за всяка дейност по договор: договорена и отчетена стойност.",
    primary_key=("project_code", "activity_no"),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code, normalised",
            "Номер на договора, нормализиран",
            nullable=False,
        ),
        Field(
            "activity_no",
            "INTEGER",
            "Position of the activity on the page, from 1",
            "Пореден номер на дейността",
            nullable=False,
        ),
        Field(
            "activity_title",
            "VARCHAR",
            "The activity as the page prints it ('Дейност')",
            "Дейност, както е изписана",
            nullable=False,
        ),
        Field(
            "activity_name",
            "VARCHAR",
            "Activity name (the title before its first ': ')",
            "Наименование на дейността",
            nullable=False,
        ),
        Field(
            "activity_description",
            "VARCHAR",
            "Activity description (the title after its first ': ')",
            "Описание на дейността",
        ),
        Field(
            "currency_original",
            "VARCHAR",
            "Currency the page states (BGN or EUR)",
            "Валута, посочена на страницата",
            nullable=False,
        ),
        Field(
            "amount_contracted_text",
            "VARCHAR",
            "Contracted value as printed",
            "Договорена стойност, както е изписана",
        ),
        *_amount_fields("amount_contracted", "Contracted value", "Договорена стойност"),
        Field(
            "amount_reported_text",
            "VARCHAR",
            "Reported value as printed",
            "Отчетена стойност, както е изписана",
        ),
        *_amount_fields("amount_reported", "Reported value", "Отчетена стойност"),
        Field(
            "is_over_reported",
            "BOOLEAN",
            "Reported above contracted (kept, not dropped; ИСУН explains such cases in a footnote)",
            "Отчетено над договореното",
            nullable=False,
        ),
        Field(
            "execution_rate", "DOUBLE", "Reported / contracted", "Отчетено / договорено", "ratio"
        ),
        *PROVENANCE,
    ),
    asset="core_isun__activities",
    foreign_keys=(TO_PROJECT,),
    rules=(
        PROJECT_CODE_FORMAT,
        CURRENCY_IN_SET,
        *eur_at_fixed_rate("amount_contracted", "amount_reported"),
    ),
)

QUARANTINE = Table(
    name="quarantine",
    en="Rows and pages that failed a rule, with the rule, the field and the value; nothing is dropped silently.",
    bg="Редове и страници, които не отговарят на правило, с правилото, полето и стойността.",
    primary_key=(),
    fields=(
        Field(
            "table_name",
            "VARCHAR",
            "Table the row was meant for (or 'pages')",
            "Таблица",
            nullable=False,
        ),
        Field("record_key", "VARCHAR", "Key of the rejected record", "Ключ на записа"),
        Field("rule", "VARCHAR", "Rule that failed", "Нарушено правило", nullable=False),
        Field("field", "VARCHAR", "Field that failed", "Поле"),
        Field("value", "VARCHAR", "Offending value as read", "Стойност"),
        Field(
            "message",
            "VARCHAR",
            "Explanation naming source, field and value",
            "Обяснение",
            nullable=False,
        ),
        Field("source_url", "VARCHAR", "URL of the page", "Адрес на страницата"),
        Field(
            "fetched_at",
            "TIMESTAMPTZ",
            "When that page was fetched (UTC)",
            "Кога е изтеглена страницата",
        ),
        Field(
            "content_sha256",
            "VARCHAR",
            "SHA-256 of the archived page bytes",
            "SHA-256 на архивираната страница",
        ),
    ),
    asset="core_isun__quarantine",
    max_row_drop_share=1.0,  # fewer rejected rows is good news, never a reason to stop
)

PROJECT_ORGANISATIONS = Table(
    name="project_organisations",
    en="Who takes part in each contract: the beneficiary, partners, contractors.",
    bg="Участници във всеки договор: бенефициент, партньори, изпълнители.",
    primary_key=("project_code", "role", "organisation_id"),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code, normalised",
            "Номер на договора, нормализиран",
            nullable=False,
        ),
        Field(
            "role",
            "VARCHAR",
            "beneficiary, partner, contractor, subcontractor or consortium_member",
            "Роля",
            nullable=False,
        ),
        Field(
            "organisation_id",
            "VARCHAR",
            "Stable organisation id (eik:<EIK> or org:<hash>); person:<hash> for a natural person",
            "Идентификатор на организацията",
            nullable=False,
        ),
        Field(
            "is_natural_person",
            "BOOLEAN",
            "A natural person (ИСУН: 'физическо лице'); no name or identifier is published for them here",
            "Физическо лице (без име и идентификатор)",
        ),
        Field(
            "name_as_published",
            "VARCHAR",
            "The name as the page prints it, without the ЕИК before it; null for natural persons",
            "Наименование, както е изписано (без ЕИК)",
        ),
        Field(
            "eik", "VARCHAR", "EIK/BULSTAT as published, if its check digit is valid", "ЕИК/БУЛСТАТ"
        ),
        Field(
            "currency_original",
            "VARCHAR",
            "Currency the page states (BGN or EUR)",
            "Валута, посочена на страницата",
        ),
        *_amount_fields(
            "amount_contracted",
            "Contracted amount of this participant ('Договорена стойност по проекта')",
            "Договорена стойност по проекта",
        ),
        *_amount_fields(
            "amount_reported",
            "Reported amount of this participant ('Отчетена стойност'; partners and contractors only)",
            "Отчетена стойност",
        ),
        *PROVENANCE,
    ),
    asset="core_isun__project_organisations",
    foreign_keys=(
        TO_PROJECT,
        ForeignKey("organisation_id", "organisations", "organisation_id", checked=False),
    ),
    rules=(
        PROJECT_CODE_FORMAT,
        one_of(
            "role", "beneficiary", "partner", "contractor", "subcontractor", "consortium_member"
        ),
        CURRENCY_IN_SET,
        *eur_at_fixed_rate("amount_contracted", "amount_reported"),
    ),
)

ORGANISATIONS = Table(
    name="organisations",
    en="One row per organisation across all contracts: legal form, clean name, town, EIK.",
    bg="Един ред за всяка организация: правна форма, наименование, населено място, ЕИК.",
    primary_key=("organisation_id",),
    fields=(
        Field(
            "organisation_id",
            "VARCHAR",
            "Stable id: eik:<EIK> where a valid EIK is known, else org:<hash of form, name, town>",
            "Идентификатор",
            nullable=False,
        ),
        Field(
            "name",
            "VARCHAR",
            "Name without legal form, quotes or town ('физическо лице' for a natural person)",
            "Наименование без правна форма и кавички",
            nullable=False,
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
        Field("projects", "INTEGER", "Contracts it takes part in", "Брой договори", nullable=False),
        Field("roles", "VARCHAR", "Roles it has had, ';'-separated", "Роли"),
    ),
    asset="core_bgfunds__organisations",
)

PROJECT_PLACES = Table(
    name="project_places",
    en="Places each contract is located in, from ИСУН's location string, with NUTS, LAU and EKATTE codes from the "
    "gazetteer; parts that cannot be placed are kept with level "
    "'unresolved'.",
    bg="Места на изпълнение на всеки договор с кодове NUTS, ЛАУ и ЕКАТТЕ; "
    "неразпознатите части са запазени с ниво 'unresolved'.",
    primary_key=("project_code", "level", "text"),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code, normalised",
            "Номер на договора, нормализиран",
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
            "The place's own code: NUTS (BG314) for country to district, LAU (PVN16) for a "
            "municipality, EKATTE (43236) for a settlement",
            "Код (NUTS, ЛАУ или ЕКАТТЕ)",
        ),
        Field("name", "VARCHAR", "Place name", "Наименование"),
        Field("nuts3", "VARCHAR", "District (NUTS 3) the place is in", "Област (NUTS 3)"),
        Field(
            "lau_code",
            "VARCHAR",
            "Municipality (LAU, NSI code) the place is in",
            "Община (код ЛАУ)",
        ),
        Field("ekatte", "VARCHAR", "EKATTE code of a settlement", "Код по ЕКАТТЕ"),
        Field(
            "text",
            "VARCHAR",
            "The part of the location string it was read from",
            "Изходен текст",
            nullable=False,
        ),
        *PROVENANCE,
    ),
    asset="core_isun__project_places",
    foreign_keys=(TO_PROJECT,),
    rules=(
        PROJECT_CODE_FORMAT,
        PLACE_LEVEL_IN_SET,
    ),
)

PROJECT_INDICATORS = Table(
    name="project_indicators",
    en="Indicators of each contract (tab 'Индикатори'): unit, base, target and reached values.",
    bg="Индикатори по всеки договор: мерна единица, базова, целева и достигната стойност.",
    primary_key=("project_code", "indicator_no"),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code, normalised",
            "Номер от ИСУН, нормализиран",
            nullable=False,
        ),
        Field(
            "indicator_no",
            "INTEGER",
            "Number of the indicator on the page, from 1",
            "Пореден номер",
            nullable=False,
        ),
        Field("indicator_name", "VARCHAR", "Indicator", "Индикатор", nullable=False),
        Field("unit", "VARCHAR", "Measure unit", "Мерна единица"),
        Field("base_value", "DECIMAL(20,2)", "Base value", "Базова стойност", "unit"),
        Field("target_value", "DECIMAL(20,2)", "Target value", "Целева стойност", "unit"),
        Field(
            "reached_value",
            "DECIMAL(20,2)",
            "Reached value (cumulative)",
            "Достигната стойност",
            "unit",
        ),
        Field(
            "is_target_reached",
            "BOOLEAN",
            "Reached value ≥ target value",
            "Достигната ≥ целева стойност",
        ),
        *PROVENANCE,
    ),
    asset="core_isun__project_indicators",
    foreign_keys=(TO_PROJECT,),
    rules=(PROJECT_CODE_FORMAT,),
)

PROJECT_PROCUREMENTS = Table(
    name="project_procurements",
    en="Procurements of each contract (tab 'Тръжни процедури'): one row per lot (обособена позиция), or one per "
    "procurement without lots.",
    bg="Тръжни процедури по всеки договор: по ред за всяка обособена позиция.",
    primary_key=("project_code", "procurement_no", "lot_no"),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code, normalised",
            "Номер от ИСУН, нормализиран",
            nullable=False,
        ),
        Field(
            "procurement_no",
            "INTEGER",
            "Number of the procurement on the page, from 1",
            "Пореден номер на процедурата",
            nullable=False,
        ),
        Field(
            "subject", "VARCHAR", "Subject of the procurement", "Предмет на предвидената процедура"
        ),
        Field(
            "currency_original",
            "VARCHAR",
            "Currency the page states (BGN or EUR)",
            "Валута",
            nullable=False,
        ),
        *_amount_fields(
            "amount_estimated", "Estimated value of the procurement", "Прогнозна стойност"
        ),
        Field(
            "lot_no",
            "INTEGER",
            "Number of the lot, from 1; 0 for a procurement without lots",
            "Обособена позиция (0: без позиции)",
            nullable=False,
        ),
        Field("lot_name", "VARCHAR", "Lot", "Обособена позиция"),
        Field("contractor_name", "VARCHAR", "Contractor of the lot", "Изпълнител"),
        *_amount_fields(
            "amount_contract_funded",
            "Contract total funded by the project",
            "Обща стойност на договора, финансирана по проекта",
        ),
        *PROVENANCE,
    ),
    asset="core_isun__project_procurements",
    foreign_keys=(TO_PROJECT,),
    rules=(
        PROJECT_CODE_FORMAT,
        CURRENCY_IN_SET,
        *eur_at_fixed_rate("amount_estimated", "amount_contract_funded"),
    ),
)

PROJECT_FINANCIAL_CORRECTIONS = Table(
    name="project_financial_corrections",
    en="Financial corrections imposed on each contract: reason, percentage and amounts (maximum imposed; zero total "
    "= cancelled by a court).",
    bg="Финансови корекции по всеки договор: основание, процент и стойности.",
    primary_key=("project_code", "correction_no"),
    fields=(
        Field(
            "project_code",
            "VARCHAR",
            "Contract code, normalised",
            "Номер от ИСУН, нормализиран",
            nullable=False,
        ),
        Field(
            "correction_no",
            "INTEGER",
            "Position on the page, from 1",
            "Пореден номер",
            nullable=False,
        ),
        Field(
            "reason", "VARCHAR", "Reason for the correction", "Основание за налагане на корекция"
        ),
        Field(
            "correction_percent",
            "DECIMAL(9,2)",
            "% of the imposed correction",
            "% на наложената финансова корекция",
            "percent",
        ),
        Field(
            "currency_original",
            "VARCHAR",
            "Currency the page states (BGN or EUR)",
            "Валута",
            nullable=False,
        ),
        *_amount_fields("amount_grant", "Correction of the grant (БФП)", "Корекция на БФП"),
        *_amount_fields(
            "amount_own", "Correction of own financing", "Корекция на собственото финансиране"
        ),
        *_amount_fields("amount_total", "Correction in total", "Корекция общо"),
        Field(
            "contractor_contract",
            "VARCHAR",
            "Contract with a contractor it concerns (empty: project level)",
            "Договор с изпълнител",
        ),
        *PROVENANCE,
    ),
    asset="core_isun__project_financial_corrections",
    foreign_keys=(TO_PROJECT,),
    rules=(
        PROJECT_CODE_FORMAT,
        CURRENCY_IN_SET,
        in_range("correction_percent", *PERCENT, name="percent_in_range"),
        GRANT_PLUS_OWN,
        *eur_at_fixed_rate("amount_grant", "amount_own", "amount_total"),
    ),
)

RAW_RESPONSES = Table(
    name="raw_responses",
    en="The raw archive's manifest: every response fetched, before parsing (in the DuckDB file only).",
    bg="Описът на суровия архив: всеки изтеглен отговор преди обработка (само във файла DuckDB).",
    primary_key=(),
    fields=(
        Field("url", "VARCHAR", "URL fetched", "Изтеглен адрес", nullable=False),
        Field("fetched_at", "TIMESTAMPTZ", "When (UTC)", "Кога (UTC)", nullable=False),
        Field(
            "status",
            "INTEGER",
            "HTTP status (304: unchanged, body is the archived one)",
            "HTTP статус",
            nullable=False,
        ),
        Field(
            "sha256",
            "VARCHAR",
            "SHA-256 of the body; its path is raw/objects/<first 2>/<sha256>",
            "SHA-256 на съдържанието",
            nullable=False,
        ),
        Field("content_type", "VARCHAR", "Content-Type header", "Заглавка Content-Type"),
        Field("bytes", "BIGINT", "Body size", "Размер", "bytes", nullable=False),
        Field("headers", "JSON", "Response headers", "Заглавки на отговора"),
    ),
)

RELEASE_DATE = Field(
    "release_id",
    "VARCHAR",
    "Release the snapshot belongs to (YYYY-MM-DD)",
    "Издание (ГГГГ-ММ-ДД)",
    nullable=False,
)
IS_REMOVED = Field(
    "is_removed",
    "BOOLEAN",
    "Gone from this release (its page no longer lists it, or it was quarantined); the other values "
    "are its last known ones",
    "Липсва в това издание (страницата вече не го съдържа или е под "
    "карантина); останалите стойности са последните известни",
    nullable=False,
)

HISTORY_PROJECTS = Table(
    name="history_projects",
    en="Project status and amounts, a row whenever they change, when a project first appears and when it is "
    "gone (is_removed); the state as of a release is each project's latest row at or before it, unless removed.",
    bg="Статус и суми на проектите, по ред при всяка промяна, при първата поява на проекта и когато изчезне "
    "(is_removed); състоянието към дадено издание е последният ред на проекта до него включително, ако не е "
    "премахнат.",
    primary_key=("release_id", "project_code"),
    fields=(
        RELEASE_DATE,
        PROJECTS.field("project_code"),
        PROJECTS.field("proposal_code"),
        PROJECTS.field("detail_level"),
        PROJECTS.field("status"),
        PROJECTS.field("end_date"),
        PROJECTS.field("currency_original"),
        *(
            PROJECTS.field(f"amount_{stem}_{cur}")
            for stem in ("total", "grant", "paid")
            for cur in ("bgn", "eur")
        ),
        PROJECTS.field("is_over_reported"),
        IS_REMOVED,
    ),
)

HISTORY_ACTIVITIES = Table(
    name="history_activities",
    en="Contracted and reported amounts per activity, a row whenever they change, when an activity first "
    "appears and when it is gone (is_removed); the state as of a release is each activity's latest row at or "
    "before it, unless removed.",
    bg="Договорени и отчетени суми по дейности, по ред при всяка промяна, при първата поява на дейността и когато "
    "изчезне (is_removed); състоянието към дадено издание е последният ред на дейността до него включително, "
    "ако не е премахната.",
    primary_key=("release_id", "project_code", "activity_no"),
    fields=(
        RELEASE_DATE,
        ACTIVITIES.field("project_code"),
        ACTIVITIES.field("activity_no"),
        *(
            ACTIVITIES.field(f"amount_{stem}_{cur}")
            for stem in ("contracted", "reported")
            for cur in ("bgn", "eur")
        ),
        ACTIVITIES.field("is_over_reported"),
        IS_REMOVED,
    ),
)

PUBLISHED_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        PROJECTS,
        ACTIVITIES,
        ORGANISATIONS,
        PROJECT_ORGANISATIONS,
        PROJECT_PLACES,
        PROJECT_INDICATORS,
        PROJECT_PROCUREMENTS,
        PROJECT_FINANCIAL_CORRECTIONS,
        QUARANTINE,
    )
}
HISTORY_TABLES: dict[str, Table] = {t.name: t for t in (HISTORY_PROJECTS, HISTORY_ACTIVITIES)}


def create_table_sql(table: Table) -> str:
    cols = ",\n  ".join(
        f"{f.name} {f.type}{'' if f.nullable else ' NOT NULL'}" for f in table.fields
    )
    pk = f",\n  PRIMARY KEY ({', '.join(table.primary_key)})" if table.primary_key else ""
    return f"CREATE TABLE {table.name} (\n  {cols}{pk}\n)"
