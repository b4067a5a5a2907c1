"""The generated documentation pages are current: `make docs` after a change to settings or the registry."""

import pytest

from pipelines.docs_pages import PAGES, dictionary_page, settings_page, stale
from pipelines.settings import SETTINGS
from registry.fields import FIELDS

pytestmark = pytest.mark.unit


def test_the_generated_pages_are_current():
    assert stale() == [], "run `make docs` and commit docs/settings.md and docs/data-dictionary.md"


def test_the_pages_say_what_the_code_declares():
    page = settings_page()
    assert all(f"`{s.env}`" in page for s in SETTINGS)
    dictionary = dictionary_page()
    assert all(f"| `{name}` | {f.type} |" in dictionary for name, f in FIELDS.items())
    assert "| `start_date` | DATE |" in dictionary and set(PAGES) == {
        "docs/settings.md",
        "docs/data-dictionary.md",
    }
