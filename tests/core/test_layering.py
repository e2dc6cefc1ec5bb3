"""Imports flow one way (DESIGN.md): third-party libraries stay in their module; the harness
imports nothing from grader; lower layers never import the ones above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "grader"

# module -> layer; a module may import only from layers at or below its own
LAYERS = {
    "errors": 0,
    "engine": 0,
    "spec": 1,
    "verdict": 1,
    "harness": 1,
    "course": 0,
    "loader": 2,
    "points": 2,
    "sandbox": 2,
    "pool": 2,
    "child": 2,
    "zygote": 1,
    "lockdown": 1,
    "seccomp_filter": 1,
    "probes": 3,
    "mistakes": 4,
    "compare": 5,
    "effect": 5,
    "explain": 5,
    "stubs": 5,
    "audit": 7,
    "api": 6,
    "terminal": 7,
    "cli": 8,
    "watch": 7,
    "notebook_code": 1,
    "notebook": 8,  # its check() is the Jupyter face (notebook_check)
    "notebook_stub": 7,
    "notebook_html": 8,
    "notebook_check": 8,
}
THIRD_PARTY = {"yaml": {"loader"}, "typer": {"cli"}, "rich": {"cli", "terminal", "batch"}}
THIRD_PARTY["rich"].add("notebook_check")  # check() in a terminal IPython prints the terminal report
THIRD_PARTY |= {"nbformat": {"notebook"}, "IPython": {"notebook_check"}}


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


@pytest.mark.parametrize("name", [n for n in LAYERS if n not in ("engine",)])
def test_lower_layers_do_not_import_higher_ones(name):
    path = PACKAGE / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{name} not present")
    for imported in imports(path):
        if imported.startswith("grader."):
            other = imported.split(".")[1]
            if other in LAYERS:
                assert LAYERS[other] <= LAYERS[name], f"{name} imports {other}"
