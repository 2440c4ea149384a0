"""The part of :mod:`mlcourse` an exercise may import, in the sandbox and in the notebook check.

By default a sandboxed exercise cannot import ``mlcourse`` at all: the library
implements most of what the exercises ask for, and :mod:`mlcourse.exercises`
holds the references. An exercise that genuinely needs a library module (a
base class to subclass) lists it in ``Exercise.sandbox_modules``. The sandbox
then gets a stub ``mlcourse`` package holding copies of exactly those files,
and stub ``__init__.py`` files that re-export their public names, nothing
else: with ``sandbox_modules=("mlcourse.optim.optimizer",)``,
``from mlcourse.optim import Optimizer`` works and
``from mlcourse.optim import SGD`` fails.

:func:`guarded_builtins` gives the notebook check the same view, so a cell
that imports more than its exercise exposes is caught on the student's machine.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any, Iterable

ROOT_PACKAGE = "mlcourse"
# What a sandboxed exercise can import besides the standard library.
SANDBOX_PACKAGES = {"numpy", ROOT_PACKAGE}


class LibraryError(ValueError):
    """An exercise exposes a module that cannot be exposed (a course author's mistake)."""


def public_names(module: types.ModuleType) -> list[str]:
    """The public names of a module: its ``__all__``, else what it defines without a leading ``_``."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return [n for n in names if isinstance(n, str) and hasattr(module, n)]
    return [n for n, v in vars(module).items() if not n.startswith("_")
            and getattr(v, "__module__", module.__name__) == module.__name__
            and not isinstance(v, types.ModuleType)]


def _module_file(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise LibraryError(f"sandbox module {name} is not a Python source file of mlcourse")
    if spec.submodule_search_locations is not None:
        raise LibraryError(f"sandbox module {name} is a package; expose the module inside it that "
                           "holds what the exercise needs (e.g. mlcourse.optim.optimizer)")
    return Path(spec.origin)


def _imports_of(path: Path, name: str) -> set[str]:
    """The mlcourse modules a source file imports at its top level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == ROOT_PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == ROOT_PACKAGE:
                found.add(target)
    return found


def _exports(modules: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """For every package on the way to an exposed module: (relative module, name) it re-exports."""
    exports: dict[str, list[tuple[str, str]]] = {}
    for name in modules:
        module = importlib.import_module(name)
        parts = name.split(".")
        for depth in range(1, len(parts)):
            package_name = ".".join(parts[:depth])
            exports.setdefault(package_name, [])
            package = importlib.import_module(package_name)
            relative = "." + ".".join(parts[depth:])
            for public in public_names(module):
                try:
                    same = getattr(package, public) is getattr(module, public)
                except Exception:  # a lazy package attribute that fails to load
                    same = False
                if same:
                    exports[package_name].append((relative, public))
    return exports


def check_modules(modules: Iterable[str]) -> None:
    """Raise :class:`LibraryError` when a module cannot stand alone in the sandbox."""
    modules = list(modules)
    exposed = set(modules)
    for name in modules:
        path = _module_file(name)
        for imported in sorted(_imports_of(path, name)):
            parents = {".".join(imported.split(".")[:i]) for i in range(1, imported.count(".") + 1)}
            if imported not in exposed and not (imported in parents or imported == ROOT_PACKAGE):
                raise LibraryError(
                    f"sandbox module {name} imports {imported}, which the exercise does not expose: "
                    f"add {imported!r} to sandbox_modules (if it holds no answer) or move what "
                    f"{name} needs into it")


def build_stub_library(modules: Iterable[str], dest: Path) -> Path:
    """Write the stub ``mlcourse`` package for ``modules`` under ``dest``; returns ``dest``.

    Raises
    ------
    LibraryError
        A module is a package, not a source file, or imports an unexposed module.
    """
    modules = sorted(set(modules))
    check_modules(modules)
    dest.mkdir(parents=True, exist_ok=True)
    exports = _exports(modules)
    packages = {".".join(m.split(".")[:i]) for m in modules for i in range(1, m.count(".") + 1)}
    for package in sorted(packages):
        folder = dest.joinpath(*package.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f'"""Sandbox view of {package}: only what the exercise may use."""\n']
        for relative, public in exports.get(package, []):
            lines.append(f"from {relative} import {public}\n")
        (folder / "__init__.py").write_text("".join(lines), encoding="utf-8")
    for name in modules:
        target = dest.joinpath(*name.split(".")).with_suffix(".py")
        target.write_bytes(_module_file(name).read_bytes())
    for path in [dest, *dest.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return dest


class _View(types.ModuleType):
    """A package as the sandbox shows it: only re-exported names and exposed submodules."""


def _view(package: str, exports: dict[str, list[tuple[str, str]]], modules: set[str]) -> _View:
    # A name that no real module has, so that ``from mlcourse import optim`` cannot fall back
    # on the real mlcourse.optim in sys.modules.
    view = _View(f"{package} (as the grader's sandbox shows it)")
    for relative, public in exports.get(package, []):
        setattr(view, public, getattr(importlib.import_module(package + relative), public))
    for name in modules:
        if name.startswith(package + ".") and name.count(".") == package.count(".") + 1:
            setattr(view, name.rsplit(".", 1)[1], importlib.import_module(name))
    prefix = package + "."
    for sub in {".".join(m.split(".")[: package.count(".") + 2]) for m in modules if m.startswith(prefix)}:
        if sub not in modules:
            setattr(view, sub.rsplit(".", 1)[1], _view(sub, exports, modules))
    return view


def guarded_builtins(modules: Iterable[str]) -> dict[str, Any]:
    """Builtins whose ``__import__`` shows the packages as the sandbox would.

    Only the standard library, NumPy and the exposed part of ``mlcourse`` can be imported.

    For the notebook check: the student's exercise cell is re-run with these
    builtins, so an import the grader's sandbox would refuse fails here too,
    with a message naming what the exercise exposes.
    """
    modules = set(modules)
    exports = _exports(modules) if modules else {}
    real_import = builtins.__import__
    allowed = ", ".join(sorted(modules)) or "nothing from mlcourse"

    def guarded_import(name: str, globals: Any = None, locals: Any = None,
                       fromlist: Any = (), level: int = 0) -> Any:
        top = name.split(".")[0]
        if level == 0 and top not in SANDBOX_PACKAGES and top not in sys.stdlib_module_names:
            raise ModuleNotFoundError(
                f"No module named {top!r} in the grader's sandbox, which has only the standard "
                "library and NumPy", name=top)
        if level == 0 and top == ROOT_PACKAGE:
            parts = name.split(".")
            packages = {".".join(m.split(".")[:i]) for m in modules for i in range(1, m.count(".") + 1)}
            if name not in modules and name not in packages:
                raise ModuleNotFoundError(
                    f"No module named {name!r} in the grader's sandbox (this exercise may import "
                    f"{allowed})", name=name)
            if fromlist:
                return importlib.import_module(name) if name in modules else _view(name, exports, modules)
            return _view(parts[0], exports, modules) if parts[0] != name or name not in modules \
                else importlib.import_module(name)
        return real_import(name, globals, locals, fromlist, level)

    names = dict(vars(builtins))
    names["__import__"] = guarded_import
    return names
