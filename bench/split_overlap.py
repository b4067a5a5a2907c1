"""Is a candidate page already in one of our extraction sets? (the blind splits' admission check)

A page may join a new blind split only if nothing in it has been looked at before: it is dropped when
it shares with any page already held (every split of tests/data/extraction_devset, the seed pages,
the real-shaped fixture pages, and /work/shared/seeds where present)

- the same URL (scheme, `www.`, percent-encoding, case and a trailing slash ignored);
- the same normalised text (Unicode NFKC, lower case, runs of white space as one space);
- any run of 200 characters of normalised text.

`python -m bench.split_overlap CANDIDATES.jsonl` reads {"url", "text"} lines and prints, per line,
`keep` or `drop <reason>`; `tests/test_extract_splits.py` runs the same check over every blind
split added since this script existed, against everything labelled before it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "data" / "extraction_devset"
OTHER_TEXTS = (
    ROOT / "tests" / "fixtures" / "seeds",
    ROOT / "tests" / "fixtures" / "pages",
    Path("/work/shared/seeds"),
)
RUN_CHARS = 200


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


def normalise_url(url: str) -> str:
    url = unquote(unquote(url or "")).strip().lower()
    url = re.sub(r"^[a-z]+://", "", url)
    url = re.sub(r"^www\.", "", url)
    return url.rstrip("/")


def _runs(text: str) -> set[int]:
    """Hashes of every RUN_CHARS-long window of a normalised text."""
    return {hash(text[i : i + RUN_CHARS]) for i in range(max(0, len(text) - RUN_CHARS + 1))}


@dataclass
class Held:
    """What is already held: URLs, whole normalised texts and 200-character runs, by origin."""

    urls: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    runs: dict[int, str] = field(default_factory=dict)

    def add(self, origin: str, text: str, url: str | None = None) -> None:
        if url:
            self.urls.setdefault(normalise_url(url), origin)
        norm = normalise_text(text)
        self.texts.setdefault(norm, origin)
        for h in _runs(norm):
            self.runs.setdefault(h, origin)

    def overlap(self, text: str, url: str | None = None) -> str | None:
        """Why this page may not join a blind split, or None if nothing of it is held."""
        if url and normalise_url(url) in self.urls:
            return f"same URL as {self.urls[normalise_url(url)]}"
        norm = normalise_text(text)
        if norm in self.texts:
            return f"same text as {self.texts[norm]}"
        for i in range(max(0, len(norm) - RUN_CHARS + 1)):
            origin = self.runs.get(hash(norm[i : i + RUN_CHARS]))
            if origin is not None:
                return f"shares 200 characters with {origin}: {norm[i : i + 60]!r}…"
        return None


def devset_pages(splits: Iterable[str] | None = None) -> list[dict]:
    """The labelled pages (facts.jsonl lines), optionally of some splits only, with their text."""
    wanted = None if splits is None else set(splits)
    out = []
    for line in (DEVSET / "facts.jsonl").read_text(encoding="utf-8").splitlines():
        if not line:
            continue
        page = json.loads(line)
        if wanted is None or page["split"] in wanted:
            page["text"] = (DEVSET / "pages" / f"{page['page']}.txt").read_text(encoding="utf-8")
            out.append(page)
    return out


def held(exclude_splits: Iterable[str] = ()) -> Held:
    """Everything held now: every devset page (but those of `exclude_splits`) and the other texts."""
    skip = set(exclude_splits)
    h = Held()
    for page in devset_pages():
        if page["split"] not in skip:
            h.add(f"devset {page['page']} ({page['split']})", page["text"], page.get("url"))
    for folder in OTHER_TEXTS:
        if folder.is_dir():
            for path in sorted(folder.glob("*.txt")):
                h.add(f"{folder.name}/{path.name}", path.read_text(encoding="utf-8"))
    return h


def check(candidates: list[dict], already: Held) -> list[str | None]:
    """Per candidate ({"url", "text"}), the reason to drop it; candidates are also checked against each other."""
    reasons = []
    for n, cand in enumerate(candidates):
        reason = already.overlap(cand["text"], cand.get("url"))
        reasons.append(reason)
        if reason is None:
            already.add(f"candidate {n + 1}", cand["text"], cand.get("url"))
    return reasons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", type=Path)
    args = parser.parse_args(argv)
    cands = [
        json.loads(line)
        for line in args.candidates.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    reasons = check(cands, held())
    for cand, reason in zip(cands, reasons, strict=True):
        print(f"{'keep' if reason is None else 'drop ' + reason}\t{cand.get('url')}")
    print(f"{reasons.count(None)} of {len(cands)} kept", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
