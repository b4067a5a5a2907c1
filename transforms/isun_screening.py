"""ИСУН rows set aside before release for what the row alone cannot show: an amount too large
for its column's type, a project code published under two contract ids.

Plain functions over frames and row tuples; finding the duplicate codes across the staged
parts is `pipelines.isun_staging`'s job, the rows it finds become quarantine rows here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from registry.tables import QUARANTINE

_DECIMAL_TYPE = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def fits_decimal(value, sql_type: str) -> bool:
    """Whether a value fits a DECIMAL(p,s) column (a 17-digit amount does not fit DECIMAL(18,2))."""
    m = _DECIMAL_TYPE.match(sql_type)
    if not m or value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return True
    try:
        return abs(Decimal(str(value))) < Decimal(10) ** (int(m.group(1)) - int(m.group(2)))
    except (InvalidOperation, ValueError):
        return False


def _misfits(column: pd.Series, sql_type: str) -> pd.Series:
    """True where a value of the column does not fit `sql_type` (`fits_decimal`, value by value).

    A float column (what the parsed amounts are) is compared at once: for a float `v`,
    `abs(Decimal(str(v))) < 10**k` exactly when `abs(v) < 10.0**k` (10**k is a float for
    k <= 22, and `str` gives the shortest text that reads back as `v`), NaN fits, inf does not."""
    m = _DECIMAL_TYPE.match(sql_type)
    digits = int(m.group(1)) - int(m.group(2)) if m else None
    if digits is not None and digits <= 22 and pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            fits = np.isnan(values) | (np.abs(values) < 10.0**digits)
        return pd.Series(~fits, index=column.index)
    return ~column.map(lambda v: fits_decimal(v, sql_type)).astype(bool)


def _oversized_row(table, f, row, key: Callable[[object], str], frame: pd.DataFrame) -> dict:
    text = row.get(f"{f.name}_text") if f"{f.name}_text" in frame.columns else None
    value = str(text if isinstance(text, str) else row[f.name])
    return {
        "table_name": table.name,
        "record_key": key(row),
        "rule": "amount_out_of_range",
        "field": f.name,
        "value": value[:200],
        "message": f"{row.get('source_url')}: field {f.name} has value {value[:60]!r}, "
        f"too large for {f.type}",
        "source_url": row.get("source_url"),
        "fetched_at": row.get("fetched_at"),
        "content_sha256": row.get("content_sha256"),
    }


def set_aside_oversized(
    table, frame: pd.DataFrame, key: Callable[[object], str]
) -> tuple[pd.DataFrame, list[dict]]:
    """Rows with an amount too large for its column's type, as quarantine rows (rule
    `amount_out_of_range`), and the rest: one absurd number never stops a build."""
    decimals = [f for f in table.fields if f.type.startswith("DECIMAL") and f.name in frame.columns]
    if frame.empty or not decimals:
        return frame, []
    bad = pd.Series(False, index=frame.index)
    rows = []
    for f in decimals:
        misfits = _misfits(frame[f.name], f.type) & ~bad
        if misfits.any():
            rows += [
                _oversized_row(table, f, row, key, frame) for _, row in frame[misfits].iterrows()
            ]
        bad |= misfits
    if not bad.any() and frame.index.equals(pd.RangeIndex(len(frame))):
        return frame, rows  # what the copy below would be
    return frame[~bad].reset_index(drop=True), rows


def duplicate_code_quarantine(projects: list[tuple], children: list[tuple]) -> pd.DataFrame:
    """Quarantine rows for projects whose code appears under two or more contract ids
    (rule `duplicate_project_code`) and for their rows in the child tables
    (rule `parent_row_quarantined`).

    `projects`: (code, contract id, url, fetched_at, sha256, n, ids) per staged project row;
    `children`: (table name, code, url, fetched_at, sha256) per staged child row.
    """
    rows = [
        {
            "table_name": "projects",
            "record_key": code,
            "rule": "duplicate_project_code",
            "field": "project_code",
            "value": code,
            "message": f"{url}: project code {code} is published under {n} contract ids ({ids}); "
            "none released until the source settles it",
            "source_url": url,
            "fetched_at": fetched_at,
            "content_sha256": sha,
        }
        for code, _cid, url, fetched_at, sha, n, ids in projects
    ]
    rows += [
        {
            "table_name": name,
            "record_key": code,
            "rule": "parent_row_quarantined",
            "field": "project_code",
            "value": code,
            "message": f"{url}: its project {code} is in quarantine (duplicate_project_code)",
            "source_url": url,
            "fetched_at": fetched_at,
            "content_sha256": sha,
        }
        for name, code, url, fetched_at, sha in children
    ]
    return pd.DataFrame(rows, columns=QUARANTINE.columns)
