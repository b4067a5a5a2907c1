"""Code versions of assets: a digest of the modules that hold an asset's logic.

An asset's `code_version` is the SHA-256 (first 16 hex digits) of the source of the
modules named for it and of every module of ours they import, directly or not (found by
reading their `import` statements, not by importing them). "Ours" is read from the tree,
not listed: any top-level folder with an `__init__.py` (`registry/`, `records/`, `shared/`
and the layers alike), so a new package counts the day it is imported. The wiring modules in
`pipelines/` are not part of it unless named: an edit there (a comment, a log line, a
new asset beside) rebuilds nothing, while an edit to `transforms/organisations.py`
changes the code version of `organisations` and of whatever else imports
it, and only those assets are rebuilt (`pipelines.quiet_night`). Data files the code
reads (the seeds in `transforms/data/*.csv`) count when they sit beside a module of the
closure or in a `data/` folder beside it.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def is_ours(package: str, root: Path = ROOT) -> bool:
    """A top-level package of this repository (a folder beside `pipelines/` with an `__init__.py`)."""
    return package.isidentifier() and (root / package / "__init__.py").is_file()


def module_path(name: str, root: Path = ROOT) -> Path | None:
    """The file of module `name` if it is one of ours, else None (a library, the standard library)."""
    parts = name.split(".")
    if not is_ours(parts[0], root):
        return None
    base = root.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def imports_of(path: Path, name: str, root: Path = ROOT) -> frozenset[str]:
    """Modules of ours `path` (module `name`) imports, absolute or relative, at module level or
    inside functions, by dotted name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(m for m in found if m != name and module_path(m, root) is not None)


def import_graph(root: Path = ROOT) -> dict[str, frozenset[str]]:
    """Every module of ours -> the modules of ours it imports (the graph code versions follow)."""
    graph = {}
    for init in sorted(root.glob("*/__init__.py")):
        for path in sorted(init.parent.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if module_path(name, root) == path:
                graph[name] = imports_of(path, name, root)
    return graph


@cache
def module_closure(*modules: str, root: Path = ROOT) -> tuple[Path, ...]:
    """The files of `modules` and of every module of ours they import, sorted."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        path = module_path(name, root)
        if path is None or name in seen:
            continue
        seen[name] = path
        todo.extend(imports_of(path, name, root))
    return tuple(sorted(set(seen.values())))


def _data_files(paths: tuple[Path, ...]) -> list[Path]:
    """Seed files (CSV, JSON) beside the closure's modules or in a `data/` folder beside them."""
    folders = sorted({p.parent for p in paths})
    return [
        f
        for d in folders
        for f in sorted([*d.glob("*"), *d.glob("data/*")])
        if f.suffix in (".csv", ".json")
    ]


# The modules each code version was asked for, by version: what `code_version_at` recomputes.
VERSIONED_MODULES: dict[str, tuple[str, ...]] = {}


def code_version_at(root: Path, *modules: str) -> str:
    """The code version of `modules` in the source tree at `root`."""
    paths = module_closure(*modules, root=root)
    if not paths:
        raise ValueError(f"code_version: none of {modules} is a module of ours under {root}")
    digest = hashlib.sha256()
    for path in [*paths, *_data_files(paths)]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def code_version(*modules: str) -> str:
    """The code version of an asset whose logic lives in `modules` (dotted names)."""
    version = code_version_at(ROOT, *modules)
    VERSIONED_MODULES[version] = modules
    return version


def library_versions() -> list[str]:
    """`name==version` of each installed direct dependency of bgfunds (from its package metadata)."""
    try:
        requirements = importlib.metadata.requires("bgfunds") or []
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return []
    names = sorted(
        {re.split(r"[\s;=<>!~\[]", r, maxsplit=1)[0] for r in requirements if "extra ==" not in r}
    )
    versions = []
    for name in names:
        try:
            versions.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} missing")
    return versions
