"""Score the free-text extractors on the hand-checked development set (`make eval`; a script, not a test).

The set is tests/data/extraction_devset/: real public page texts (pages/NNN.txt) and, per page,
the facts the text states (facts.jsonl; null where the text does not state a fact; one entry per
project the page speaks of, none for a page that names no project). Per field it prints:

- exact: the text states the fact and the extractor returned it;
- missed: the text states it and the extractor returned nothing;
- wrong: the text states it and the extractor returned another value;
- invented: the text does not state it (or the page names no such project) and a value came back;

and the overall score = exact / stated. `--split dev|heldout|unseen|unseen2|all` chooses the pages (30 % of
the first 122 held out, chosen by a hash of the URL; `unseen` is pages 123-174, found and labelled blind
after the rules were written, a measure on pages the rules were never tuned on; `unseen2` is pages 175
on, found and labelled blind after the rules were tuned on `unseen`; `unseen3` on: issue 26's fresh
splits, each checked against every earlier page by bench/split_overlap.py before labelling; splits.json
lists every split with its date of labelling); `--per-document`
scores the older one-record-per-page `extract()`; `--show` lists every miss, wrong and invented value
(never used on the held-out split while tuning).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from records.extracted import SCORED_FIELDS

DEVSET = Path(__file__).resolve().parent.parent / "tests" / "data" / "extraction_devset"
FIELDS = SCORED_FIELDS
# Every split with its date of labelling, in the order they were labelled (splits.json).
SPLITS: dict[str, dict] = json.loads((DEVSET / "splits.json").read_text(encoding="utf-8"))


def load(split: str) -> list[dict]:
    pages = [
        json.loads(line)
        for line in (DEVSET / "facts.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    return [p for p in pages if split == "all" or p["split"] == split]


def predicted_value(record: dict, field: str):
    """A record's value for a scored field; amounts as [value, currency] like the facts file."""
    if field in ("amount_total", "amount_eu"):
        value = record.get(field)
        currency = (
            record.get("currency")
            if field == "amount_total"
            else record.get("currency_eu", record.get("currency"))
        )
        return None if value is None else [round(float(value), 2), currency]
    return record.get(field)


def same(field: str, gold, got) -> bool:
    if field in ("amount_total", "amount_eu"):
        return abs(gold[0] - got[0]) < 0.005 and gold[1] == got[1]
    return gold == got


def pair(gold: list[dict], predicted: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Match each stated project to at most one extracted record: same code, else same total, else in order."""
    left = list(range(len(predicted)))
    pairs = []
    for g in gold:
        match = None
        for key in ("project_code", "amount_total", "procedure_code"):
            if g.get(key) is None:
                continue
            match = next(
                (
                    i
                    for i in left
                    if predicted_value(predicted[i], key) is not None
                    and same(key, g[key], predicted_value(predicted[i], key))
                ),
                None,
            )
            if match is not None:
                break
        pairs.append((g, match))
        if match is not None:
            left.remove(match)
    out = []
    for g, match in pairs:
        if match is None and left:
            match = left.pop(0)
        out.append((g, predicted[match] if match is not None else None))
    out += [(None, predicted[i]) for i in left]
    return out


def score(
    pages: list[dict], per_document: bool = False, show: bool = False
) -> dict[str, dict[str, int]]:
    from sources import extract as extractors

    table = {f: {"stated": 0, "exact": 0, "missed": 0, "wrong": 0, "invented": 0} for f in FIELDS}
    for page in pages:
        text = (DEVSET / "pages" / f"{page['page']}.txt").read_text(encoding="utf-8")
        predicted = (
            [extractors.extract(text, "auto")]
            if per_document
            else extractors.extract_projects(text)
        )
        for gold, got in pair(page["projects"], predicted):
            for field in FIELDS:
                want = gold.get(field) if gold else None
                have = predicted_value(got, field) if got else None
                if want is not None:
                    table[field]["stated"] += 1
                    outcome = (
                        "missed"
                        if have is None
                        else "exact"
                        if same(field, want, have)
                        else "wrong"
                    )
                elif have is not None:
                    outcome = "invented"
                else:
                    continue
                table[field][outcome] += 1
                if show and outcome != "exact":
                    print(
                        f"  {page['page']} {field}: {outcome} (text: {want!r}, extracted: {have!r})"
                    )
    return table


def print_table(title: str, table: dict[str, dict[str, int]]) -> None:
    print(f"\n{title}")
    print(
        f"{'field':<16}{'stated':>7}{'exact':>7}{'missed':>7}{'wrong':>7}{'invented':>9}{'exact %':>9}"
    )
    total = {k: 0 for k in ("stated", "exact", "missed", "wrong", "invented")}
    for field, row in table.items():
        for k in total:
            total[k] += row[k]
        share = f"{100 * row['exact'] / row['stated']:.0f}" if row["stated"] else "-"
        print(
            f"{field:<16}{row['stated']:>7}{row['exact']:>7}{row['missed']:>7}{row['wrong']:>7}{row['invented']:>9}{share:>9}"
        )
    share = f"{100 * total['exact'] / total['stated']:.1f}" if total["stated"] else "-"
    print(
        f"{'overall':<16}{total['stated']:>7}{total['exact']:>7}{total['missed']:>7}{total['wrong']:>7}"
        f"{total['invented']:>9}{share:>9}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default=None)
    parser.add_argument("--per-document", action="store_true")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    splits = [args.split] if args.split else list(SPLITS)
    for split in splits:
        pages = load(split)
        kinds: dict[str, int] = {}
        for p in pages:
            kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
        labelled = SPLITS.get(split, {}).get("labelled", "-")
        title = (
            f"{split} (labelled {labelled}): {len(pages)} pages,"
            f" {sum(len(p['projects']) for p in pages)} projects stated"
            f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})"
        )
        print_table(title, score(pages, args.per_document, args.show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
