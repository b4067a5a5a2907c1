"""The Data Docs' scripts, style sheets and fonts shipped with the release, not loaded from CDNs.

Great Expectations writes Data Docs that load jQuery, Bootstrap, bootstrap-table, Popper,
bootstrap-datepicker, Font Awesome and Vega from public CDNs, which `bgfunds serve`'s
Content-Security-Policy (`default-src 'self'`) blocks and which an offline reader cannot
reach: the report would show unstyled, its tables without sorting or filters. The same
files, from the npm registry (`quality/data_docs_assets/`, each with its licence; see its
README), are copied into the Data Docs (`static/vendor/`) and every page's references are
rewritten to them, relative to the page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ASSETS = Path(__file__).parent / "data_docs_assets"
# The last part of a CDN URL's path -> the shipped file (under static/vendor/).
SHIPPED = {
    "jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "popper.min.js": "popper/popper.min.js",
    "bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "bootstrap-table-filter-control.css": "bootstrap-table/bootstrap-table-filter-control.min.css",
    "bootstrap-table-filter-control.min.css": "bootstrap-table/bootstrap-table-filter-control.min.css",
    "bootstrap-table-filter-control.min.js": "bootstrap-table/bootstrap-table-filter-control.min.js",
    "bootstrap-datepicker.min.css": "bootstrap-datepicker/bootstrap-datepicker.min.css",
    "bootstrap-datepicker.min.js": "bootstrap-datepicker/bootstrap-datepicker.min.js",
    "bootstrap-prefers-dark.css": "bootstrap-dark/bootstrap-prefers-dark.min.css",
    "all.min.css": "fontawesome/css/all.min.css",
    "vega@5": "vega/vega.min.js",
    "vega-lite@5": "vega/vega-lite.min.js",
    "vega-embed@6": "vega/vega-embed.min.js",
}
_ASSET_URL = re.compile(r'(?P<attr>src|href)="(?P<url>https?://[^"]+)"')
_LOGO = "great-expectations-web-assets"


class UnshippedAsset(ValueError):
    """A Data Docs page loads a file from the web that is not shipped (a newer GX, say)."""


def _local(url: str, prefix: str, page: Path) -> str | None:
    """The page-relative path of the shipped file for a CDN URL (None: not an asset, a link)."""
    name = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    if _LOGO in url:
        return f"{prefix}static/images/{name}"
    if name in SHIPPED:
        return f"{prefix}static/vendor/{SHIPPED[name]}"
    if any(
        host in url for host in ("unpkg.com", "cdnjs.", "jsdelivr", "bootstrapcdn", "code.jquery")
    ):
        raise UnshippedAsset(f"{page}: {url} is loaded from a CDN and not shipped in {ASSETS}")
    return None


def localise(docs_dir: Path | str) -> int:
    """Copy the assets into `docs_dir/static/vendor/` and point every page at them; return pages changed."""
    docs_dir = Path(docs_dir)
    shutil.copytree(ASSETS, docs_dir / "static" / "vendor", dirs_exist_ok=True)
    changed = 0
    for page in docs_dir.rglob("*.html"):
        prefix = "../" * (len(page.relative_to(docs_dir).parts) - 1)
        text = page.read_text(encoding="utf-8")

        def swap(m: re.Match, page=page, prefix=prefix) -> str:
            local = _local(m.group("url"), prefix, page)
            return m.group(0) if local is None else f'{m.group("attr")}="{local}"'

        new = _ASSET_URL.sub(swap, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed
