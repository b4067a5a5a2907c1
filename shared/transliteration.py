"""Bulgarian Cyrillic -> Latin by the official streamlined system (Закон за транслитерацията, 2009).

The law's table: а a, б b, в v, г g, д d, е e, ж zh, з z, и i, й y, к k, л l, м m, н n,
о o, п p, р r, с s, т t, у u, ф f, х h, ц ts, ч ch, ш sh, щ sht, ъ a, ь y, ю yu, я ya;
and "ия" at the end of a word is "ia" (София -> Sofia). A capital that stands for two or
three Latin letters keeps only its first capital (Жеравна -> Zheravna) unless the whole word
is in capitals (ЖЕРАВНА -> ZHERAVNA). The search uses it so that a name written in Latin
(`Stambolovo`) finds the Cyrillic one (Стамболово).
"""

from __future__ import annotations

import re

_LOWER = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sht",
    "ъ": "a",
    "ь": "y",
    "ю": "yu",
    "я": "ya",
}
_WORD = re.compile(r"[А-Яа-яЀ-ѿ]+")


def _word(word: str) -> str:
    all_caps = len(word) > 1 and word.isupper()
    out = []
    for i, ch in enumerate(word):
        low = ch.lower()
        latin = _LOWER.get(low, ch)
        if low == "я" and i == len(word) - 1 and i > 0 and word[i - 1].lower() == "и":
            latin = "a"  # -ия at the end of a word: ia
        if ch != low:
            latin = latin.upper() if all_caps else latin[:1].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def to_latin(text: str | None) -> str:
    """`text` with every Bulgarian Cyrillic word transliterated; anything else unchanged."""
    if not text:
        return ""
    return _WORD.sub(lambda m: _word(m.group(0)), text)
