"""Extracted records (from `sources.extract`) to table rows, and to linking claims."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd

from records.extracted import SCORED_FIELDS
from registry.documents import (
    DOCUMENT_PLACES,
    EVENTS,
    NEWS_MENTIONS,
    NGO_PROJECTS,
    STRATEGIES,
    STRATEGY_MEASURES,
)
from transforms.amounts import to_bgn
from transforms.codes import code_scheme, parse_code
from transforms.dates import month_start
from transforms.gazetteer import resolve_place
from transforms.linking import CLAIM_COLUMNS

COMMON = (
    "kind",
    "project_code",
    "code_scheme",
    "procedure_code",
    "programme_code",
    "title",
    "beneficiary",
    "amount_total",
    "amount_eu",
    "amount_national",
    "currency",
    "amount_total_eur",
    "amount_total_bgn",
    "start_date",
    "end_date",
    "duration_months",
    "district",
)
TABLE_FOR_KIND = {"municipal-news": NEWS_MENTIONS, "ngo-project": NGO_PROJECTS, "ngo-event": EVENTS}


_PAGE_LEVEL = (
    "kind",
    "municipalities",
    "district",
    "source_url",
    "fetched_at",
    "content_sha256",
    "format",
    "source",
)


def project_rows(record: dict) -> list[dict]:
    """The rows a per-document record gives the build's tables: itself where the page speaks of at most one project;
    else one per project in text order, the record itself standing for the project it is about (its title, beneficiary,
    partners) and the others carrying their own facts, evidence and candidates plus the page's places and provenance.
    Each row gets `project_ordinal` (1, 2, ...)."""
    projects = record.get("projects") or []
    if len(projects) < 2:
        return [{**record, "project_ordinal": 1}]
    rows = []
    for i, project in enumerate(projects):
        if i == record.get("project_index", 0):
            rows.append({**record, "project_ordinal": i + 1})
            continue
        row = {k: record[k] for k in _PAGE_LEVEL if k in record}
        row.update(
            {
                k: project[k]
                for k in (
                    *SCORED_FIELDS,
                    "currency",
                    "currency_eu",
                    "amount_total_bgn",
                    "amount_total_eur",
                    "evidence",
                    "candidates",
                )
            }
        )
        code = project["project_code"] or project["procedure_code"] or ""
        row.update(
            project_ordinal=i + 1,
            programme_code=_programme_of(code),
            spans={
                f: {k: e[k] for k in ("start", "end", "text")}
                for f, e in project["evidence"].items()
            },
            flags=[*project["flags"], f"project_{i + 1}_of:{len(projects)}"],
        )
        rows.append(row)
    return rows


def _programme_of(code: str) -> str | None:
    """The programme of a project or procedure code in the 2014–20/2021–27 form (None for other forms)."""
    try:
        return parse_code(code).programme_code
    except ValueError:
        return None


def record_id(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _joined(values) -> str | None:
    return " | ".join(values) if values else None


_KNOWN = set(COMMON) | {
    "partners",
    "municipalities",
    "activities",
    "flags",
    "spans",
    "source_url",
    "fetched_at",
    "content_sha256",
    "source",
    "format",
    "projects",
    "project_index",
    "project_ordinal",
}


def _strategy_row(r: dict, rid: str, provenance: dict) -> dict:
    decision = r.get("decision") or {}
    return {
        "record_id": rid,
        "municipality": r.get("municipality"),
        "title": r.get("title"),
        "period_start_year": r.get("period_start_year"),
        "period_end_year": r.get("period_end_year"),
        "decision_number": decision.get("number"),
        "decision_date": decision.get("date"),
        "protocol": decision.get("protocol"),
        "protocol_date": decision.get("protocol_date"),
        "council": decision.get("council"),
        "sections": json.dumps(r.get("sections") or [], ensure_ascii=False),
        "flags": ";".join(r["flags"]) or None,
        **provenance,
    }


def _strategy_measure_rows(r: dict, rid: str, provenance: dict) -> list[dict]:
    """A strategy's stages, partnership mechanisms and financing sources, numbered per type."""
    measures = [("stage", s["name"], s) for s in r.get("stages") or []]
    measures += [("partnership_mechanism", m, {}) for m in r.get("partnership_mechanisms") or []]
    measures += [("financing_source", m, {}) for m in r.get("financing_sources") or []]
    counters: dict[str, int] = {}
    rows = []
    for measure_type, text, stage in measures:
        counters[measure_type] = counters.get(measure_type, 0) + 1
        rows.append(
            {
                "record_id": rid,
                "measure_type": measure_type,
                "position": counters[measure_type],
                "text": text,
                "period_start": stage.get("period_start"),
                "period_end": stage.get("period_end"),
                "period_text": stage.get("period_text"),
                **provenance,
            }
        )
    return rows


def _flags_with_month_only(p: dict) -> list[str]:
    """The record's flags, plus `<field>_month_only` for a date given only to the month."""
    return [*p["flags"], *(f"{k}_month_only" for k in _DATES if month_start(p.get(k))[1])]


_DATES = ("start_date", "end_date")


