"""Tables from the other source kinds (news, NGO pages, events, strategies) and from linking.

Kept apart from `registry.tables` only for size; the same Field/Table types, so the
DDL, the Data Package and the dictionary come from here in the same way.
"""

from __future__ import annotations

from registry.tables import (
    PROCEDURE_CODE_FORMAT,
    PROGRAMME_CODE_FORMAT,
    PROJECT_CODE_FORMAT,
    PROVENANCE,
    Field,
    Table,
    dates_in_order,
    eur_at_fixed_rate,
    one_of,
)

RECORD_ID = Field(
    "record_id",
    "VARCHAR",
    "Id of the document (hash of its URL)",
    "Идентификатор на документа",
    nullable=False,
)

_COMMON = (
    RECORD_ID,
    Field("kind", "VARCHAR", "Source kind", "Вид на източника", nullable=False),
    Field(
        "project_code",
        "VARCHAR",
        "Project code, normalised (typos repaired and flagged)",
        "Код на проекта",
    ),
    Field("procedure_code", "VARCHAR", "Procedure code", "Код на процедурата"),
    Field("programme_code", "VARCHAR", "Programme code", "Код на програмата"),
    Field("title", "VARCHAR", "Project title as written", "Наименование на проекта"),
    Field(
        "beneficiary", "VARCHAR", "Lead beneficiary as written", "Бенефициент / водеща организация"
    ),
    Field("partners", "VARCHAR", "Partners, ' | '-separated", "Партньори"),
    Field(
        "amount_total",
        "DECIMAL(18,2)",
        "Total value in the stated currency",
        "Обща стойност",
        "currency",
    ),
    Field(
        "amount_eu",
        "DECIMAL(18,2)",
        "EU financing in the stated currency",
        "Европейско финансиране",
        "currency",
    ),
    Field(
        "amount_national",
        "DECIMAL(18,2)",
        "National co-financing in the stated currency",
        "Национално съфинансиране",
        "currency",
    ),
    Field(
        "currency",
        "VARCHAR",
        "Currency stated with the amounts (BGN or EUR); null if none stated",
        "Валута",
    ),
    Field("amount_total_eur", "DECIMAL(18,2)", "Total value in EUR", "Обща стойност в евро", "EUR"),
    Field("amount_total_bgn", "DECIMAL(18,2)", "Total value in BGN", "Обща стойност в лева", "BGN"),
    Field(
        "start_date",
        "VARCHAR",
        "Start, ISO 8601 (YYYY-MM-DD, or YYYY-MM where only the month is given)",
        "Начало",
    ),
    Field("end_date", "VARCHAR", "End, ISO 8601 (YYYY-MM-DD or YYYY-MM)", "Край"),
    Field("duration_months", "INTEGER", "Duration", "Продължителност", "months"),
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
)

