"""Linking and organisations over plain lists give what the pandas group-per-key versions gave.

The per-group pandas code they replaced (a group per (project, field) conflict, a lookup per
proposal claim, a group per organisation) is kept here as the reference, and both run on claims
and participants of the bench corpus's contracts, written the ways the three ИСУН sources and a
news page write them: amounts off by a cent or more, titles in other case, month-only dates,
beneficiaries with and without their legal form, proposal codes the contracts extend.
"""

from __future__ import annotations

import json
import random
import re

import pandas as pd
import pytest

from bench.synthetic_corpus import _contracts
from transforms import linking, organisations
from transforms.organisations import organisations_table, parse_organisation

pytestmark = pytest.mark.unit


def _reference_conflicts(sources: pd.DataFrame) -> pd.DataFrame:
    grouped = sources.groupby(["project_key", "field"], sort=False)["value"]
    shared = sources[(grouped.transform("size") > 1) & (grouped.transform("nunique") > 1)]
    conflicts = []
    for (key, field), group in shared.groupby(["project_key", "field"], sort=True):
        raws = list(group["_raw"])
        if all(linking._values_equal(field, raws[0], other) for other in raws[1:]):
            continue
        entry = {
            "project_key": key,
            "field": field,
            "n_sources": len(group),
            "values": json.dumps(
                [
                    {"source_kind": r.source_kind, "source_url": r.source_url, "value": r.value}
                    for r in group.itertuples()
                ],
                ensure_ascii=False,
            ),
            "max_difference": None,
        }
        if field.startswith("amount_"):
            numbers = [float(v) for v in raws]
            entry["max_difference"] = round(max(numbers) - min(numbers), 2)
        conflicts.append(entry)
    return pd.DataFrame(
        conflicts, columns=["project_key", "field", "n_sources", "values", "max_difference"]
    )


def _reference_extend(claims: pd.DataFrame) -> None:
    keys = claims["project_key"]
    is_contract = keys.notna() & keys.astype("string").str.contains(r"-C\d+$", regex=True, na=False)
    proposals = claims.index[keys.notna() & ~is_contract]
    by_proposal: dict[str, list[str]] = {}
    for code in sorted(set(keys[is_contract])):
        by_proposal.setdefault(re.sub(r"-C\d+$", "", code), []).append(code)
    for i in proposals:
        extended = by_proposal.get(claims.at[i, "project_key"], [])
        if len(extended) == 1:
            claims.at[i, "project_key"] = extended[0]
            claims.at[i, "match_method"] = "project_code_prefix"


