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
    "yaml": {"exercise/loader", "exercise/where", "quiz/answers_yaml"},
    "typer": {"cli/commands", "cli/app"},
    "click": set(),
    "rich": {"cli/commands", "cli/app"},
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


def module_graph() -> dict[str, set[str]]:
    """grader's modules (dotted) → the grader modules each imports, lazily or under TYPE_CHECKING too.

    ``from a.b import c`` is an edge to ``a.b.c`` where that is a module, else to ``a.b`` itself.
    Importing a submodule is not counted as importing its package's ``__init__`` (Python runs it, but
    it cannot close a cycle unless the ``__init__`` itself imports back, which is then its own edge).
    """
    names = {}
    for name, path in modules():
        dotted = "grader." + name.replace("/", ".")
        names[path] = dotted.removesuffix(".__init__")
    known = set(names.values())
    graph: dict[str, set[str]] = {}
    for path, me in names.items():
        package = me if path.name == "__init__.py" else me.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                for alias in node.names:
                    edges.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        graph[me] = {e for e in edges if e in known and e != me}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None (depth-first, three colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycles_lazy_imports_included():
    cycle = find_cycle(module_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_cycle_check_sees_lazy_and_type_checking_imports():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    real = module_graph()
    assert "grader.isolation.pool" in real["grader.isolation.child"]  # a top-level import
    assert "grader.notebook.checker" in real["grader.notebook"]  # a lazy one, inside __getattr__
