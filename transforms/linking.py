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

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from transforms.dates import month_start
from transforms.organisations import parse_organisation

CLAIM_FIELDS = (
    "title",
    "beneficiary",
    "amount_total_bgn",
    "amount_total_eur",
    "amount_eu_bgn",
    "amount_national_bgn",
    "start_date",
    "end_date",
    "duration_months",
    "amount_paid_eur",
    "status",
)
AMOUNT_TOLERANCE = 0.01
# ИСУН's contract pages first, then its open-data API and register export (both keyed by the
# proposal code, which links to the one page contract that extends it), then the others.
SOURCE_PRIORITY = {
    "isun": 0,
    "isun-api": 1,
    "isun-export": 2,
    "municipal-news": 3,
    "ngo-project": 4,
    "ngo-event": 5,
}
CLAIM_COLUMNS = [
    "source_kind",
    "source_url",
    "fetched_at",
    "content_sha256",
    "project_code",
    *CLAIM_FIELDS,
]


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
ISUN_CLAIM_COLUMNS = [
    "source_url",
    "fetched_at",
    "content_sha256",
    "project_code",
    "project_name",
    "beneficiary_name",
    "amount_total_bgn",
    "amount_total_eur",
    "amount_eu_bgn",
    "amount_national_bgn",
    "start_date",
    "end_date",
    "duration_months",
    "amount_paid_eur",
    "status",
]


def claims_from_isun(projects: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_kind": "isun",
            "source_url": projects["source_url"],
            "fetched_at": projects["fetched_at"],
            "content_sha256": projects["content_sha256"],
            "project_code": projects["project_code"],
            "title": projects["project_name"],
            "beneficiary": projects["beneficiary_name"],
            "amount_total_bgn": projects["amount_total_bgn"],
            "amount_total_eur": projects["amount_total_eur"],
            "amount_eu_bgn": projects["amount_eu_bgn"],
            "amount_national_bgn": projects["amount_national_bgn"],
            "start_date": projects["start_date"],
            "end_date": projects["end_date"],
            "duration_months": projects["duration_months"],
            "amount_paid_eur": projects["amount_paid_eur"],
            "status": projects["status"],
        },
        columns=CLAIM_COLUMNS,
    )


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
        return (
            value.isoformat()[:10]
            if not hasattr(value, "hour") or (value.hour == 0 and value.minute == 0)
            else value.isoformat()
        )
    return value.item() if hasattr(value, "item") else value


def _extend_proposal_codes(claims: pd.DataFrame) -> None:
    """A proposal-level code (BG05SFOP001-2.009-0004) names the contract that extends it (…-0004-C01)."""
    keys = claims["project_key"]
    is_contract = keys.notna() & keys.astype("string").str.contains(r"-C\d+$", regex=True, na=False)
    proposals = claims.index[keys.notna() & ~is_contract]
    if len(proposals) == 0:
        return
    # Contracts by the proposal they extend, looked up for all proposal claims at once (the
    # open-data API and the export bring one for every project ИСУН has, ~80 000).
    by_proposal: dict[str, list[str]] = {}
    for code in sorted(set(keys[is_contract])):
        by_proposal.setdefault(re.sub(r"-C\d+$", "", code), []).append(code)
    single = {proposal: codes[0] for proposal, codes in by_proposal.items() if len(codes) == 1}
    extended = keys[proposals].map(single)
    extended = extended[extended.notna()]
    claims.loc[extended.index, "project_key"] = extended
    claims.loc[extended.index, "match_method"] = "project_code_prefix"


def _match_uncoded(claims: pd.DataFrame, threshold: float) -> None:
    """Give each claim without a code the best known project by title + beneficiary, or an `unmatched:` key."""
    uncoded = claims.index[claims["project_key"].isna()]
    if len(uncoded) == 0:
        return
    keyed = claims[claims["project_key"].notna()].copy()
    keyed["_rank"] = keyed["source_kind"].map(SOURCE_PRIORITY).fillna(9)
    representatives = keyed.sort_values("_rank", kind="stable").drop_duplicates("project_key")
    choices = dict(
        zip(representatives["project_key"], representatives["title"].map(_norm_text), strict=True)
    )
    beneficiary_of = dict(
        zip(representatives["project_key"], representatives["beneficiary"], strict=True)
    )
    for i in uncoded:
        title = _norm_text(claims.at[i, "title"])
        best = (
            process.extractOne(title, choices, scorer=title_similarity)
            if title and choices
            else None
        )
        score = None
        if best:
            _, title_score, key = best
            own, theirs = _norm_org(claims.at[i, "beneficiary"]), _norm_org(beneficiary_of.get(key))
            score = (
                title_score
                if not (own and theirs)
                else 0.7 * title_score + 0.3 * fuzz.token_set_ratio(own, theirs)
            )
        if best and score >= threshold:
            claims.at[i, "project_key"], claims.at[i, "match_method"] = (
                best[2],
                "fuzzy_title_beneficiary",
            )
        else:
            basis = f"{title}|{_norm_org(claims.at[i, 'beneficiary'])}"
            claims.at[i, "project_key"] = (
                "unmatched:" + hashlib.sha1(basis.encode()).hexdigest()[:12]
            )
            claims.at[i, "match_method"] = "unmatched"
        claims.at[i, "match_score"] = round(float(score), 1) if score is not None else None


