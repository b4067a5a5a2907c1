"""Assemble the Dagster `Definitions`; `dagster dev -m pipelines.definitions` loads `defs`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from pipelines import assets, checks
from pipelines.resources import RecordedIsunPages, Settings

BUILD_JOB = "isun_build"


def build_defs(resource_overrides: Mapping[str, Any] | None = None) -> dg.Definitions:
    """Definitions with the default resources (sample corpus, ./data), overridable per key."""
    resources: dict[str, Any] = {
        "settings": Settings(),
        "isun_pages": RecordedIsunPages(),
    }
    resources.update(resource_overrides or {})
    all_assets = dg.load_assets_from_modules([assets])
    return dg.Definitions(
        assets=all_assets,
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[dg.define_asset_job(BUILD_JOB, selection=dg.AssetSelection.all(),
                                  description="Parse, normalise, validate and publish ИСУН contracts.")],
        resources=resources,
    )


defs = build_defs()
