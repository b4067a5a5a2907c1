"""A list of projects read as rows: one amount per item, one project per item, in page order.

What belongs here: the structural reader that finds a list of several projects or sites, each with its own
amount, before the sentence rules look at single amounts (as `record_card` reads "label: value" rows). Two
shapes of list, whatever the wording of the items:

- lines: an announcing line that speaks of projects or sites and ends in ":" ("Одобрените проекти на Община
  Рудозем:"), then at least two lines opened by a bullet, a number or a dash, each naming a work and its amount;
- items of one sentence, each "за <work or place> … <amount>", joined by commas, semicolons or "и" ("За подмяна
  на водопроводната мрежа в село Лозево сумата е 9 500 000 лева, за Градище 9 184 900 лева, за Черенча …").

Guards: an item whose name is a source of money (a fund, a grant, "от които"), a municipality or a region (an
allotment), a year (a budget per year), or whose amount is approximate ("близо", "над") is no project's row,
and a list with such an item is not read at all (a breakdown of one project's money or of a budget).
What does not belong here: turning rows into records (facts.py) and single amounts (the sentence rules).
"""

from __future__ import annotations

import re

from transforms.text_values import find_money

_ANNOUNCING_LINE = re.compile(r"(?<![\w-])(проект\w*|обект\w*)\b[^\n]*:[^\S\n]*$", re.I)
_ITEM_LINE = re.compile(r"^[^\S\n]*(\d{1,2}[.)]|[•·▪*–—-])[^\S\n]*\S")
# a source of money, a share, or an allotment to a municipality or a region: not a project's name
_NOT_A_PROJECT = re.compile(
    r"финансир\w*|помощ|фонд\w*|съфинанс\w*|принос|от\s+които|ЕЗФРСР|ЕФРР|ЕСФ|\bЕС\b|"
    r"^[^\S\n]*(\d{1,2}[.)]|[•·▪*–—-])?[^\S\n]*(общин\w*|област\w*)\s+[А-Я]\w*[^\S\n]*[:–—-]",
    re.I,
)
_APPROXIMATE_BEFORE = re.compile(r"(около|близо|над|почти|приблизително|до|между|към)\s*$", re.I)
_FOR_WORK = re.compile(r"(?<![\w-])[Зз]а\s+(?!(общин|област)\w*)(?!\d)[^\W\d]")
_NEXT_ITEM = re.compile(r"^[^\S\n]*[,;][^\S\n]*(и\s+)?|^[^\S\n]+и\s+")


def _usable(text: str, money) -> bool:
    return not _APPROXIMATE_BEFORE.search(
        text[max(0, money.start - 20) : money.start]
    ) and not re.match(r"\s*%", text[money.end : money.end + 3])


def _line_rows(text: str) -> list:
    """Amounts of the item lines under an announcing line, one per line (the first in each)."""
    lines = text.split("\n")
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    money = find_money(text)
    for index, line in enumerate(lines):
        # (a line that states an amount itself announces its breakdown: "Общата стойност на проекта е 774 224,43
        # лв. от които:")
        if not _ANNOUNCING_LINE.search(line) or find_money(line) or re.search(r"от\s+които", line):
            continue
        rows = []
        for following in range(index + 1, len(lines)):
            item = lines[following]
            if not item.strip():
                if rows:
                    break
                continue
            if not _ITEM_LINE.match(item):
                break
            start, end = offsets[following], offsets[following] + len(item)
            amounts = [m for m in money if start <= m.start and m.end <= end]
            if not amounts:
                break
            name = text[start : amounts[0].start]
            # (an item must name its work before its amount: "- 569 878,59 лв. по ОП РЧР;" names a source after it)
            named = len(re.findall(r"[^\W\d_]", name)) >= 3
            if not named or _NOT_A_PROJECT.search(name) or not _usable(text, amounts[0]):
                rows = []
                break
            rows.append(amounts[0])
        if len(rows) >= 2:
            return rows
    return _counted_line_rows(text, lines, offsets, money)