SOURCE_COLUMNS = [
    "project_key",
    "source_kind",
    "field",
    "value",
    "source_url",
    "fetched_at",
    "content_sha256",
    "match_method",
    "match_score",
]


def _project_sources(claims: pd.DataFrame) -> pd.DataFrame:
    """Every non-empty value of every claim, one row per (claim, field), in claim then field order."""
    parts = []
    for field_no, field in enumerate(CLAIM_FIELDS):
        values = claims[field]
        present = (values.notna() & values.ne("")).to_numpy(dtype=bool)
        part = claims.loc[
            present,
            [
                "project_key",
                "source_kind",
                "source_url",
                "fetched_at",
                "content_sha256",
                "match_method",
                "match_score",
            ],
        ].copy()
        part["field"] = field
        part["_raw"] = values[present]
        part["value"] = part["_raw"].map(lambda v: str(_plain(v)))
        part["_claim"], part["_field_no"] = part.index, field_no
        parts.append(part)
    sources = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    sources = sources.sort_values(["_claim", "_field_no"], kind="stable").reset_index(drop=True)
    return sources[[*SOURCE_COLUMNS, "_raw"]]


def _project_conflicts(sources: pd.DataFrame) -> pd.DataFrame:
    """Fields where the linked sources of a project disagree, with every value side by side."""
    grouped = sources.groupby(["project_key", "field"], sort=False)["value"]
    # Values written identically agree whatever the field: only the others are compared one by one.
    shared = sources[(grouped.transform("size") > 1) & (grouped.transform("nunique") > 1)]
    # Groups in (project_key, field) order, each group's rows in source order; read as plain
    # lists, since a pandas group per (project, field) costs milliseconds and the open-data
    # API and the export give most projects a few such fields (~180 000 at 80 700 contracts).
    shared = shared.sort_values(["project_key", "field"], kind="stable")
    keys, fields = shared["project_key"].tolist(), shared["field"].tolist()
    kinds, urls = shared["source_kind"].tolist(), shared["source_url"].tolist()
    values, raws = shared["value"].tolist(), shared["_raw"].tolist()
    conflicts = []
    start, n = 0, len(keys)
    while start < n:
        key, field = keys[start], fields[start]
        end = start + 1
        while end < n and keys[end] == key and fields[end] == field:
            end += 1
        group_raws = raws[start:end]
        if not all(_values_equal(field, group_raws[0], other) for other in group_raws[1:]):
            entry = {
                "project_key": key,
                "field": field,
                "n_sources": end - start,
                "values": json.dumps(
                    [
                        {"source_kind": kinds[i], "source_url": urls[i], "value": values[i]}
                        for i in range(start, end)
                    ],
                    ensure_ascii=False,
                ),
                "max_difference": None,
            }
            if field.startswith("amount_"):
                numbers = [float(v) for v in group_raws]
                entry["max_difference"] = round(max(numbers) - min(numbers), 2)
            conflicts.append(entry)
        start = end
    return pd.DataFrame(
        conflicts, columns=["project_key", "field", "n_sources", "values", "max_difference"]
    )


def _linked_projects(claims: pd.DataFrame, conflicts: pd.DataFrame) -> pd.DataFrame:
    """One row per project key: each field from the highest-priority source that has it."""
    ranked = claims.assign(_rank=claims["source_kind"].map(SOURCE_PRIORITY).fillna(9))
    ranked = ranked.sort_values("_rank", kind="stable")
    grouped = ranked.groupby("project_key", sort=True)
    linked = grouped[list(CLAIM_FIELDS)].first()
    kinds = ranked.drop_duplicates(["project_key", "source_kind"]).groupby(
        "project_key", sort=True
    )["source_kind"]
    linked.insert(
        0, "project_code", [None if k.startswith("unmatched:") else k for k in linked.index]
    )
    linked["source_kinds"] = kinds.agg(";".join)
    linked["n_sources"] = grouped.size()
    n_conflicts = conflicts["project_key"].value_counts()
    linked["n_conflicting_fields"] = n_conflicts.reindex(linked.index, fill_value=0).astype(int)
    for column in ("start_date", "end_date"):  # DATE columns: a month-only date is its first day
        linked[column] = linked[column].map(lambda v: month_start(v)[0])
    return linked.rename_axis("project_key").reset_index()


