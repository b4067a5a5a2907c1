"""The single source of truth for every published table and field: the table registry.

Each table lists its fields by name from the field catalogue (`registry.fields`: DuckDB
type, unit, description in Bulgarian and English, constraints, each declared once), its
primary key, its foreign keys, the Dagster asset that produces it (named as the table)
and its own quality rules. From these come the DuckDB DDL, the column order of the Parquet and
CSV files, the Data Package, the dictionary, the quality rules (row screening, the
blocking checks, the Great Expectations suites), the warehouse's inputs and the
release.

Rules: `table_rules(table)` is every rule of a table, in the order they are applied.
The obvious ones are derived from the declarations in that one place (a non-nullable
field is required, a field's catalogue constraints give its code format, allowed set or
range, amounts >= 0 among them, the primary key is unique, each checked foreign key's parent row exists, the row count
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

from registry.fields import FIELDS, Field, field, in_table

__all__ = ["Field", "field"]  # tables are declared with the catalogue's fields

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


# A place of a contract, from ИСУН's pages or its open-data API, down to the settlement.
PLACE_LEVEL_IN_SET = one_of(
    "level", "country", "nuts1", "region", "district", "municipality", "settlement", "unresolved"
)
GRANT_PLUS_OWN = sums_to(
    "amount_total", ("amount_grant", "amount_own"), "grant_plus_own_equals_total"
)


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
    # False: fields as declared, not from the catalogue (a view's columns, read from DuckDB).
    catalogue: bool = True

    def __post_init__(self) -> None:
        # Each field as the catalogue declares it (`registry.fields`), in this table's wording
        # where `TABLE_DESCRIPTIONS` has one; a field whose type differs from the catalogue's
        # is an error here, at import, not a second type in the release.
        if not self.catalogue:
            return
        fields = []
        for f in self.fields:
            if f.name not in FIELDS:  # a name of its own: `tests/test_fields.py` fails on it
                fields.append(f)
                continue
            declared = in_table(self.name, f)
            if f.type != declared.type:
                raise ValueError(
                    f"{self.name}.{f.name}: declared {f.type}; the catalogue "
                    f"(registry/fields.py) says {declared.type}"
                )
            fields.append(declared)
        object.__setattr__(self, "fields", tuple(fields))

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def range_rule(f: Field) -> Rule | None:
    """The range a field's catalogue constraints give (`amount_not_negative`, `percent_in_range`,
    `value_in_range`), or None: the rule, and its name, that normalisers raise too."""
    if f.minimum is None and f.maximum is None:
        return None
    if f.maximum is None:
        return in_range(f.name, min_value=f.minimum, name="amount_not_negative")
    name = "percent_in_range" if f.unit == "percent" else "value_in_range"
    return in_range(f.name, f.minimum, f.maximum, name=name)


def field_rules(f: Field) -> list[Rule]:
    """The rules a field's catalogue constraints give, besides a lone minimum (`table_rules`)."""
    rules = []
    if f.pattern is not None:
        rules.append(code_format(f.name, f.pattern))
    if f.enum:
        rules.append(one_of(f.name, *f.enum))
    if f.maximum is not None:
        rules.append(range_rule(f))
    return rules


def table_rules(table: Table) -> tuple[Rule, ...]:
    """Every rule of `table`, in the order they are applied (a row fails on the first).

    The one place rules are derived from declarations: non-nullable fields are required,
    fields with a lone catalogue minimum (the amounts) are >= it, then each field's other
    constraints in field order (`field_rules`: code formats, allowed sets, ranges), then the
    table's own rules (sums, rates, dates in order), then the whole-table rules: the primary key is unique, each
    checked foreign key's parent row exists, and the row count does not drop too far.
    """
    derived = [required(f.name) for f in table.fields if not f.nullable]
    derived += [range_rule(f) for f in table.fields if f.minimum is not None and f.maximum is None]
    derived += [rule for f in table.fields for rule in field_rules(f)]
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
    field("source_url", nullable=False),
    field("fetched_at", nullable=False),
    field("content_sha256", nullable=False),
)

# A place resolved to the gazetteer (`transforms.isun_location`), as the pages' and the API's
# place tables both hold it: the level, its codes and name, and the text it was read from.
RESOLVED_PLACE = (
    field("level", nullable=False),
    field("code"),
    field("name"),
    field("nuts3"),
    field("lau_code"),
    field("ekatte"),
    field("text", nullable=False),
)


def _amount_fields(stem: str) -> tuple[Field, ...]:
    """The catalogue's amount `stem` as stated, then in BGN and in EUR."""
    return tuple(field(stem + suffix) for suffix in ("", "_bgn", "_eur"))


