"""Code versions follow the import graph into every package of ours, `records/` included."""

import shutil
from pathlib import Path

import pytest

from pipelines.code_versions import (
    ROOT,
    VERSIONED_MODULES,
    code_version_at,
    import_graph,
    module_closure,
)

pytestmark = pytest.mark.unit


def _copy_tree(target: Path) -> Path:
    """Our packages (sources and data files) copied to `target`, as the build would read them."""
    for init in ROOT.glob("*/__init__.py"):
        shutil.copytree(
            init.parent,
            target / init.parent.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    return target


def _asset_versions() -> dict[str, str]:
    from pipelines.definitions import defs

    return {
        key.to_user_string(): version
        for assets_def in defs.assets
        for key, version in assets_def.code_versions_by_key.items()
        if version
    }


def test_the_graph_reaches_the_ground_floor_packages():
    # No list of packages: registry/, records/ and shared/ are followed like the layers.
    files = {p.relative_to(ROOT).as_posix() for p in module_closure("pipelines.isun_batches")}
    assert {"records/isun_page.py", "registry/tables.py", "transforms/isun.py"} <= files
    graph = import_graph()
    assert "records.isun_page" in graph["transforms.isun"]


def test_an_edit_in_records_changes_exactly_the_assets_that_use_it(tmp_path):
    versions = _asset_versions()
    root = _copy_tree(tmp_path)
    assert all(code_version_at(root, *VERSIONED_MODULES[v]) == v for v in versions.values()), (
        "a copied tree gives the same versions"
    )
    edited = root / "records" / "isun_page.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    changed = {
        asset for asset, v in versions.items() if code_version_at(root, *VERSIONED_MODULES[v]) != v
    }
    users = {
        asset
        for asset, v in versions.items()
        if edited in module_closure(*VERSIONED_MODULES[v], root=root)
    }
    assert changed == users
    # The ИСУН page tables are parsed into records.isun_page's dataclass; the gazetteer is not.
    assert {
        "_core_isun__project_pages",
        "activities",
    } <= changed  # `projects` joins them with the bulk rows
    assert "places" not in changed