def key_claims(claims: pd.DataFrame, threshold: float = 85.0) -> pd.DataFrame:
    """The claims with the project each is about (`project_key`), how it was matched and the score."""
    claims = claims.reset_index(drop=True).copy()
    claims["project_key"] = claims["project_code"].where(claims["project_code"].notna(), None)
    claims["match_method"] = claims["project_code"].map(
        lambda c: "project_code" if isinstance(c, str) and c else None
    )
    claims["match_score"] = claims["match_method"].map(lambda m: 100.0 if m else None)
    _extend_proposal_codes(claims)
    _match_uncoded(claims, threshold)
    return claims


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` in `project_key` order, each key's rows in the order they had (a stable sort by
    the key's rank: cheaper than sorting the strings themselves)."""
    codes, _ = pd.factorize(frame["project_key"], sort=True)
    order = np.argsort(codes, kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def link_keyed(claims: pd.DataFrame) -> LinkResult:
    """Sources, conflicts and linked projects of keyed claims (`key_claims`). Every row of the
    three tables depends only on the claims of its own project key, and each table is in key
    order: a table for some keys can be spliced into one for the others (`splice_links`)."""
    sources = _project_sources(claims)
    project_conflicts = _project_conflicts(sources)
    linked = _linked_projects(claims, project_conflicts)
    return LinkResult(claims, linked, by_key(sources.drop(columns="_raw")), project_conflicts)


def link_claims(claims: pd.DataFrame, threshold: float = 85.0) -> LinkResult:
    return link_keyed(key_claims(claims, threshold))


# A response's own columns: the same for every claim read from one URL's response, and new
# every night for the bulk sources, which are fetched again each night.
RESPONSE_COLUMNS = ["fetched_at", "content_sha256"]
# What a project key's three tables are made from: its claims, in their order, every column
# but the response's (`project_sources` takes those from the claim's URL: `response_of`).
DIGEST_COLUMNS = [
    *(c for c in CLAIM_COLUMNS if c not in RESPONSE_COLUMNS),
    "project_key",
    "match_method",
    "match_score",
]


def response_of(claims: pd.DataFrame) -> pd.DataFrame | None:
    """source_url -> its response's columns (one row per URL), or None when some URL's claims
    name two responses (then the rows of a key cannot be refreshed by URL)."""
    urls = claims[["source_url", *RESPONSE_COLUMNS]].drop_duplicates()
    if urls["source_url"].duplicated().any() or urls["source_url"].isna().any():
        return None
    return urls.reset_index(drop=True)


def key_digests(claims: pd.DataFrame) -> dict[str, str]:
    """project_key -> a digest of its claims (every column but the response's, in their order):
    equal digests, equal rows in the link tables but for the response's columns."""
    ordered = by_key(claims[DIGEST_COLUMNS])
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    keys = ordered["project_key"].to_numpy()
    starts = [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist(), len(keys)]
    return {
        keys[a]: hashlib.blake2b(rows[a:b].tobytes(), digest_size=12).hexdigest()
        for a, b in zip(starts[:-1], starts[1:], strict=True)
        if b > a
    }


def changed_keys(digests: dict[str, str], previous: dict[str, str]) -> set[str]:
    """Keys whose claims differ from the previous night's, new keys and keys gone."""
    return {k for k, d in digests.items() if previous.get(k) != d} | (set(previous) - set(digests))


LINK_TABLE_NAMES = ("linked_projects", "project_sources", "project_conflicts")


def splice_links(
    previous: dict[str, pd.DataFrame], claims: pd.DataFrame, replaced: set[str]
) -> dict[str, pd.DataFrame]:
    """The link tables of keyed `claims`, made from `previous` (the tables of an earlier night,
    by name) for every key not in `replaced` (the sources' response columns from tonight's
    response of their URL) and computed afresh for the claims of the keys in it: the same
    rows, in the same order, as `link_keyed(claims)`, when `response_of(claims)` is not None."""
    fresh = link_keyed(claims[claims["project_key"].isin(replaced)].reset_index(drop=True))
    responses = response_of(claims)
    out = {}
    for name in LINK_TABLE_NAMES:
        kept = previous[name]
        kept = kept[~kept["project_key"].isin(replaced)]
        if name == "project_sources":  # tonight's response of each row's URL
            kept = kept.drop(columns=RESPONSE_COLUMNS).merge(
                responses, on="source_url", how="left", sort=False
            )[kept.columns]
        new = getattr(fresh, name)
        parts = [f for f in (kept, new) if len(f)]
        out[name] = (
            by_key(pd.concat(parts, ignore_index=True)) if parts else new.reset_index(drop=True)
        )
    return out
