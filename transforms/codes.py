"""Project, procedure and programme codes of the 2007–13, 2014–20 and 2021–27 periods.

`BG05SFOP001-2.009-0010-C01` = programme `BG05SFOP001` / procedure `BG05SFOP001-2.009` /
proposal `0010` / contract `C01`; 2007–13 codes look like `BG051PO001-2.3.03-1097-C0001`,
Recovery Plan codes `BG-RRP-2.004-0005-C01`. Which programme a code names (its name,
period and funds) is `transforms.programmes`.
Real pages carry typos (Cyrillic look-alike letters, dash variants, missing dashes): they
are normalised and every repair is reported as a flag, so nothing is silently rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from registry.formats import (  # noqa: F401  (re-exported: the formats codes are parsed into)
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


def parse_code(text: str) -> ParsedCode:
    """Split a project or procedure code into its parts, repairing common typos.

    Flags: `cyrillic_lookalike`, `dash_variant`, `whitespace`, `lowercase`, `missing_dash`.
    """
    flags: list[str] = []
    s = text.strip()
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
