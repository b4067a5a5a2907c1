"""Page furniture: what a page prints around its article, which is never a fact of the project it reports.

What belongs here: the recognisers of a page's own frame — an update, publication or crawl date and its
label, a dateline opening a line ("12.03.2024 | 10:35 | Новини"), and the lines that end the article (a
related-news box, comments, share buttons, tags, a copyright footer). `sources.extract.facts` asks them
before it gives a date or an amount a role. What does not belong here: the rules that read project facts.
"""

from __future__ import annotations

import re

# Page furniture: an update, publication or crawl date ("Последна актуализация: 12.03.2024",
# " date 2025-09-17", "Дата на публикуване: …") is the page's, never a project's.
_FURNITURE_LABEL = re.compile(
    r"([Пп]оследна\s+(актуализация|промяна|редакция)|[Аа]ктуализиран\w*(\s+на)?|[Пп]убликуван\w*(\s+на)?|"
    r"Дата\s+на\s+публикуване|(?<![\w-])date|Updated|Published|Last\s+(updated|modified))\s*:?\s*$",
    re.I,
)


def is_furniture_label(before: str) -> bool:
    """Whether the words just before a date are an update, publication or crawl label."""
    return bool(_FURNITURE_LABEL.search(before))


# A dateline: a date opening its line and followed there by a time, a separator or nothing ("12.03.2024 | 10:35 |
# Новини", "07.12.2026, 14:20") is the page's (published, crawled), whatever the next line says.
_DATELINE_REST = re.compile(r"^[^\S\n]*(г\.?|година)?[^\S\n]*([,|•·/–—-]|\d{1,2}:\d{2}|\n|$)")


def is_dateline(text: str, start: int, end: int) -> bool:
    """Whether the date at `start`–`end` of `text` is a dateline (the page's date, not a project's)."""
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip(" \t•|·-–—") and bool(
        _DATELINE_REST.match(text[end : end + 40])
    )


# Page furniture that ends the article: a related-news box's heading, a comments or share block, tags, a
# copyright footer, standing alone on its line. What follows it is other pages' news, never this page's project.
_ARTICLE_END = re.compile(
    r"(?im)^[^\S\n]*(Свързани\s+(новини|статии|публикации)|Още\s+(новини|по\s+темата|от\s+категорията|статии)|"
    r"Последни\s+новини|Прочетете\s+(още|също)|Най-четени|Виж(те)?\s+още|Related\s+(articles|news|posts)|"
    r"Read\s+more|Подобни\s+(новини|статии)|Други\s+новини|Коментари|Напиши\s+коментар|Сподели|Tags\s*:|"
    r"Тагове|Етикети\s*:|©|Copyright|Всички\s+права\s+(са\s+)?запазени)([^\n]{0,50})$"
)
_ARTICLE_MIN = (
    400  # a heading before this much prose is the site's frame above the article, not its end
)


def article_end(text: str) -> int:
    """Where the article ends: the first end-of-article furniture line after some prose, else the text's end."""
    for m in _ARTICLE_END.finditer(text):
        prose = sum(len(line) for line in text[: m.start()].splitlines() if len(line) >= 80)
        if prose >= _ARTICLE_MIN:
            return m.start()
    return len(text)