PROJECT_PAGES = Table(
    name="project_pages",
    en="One row per ИСУН contract whose pages were read: codes, names, dates, status and financing "
    "as the pages state them (an intermediate table: `projects` publishes these rows with every "
    "other contract of the bulk sources).",
    bg="Един ред за всеки договор в ИСУН, чиито страници са прочетени (междинна таблица).",
    primary_key=("project_code",),
    fields=(
        field("project_code", nullable=False),
        field("project_code_original", nullable=False),
        field("code_flags"),
        field("proposal_code", nullable=False),
        field("programme_code", nullable=False),
        field("procedure_code", nullable=False),
        field("proposal_no"),
        field("contract_no"),
        field("isun_contract_id"),
        field("is_historic"),
        field("programme_name"),
        field("funds"),
        field("procedure_name"),
        field("project_name", nullable=False),
        field("description"),
        field("beneficiary_name"),
        field("beneficiary_uin"),
        field("beneficiary_eik"),
        field("contract_date"),
        field("start_date"),
        field("end_date"),
        field("duration_months"),
        field("status"),
        field("location"),
        field("currency_original", nullable=False),
        *_amount_fields("amount_total"),
        *_amount_fields("amount_grant"),
        field("eu_cofinancing_percent"),
        *_amount_fields("amount_eu"),
        *_amount_fields("amount_national"),
        *_amount_fields("amount_own"),
        *_amount_fields("amount_paid"),
        field("corrections_count"),
        field("activities_count", nullable=False),
        field("is_over_reported", nullable=False),
        *PROVENANCE,
    ),
    asset="_core_isun__project_pages",
    rules=(
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
    field("detail_level", nullable=False),
    field("bulk_source"),
    field("pages_fetched_at"),
    field("beneficiary_without_eik", nullable=False),
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
    asset="projects",
    rules=PROJECT_PAGES.rules,
    foreign_keys=(),
)

ACTIVITIES = Table(
    name="activities",
    en="One row per activity of a contract: contracted and reported amounts.",
    bg="Един ред за всяка дейност по договор: договорена и отчетена стойност.",
    primary_key=("project_code", "activity_no"),
    fields=(
        field("project_code", nullable=False),
        field("activity_no", nullable=False),
        field("activity_title", nullable=False),
        field("activity_name", nullable=False),
        field("activity_description"),
        field("currency_original", nullable=False),
        field("amount_contracted_text"),
        *_amount_fields("amount_contracted"),
        field("amount_reported_text"),
        *_amount_fields("amount_reported"),
        field("is_over_reported", nullable=False),
        field("execution_rate"),
        *PROVENANCE,
    ),
    asset="activities",
    foreign_keys=(TO_PROJECT,),
    rules=(*eur_at_fixed_rate("amount_contracted", "amount_reported"),),
)

QUARANTINE = Table(
    name="quarantine",
    en="Rows and pages that failed a rule, with the rule, the field and the value; nothing is dropped silently.",
    bg="Редове и страници, които не отговарят на правило, с правилото, полето и стойността.",
    primary_key=(),
    fields=(
        field("table_name", nullable=False),
        field("record_key"),
        field("rule", nullable=False),
        field("field"),
        field("value"),
        field("message", nullable=False),
        field("source_url"),
        field("fetched_at"),
        field("content_sha256"),
    ),
    asset="quarantine",
    max_row_drop_share=1.0,  # fewer rejected rows is good news, never a reason to stop
)

PROJECT_ORGANISATIONS = Table(
    name="project_organisations",
    en="Who takes part in each contract: the beneficiary, partners, contractors.",
    bg="Участници във всеки договор: бенефициент, партньори, изпълнители.",
    primary_key=("project_code", "role", "organisation_id"),
    fields=(
        field("project_code", nullable=False),
        field("role", nullable=False),
        field("organisation_id", nullable=False),
        field("is_natural_person"),
        field("name_as_published"),
        field("eik"),
        field("currency_original"),
        *_amount_fields("amount_contracted"),
        *_amount_fields("amount_reported"),
        *PROVENANCE,
    ),
    asset="project_organisations",
    foreign_keys=(
        TO_PROJECT,
        ForeignKey("organisation_id", "organisations", "organisation_id", checked=False),
    ),
    rules=(*eur_at_fixed_rate("amount_contracted", "amount_reported"),),
)

ORGANISATIONS = Table(
    name="organisations",
    en="One row per organisation across all contracts: legal form, clean name, town, EIK.",
    bg="Един ред за всяка организация: правна форма, наименование, населено място, ЕИК.",
    primary_key=("organisation_id",),
    fields=(
        field("organisation_id", nullable=False),
        field("name", nullable=False),
        field("legal_form"),
        field("town"),
        field("eik"),
        field("names_seen"),
        field("is_natural_person"),
        field("projects", nullable=False),
        field("roles"),
    ),
    asset="organisations",
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
        field("project_code", nullable=False),
        *RESOLVED_PLACE,
        *PROVENANCE,
    ),
    asset="project_places",
    foreign_keys=(TO_PROJECT,),
    rules=(PLACE_LEVEL_IN_SET,),
)

