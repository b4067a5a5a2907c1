"""A recorded ИСУН mirror for crawler tests: listings and contract pages built from the sample corpus."""

from __future__ import annotations

from sources.recorded import SAMPLE_CORPUS
from tests.fault_server import FaultServer, Route
from tests.isun_bulk_fixtures import add_bulk_routes

CONTRACT_IDS = [str(i) for i in range(1001, 1014)]
TEMPLATE = (SAMPLE_CORPUS / "pages" / "PrintProject_contractId_90210_isHistoric_False.html").read_text("utf-8")
TEMPLATE_CODE = "BG16FFPR003-1.001-0007-C01"
CP1251_CONTRACT = "1007"


def project_code(contract_id: str) -> str:
    return f"BG16FFPR003-1.001-{contract_id}-C01"


def contract_path(contract_id: str) -> str:
    return f"/bg/0/0/Project/PrintProject?contractId={contract_id}&isHistoric=False"


def contract_body(contract_id: str) -> tuple[bytes, str]:
    html = TEMPLATE.replace(TEMPLATE_CODE, project_code(contract_id)).replace(
        "BG16FFPR003-1.001-0007", f"BG16FFPR003-1.001-{contract_id}")
    if contract_id == CP1251_CONTRACT:
        # Declared only in the HTTP header, as old pages often do.
        html = html.replace('<meta charset="utf-8">\n', "")
        return html.encode("cp1251"), "text/html; charset=windows-1251"
    return html.encode("utf-8"), "text/html; charset=utf-8"


def _search_page(ids: list[str], extra_links: str) -> bytes:
    rows = "\n".join(
        f'<tr><td><a href="/bg/0/0/Project/BasicData?contractId={cid}&amp;isHistoric=False">'
        f"{project_code(cid)}</a></td><td>Община Левски</td><td>1 113 000.00</td></tr>" for cid in ids)
    return (f'<html><head><meta charset="utf-8"></head><body><table class="table"><thead><tr><th>Номер</th>'
            f"<th>Бенефициент</th><th>Обща стойност</th></tr></thead><tbody>{rows}</tbody></table>{extra_links}"
            "</body></html>").encode()


def build_mirror(server: FaultServer, foreign_base_url: str) -> None:
    r = server.routes
    r["/bg/0/0/Project/Search"] = Route(_search_page(
        CONTRACT_IDS[0:5],
        '<a href="/bg/0/0/Project/Search?page=2">2</a>'
        f'<a href="{foreign_base_url}/bg/0/0/Project/BasicData?contractId=666&amp;isHistoric=False">elsewhere</a>'))
    r["/bg/0/0/Project/Search?page=2"] = Route(_search_page(
        CONTRACT_IDS[5:9], '<a href="/bg/0/0/Company/Index?uin=000413873">Община Левски</a>'))
    r["/bg/0/0/Company/Index?uin=000413873"] = Route(_search_page(CONTRACT_IDS[9:], ""))
    # The bulk sources in their real shapes: data about every project, no page ids.
    add_bulk_routes(server, [project_code(c) for c in CONTRACT_IDS])
    for cid in CONTRACT_IDS:
        body, ctype = contract_body(cid)
        r[contract_path(cid)] = Route(body, ctype)
