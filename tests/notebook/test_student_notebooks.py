"""Notebooks as students write them (issue 13, cases 11 and 12): a cell with a syntax error costs only
what it defines, and check() in Jupyter says the same; plots, widgets and scratch imports the exercise
does not allow are scratch work, not a zero."""

from __future__ import annotations

import sys

from nbformat.v4 import new_code_cell

from grader.exercise.loader import find_exercise
from grader.notebook import grade as notebook
from grader.notebook.checker import history_source
from tests.notebook.helpers import EXERCISES, filled_stub, write

EXERCISE = "exercise04"


def _cell_of(nb, function: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f"def {function}(" in c.source)


def _in_the_kernel(nb, ex):
    """What check() grades when every cell was run once from the top (the kernel's history)."""
    entries = [(f"[{n}]", c.source) for n, c in enumerate((c for c in nb.cells if c.cell_type == "code"), 1)]
    source, line_map = notebook.for_exercise(ex, *history_source(entries, [t.function for t in ex.tasks]))
    return notebook.grade(ex, source, line_map, f"{ex.id}.ipynb", None, "en")


def test_11_a_cell_with_a_syntax_error_one_verdict_for_check_and_submit(tmp_path):
    ex = find_exercise(EXERCISE, EXERCISES)
    broken = ex.tasks[0]
    nb = filled_stub(EXERCISE)
    at = _cell_of(nb, broken.function)
    nb.cells[at].source = nb.cells[at].source.replace(f"def {broken.function}(", f"def {broken.function}(,", 1)
    path = write(nb, tmp_path / f"{EXERCISE}.ipynb")
    filed, notes = notebook.submit_with_notes(path, lang="en")
    kernel = _in_the_kernel(nb, ex)
    assert filed.status == kernel.status == "graded"
    assert filed.score == kernel.score == ex.max_score - broken.score
    assert [(t.function, t.score) for t in filed.tasks] == [(t.function, t.score) for t in kernel.tasks]
    error = next(t for t in filed.tasks if t.function == broken.function).error
    assert error.kind == "syntax_error" and error.why.params["cell"] == at + 1
    assert error.message.startswith(f"syntax error at cell {at + 1}, line 1")
    assert any(f"cell {at + 1} is not graded: syntax error at line 1" in n for n in notes)


PLOT = """%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
xs = np.linspace(-2, 2, 41)
fig, ax = plt.subplots()
ax.plot(xs, [FN(x, 2.0) for x in xs])
plt.show()"""
WIDGET = """import ipywidgets as widgets
from ipywidgets import interact

@interact(x=(0.0, 1.0))
def show(x):
    print(FN(x, 2.0))

slider = widgets.FloatSlider(min=0, max=1)
display(slider)"""
SCRATCH = "import numpy\nprint(numpy.exp(1.0))\nE = numpy.e"


def test_12_plots_widgets_and_scratch_imports_do_not_zero_the_grade(tmp_path):
    ex = find_exercise(EXERCISE, EXERCISES)
    function = ex.tasks[0].function
    nb = filled_stub(EXERCISE)
    last = len(nb.cells) - 1  # before the check cell
    for text in (PLOT, WIDGET, SCRATCH):
        nb.cells.insert(last, new_code_cell(text.replace("FN", function)))
        last += 1
    path = write(nb, tmp_path / f"{EXERCISE}.ipynb")
    verdict, notes = notebook.submit_with_notes(path, lang="en")
    assert verdict.status == "graded" and verdict.score == ex.max_score, verdict.error
    assert any("imports the exercise does not allow (matplotlib, numpy, ipywidgets)" in n for n in notes), notes
    assert _in_the_kernel(nb, ex).score == ex.max_score
    assert "matplotlib" not in sys.modules and "ipywidgets" not in sys.modules  # never run in the grader


def test_12_an_import_a_task_function_uses_is_still_refused(tmp_path):
    ex = find_exercise(EXERCISE, EXERCISES)
    function = ex.tasks[0].function
    nb = filled_stub(EXERCISE)
    at = _cell_of(nb, function)
    nb.cells.insert(at, new_code_cell("import numpy as np"))
    body = nb.cells[at + 1].source
    nb.cells[at + 1].source = body.replace("    return ", "    np.exp(0)\n    return ", 1)
    path = write(nb, tmp_path / f"{EXERCISE}.ipynb")
    verdict = notebook.submit(path, lang="en")
    assert verdict.status == "error" and verdict.error.kind == "forbidden"
    assert verdict.error.why.params["cell"] == at + 1
