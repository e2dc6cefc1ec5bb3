"""Imports flow one way (DESIGN.md): third-party libraries stay in their module; the harness
imports nothing from grader; lower layers never import the ones above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "grader"

# module -> layer; a module may import only from layers at or below its own. Every module of the
# package must be placed here, so that a new one is placed on purpose.
LAYERS = {
    # data and leaves: no grader imports above them
    "__init__": 0,
    "errors": 0,
    "engine": 0,
    "course": 0,
    "verdict": 0,
    "harness": 0,
    "charts": 0,
    "seccomp_filter": 0,
    "zygote": 0,
    "markdown_math": 0,
    "spec": 1,
    "exercise_cache": 1,
    "lockdown": 1,
    "notebook_code": 1,
    "expression_tree": 1,
    "pool": 1,
    "gradebook": 1,
    "discover": 1,
    # steps
    "loader": 2,
    "points": 2,
    "sandbox": 2,
    "child": 2,
    "quiz_spec": 2,
    "expressions": 2,
    "diagram": 2,
    "course_config": 2,
    "watch": 2,
    "probes": 3,
    "symbolic": 3,
    "quiz_variant": 3,
    "export": 3,
    "mistakes": 4,
    "quiz_result": 4,
    "summary": 4,
    "compare": 5,
    "effect": 5,
    "explain": 5,
    "stubs": 5,
    "quiz": 5,
    # the whole, and its faces
    "api": 6,
    "site": 6,
    "site_views": 6,
    "terminal": 6,
    "quiz_terminal": 6,
    "audit": 7,
    "worker": 7,
    "report_html": 7,
    "notebook_html": 7,
    "notebook_stub": 7,
    "notebook": 7,
    "notebook_check": 7,
    "executor": 8,
    "batch": 8,
    "dask_executor": 8,
    "site_data": 9,
    "submit_cli": 10,
    "commands": 10,
    "cli": 11,
}
THIRD_PARTY = {
    "yaml": {"loader"},
    "typer": {"commands"},
    "rich": {"commands"},
    "jinja2": {"site"},
    "markupsafe": {"site", "report_html"},
    "markdown": {"markdown_math"},
    "nbformat": {"notebook"},
    "IPython": {"notebook_check"},
    "sympy": {"expression_tree", "symbolic"},
    "pydantic": {"loader", "course_config", "quiz_spec"},
    "pydantic_core": {"spec"},
    "distributed": {"dask_executor"},
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "grader":
                found |= {f"grader.{a.name}" for a in node.names}
    return found


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        yield rel.parts[0], path


@pytest.mark.parametrize(("name", "path"), list(modules()), ids=lambda v: str(v))
def test_third_party_imports_stay_in_their_module(name, path):
    for imported in imports(path):
        top = imported.split(".")[0]
        if top in THIRD_PARTY:
            assert name in THIRD_PARTY[top], f"{path.name} imports {top}"


def test_the_harness_imports_only_the_standard_library():
    allowed = {"ast", "builtins", "json", "math", "os", "sys"}
    assert imports(PACKAGE / "harness.py") <= allowed | {
        "resource",
        "signal",
        "ctypes",
        "errno",
        "struct",
        "gc",
        "io",
        "time",
        "select",
    }
    assert not any(i.startswith("grader") for i in imports(PACKAGE / "harness.py"))


def test_every_module_has_a_layer():
    assert {name for name, _ in modules()} <= set(LAYERS)


@pytest.mark.parametrize("name", sorted({name for name, _ in modules()} - {"engine"}))
def test_lower_layers_do_not_import_higher_ones(name):
    path = PACKAGE / f"{name}.py"
    for imported in imports(path):
        if imported.startswith("grader."):
            other = imported.split(".")[1]
            if other in LAYERS:
                assert LAYERS[other] <= LAYERS[name], f"{name} imports {other}"
