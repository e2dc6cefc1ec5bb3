"""Notebooks for the tests, written with nbformat: the course's own stubs filled with solutions or mistakes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.exercise.loader import find_exercise
from grader.notebook.stub import stub_notebook
from tests.conftest import EXERCISES, FIXTURES, SOLUTIONS

MISTAKES = sorted((FIXTURES / "mistakes").glob("*.py"))


def header(path: Path) -> dict[str, str]:
    return dict(re.findall(r"(\w+): (\S+)", path.read_text(encoding="utf-8").splitlines()[0]))


def definitions(source: str) -> tuple[dict[str, str], list[str]]:
    """Top-level functions by name, and the other statements (imports, helpers' constants), as text."""
    tree = ast.parse(source)
    defs, other = {}, []
    for node in tree.body:
        text = ast.get_source_segment(source, node)
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = text
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            other.append(text)
    return defs, other


def filled_stub(exercise: str, lang: str = "en", override: str | None = None) -> nbformat.NotebookNode:
    """``grade init EXERCISE --format ipynb``, each function cell filled with the solution's function,
    or with the one in ``override`` (a mistake fixture's source) where it defines it."""
    ex = find_exercise(exercise, EXERCISES)
    nb = nbformat.reads(stub_notebook(ex, lang), as_version=4)
    solution, _ = definitions((SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8"))
    mine, extra = definitions(override) if override else ({}, [])
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        if names:
            cell.source = mine.get(names[0]) or solution[names[0]]
    tasks = {t.function for t in ex.tasks}
    helpers = {
        **{k: v for k, v in solution.items() if k not in tasks},
        **{k: v for k, v in mine.items() if k not in tasks},
    }
    if extra or helpers:  # imports and helper functions: one more cell after the stub's first code cell
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        text = "\n".join(extra) + "\n\n" + "\n\n".join(helpers.values())
        nb.cells.insert(first_code + 1, new_code_cell(text.strip()))
    return nb


def as_python(nb: nbformat.NotebookNode) -> str:
    """The same code as one .py file: the code cells joined, without the check cell."""
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "grader.notebook" not in c.source]
    return "\n\n\n".join(cells) + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(nb, str(path))
    return path


def notebook(*cells: str, markdown_first: bool = True) -> nbformat.NotebookNode:
    """Code cells from strings; a string starting with '#md ' is a Markdown cell."""
    out = [new_markdown_cell("# exercise")] if markdown_first else []
    for text in cells:
        out.append(new_markdown_cell(text[4:]) if text.startswith("#md ") else new_code_cell(text))
    nb = new_notebook(cells=out)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


__all__ = ["EXERCISES", "MISTAKES", "as_python", "filled_stub", "header", "notebook", "write"]