_COMMON_RULES = (
    PROJECT_CODE_FORMAT,
    PROCEDURE_CODE_FORMAT,
    PROGRAMME_CODE_FORMAT,
    *eur_at_fixed_rate("amount_total"),
    dates_in_order(),
)
# A page that speaks of several projects gives one row per project (`sources.extract.facts`).
PROJECT_ORDINAL = Field(
    "project_ordinal",
    "INTEGER",
    "Which project of the page, 1, 2, ... in the order the text gives them",
    "Пореден номер на проекта в документа",
    nullable=False,
)
NEWS_MENTIONS = Table(
    "news_mentions",
    "Projects announced on municipal news pages, one row per project a page speaks of.",
    "Проекти, обявени в новини на общини (по един ред за всеки проект).",
    ("record_id", "project_ordinal"),
    (RECORD_ID, PROJECT_ORDINAL, *_COMMON[1:], *PROVENANCE),
    asset="core_news__mentions",
    rules=_COMMON_RULES,
)
NGO_PROJECTS = Table(
    "ngo_projects",
    "Projects described on NGO project pages, one row per project a page speaks of.",
    "Проекти, описани на страници на НПО (по един ред за всеки проект).",
    ("record_id", "project_ordinal"),
    (RECORD_ID, PROJECT_ORDINAL, *_COMMON[1:], *PROVENANCE),
    asset="core_ngo__projects",
    rules=_COMMON_RULES,
)
EVENTS = Table(
    "events",
    "Events announced under a procedure on NGO portals.",
    "Събития по процедури, обявени на портали на НПО.",
    ("record_id",),
    (
        *_COMMON,
        Field("event_title", "VARCHAR", "Event as announced", "Събитие"),
        Field("event_date", "DATE", "Event date", "Дата на събитието"),
        Field("event_time", "VARCHAR", "Event time (HH:MM)", "Час"),
        Field("address", "VARCHAR", "Address", "Адрес"),
        Field("email", "VARCHAR", "Contact e-mail", "Електронна поща"),
        *PROVENANCE,
    ),
    asset="core_events__events",
    rules=_COMMON_RULES,
)
STRATEGIES = Table(
    "strategies",
    "Municipal strategy documents and the decisions that adopted them.",
    "Общински стратегии и решенията за приемането им.",
    ("record_id",),
    (
        RECORD_ID,
        Field("municipality", "VARCHAR", "Municipality", "Община"),
        Field("title", "VARCHAR", "Title", "Заглавие"),
        Field("period_start_year", "INTEGER", "First year covered", "Начална година", "year"),
        Field("period_end_year", "INTEGER", "Last year covered", "Крайна година", "year"),
        Field("decision_number", "VARCHAR", "Council decision number", "Номер на решението"),
        Field("decision_date", "DATE", "Decision date", "Дата на решението"),
        Field("protocol", "VARCHAR", "Protocol number", "Номер на протокола"),
        Field("protocol_date", "DATE", "Protocol date", "Дата на протокола"),
        Field("council", "VARCHAR", "Council that adopted it", "Общински съвет"),
        Field("sections", "JSON", "Numbered sections", "Раздели"),
        Field("flags", "VARCHAR", "Doubts, ';'-separated", "Бележки"),
        *PROVENANCE,
    ),
    asset="core_strategies__strategies",
)
STRATEGY_MEASURES = Table(
    "strategy_measures",
    "Stages, partnership mechanisms and financing sources of each strategy.",
    "Етапи, механизми на партньорство и източници на финансиране на всяка стратегия.",
    ("record_id", "measure_type", "position"),
    (
        RECORD_ID,
        Field(
            "measure_type",
            "VARCHAR",
            "stage, partnership_mechanism or financing_source",
            "Вид",
            nullable=False,
        ),
        Field(
            "position", "INTEGER", "Order in the document, from 1", "Пореден номер", nullable=False
        ),
        Field("text", "VARCHAR", "The measure or stage as written", "Текст", nullable=False),
        Field("period_start", "VARCHAR", "Stage start (year)", "Начало на етапа"),
        Field("period_end", "VARCHAR", "Stage end (year)", "Край на етапа"),
        Field("period_text", "VARCHAR", "Stage period as written", "Период, както е изписан"),
        *PROVENANCE,
    ),
    asset="core_strategies__measures",
    rules=(one_of("measure_type", "stage", "partnership_mechanism", "financing_source"),),
)