def _reference_organisations(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for organisation_id, group in frame.groupby("organisation_id", sort=True):
        common = {
            "projects": group["project_code"].nunique(),
            "roles": ";".join(sorted(set(group["role"]))),
        }
        if str(organisation_id).startswith("person:"):
            rows.append(
                {
                    "organisation_id": organisation_id,
                    "name": "физическо лице",
                    "legal_form": None,
                    "town": None,
                    "eik": None,
                    "is_natural_person": True,
                    "names_seen": None,
                    **common,
                }
            )
            continue
        names = [n for n in dict.fromkeys(group["name_as_published"]) if isinstance(n, str) and n]
        eik = next((e for e in group["eik"] if isinstance(e, str) and e), None)
        org = parse_organisation(names[0] if names else "", eik)
        rows.append(
            {
                "organisation_id": organisation_id,
                "name": org.name,
                "legal_form": org.legal_form,
                "town": org.town,
                "eik": org.eik,
                "is_natural_person": False,
                "names_seen": " | ".join(names),
                **common,
            }
        )
    return pd.DataFrame(rows, columns=list(organisations_table(frame.head(0)).columns))


def _claims(n: int) -> pd.DataFrame:
    """Claims of n corpus contracts from the page, the API, the export and now and then the news."""
    rng = random.Random(11)
    rows = []
    for contract, fetched_at, _, _ in _contracts(n, seed=7):
        code = contract.reg_number
        proposal = code.rsplit("-", 1)[0]
        total = float(contract.eu_amount + contract.bg_amount + contract.self_amount)
        base = {
            "fetched_at": pd.Timestamp(fetched_at),
            "content_sha256": "0" * 64,
            "title": contract.name,
            "beneficiary": contract.beneficiary_name,
            "amount_total_bgn": total,
            "amount_total_eur": round(total / 1.95583, 2),
            "amount_eu_bgn": float(contract.eu_amount),
            "amount_national_bgn": float(contract.bg_amount),
            "start_date": pd.Timestamp(contract.start_date),
            "end_date": pd.Timestamp(contract.end_date),
            "duration_months": contract.months,
            "amount_paid_eur": float(contract.paid_eu + contract.paid_bg),
            "status": contract.status,
        }
        rows.append(
            {**base, "source_kind": "isun", "source_url": f"p/{code}", "project_code": code}
        )
        for kind in ("isun-api", "isun-export"):
            other = dict(base)
            roll = rng.random()
            if roll < 0.3:
                other["amount_total_bgn"] = total + rng.choice([0.004, 0.01, 0.5, 120.0])
            elif roll < 0.45:
                other["title"] = contract.name.upper()
            elif roll < 0.6:
                other["start_date"] = f"{contract.start_date:%Y-%m}"
            elif roll < 0.7:
                other["beneficiary"] = re.sub(
                    r"^(\w+) „(.*)“$", r"\2 \1", contract.beneficiary_name
                )
            elif roll < 0.8:
                other["status"] = "Приключен"
            rows.append(
                {
                    **other,
                    "source_kind": kind,
                    "source_url": f"{kind}/{proposal}",
                    "project_code": proposal,
                }
            )
        if rng.random() < 0.05:
            rows.append(
                {
                    **base,
                    "source_kind": "municipal-news",
                    "source_url": f"news/{code}",
                    "project_code": None,
                    "amount_total_bgn": total + 1000,
                }
            )
    return pd.DataFrame(rows, columns=linking.CLAIM_COLUMNS)


def test_links_and_conflicts_are_those_of_the_per_group_code(monkeypatch):
    claims = _claims(400)
    ours = linking.link_claims(claims)
    with monkeypatch.context() as m:
        m.setattr(linking, "_project_conflicts", _reference_conflicts)
        m.setattr(linking, "_extend_proposal_codes", _reference_extend)
        reference = linking.link_claims(claims)
    # Claims of every kind linked by code, by the proposal a contract extends, and by title.
    methods = set(ours.claims["match_method"])
    assert {"project_code", "project_code_prefix", "fuzzy_title_beneficiary"} <= methods
    assert len(ours.project_conflicts) > 100
    # (a title in other case is the same title: no conflict)
    assert set(ours.project_conflicts["field"]) >= {"amount_total_bgn", "status", "beneficiary"}
    for name in ("claims", "linked_projects", "project_sources", "project_conflicts"):
        pd.testing.assert_frame_equal(
            getattr(ours, name), getattr(reference, name), check_exact=True
        )


def test_organisations_are_those_of_the_per_group_code():
    rows, earlier = [], []
    for contract, _, _, _ in _contracts(400, seed=7):
        code = contract.reg_number
        who = [("beneficiary", contract.beneficiary_name, contract.beneficiary_uin)]
        if earlier:  # an earlier beneficiary as this contract's partner: one id, two projects
            who.append(("partner", *earlier[len(rows) % len(earlier)]))
        earlier.append((contract.beneficiary_name, contract.beneficiary_uin))
        who += [("partner", p.name, p.uin) for p in contract.partners]
        who += [("contractor", p.name, p.uin) for p in contract.contractors]
        for role, name, eik in who:
            person = eik is None
            org = parse_organisation(name, eik)
            rows.append(
                {
                    "organisation_id": f"person:{code}:{name}" if person else org.organisation_id,
                    "is_natural_person": person,
                    "name_as_published": None if person else name,
                    "eik": eik,
                    "project_code": code,
                    "role": role,
                }
            )
    frame = pd.DataFrame(rows)
    ours = organisations_table(frame)
    assert ours["projects"].max() > 1 and ours["is_natural_person"].any()
    assert organisations.organisations_table is organisations_table
    pd.testing.assert_frame_equal(ours, _reference_organisations(frame), check_exact=True)
