"""Tables from the other source kinds (news, NGO pages, events, strategies) and from linking.

Kept apart from `registry.tables` only for size; the same Field/Table types, so the
DDL, the Data Package and the dictionary come from here in the same way.
"""

from __future__ import annotations

from registry.fields import field
from registry.tables import (
    PROVENANCE,
    Table,
    dates_in_order,
    eur_at_fixed_rate,
    one_of,
)

RECORD_ID = field("record_id", nullable=False)

_COMMON = (
    RECORD_ID,
    field("kind", nullable=False),
    field("project_code"),
    field("code_scheme"),
    field("procedure_code"),
    field("programme_code"),
    field("title"),
    field("beneficiary"),
    field("partners"),
    field("amount_total"),
    field("amount_eu"),
    field("amount_national"),
    field("currency"),
    field("amount_total_eur"),
    field("amount_total_bgn"),
    field("start_date"),
    field("end_date"),
    field("duration_months"),
    field("municipalities"),
    field("district"),
    field("activities"),
    field("flags"),
    field("spans"),
    field("details"),
)

_COMMON_RULES = (*eur_at_fixed_rate("amount_total"), dates_in_order())
# A page that speaks of several projects gives one row per project (`sources.extract.facts`).
PROJECT_ORDINAL = field("project_ordinal", nullable=False)
NEWS_MENTIONS = Table(
    "news_mentions",
    "Projects announced on municipal news pages, one row per project a page speaks of.",
    "Проекти, обявени в новини на общини (по един ред за всеки проект).",
    ("record_id", "project_ordinal"),
    (RECORD_ID, PROJECT_ORDINAL, *_COMMON[1:], *PROVENANCE),
    asset="news_mentions",
    rules=_COMMON_RULES,
)
NGO_PROJECTS = Table(
    "ngo_projects",
    "Projects described on NGO project pages, one row per project a page speaks of.",
    "Проекти, описани на страници на НПО (по един ред за всеки проект).",
    ("record_id", "project_ordinal"),
    (RECORD_ID, PROJECT_ORDINAL, *_COMMON[1:], *PROVENANCE),
    asset="ngo_projects",
    rules=_COMMON_RULES,
)
EVENTS = Table(
    "events",
    "Events announced under a procedure on NGO portals.",
    "Събития по процедури, обявени на портали на НПО.",
    ("record_id",),
    (
        *_COMMON,
        field("event_title"),
        field("event_date"),
        field("event_time"),
        field("address"),
        field("email"),
        *PROVENANCE,
    ),
    asset="events",
    rules=_COMMON_RULES,
)
STRATEGIES = Table(
    "strategies",
    "Municipal strategy documents and the decisions that adopted them.",
    "Общински стратегии и решенията за приемането им.",
    ("record_id",),
    (
        RECORD_ID,
        field("municipality"),
        field("title"),
        field("period_start_year"),
        field("period_end_year"),
        field("decision_number"),
        field("decision_date"),
        field("protocol"),
        field("protocol_date"),
        field("council"),
        field("sections"),
        field("flags"),
        *PROVENANCE,
    ),
    asset="strategies",
)
STRATEGY_MEASURES = Table(
    "strategy_measures",
    "Stages, partnership mechanisms and financing sources of each strategy.",
    "Етапи, механизми на партньорство и източници на финансиране на всяка стратегия.",
    ("record_id", "measure_type", "position"),
    (
        RECORD_ID,
        field("measure_type", nullable=False),
        field("position", nullable=False),
        field("text", nullable=False),
        field("period_start"),
        field("period_end"),
        field("period_text"),
        *PROVENANCE,
    ),
    asset="strategy_measures",
    rules=(),
)

LINKED_PROJECTS = Table(
    "linked_projects",
    "One record per project across ИСУН (contract pages, open-data API, register "
    "export), municipal news and NGO pages.",
    "Един запис за проект от всички източници.",
    ("project_key",),
    (
        field("project_key", nullable=False),
        field("project_code"),
        field("title"),
        field("beneficiary"),
        field("amount_total_bgn"),
        field("amount_total_eur"),
        field("amount_eu_bgn"),
        field("amount_national_bgn"),
        field("start_date"),
        field("end_date"),
        field("duration_months"),
        field("amount_paid_eur"),
        field("status"),
        field("source_kinds", nullable=False),
        field("n_sources", nullable=False),
        field("n_conflicting_fields", nullable=False),
    ),
    asset="linked_projects",
    rules=(*eur_at_fixed_rate("amount_total"), dates_in_order()),
)
PROJECT_SOURCES = Table(
    "project_sources",
    "Every source's value of every field of a linked project, with provenance.",
    "Стойността на всяко поле според всеки източник.",
    (),
    (
        field("project_key", nullable=False),
        field("source_kind", nullable=False),
        field("field", nullable=False),
        field("value", nullable=False),
        field("source_url", nullable=False),
        field("fetched_at"),
        field("content_sha256"),
        field("match_method", nullable=False),
        field("match_score"),
    ),
    asset="project_sources",
)
PROJECT_CONFLICTS = Table(
    "project_conflicts",
    "Fields where linked sources disagree, with every value side by side.",
    "Полета, по които източниците се разминават.",
    ("project_key", "field"),
    (
        field("project_key", nullable=False),
        field("field", nullable=False),
        field("n_sources", nullable=False),
        field("values", nullable=False),
        field("max_difference"),
    ),
    asset="project_conflicts",
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
        field("project_code"),
        field("level", nullable=False),
        field("code"),
        field("name"),
        field("nuts3"),
        field("lau_code"),
        field("text", nullable=False),
        *PROVENANCE,
    ),
    asset="document_places",
    rules=(one_of("level", "district", "municipality", "unresolved"),),
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