LINKED_PROJECTS = Table(
    "linked_projects",
    "One record per project across ИСУН (contract pages, open-data API, register "
    "export), municipal news and NGO pages.",
    "Един запис за проект от всички източници.",
    ("project_key",),
    (
        Field(
            "project_key",
            "VARCHAR",
            "Contract code (a proposal code where no single crawled contract extends it), or "
            "unmatched:<hash> for a claim with no match",
            "Ключ",
            nullable=False,
        ),
        Field("project_code", "VARCHAR", "Project code", "Код на проекта"),
        Field("title", "VARCHAR", "Title (ИСУН first)", "Наименование"),
        Field("beneficiary", "VARCHAR", "Beneficiary (ИСУН first)", "Бенефициент"),
        Field("amount_total_bgn", "DECIMAL(18,2)", "Total (ИСУН first)", "Обща стойност", "BGN"),
        Field("amount_total_eur", "DECIMAL(18,2)", "Total (ИСУН first)", "Обща стойност", "EUR"),
        Field(
            "amount_eu_bgn",
            "DECIMAL(18,2)",
            "EU financing (ИСУН first)",
            "Финансиране от ЕС",
            "BGN",
        ),
        Field(
            "amount_national_bgn",
            "DECIMAL(18,2)",
            "National financing (ИСУН first)",
            "Национално финансиране",
            "BGN",
        ),
        Field("start_date", "VARCHAR", "Start (ИСУН first)", "Начало"),
        Field("end_date", "VARCHAR", "End (ИСУН first)", "Край"),
        Field("duration_months", "INTEGER", "Duration (ИСУН first)", "Продължителност", "months"),
        Field(
            "amount_paid_eur",
            "DECIMAL(18,2)",
            "Actually paid (ИСУН first)",
            "Реално изплатени суми",
            "EUR",
        ),
        Field("status", "VARCHAR", "Status (ИСУН first)", "Статус"),
        Field(
            "source_kinds",
            "VARCHAR",
            "Sources that speak of it, ';'-separated",
            "Източници",
            nullable=False,
        ),
        Field("n_sources", "INTEGER", "Number of claims linked", "Брой източници", nullable=False),
        Field(
            "n_conflicting_fields",
            "INTEGER",
            "Fields where sources disagree",
            "Полета с разминаване",
            nullable=False,
        ),
    ),
    asset="core_bgfunds__linked_projects",
    rules=(PROJECT_CODE_FORMAT, *eur_at_fixed_rate("amount_total"), dates_in_order()),
)
PROJECT_SOURCES = Table(
    "project_sources",
    "Every source's value of every field of a linked project, with provenance.",
    "Стойността на всяко поле според всеки източник.",
    (),
    (
        Field("project_key", "VARCHAR", "Linked project", "Проект", nullable=False),
        Field("source_kind", "VARCHAR", "Source kind", "Вид на източника", nullable=False),
        Field("field", "VARCHAR", "Field", "Поле", nullable=False),
        Field("value", "VARCHAR", "Value as this source gives it", "Стойност", nullable=False),
        Field("source_url", "VARCHAR", "Page", "Страница", nullable=False),
        Field("fetched_at", "TIMESTAMPTZ", "When fetched", "Кога е изтеглена"),
        Field("content_sha256", "VARCHAR", "SHA-256 of the page", "SHA-256"),
        Field(
            "match_method",
            "VARCHAR",
            "project_code, fuzzy_title_beneficiary or unmatched",
            "Начин на свързване",
            nullable=False,
        ),
        Field("match_score", "DOUBLE", "Match score 0–100", "Оценка на съвпадението"),
    ),
    asset="core_bgfunds__project_sources",
)
PROJECT_CONFLICTS = Table(
    "project_conflicts",
    "Fields where linked sources disagree, with every value side by side.",
    "Полета, по които източниците се разминават.",
    ("project_key", "field"),
    (
        Field("project_key", "VARCHAR", "Linked project", "Проект", nullable=False),
        Field("field", "VARCHAR", "Field", "Поле", nullable=False),
        Field("n_sources", "INTEGER", "Sources giving a value", "Брой източници", nullable=False),
        Field("values", "JSON", "Each source's value and page", "Стойности", nullable=False),
        Field(
            "max_difference", "DOUBLE", "Largest difference between amounts", "Най-голяма разлика"
        ),
    ),
    asset="core_bgfunds__project_conflicts",
)

DOCUMENT_PLACES = Table(
    "document_places",
    "Districts and municipalities each document names, with NUTS and LAU codes from the gazetteer; "
    "names it does not know and places only counted ('четири общини') kept with level "
    "'unresolved'.",
    "Области и общини, назовани във всеки документ, с кодове NUTS и ЛАУ; неразпознатите са "
    "запазени с ниво 'unresolved'.",
    ("record_id", "level", "text"),
    (
        RECORD_ID,
        Field(
            "project_code", "VARCHAR", "Project code the document names, if any", "Код на проекта"
        ),
        Field("level", "VARCHAR", "district, municipality or unresolved", "Ниво", nullable=False),
        Field(
            "code",
            "VARCHAR",
            "NUTS 3 code of a district, LAU code of a municipality",
            "Код (NUTS или ЛАУ)",
        ),
        Field("name", "VARCHAR", "Name in the gazetteer", "Наименование"),
        Field("nuts3", "VARCHAR", "District (NUTS 3)", "Област (NUTS 3)"),
        Field("lau_code", "VARCHAR", "Municipality (LAU)", "Община (ЛАУ)"),
        Field("text", "VARCHAR", "As written in the document", "Както е написано", nullable=False),
        *PROVENANCE,
    ),
    asset="core_documents__places",
    rules=(PROJECT_CODE_FORMAT, one_of("level", "district", "municipality", "unresolved")),
)

DOCUMENT_TABLES = {
    t.name: t
    for t in (
        NEWS_MENTIONS,
        NGO_PROJECTS,
        EVENTS,
        STRATEGIES,
        STRATEGY_MEASURES,
        DOCUMENT_PLACES,
        LINKED_PROJECTS,
        PROJECT_SOURCES,
        PROJECT_CONFLICTS,
    )
}
