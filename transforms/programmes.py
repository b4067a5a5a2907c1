"""Registry of the EU-funded programmes managed in ИСУН, keyed by the project-code prefix.

What belongs here: the programme *level* only — one row per programme of the 2007–2013,
2014–2020 and 2021–2027 periods (`BG051PO001`, `BG05SFOP001`, `BG16FFPR003`, `BG-RRP`, …)
with its Bulgarian and English name, the short name used on Bulgarian pages (ОПДУ, ПРР, …),
its period and the EU funds behind it. The data lives in `data/programmes.csv`; every row says
whether its code was seen in a real public source (`verified`) and where (`source`);
`data/programmes.README.md` explains the columns and the codes that were checked and rejected.

What does not belong here: splitting or repairing project/procedure codes (that is
`transforms.codes`, whose `ParsedCode.programme_code` is what callers look up here), and
priorities, procedures or budgets. Lookups are exact: callers pass normalised codes
(Latin letters, upper case, no CCI year prefix), as `transforms.codes.parse_code` returns them.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

DATA_FILE = Path(__file__).resolve().parent / "data" / "programmes.csv"
COLUMNS = (
    "programme_code",
    "name_bg",
    "name_en",
    "short_bg",
    "period",
    "funds",
    "verified",
    "source",
)
PERIODS = ("2007-2013", "2014-2020", "2021-2027")

# Shapes of programme codes when the code itself is not in the registry.
# 2007–13: BG + 3-digit fund/objective code + PO + number (BG051PO001, BG161PO003).
_SHAPE_2007 = re.compile(r"^BG\d{3}PO\d{3}$")
# 2014–20: BG + 2 digits + 2 fund letters/digits + OP/NP/SM + number
# (BG05M9OP001, BG06RDNP001, BG16RFSM001).
_SHAPE_2014 = re.compile(r"^BG\d{2}[A-Z0-9]{2}(?:OP|NP|SM)\d{3}$")
# 2021–27: the same with PR (programme), TA (technical assistance), SP (CAP strategic plan)
# or RA (Brexit reserve).
_SHAPE_2021 = re.compile(r"^BG\d{2}[A-Z0-9]{2}(?:PR|TA|SP|RA)\d{3}$")
# Recovery and Resilience Facility: project codes BG-RRP-2.004-0005-C01.
_SHAPE_RRP = re.compile(r"^BG-RRP$")
# A CCI number is a programme code with its first year in front: 2014BG05SFOP001, 2021BG-RRP.
_CCI = re.compile(r"^(?P<year>20\d\d)(?P<code>BG.+)$")


@lru_cache(maxsize=1)
def _rows() -> dict[str, dict]:
    """The CSV as {programme_code: row}, read once; refuses duplicate codes and unknown periods."""
    out: dict[str, dict] = {}
    with open(DATA_FILE, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(
                f"{DATA_FILE.name}: expected columns {COLUMNS}, got {reader.fieldnames}"
            )
        for row in reader:
            code = row["programme_code"]
            if code in out:
                raise ValueError(f"{DATA_FILE.name}: duplicate programme code {code!r}")
            if row["period"] not in PERIODS:
                raise ValueError(f"{DATA_FILE.name}: {code}: unknown period {row['period']!r}")
            if row["verified"] not in ("true", "false"):
                raise ValueError(f"{DATA_FILE.name}: {code}: verified must be true or false")
            out[code] = {**row, "verified": row["verified"] == "true"}
    return out


def programme(code: str) -> dict | None:
    """The registry row for a programme code (exact match), or None.

    Keys are the CSV columns; `verified` is a bool, `funds` stays `;`-separated (`ERDF;CF`).
    The returned dict is a copy: changing it does not change the registry.
    """
    row = _rows().get(code)
    return dict(row) if row is not None else None


def _period_from_shape(code: str) -> str | None:
    if _SHAPE_2007.match(code):
        return "2007-2013"
    if _SHAPE_2014.match(code):
        return "2014-2020"
    if _SHAPE_2021.match(code) or _SHAPE_RRP.match(code):
        return "2021-2027"
    return None


def _period_of_year(year: int) -> str | None:
    for period in PERIODS:
        first, last = (int(y) for y in period.split("-"))
        if first <= year <= last:
            return period
    return None


def programme_period(code: str) -> str | None:
    """The programming period of a programme code: `2007-2013`, `2014-2020`, `2021-2027` or None.

    A code in the registry gives its row's period. An unknown code is judged by its shape:
    `BG0xxPOxxx`/`BG161POxxx` → 2007-2013; two-digit fund code with `OP`/`NP`/`SM` → 2014-2020;
    with `PR`/`TA`/`SP`/`RA`, or `BG-RRP` → 2021-2027. A CCI number (`2014BG05SFOP001`) is
    judged by its year. Anything else gives None rather than a guess.
    """
    row = _rows().get(code)
    if row is not None:
        return row["period"]
    m = _CCI.match(code)
    if m:
        inner = programme_period(m.group("code"))
        return inner if inner is not None else _period_of_year(int(m.group("year")))
    return _period_from_shape(code)


def programmes_table() -> pd.DataFrame:
    """The whole registry as a DataFrame in file order (period, then code); `verified` is bool."""
    frame = pd.DataFrame(list(_rows().values()), columns=list(COLUMNS))
    return frame.astype({"verified": bool})
