"""The house (DESIGN.md, docs/architecture.md): grader/ is a set of wings, and imports flow one way.

A wing imports only the wings before it in ``WINGS`` (lazy imports included); third-party libraries
stay in the modules that own them; the harness, which runs inside the child, imports only the
standard library.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "grader"

# Lowest first. Each wing's __init__.py says what it owns and which wings it may import.
WINGS = ("engine", "exercise", "isolation", "grading", "quiz", "report", "notebook", "classroom", "site", "cli")
# Modules at the top of the package, below every wing.
SHARED = {"__init__", "errors"}

THIRD_PARTY = {
    "yaml": {"exercise/loader", "exercise/where"},
    "typer": {"cli/commands"},
    "click": set(),
    "rich": {"cli/commands"},
    "jinja2": {"report/theme"},
    "markupsafe": {"report/theme", "report/standalone"},
    "markdown": {"report/markdown_math"},
    "nbformat": {"notebook/grade"},
    "IPython": {"notebook/checker"},
    "sympy": {"quiz/expression_tree", "quiz/symbolic"},
    "pydantic": {"exercise/loader", "classroom/course_config", "quiz/spec"},
    "pydantic_core": {"exercise/spec"},
    "distributed": {"classroom/dask_executor"},
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def modules() -> list[tuple[str, Path]]:
    """(``wing/module`` or a shared module's name, path) for every file of the package."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        out.append(("/".join(rel.parts), path))
    return out


def wing_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "grader" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in WINGS else None


def test_every_file_is_in_a_wing_or_shared():
    for name, _ in modules():
        top = name.split("/")[0]
        assert top in WINGS or top in SHARED, f"grader/{name}.py: put it in a wing"


def test_every_wing_says_what_it_owns():
    for wing in WINGS:
        init = PACKAGE / wing / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "May import" in doc, f"grader/{wing}/__init__.py: say what it owns and what it may import"


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_a_wing_imports_only_the_wings_below_it(name, path):
    top = name.split("/")[0]
    rank = WINGS.index(top) if top in WINGS else -1
    for imported in imports(path):
        other = wing_of(imported)
        if other is not None and other != top:
            assert WINGS.index(other) < rank, f"grader/{name}.py imports {imported}, a wing above {top}"


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_third_party_imports_stay_in_their_module(name, path):
    for imported in imports(path):
        top = imported.split(".")[0]
        if top in THIRD_PARTY:
            assert name in THIRD_PARTY[top], f"grader/{name}.py imports {top}"


def test_the_harness_imports_only_the_standard_library():
    allowed = {"ast", "builtins", "json", "math", "os", "sys", "resource", "signal", "ctypes", "errno", "struct"}
    allowed |= {"gc", "io", "time", "select"}
    found = {i.split(".")[0] for i in imports(PACKAGE / "isolation" / "harness.py")}
    assert found <= allowed
