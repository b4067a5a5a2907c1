"""Tables from ИСУН's bulk sources: the open-data API (projects, contractor contracts, entities,
places, programmes) and the register export.

Same Field/Table types as `registry.tables`, so the DDL, the Data Package, the data
dictionary and the quality suites come from here in the same way. Rows are built by
`transforms.isun_bulk`; every row carries the provenance of the archived answer it came from.
"""

from __future__ import annotations

from registry.fields import Field, field
from registry.tables import (
    GRANT_PLUS_OWN,
    PLACE_LEVEL_IN_SET,
    PROVENANCE,
    RESOLVED_PLACE,
    ForeignKey,
    Table,
    dates_in_order,
    eur_at_fixed_rate,
)


def _amounts(stem: str) -> tuple[Field, ...]:
    """The catalogue's amount `stem` as stated, then in EUR and in BGN."""
    return tuple(field(stem + suffix) for suffix in ("", "_eur", "_bgn"))


_CODES = (
    field("proposal_code", nullable=False),
    field("programme_code", nullable=False),
    field("procedure_code", nullable=False),
    field("code_flags"),
    field("project_code_original", nullable=False),
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
        field("position", nullable=False),
        field("isun_programme_id", nullable=False),
        field("isun_period_id", nullable=False),
        field("programme_name"),
        field("project_name"),
        field("description"),
        field("funding_source"),
        field("beneficiary_entity_id"),
        field("beneficiary_eik"),
        field("beneficiary_name"),
        field("beneficiary_without_eik", nullable=False),
        field("partner_entity_ids"),
        field("decision_date"),
        field("start_date"),
        field("end_date"),
        field("duration_months"),
        field("status"),
        field("currency_original", nullable=False),
        field("currency_basis", nullable=False),
        *_amounts("amount_total"),
        *_amounts("amount_beneficiary_funding"),
        *_amounts("amount_paid"),
        field("paid_amounts_count", nullable=False),
        field("location"),
        field("generated_at"),
        field("row_fingerprint", nullable=False),
        field("lenient_values"),
        *PROVENANCE,
    ),
    asset="isun_api_projects",
    rules=(
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
        field("proposal_code", nullable=False),
        *RESOLVED_PLACE,
        *PROVENANCE,
    ),
    asset="isun_api_places",
    foreign_keys=(ForeignKey("proposal_code", "isun_api_projects", "proposal_code"),),
    rules=(PLACE_LEVEL_IN_SET,),
)

ISUN_API_CONTRACTS = Table(
    name="isun_api_contracts",
    en="Contracts of beneficiaries with contractors, from the open-data API (contracts[]).",
    bg="Договори на бенефициентите с изпълнители, от отворените данни на ИСУН.",
    primary_key=("contract_key", "contractor_entity_id"),
    fields=(
        field("contract_key", nullable=False),
        field("proposal_code", nullable=False),
        field("contract_number"),
        field("contractor_entity_id", nullable=False),
        field("contractor_entity_type"),
        field("contractor_eik"),
        field("contractor_name"),
        field("signature_date"),
        field("start_date"),
        field("end_date"),
        field("description"),
        field("currency_original", nullable=False),
        *_amounts("amount"),
        field("subcontractor_entity_ids"),
        field("lenient_values"),
        *PROVENANCE,
    ),
    asset="isun_api_contracts",
    rules=(*eur_at_fixed_rate("amount"), dates_in_order()),
)

ISUN_ENTITIES = Table(
    name="isun_entities",
    en="Beneficiaries, partners and contractors in the open-data API. Without an ЕИК (natural persons, or "
    "entities that cannot be told from them) no name, address or number is published.",
    bg="Бенефициенти, партньори и изпълнители от отворените данни. Без ЕИК (физически лица) не се публикуват "
    "име, адрес и номер.",
    primary_key=("entity_id",),
    fields=(
        field("entity_id", nullable=False),
        field("entity_type", nullable=False),
        field("eik"),
        field("name"),
        field("address"),
        field("zip_code"),
        field("city"),
        field("municipality_text"),
        field("district_text"),
        field("municipality_code"),
        field("district_code"),
        *PROVENANCE,
    ),
    asset="isun_entities",
    rules=(),
)

ISUN_API_PROGRAMMES = Table(
    name="isun_api_programmes",
    en="Each programme of the open-data API: projects it announces (totalProjects) and published, and when fetched.",
    bg="Програмите в отворените данни: обявени и публикувани проекти и кога са изтеглени.",
    primary_key=("isun_programme_id", "isun_period_id"),
    fields=(
        field("isun_programme_id", nullable=False),
        field("isun_period_id", nullable=False),
        field("programme_name"),
        field("total_projects"),
        field("projects_published", nullable=False),
        field("generated_at"),
        field("source_url"),
        field("fetched_at"),
        field("content_sha256"),
    ),
    asset="isun_api_programmes",
)

ISUN_EXPORT_PROJECTS = Table(
    name="isun_export_projects",
    en="Rows of ИСУН's project register export (Project/ExportToExcel), read by header name.",
    bg="Редовете от регистъра на проектите в ИСУН (експорт в Excel), четени по име на колона.",
    primary_key=("proposal_code", "position"),
    fields=(
        *_CODES,
        field("position", nullable=False),
        field("programme_text"),
        field("beneficiary_eik"),
        field("beneficiary_name"),
        field("beneficiary_without_eik", nullable=False),
        field("organisation_type"),
        field("organisation_kind"),
        field("organisation_form"),
        field("seat"),
        field("location"),
        field("project_name"),
        field("currency_original", nullable=False),
        *_amounts("amount_total"),
        *_amounts("amount_grant"),
        *_amounts("amount_own"),
        *_amounts("amount_paid"),
        field("duration_months"),
        field("status"),
        field("row_no", nullable=False),
        field("lenient_values"),
        *PROVENANCE,
    ),
    asset="isun_export_projects",
    rules=(
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
