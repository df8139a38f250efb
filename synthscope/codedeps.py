"""The source files a module's code depends on, found by reading its imports (never by importing).

A stage's code is its module plus every module of the same project it imports, directly or
through others, with the packages' ``__init__`` files on the way and the data files of those
packages that the code names (the report's Jinja templates). Both caches key on this set: the Prefect cache key holds its
digest (``files_digest``) and each ``dvc.yaml`` stage lists it as ``deps``, so editing a
report template re-runs the report and nothing else.

Imports inside functions count too (a stage may import lazily); imports of other
distributions (numpy, torch) do not: their versions are pinned by the environment.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import sys
from pathlib import Path

from synthscope.fingerprint import file_sha256

DATA_SUFFIXES = (".j2", ".html", ".css", ".js", ".json", ".yaml")


@functools.lru_cache(maxsize=64)
def _package_root(top: str) -> Path | None:
    """The folder holding top-level package ``top`` (sys.path order), or None for a plain module."""
    loaded = sys.modules.get(top)
    file = getattr(loaded, "__file__", None)
    if file is None:
        spec = importlib.util.find_spec(top)  # a top-level name: finds it without importing it
        file = None if spec is None else spec.origin
    if file is None or Path(file).name != "__init__.py":
        return None
    return Path(file).resolve().parent.parent


def module_file(name: str) -> Path | None:
    """``a.b.c`` -> ``<root>/a/b/c.py`` or ``<root>/a/b/c/__init__.py``; None when it is not a source file."""
    root = _package_root(name.split(".")[0])
    if root is None:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(name: str, file: Path) -> str:
    return name if file.name == "__init__.py" else name.rpartition(".")[0]


def _nodes(tree: ast.AST, at_import: bool) -> list[ast.AST]:
    """All nodes; with ``at_import``, only those that run when the module is imported (not function bodies)."""
    if not at_import:
        return list(ast.walk(tree))
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        todo += [c for c in ast.iter_child_nodes(node)
                 if not isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)]
    return out


def imported_names(name: str, file: Path) -> set[str]:
    """Every module name ``file`` (module ``name``) may import: absolute, relative, and ``from X import sub``.

    A package's ``__init__`` counts only with what it imports when it is imported: its lazy
    exports (a module ``__getattr__``) load on use, and the code that uses them imports them.
    """
    stat = file.stat()
    return set(_imported_names(name, file, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=1024)
def _imported_names(name: str, file: Path, _mtime_ns: int, _size: int) -> frozenset[str]:
    """``imported_names``, parsed once per version of the file: the stages share most of their
    modules, and parsing them again for every task's cache key cost an audit 1.8 CPU-seconds."""
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    package = _package_of(name, file)
    found: set[str] = set()
    for node in _nodes(tree, at_import=file.name == "__init__.py"):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # kept only when a file exists
    return frozenset(found)


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _data_files(package_dir: Path) -> list[Path]:
    """Non-Python files in the package's own sub-folders that are not packages (``templates/``)."""
    out: list[Path] = []
    for sub in sorted(p for p in package_dir.iterdir() if p.is_dir() and not (p / "__init__.py").exists()):
        out += sorted(f for f in sub.rglob("*") if f.is_file() and f.suffix in DATA_SUFFIXES)
    return out


def _named_data_files(candidates: list[Path], sources: list[Path]) -> set[Path]:
    """The data files whose names the code mentions, or a data file it uses mentions
    (``{% include "utility.html.j2" %}``): a template belongs to the modules that load it, not to
    every importer of its package (the monitor imports ``synthscope.report`` but renders only
    ``monitor.html.j2``, so editing ``report.html.j2`` leaves it alone)."""
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in sources]
    named: set[Path] = set()
    while found := [f for f in candidates if f not in named and any(f.name in t for t in texts)]:
        named.update(found)
        texts = [f.read_text(encoding="utf-8", errors="replace") for f in found]
    return named


@functools.lru_cache(maxsize=256)
def code_files(*modules: str) -> tuple[Path, ...]:
    """The source and data files of ``modules`` and of every module of their own projects they import.

    "Their own projects": the top-level packages of ``modules`` (``synthscope``; a plugin's
    package too), so a stage declared outside synthscope lists its own files and synthscope's.
    """
    projects = {m.split(".")[0] for m in modules} | {"synthscope"}
    seen: dict[str, Path] = {}
    todo = [n for m in modules for n in _with_parents(m)]
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] not in projects:
            continue
        file = module_file(name)
        if file is None:
            continue
        seen[name] = file
        todo += [n for imported in imported_names(name, file) for n in _with_parents(imported)]
    files = set(seen.values())
    data = [d for file in files if file.name == "__init__.py" for d in _data_files(file.parent)]
    return tuple(sorted(files | _named_data_files(data, sorted(files))))


def project_name(file: Path) -> str:
    """``file``'s path below the folder that holds its top-level package (``synthscope/io.py``):
    the same wherever the project is checked out or installed."""
    package = file.parent
    while not (package / "__init__.py").is_file() and package != package.parent:  # templates/ -> report/
        package = package.parent
    while (package.parent / "__init__.py").is_file():
        package = package.parent
    return file.relative_to(package.parent).as_posix()


def files_digest(files: tuple[Path, ...]) -> str:
    """sha256 over the files' project names and contents."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(project_name(file).encode())
        digest.update(file_sha256(file).encode())
    return digest.hexdigest()