PROJECT_INDICATORS = Table(
    name="project_indicators",
    en="Indicators of each contract (tab 'Индикатори'): unit, base, target and reached values.",
    bg="Индикатори по всеки договор: мерна единица, базова, целева и достигната стойност.",
    primary_key=("project_code", "indicator_no"),
    fields=(
        field("project_code", nullable=False),
        field("indicator_no", nullable=False),
        field("indicator_name", nullable=False),
        field("unit"),
        field("base_value"),
        field("target_value"),
        field("reached_value"),
        field("is_target_reached"),
        *PROVENANCE,
    ),
    asset="project_indicators",
    foreign_keys=(TO_PROJECT,),
    rules=(),
)

PROJECT_PROCUREMENTS = Table(
    name="project_procurements",
    en="Procurements of each contract (tab 'Тръжни процедури'): one row per lot (обособена позиция), or one per "
    "procurement without lots.",
    bg="Тръжни процедури по всеки договор: по ред за всяка обособена позиция.",
    primary_key=("project_code", "procurement_no", "lot_no"),
    fields=(
        field("project_code", nullable=False),
        field("procurement_no", nullable=False),
        field("subject"),
        field("currency_original", nullable=False),
        *_amount_fields("amount_estimated"),
        field("lot_no", nullable=False),
        field("lot_name"),
        field("contractor_name"),
        *_amount_fields("amount_contract_funded"),
        *PROVENANCE,
    ),
    asset="project_procurements",
    foreign_keys=(TO_PROJECT,),
    rules=(*eur_at_fixed_rate("amount_estimated", "amount_contract_funded"),),
)

PROJECT_FINANCIAL_CORRECTIONS = Table(
    name="project_financial_corrections",
    en="Financial corrections imposed on each contract: reason, percentage and amounts (maximum imposed; zero total "
    "= cancelled by a court).",
    bg="Финансови корекции по всеки договор: основание, процент и стойности.",
    primary_key=("project_code", "correction_no"),
    fields=(
        field("project_code", nullable=False),
        field("correction_no", nullable=False),
        field("reason"),
        field("correction_percent"),
        field("currency_original", nullable=False),
        *_amount_fields("amount_grant"),
        *_amount_fields("amount_own"),
        *_amount_fields("amount_total"),
        field("contractor_contract"),
        *PROVENANCE,
    ),
    asset="project_financial_corrections",
    foreign_keys=(TO_PROJECT,),
    rules=(GRANT_PLUS_OWN, *eur_at_fixed_rate("amount_grant", "amount_own", "amount_total")),
)

RAW_RESPONSES = Table(
    name="raw_responses",
    en="The raw archive's manifest: every response fetched, before parsing (in the DuckDB file only).",
    bg="Описът на суровия архив: всеки изтеглен отговор преди обработка (само във файла DuckDB).",
    primary_key=(),
    fields=(
        field("url", nullable=False),
        field("fetched_at", nullable=False),
        field("http_status", nullable=False),
        field("sha256", nullable=False),
        field("content_type"),
        field("bytes", nullable=False),
        field("headers"),
    ),
)

RELEASE_DATE = field("release_id", nullable=False)
IS_REMOVED = field("is_removed", nullable=False)

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

HISTORY_CONTRACTORS = Table(
    name="history_contractors",
    en="The contractors of each project (from the open-data API's contracts, the Procurements and the "
    "Participants pages), a row when a contractor first appears on a project, when its name or ЕИК changes "
    "and when it is gone (is_removed); a project's contractors as of a release are its latest rows at or "
    "before it, unless removed. A new row of a known project is a new contractor in the changelog and feeds.",
    bg="Изпълнителите по всеки проект (от договорите в отворените данни и от страниците Обществени поръчки и "
    "Участници), по ред при първата поява на изпълнител по проекта, при промяна на наименованието или ЕИК и "
    "когато изчезне (is_removed). Нов ред по известен проект е нов изпълнител в промените и емисиите.",
    primary_key=("release_id", "project_code", "contractor_key"),
    fields=(
        RELEASE_DATE,
        PROJECTS.field("project_code"),
        field("contractor_key", nullable=False),
        field("contractor_name"),
        field("contractor_eik"),
        field("contractor_sources"),
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
HISTORY_TABLES: dict[str, Table] = {
    t.name: t for t in (HISTORY_PROJECTS, HISTORY_ACTIVITIES, HISTORY_CONTRACTORS)
}


def create_table_sql(table: Table) -> str:
    cols = ",\n  ".join(
        f"{f.name} {f.type}{'' if f.nullable else ' NOT NULL'}" for f in table.fields
    )
    pk = f",\n  PRIMARY KEY ({', '.join(table.primary_key)})" if table.primary_key else ""
    return f"CREATE TABLE {table.name} (\n  {cols}{pk}\n)"
