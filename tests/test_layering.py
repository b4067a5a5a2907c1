"""Layering: `transforms/` imports nothing from `sources/` (the records both exchange live in `records/`)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_packages(source: str) -> set[str]:
    """Top-level packages a module imports, at module level or inside functions."""
    packages = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            packages |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def test_the_walker_sees_imports_inside_functions():
    source = "import os\ndef f():\n    from sources.isun import parse_isun_html\n"
    assert imported_packages(source) == {"os", "sources"}


def test_transforms_import_nothing_from_sources():
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "transforms").rglob("*.py"))
        if "sources" in imported_packages(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_records_import_no_layer():
    for path in sorted((ROOT / "records").rglob("*.py")):
        layers = {"sources", "transforms", "quality", "warehouse", "pipelines"}
        assert not imported_packages(path.read_text(encoding="utf-8")) & layers, path


# Each package of ours on its floor: a package imports only packages on lower floors.
FLOORS = {
    "registry": 0,
    "records": 0,
    "shared": 0,
    "transforms": 1,
    "warehouse": 1,
    "sources": 2,
    "quality": 3,
    "pipelines": 4,
}


def package_imports() -> dict[str, set[str]]:
    """Our package -> the other packages of ours its modules import."""
    graph: dict[str, set[str]] = {}
    for package in FLOORS:
        for path in sorted((ROOT / package).rglob("*.py")):
            found = imported_packages(path.read_text(encoding="utf-8")) & FLOORS.keys()
            graph.setdefault(package, set()).update(found - {package})
    return graph


def test_every_package_of_ours_has_a_floor():
    ours = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert ours == set(FLOORS)


def test_no_package_imports_its_own_floor_or_above():
    upward = [
        f"{package} -> {other}"
        for package, others in package_imports().items()
        for other in sorted(others)
        if FLOORS[other] >= FLOORS[package]
    ]
    assert upward == []


def test_no_module_of_ours_is_in_an_import_cycle():
    # The module graph code versions follow (`pipelines.code_versions.import_graph`), imports
    # inside functions included: a cycle inside a package is caught too, not only across floors.
    from graphlib import CycleError, TopologicalSorter

    from pipelines.code_versions import import_graph

    graph = import_graph()
    assert {"registry.tables", "records.raw", "pipelines.definitions"} <= graph.keys()
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