def _document_rows(r: dict, table, rid: str, provenance: dict) -> list[dict]:
    """News and NGO pages: one row per project the page speaks of (`project_ordinal` in text
    order); an event page: one row."""
    rows = []
    for p in [r] if table is EVENTS else project_rows(r):
        row = {
            "record_id": rid,
            **{k: month_start(p.get(k))[0] if k in _DATES else p.get(k) for k in COMMON},
            "code_scheme": code_scheme(p.get("project_code")),
            "partners": _joined(p.get("partners")),
            "municipalities": _joined(p.get("municipalities")),
            "activities": json.dumps(p.get("activities"), ensure_ascii=False)
            if p.get("activities")
            else None,
            "flags": ";".join(_flags_with_month_only(p)) or None,
            "spans": json.dumps(p["spans"], ensure_ascii=False),
            "details": json.dumps(
                {k: v for k, v in p.items() if k not in _KNOWN}, ensure_ascii=False, default=str
            ),
            **provenance,
        }
        if table is EVENTS:
            row.update(
                {
                    k: r.get(k)
                    for k in ("event_title", "event_date", "event_time", "address", "email")
                }
            )
        else:
            row["project_ordinal"] = p["project_ordinal"]
        rows.append(row)
    return rows


def extracted_tables(records: list[dict]) -> dict[str, pd.DataFrame]:
    """`records` carry `source_url`, `fetched_at`, `content_sha256` besides the extracted fields."""
    built = (NEWS_MENTIONS, NGO_PROJECTS, EVENTS, STRATEGIES, STRATEGY_MEASURES, DOCUMENT_PLACES)
    rows: dict[str, list[dict]] = {t.name: [] for t in built}
    for r in records:
        provenance = {k: r[k] for k in ("source_url", "fetched_at", "content_sha256")}
        rid = record_id(r["source_url"])
        rows["document_places"] += [
            {"record_id": rid, "project_code": r.get("project_code"), **place, **provenance}
            for place in document_places(r)
        ]
        if r["kind"] == "strategy":
            rows["strategies"].append(_strategy_row(r, rid, provenance))
            rows["strategy_measures"] += _strategy_measure_rows(r, rid, provenance)
        elif (table := TABLE_FOR_KIND.get(r["kind"])) is not None:
            rows[table.name] += _document_rows(r, table, rid, provenance)
    tables = {t.name: t for t in built}
    return {name: pd.DataFrame(rows[name], columns=tables[name].columns) for name in rows}


_COUNTED = re.compile(
    r"^municipalities_(?:counted_not_named|of_district_not_listed):(?P<count>.+)$"
)


def document_places(record: dict) -> list[dict]:
    """The district and municipalities a document names, resolved against the gazetteer.

    Names the gazetteer does not know, and places only counted ("четири общини"), are
    kept with level `unresolved`.
    """
    out: list[dict] = []

    def add(hit: dict, text: str) -> None:
        level = (
            hit["level"]
            if hit["level"] in {"district", "municipality"} and not hit["ambiguous"]
            else "unresolved"
        )
        code = {"district": hit["nuts3"], "municipality": hit["lau_code"]}.get(level)
        if code and any(p["code"] == code for p in out):
            return  # "Гулянци" and "Община Гулянци" are one place
        out.append(
            {
                "level": level,
                "code": code,
                "name": hit["name_bg"] or text,
                "nuts3": hit["nuts3"] if level != "unresolved" else None,
                "lau_code": hit["lau_code"] if level == "municipality" else None,
                "text": text,
            }
        )

    district_nuts3 = None
    if record.get("district"):
        text = f"област {record['district']}"
        hit = resolve_place(text, "district")
        district_nuts3 = hit["nuts3"] if hit["level"] == "district" else None
        add(hit, text)
    names = list(record.get("municipalities") or [])
    if record.get("kind") == "strategy" and record.get("municipality"):
        names.append(record["municipality"])
    for name in dict.fromkeys(names):
        add(resolve_place(name, "municipality", nuts3=district_nuts3), name)
    for flag in record.get("flags") or []:
        m = _COUNTED.match(flag)
        if m:
            count = m.group("count")
            out.append(
                {
                    "level": "unresolved",
                    "code": None,
                    "name": None,
                    "nuts3": district_nuts3,
                    "lau_code": None,
                    "text": f"{count} общини" if not count.isdigit() else f"{count} municipalities",
                }
            )
    return out


def claims_from_extracted(records: list[dict]) -> pd.DataFrame:
    """What news and NGO pages say about projects, as linking claims (amounts also in BGN)."""
    claims = []
    for r in (
        p
        for record in records
        if record["kind"] in {"municipal-news", "ngo-project"}
        for p in project_rows(record)
    ):
        currency = r.get("currency")

        def bgn(value, currency=currency):
            return (
                float(to_bgn(__import__("decimal").Decimal(str(value)), currency))
                if value is not None and currency
                else None
            )

        claims.append(
            {
                "source_kind": r["kind"],
                "source_url": r["source_url"],
                "fetched_at": r["fetched_at"],
                "content_sha256": r["content_sha256"],
                "project_code": r.get("project_code"),
                "title": r.get("title"),
                "beneficiary": r.get("beneficiary"),
                "amount_total_bgn": r.get("amount_total_bgn"),
                "amount_total_eur": r.get("amount_total_eur"),
                "amount_eu_bgn": bgn(r.get("amount_eu")),
                "amount_national_bgn": bgn(r.get("amount_national")),
                "start_date": r.get("start_date"),
                "end_date": r.get("end_date"),
                "duration_months": r.get("duration_months"),
            }
        )
    return pd.DataFrame(claims, columns=CLAIM_COLUMNS)
