"""The architecture, checked: no module reaches into another's private members.

(The layers and the absence of package cycles are checked by ``lint-imports`` in
``scripts/test``, from the contracts in ``pyproject.toml``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "heron"


def _own_names(tree: ast.AST) -> set[str]:
    """Names a module defines itself: its functions, classes, globals and the
    attributes its classes set on ``self``/``cls``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_reaches(path: Path) -> list[str]:
    """``x._name`` for a ``_name`` the module does not define, ``getattr(x, "_name")``
    and ``from heron.mod import _name``: each a reach into another module's privates."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _own_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            found.append(f"{path.name}:{node.lineno} {node.func.id}(..., {node.args[1].value!r})")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("heron"):
            found.extend(
                f"{path.name}:{node.lineno} import {node.module}.{a.name}"
                for a in node.names
                if _private(a.name)
            )
    return found


def test_no_module_reaches_into_another_modules_private_members() -> None:
    reaches = [
        f"{path.relative_to(SRC)}: {reach}"
        for path in sorted(SRC.rglob("*.py"))
        if "static" not in path.parts
        for reach in private_reaches(path)
    ]
    assert reaches == []


def test_the_check_finds_a_reach(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from heron.x import _hidden\n"
        "def f(run):\n"
        "    run._backend.close()\n"
        "    return getattr(run, '_spool')\n"
    )
    assert sorted(r.split(" ", 1)[1] for r in private_reaches(module)) == [
        "._backend",
        "getattr(..., '_spool')",
        "import heron.x._hidden",
    ]
