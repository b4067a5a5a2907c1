"""Procedure names from ИСУН's project-proposals export: one request names every procedure.

PrintProject prints every section of a contract except its procedure's name (BasicData's procedure
link). The site's `ProjectProposals` controller (`ProjectProposalsController.RenderTemplate`,
nims-ccu `eufunds_src/`) exports one row per procedure — `Номер на процедура` (`Procedure.Code`) and
`Име на процедура` (`Procedure.Name`, the very column BasicData prints: `ContractsRepository`
`ProcedureName = pr.Name`) — for every procedure of every programme when no `programmeId` is given
(`GetStatisticProjects(null, null, null, 0, null)`: no filter, no page limit). Its `ExportToHtml`
action renders the template as HTML tables (`Views/Shared/ExportHtml.cshtml`); a public tracker
reads that URL hourly in 2026 (kkafadarova/isun-proposals-tracker, `ExportToHtml?...&ShowRes=True`).

The export leaves out cancelled procedures and those without a version, and knows nothing of the
historic (2007–13) contracts: a contract whose procedure the export does not name still gets one
BasicData per procedure (`sources.isun_crawl`).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

from sources.charset import decode_body

PROCEDURES_EXPORT_PATH = "/bg/0/0/ProjectProposals/ExportToHtml"
# Texts.resx (../isun_labels_bg_en.json): the export's column headers, Bulgarian and English.
CODE_HEADERS = ("Номер на процедура", "Procedure Number")  # ProjectProposals_Index_ProcedureNumber
NAME_HEADERS = ("Име на процедура", "Procedure Name")  # ProjectProposals_Index_ProcedureNamе


def procedures_export_url(base_url: str) -> str:
    """The export of every programme's procedures (no `programmeId`: all of them)."""
    return urljoin(base_url.rstrip("/") + "/", PROCEDURES_EXPORT_PATH.lstrip("/"))


def is_procedures_export(url: str) -> bool:
    if "exporttohtml" not in url.lower():  # every contract page: no URL parse needed to say no
        return False
    return urlparse(url).path.rstrip("/").lower().endswith("/projectproposals/exporttohtml")


class ProceduresExportError(ValueError):
    """The body is not the export's table of procedures."""


def parse_procedures_export(body: bytes | str, content_type: str | None = None) -> dict[str, str]:
    """procedure code -> name, from the export's HTML (the table whose header row has the procedure
    number and name columns); raises `ProceduresExportError` naming what is missing."""
    from bs4 import BeautifulSoup

    html = decode_body(body, content_type) if isinstance(body, bytes) else body
    soup = BeautifulSoup(html, "lxml")
    for table in soup.find_all("table"):
        rows = table.find_all("tr")
        if not rows:
            continue
        header = [td.get_text(" ", strip=True) for td in rows[0].find_all(["td", "th"])]
        code_at = next((header.index(h) for h in CODE_HEADERS if h in header), None)
        name_at = next((header.index(h) for h in NAME_HEADERS if h in header), None)
        if code_at is None or name_at is None:
            continue
        names: dict[str, str] = {}
        for row in rows[1:]:
            cells = [td.get_text(" ", strip=True) for td in row.find_all(["td", "th"])]
            if len(cells) <= max(code_at, name_at):
                continue
            code, name = cells[code_at], " ".join(cells[name_at].split())
            if code and name:
                names[code] = name
        return names
    raise ProceduresExportError(
        f"procedures export: no table with the columns {CODE_HEADERS[0]!r} and {NAME_HEADERS[0]!r}"
    )
