"""The labelled pages of tests/data/extraction_devset as the extraction tests read them: a page's text by
its number, and the values of one field in what the extractor returned."""

from pathlib import Path

PAGES = Path(__file__).parent / "data" / "extraction_devset" / "pages"


def page(number: str) -> str:
    return (PAGES / f"{number}.txt").read_text(encoding="utf-8")


def values(found: list, field: str) -> list:
    """The values of `field` in records (dicts) or facts (`Fact`), in page order."""
    if found and isinstance(found[0], dict):
        return [r[field] for r in found if r.get(field) is not None]
    return [f.value for f in found if f.field == field]