# "… Община Провадия получи финансиране за два важни проекта на обща стойност 13 658 800 лв.\n\n- Размерът на
# полученото финансиране е близо седем пъти по-голям …\n\n- Основен ремонт на път VAR 1211 – … на стойност 7 965 000
# лв.\n\n- Основен ремонт на път VAR 2217 – … на стойност 5 693 800 лв.": a line that counts the projects
# announces the dash lines under it (blank lines between them); a line that is a remark (no work named, a source,
# an approximate amount) is no item, and the list is read only where its items are as many as the count.
_COUNTED_PROJECTS = re.compile(
    r"(?<![\w-])(?P<count>два|две|три|четири|пет|\d)\s+(\w+\s+){0,2}?(проекта|обекта)\b", re.I
)
_COUNTS = {"два": 2, "две": 2, "три": 3, "четири": 4, "пет": 5}


def _counted_line_rows(text: str, lines: list[str], offsets: list[int], money: list) -> list:
    for index, line in enumerate(lines):
        counted = _COUNTED_PROJECTS.search(line)
        if not counted:
            continue
        word = counted["count"].lower()
        count = int(word) if word.isdigit() else _COUNTS[word]
        rows = []
        for following in range(index + 1, len(lines)):
            item = lines[following]
            if not item.strip():
                continue
            if not _ITEM_LINE.match(item):
                break
            start, end = offsets[following], offsets[following] + len(item)
            amounts = [m for m in money if start <= m.start and m.end <= end]
            name = text[start : amounts[0].start] if amounts else ""
            if (
                amounts
                and len(re.findall(r"[^\W\d_]", name)) >= 3
                and not _NOT_A_PROJECT.search(name)
                and _usable(text, amounts[0])
            ):
                rows.append(amounts[0])
        if len(rows) == count >= 2:
            return rows
    return []


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: cut at a full stop before a capital, a line that ends one, a blank line."""
    cuts = [0] + [
        m.end() for m in re.finditer(r"[.!?;]\s*\n|\n\s*\n|(?<=[а-я\d])\.\s+(?=[А-Я])", text)
    ]
    return list(zip(cuts, [*cuts[1:], len(text)], strict=False))


def _sentence_rows(text: str) -> list:
    """Amounts of the "за <work> … <amount>" items of one sentence, where every amount in it is one."""
    money = find_money(text)
    for start, end in _sentences(text):
        amounts = [m for m in money if start <= m.start and m.end <= end]
        if len(amounts) < 2:
            continue
        rows, previous_end = [], start
        for m in amounts:
            segment = text[previous_end : m.start]
            if previous_end != start:
                # a later item opens right after the previous amount's separator with "за"
                opened = _NEXT_ITEM.match(segment)
                if not opened or not _FOR_WORK.match(segment[opened.end() :]):
                    rows = []
                    break
            elif not _FOR_WORK.search(segment):
                break
            if _NOT_A_PROJECT.search(segment) or not _usable(text, m):
                rows = []
                break
            rows.append(m)
            previous_end = m.end
        if len(rows) >= 2:
            return rows
    return []


# "От тях 170 хил.лв. ще бъдат инвестиране за санирането на местната Детска градина, 200 000 лв. за канализацията
# на ул. "Хан Аспарух" до края на август и 650 хил. лв. за ремонт и реконструкция на уличната мрежа …": the items
# of one sentence may state the amount first and the work after it
_WORK_AFTER_AMOUNT = re.compile(
    r"^[^\S\n]*(ще\s+бъдат\s+\w+\s+)?за\s+(?!(общин|област)\w*)(?!\d)[^\W\d]", re.I
)
_ITEM_SEPARATOR_BEFORE = re.compile(r"([,;][^\S\n]*(и\s+)?|\s+и\s+)$")


def _sentence_rows_work_after(text: str) -> list:
    """Amounts of the "<amount> за <work>" items of one sentence, where every amount in it is one."""
    money = find_money(text)
    for start, end in _sentences(text):
        amounts = [m for m in money if start <= m.start and m.end <= end]
        if len(amounts) < 2:
            continue
        ok = all(_WORK_AFTER_AMOUNT.match(text[m.end : end]) and _usable(text, m) for m in amounts)
        segments = [text[a.end : b.start] for a, b in zip(amounts, amounts[1:], strict=False)]
        ok = ok and all(
            _ITEM_SEPARATOR_BEFORE.search(segment) and not _NOT_A_PROJECT.search(segment)
            for segment in segments
        )
        if ok:
            return amounts
    return []


def project_rows(text: str) -> list:
    """The amounts (`Found`) of a list of at least two projects, one per project in page order; else []."""
    return _line_rows(text) or _sentence_rows(text) or _sentence_rows_work_after(text)
