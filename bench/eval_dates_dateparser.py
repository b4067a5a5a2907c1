"""Measure `dateparser` (a candidate library, not a dependency) against the hand-written date
finders (`transforms.text_values.find_all_dates`) on the development set's dev split.

A script, not a test; it needs dateparser installed next to the project (e.g.
`pip install --target /tmp/dp dateparser==1.5.0` and `PYTHONPATH=/tmp/dp`). It prints, per
finder: how many of the start and end dates the dev pages state are among the dates it finds,
how many dates it finds in all, how many of those come from a span without a digit (a weekday,
"днес", a month name alone: values dateparser completes from today's date, i.e. invented), and
the start_date/end_date rows of `make eval` with that finder in place of ours.
"""

from __future__ import annotations

import re
import sys

from bench.eval_extraction import DEVSET, load, score
from transforms.text_values import Found, find_all_dates


def dateparser_finder(settings: dict):
    from dateparser.search import search_dates

    def find(text: str) -> list[Found]:
        found, pos = [], 0
        for chunk, when in search_dates(text, languages=["bg", "en"], settings=settings) or []:
            start = text.find(chunk, pos)
            if start < 0:
                start = text.find(chunk)
            if start < 0:
                continue
            pos = start + len(chunk)
            found.append(Found(when.date().isoformat(), start, start + len(chunk), chunk))
        return sorted(found, key=lambda f: f.start)

    return find


def measure(name: str, finder) -> None:
    import sources.extract.facts as facts

    pages = load("dev")
    stated = hit = total = no_digit = 0
    for p in pages:
        text = (DEVSET / "pages" / f"{p['page']}.txt").read_text(encoding="utf-8")
        got = finder(text)
        values = {f.value for f in got}
        total += len(got)
        no_digit += sum(1 for f in got if not re.search(r"\d", f.text))
        for project in p["projects"]:
            for key in ("start_date", "end_date"):
                if project.get(key):
                    stated += 1
                    hit += project[key] in values
    saved = facts.find_all_dates
    facts.find_all_dates = finder
    try:
        table = score(pages)
    finally:
        facts.find_all_dates = saved
    rows = " ".join(
        f"{k}: {t['exact']}/{t['stated']} exact, {t['wrong']} wrong, {t['invented']} invented"
        for k, t in table.items()
        if k in ("start_date", "end_date")
    )
    print(
        f"{name:<34} stated dates found {hit}/{stated}; dates found {total}, "
        f"of them without a digit {no_digit}; make eval with it: {rows}"
    )


def main() -> int:
    try:
        import dateparser
    except ImportError:
        print("dateparser is not installed (see the docstring)", file=sys.stderr)
        return 1
    print(f"dev split, dateparser {dateparser.__version__}")
    measure("hand-written find_all_dates", find_all_dates)
    measure("dateparser search_dates (default)", dateparser_finder({}))
    measure(
        "dateparser, day+month+year needed",
        dateparser_finder({"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"}),
    )
    measure(
        "dateparser, as above + DMY order",
        dateparser_finder({"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY"}),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
