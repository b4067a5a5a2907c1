"""Project, procedure and programme codes of the 2007–13, 2014–20 and 2021–27 periods.

`BG05SFOP001-2.009-0010-C01` = programme `BG05SFOP001` / procedure `BG05SFOP001-2.009` /
proposal `0010` / contract `C01`; 2007–13 codes look like `BG051PO001-2.3.03-1097-C0001`,
Recovery Plan codes `BG-RRP-2.004-0005-C01`; the other families a page may name (EEA grants,
Interreg, ДФЗ contracts, PHARE, Solidarity Fund, LIFE, ОПОС 2007–13 contracts, the Swiss
programme) have a validated form and a `code_scheme` below.
Which programme a code names (its name,
period and funds) is `transforms.programmes`.
Real pages carry typos (Cyrillic look-alike letters, dash variants, missing dashes): they
are normalised and every repair is reported as a flag, so nothing is silently rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from registry.formats import (  # noqa: F401  (re-exported: the formats codes are parsed into)
    CODE_SCHEME_REGEX,
    PROCEDURE_CODE_REGEX,
    PROGRAMME_CODE_REGEX,
    PROJECT_CODE_REGEX,
)
from registry.formats import (
    PROGRAMME_PATTERN as _PROGRAMME,
)

# Cyrillic letters that look like the Latin ones used in codes.
_LOOKALIKES = str.maketrans("АВСЕНКМОРТХУасеоркх", "ABCEHKMOPTXYACEOPKX")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")

CODE_PATTERN = re.compile(
    rf"^(?P<programme>{_PROGRAMME})(?P<d1>-?)(?P<axis>\d{{1,2}}(?:\.\d{{1,3}}){{1,2}})"
    rf"(?:(?P<d2>-?)(?P<proposal>\d{{3,5}})(?:(?P<d3>-?)(?P<contract>C\d{{2,4}}))?)?$"
)


class CodeError(ValueError):
    """Text that is not a project or procedure code, even after repairs."""


@dataclass(frozen=True)
class ParsedCode:
    code: str
    programme_code: str
    procedure_code: str
    proposal_no: str | None
    contract_no: str | None
    flags: tuple[str, ...] = field(default=())

    @property
    def is_project(self) -> bool:
        return self.proposal_no is not None


def _plain(s: str, flags: list[str]) -> str:
    """`s` without spaces, with plain dashes and Latin letters for Cyrillic look-alikes; each
    repair made appended to `flags`."""
    if re.search(r"\s", s):
        flags.append("whitespace")
        s = re.sub(r"\s+", "", s)
    if _DASHES.search(s):
        flags.append("dash_variant")
        s = _DASHES.sub("-", s)
    latin = s.translate(_LOOKALIKES)
    if latin != s:
        flags.append("cyrillic_lookalike")
        s = latin
    return s


def parse_code(text: str) -> ParsedCode:
    """Split a project or procedure code into its parts, repairing common typos.

    Flags: `cyrillic_lookalike`, `dash_variant`, `whitespace`, `lowercase`, `missing_dash`.
    """
    flags: list[str] = []
    s = text.strip()
    s = _plain(s, flags)
    if s != s.upper():
        flags.append("lowercase")
        s = s.upper()
    m = CODE_PATTERN.match(s)
    if not m:
        raise CodeError(f"not a project or procedure code: {text!r}")
    if any(m.group(d) == "" for d in ("d1", "d2", "d3") if m.group(d) is not None):
        flags.append("missing_dash")
    programme = m.group("programme")
    procedure = f"{programme}-{m.group('axis')}"
    proposal, contract = m.group("proposal"), m.group("contract")
    code = procedure
    if proposal:
        code += f"-{proposal}"
    if contract:
        code += f"-{contract}"
    return ParsedCode(code, programme, procedure, proposal, contract, tuple(flags))


# --- the other code families (issue 26) ---------------------------------------------------------------------------
# ИСУН's own codes are parsed above; the families below have no procedure or programme parts we read,
# only a validated form (`registry.formats.CODE_SCHEME_REGEX`) and a family name, the `code_scheme`.

_SCHEME_RES = {scheme: re.compile(regex) for scheme, regex in CODE_SCHEME_REGEX.items()}
# In running text, as printed: a space or a dash variant inside a PHARE number ("BG 0106.07.01 – 064"),
# Cyrillic look-alikes in the letters.
SCHEME_CODE_IN_TEXT = re.compile(
    r"(?<![\w/.])(?:"
    r"(?P<interreg>[RР][OО][BВ][GГ]\s?[-–]\s?\d{1,4})(?![\d.])"
    # a ДФЗ number may run into its contract's date ("08/321/01362/27.11.2012 г.")
    r"|(?P<dfz>\d{2}/\d{2}/\d/\d/\d{5}|\d{2}/\d{3}/\d{5}|\d{2}/\d/\d{7})(?!\d|/(?!\d{1,2}\.\d{1,2}\.(?:19|20)\d\d))"
    r"|(?P<phare>[BВ][GГ]\s?\d{4}\.\d{2}\.\d{2}\s?[-–—]\s?\d{3})(?!\d)"
    r"|(?P<solidarity>\d{4}[BВ][GГ]16[SС][PР][OО]\d{3}-\d{4})(?!\d)"
    r"|(?P<eea>BG(?:LD|ENERGY|ENVIRONMENT|CULTURE|INNOVATION|JUSTICE|HOME|SOCIAL|BUSINESS|RESEARCH)"
    r"-\d{1,2}\.\d{3}(?:-\d{4}(?:-C\d{2})?)?)(?![\d.])"
    r"|(?P<life>LIFE\s?\d{2}\s?(?:NAT|ENV|INF|BIO|CCM|CCA|GIE|GIC|IPE|IPC|PRE|TCY)\s?/\s?[A-Z]{2}\s?/\s?\d{3,6})"
    r"(?![\d/])"
    # ОП „Околна среда“ 2007–13's grant contract ("58111-с077-268", often with a Cyrillic с)
    r"|(?P<opos>\d{5}-[cс]\d{3}-\d{3})(?![\d-])"
    # the Bulgarian–Swiss programme's Partnership Fund ("PF 022-038/11.04.2014г.")
    r"|(?P<swiss>PF\s?\d{3}\s?-\s?\d{3})(?!\d)"
    r")"
)


def code_scheme(code: str | None) -> str | None:
    """The family whose published form a project code has (`isun`, `rrp`, `eea`, `interreg`, `dfz`,
    `phare`, `solidarity`, `life`, `opos`, `swiss`), or None where no form fits."""
    if not code:
        return None
    return next((s for s, regex in _SCHEME_RES.items() if regex.match(code)), None)


def normalise_scheme_code(raw: str) -> tuple[str, list[str]]:
    """A code of one of the other families as published: spaces dropped, dashes and Cyrillic
    look-alike letters made plain; the repairs as flags."""
    flags = []
    s = raw
    life = re.fullmatch(r"LIFE\s?(\d{2})\s?([A-Z]{2,3})\s?/\s?([A-Z]{2})\s?/\s?(\d{3,6})", s)
    if life:  # the Commission's own form keeps one space: "LIFE11 NAT/BG/360"
        code = f"LIFE{life[1]} {life[2]}/{life[3]}/{life[4]}"
        return code, ["whitespace"] if code != s else []
    swiss = re.fullmatch(r"PF\s?(\d{3})\s?-\s?(\d{3})", s)
    if swiss:  # the programme prints "PF 022-038"
        code = f"PF {swiss[1]}-{swiss[2]}"
        return code, ["whitespace"] if code != s else []
    opos = re.fullmatch(r"(\d{5})-([cс])(\d{3})-(\d{3})", s)
    if opos:  # printed with a small c, often the Cyrillic one
        return f"{opos[1]}-c{opos[3]}-{opos[4]}", ["cyrillic_lookalike"] if opos[2] == "с" else []
    s = _plain(s, flags)
    return s, flags
