"""One record per project across sources: link claims, keep every source's values, show conflicts.

A claim is what one source says about one project (ИСУН contract page, municipal news,
NGO page). Claims are linked by normalised project code first; a claim without a code
is matched to known projects by fuzzy title + beneficiary (rapidfuzz) and keeps the
score. Every non-null value of every claim goes to `project_sources`; each field where
linked sources disagree goes to `project_conflicts` with all the values side by side.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

from transforms.organisations import parse_organisation

CLAIM_FIELDS = ("title", "beneficiary", "amount_total_bgn", "amount_total_eur", "amount_eu_bgn",
                "amount_national_bgn", "start_date", "end_date", "duration_months")
AMOUNT_TOLERANCE = 0.01
SOURCE_PRIORITY = {"isun": 0, "municipal-news": 1, "ngo-project": 2, "ngo-event": 3}
CLAIM_COLUMNS = ["source_kind", "source_url", "fetched_at", "content_sha256", "project_code", *CLAIM_FIELDS]


@dataclass
class LinkResult:
    claims: pd.DataFrame  # claims with project_key, match_method, match_score
    linked_projects: pd.DataFrame
    project_sources: pd.DataFrame
    project_conflicts: pd.DataFrame


def _norm_text(text) -> str:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return re.sub(r"[\W_]+", " ", str(text).lower()).strip()


def _norm_org(text) -> str:
    if not _norm_text(text):
        return ""
    return _norm_text(parse_organisation(str(text)).name)


def title_similarity(a: str, b: str, **_) -> float:
    """Token-set similarity (word order, extra words) tempered by token-sort (how much is shared)."""
    return 0.5 * fuzz.token_set_ratio(a, b) + 0.5 * fuzz.token_sort_ratio(a, b)


# The projects' columns that `claims_from_isun` reads.
ISUN_CLAIM_COLUMNS = ["source_url", "fetched_at", "content_sha256", "project_code", "project_name", "beneficiary_name",
                      "amount_total_bgn", "amount_total_eur", "amount_eu_bgn", "amount_national_bgn", "start_date",
                      "end_date", "duration_months"]


def claims_from_isun(projects: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "source_kind": "isun",
        "source_url": projects["source_url"], "fetched_at": projects["fetched_at"],
        "content_sha256": projects["content_sha256"], "project_code": projects["project_code"],
        "title": projects["project_name"], "beneficiary": projects["beneficiary_name"],
        "amount_total_bgn": projects["amount_total_bgn"], "amount_total_eur": projects["amount_total_eur"],
        "amount_eu_bgn": projects["amount_eu_bgn"], "amount_national_bgn": projects["amount_national_bgn"],
        "start_date": projects["start_date"], "end_date": projects["end_date"],
        "duration_months": projects["duration_months"],
    }, columns=CLAIM_COLUMNS)


def _values_equal(field: str, a, b) -> bool:
    if field.startswith("amount_"):
        return abs(float(a) - float(b)) <= AMOUNT_TOLERANCE + 1e-9
    if field == "beneficiary":
        return _norm_org(a) == _norm_org(b)
    if field == "title":
        return _norm_text(a) == _norm_text(b)
    if field.endswith("_date"):
        # A month-precision date ("2019-01") agrees with any day of that month.
        x, y = str(_plain(a))[:10], str(_plain(b))[:10]
        n = min(len(x), len(y))
        return x[:n] == y[:n]
    return str(a) == str(b)


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if not hasattr(value, "hour") or (value.hour == 0 and value.minute == 0) \
            else value.isoformat()
    return value.item() if hasattr(value, "item") else value


def link_claims(claims: pd.DataFrame, threshold: float = 85.0) -> LinkResult:
    claims = claims.reset_index(drop=True).copy()
    claims["project_key"] = claims["project_code"].where(claims["project_code"].notna(), None)
    claims["match_method"] = claims["project_code"].map(lambda c: "project_code" if isinstance(c, str) and c else None)
    claims["match_score"] = claims["match_method"].map(lambda m: 100.0 if m else None)

    # A proposal-level code (BG05SFOP001-2.009-0004) names the contract that extends it (…-0004-C01).
    contract_codes = sorted({c for c in claims["project_key"].dropna() if re.search(r"-C\d+$", c)})
    for i in claims.index[claims["project_key"].notna()]:
        code = claims.at[i, "project_key"]
        if not re.search(r"-C\d+$", code):
            extended = [c for c in contract_codes if c.startswith(code + "-")]
            if len(extended) == 1:
                claims.at[i, "project_key"], claims.at[i, "match_method"] = extended[0], "project_code_prefix"

    keyed = claims[claims["project_key"].notna()].copy()
    keyed["_rank"] = keyed["source_kind"].map(SOURCE_PRIORITY).fillna(9)
    representatives = keyed.sort_values("_rank").drop_duplicates("project_key")
    choices = {row.project_key: _norm_text(row.title) for row in representatives.itertuples()}
    beneficiaries = {row.project_key: _norm_org(row.beneficiary) for row in representatives.itertuples()}

    for i in claims.index[claims["project_key"].isna()]:
        title = _norm_text(claims.at[i, "title"])
        best = process.extractOne(title, choices, scorer=title_similarity) if title and choices else None
        score = None
        if best:
            _, title_score, key = best
            own, theirs = _norm_org(claims.at[i, "beneficiary"]), beneficiaries.get(key, "")
            score = title_score if not (own and theirs) else 0.7 * title_score + 0.3 * fuzz.token_set_ratio(own, theirs)
        if best and score >= threshold:
            claims.at[i, "project_key"], claims.at[i, "match_method"] = best[2], "fuzzy_title_beneficiary"
        else:
            basis = f"{title}|{_norm_org(claims.at[i, 'beneficiary'])}"
            claims.at[i, "project_key"] = "unmatched:" + hashlib.sha1(basis.encode()).hexdigest()[:12]
            claims.at[i, "match_method"] = "unmatched"
        claims.at[i, "match_score"] = round(float(score), 1) if score is not None else None

    sources = []
    for row in claims.itertuples(index=False):
        for field in CLAIM_FIELDS:
            value = getattr(row, field)
            if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
                continue
            sources.append({"project_key": row.project_key, "source_kind": row.source_kind, "field": field,
                            "value": str(_plain(value)), "source_url": row.source_url, "fetched_at": row.fetched_at,
                            "content_sha256": row.content_sha256, "match_method": row.match_method,
                            "match_score": row.match_score, "_raw": value})
    project_sources = pd.DataFrame(sources, columns=["project_key", "source_kind", "field", "value", "source_url",
                                                     "fetched_at", "content_sha256", "match_method", "match_score",
                                                     "_raw"])
    conflicts = []
    for (key, field), group in project_sources.groupby(["project_key", "field"], sort=True):
        raws = list(group["_raw"])
        if all(_values_equal(field, raws[0], other) for other in raws[1:]):
            continue
        entry = {"project_key": key, "field": field, "n_sources": len(group),
                 "values": json.dumps([{"source_kind": r.source_kind, "source_url": r.source_url, "value": r.value}
                                       for r in group.itertuples()], ensure_ascii=False),
                 "max_difference": None}
        if field.startswith("amount_"):
            numbers = [float(v) for v in raws]
            entry["max_difference"] = round(max(numbers) - min(numbers), 2)
        conflicts.append(entry)
    project_conflicts = pd.DataFrame(conflicts, columns=["project_key", "field", "n_sources", "values", "max_difference"])
    project_sources = project_sources.drop(columns="_raw")

    claims["_rank"] = claims["source_kind"].map(SOURCE_PRIORITY).fillna(9)
    linked = []
    for key, group in claims.sort_values("_rank").groupby("project_key", sort=True):
        first = {f: next((v for v in group[f] if v is not None and not (not isinstance(v, str) and pd.isna(v))), None)
                 for f in CLAIM_FIELDS}
        linked.append({"project_key": key,
                       "project_code": key if not key.startswith("unmatched:") else None,
                       **first,
                       "source_kinds": ";".join(sorted(set(group["source_kind"]), key=lambda k: SOURCE_PRIORITY.get(k, 9))),
                       "n_sources": len(group),
                       "n_conflicting_fields": int((project_conflicts["project_key"] == key).sum())})
    claims = claims.drop(columns="_rank")
    return LinkResult(claims, pd.DataFrame(linked), project_sources, project_conflicts)
