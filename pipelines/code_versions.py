"""Code versions of assets: a digest of the modules that hold an asset's logic.

An asset's `code_version` is the SHA-256 (first 16 hex digits) of the source of the
modules named for it and of every project module they import, directly or not (found by
reading their `import` statements, not by importing them). The wiring modules in
`pipelines/` are not part of it unless named: an edit there (a comment, a log line, a
new asset beside) rebuilds nothing, while an edit to `transforms/organisations.py`
changes the code version of `core_bgfunds__organisations` and of whatever else imports
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
PACKAGES = (
    "registry",
    "records",
    "shared",
    "sources",
    "transforms",
    "quality",
    "warehouse",
    "pipelines",
)


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = ROOT.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def _imports(path: Path, name: str) -> frozenset[str]:
    """Project modules `path` imports (absolute or relative), by dotted name."""
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
    return frozenset(m for m in found if _module_path(m) is not None)


@cache
def module_closure(*modules: str) -> tuple[Path, ...]:
    """The files of `modules` and of every project module they import, sorted."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        path = _module_path(name)
        if path is None or name in seen:
            continue
        seen[name] = path
        todo.extend(_imports(path, name))
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


@cache
def code_version(*modules: str) -> str:
    """The code version of an asset whose logic lives in `modules` (dotted names)."""
    paths = module_closure(*modules)
    if not paths:
        raise ValueError(f"code_version: none of {modules} is a module of {', '.join(PACKAGES)}")
    digest = hashlib.sha256()
    for path in [*paths, *_data_files(paths)]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


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
