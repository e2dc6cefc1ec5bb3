"""``check()`` in a real Jupyter kernel (nbclient + ipykernel): the report is in the check cell's output.

Also the reading of a kernel's history without a kernel: latest definitions win, a cell that did
not parse is skipped (and named if it held a newer definition), and an empty kernel says so.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.notebook.checker import history_source
from tests.notebook.helpers import EXERCISES, filled_stub

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def run(nb, tmp_path, monkeypatch):
    """Execute every cell in a fresh kernel (started with this interpreter) and return the notebook."""
    monkeypatch.setenv("GRADE_EXERCISES", str(EXERCISES))
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return nb


def outputs(cell):
    html = [o["data"]["text/html"] for o in cell.outputs if o.output_type == "display_data"]
    text = [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "display_data"]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    return html, text, errors


def test_the_check_cell_of_a_solved_stub_shows_full_marks(tmp_path, monkeypatch):
    nb = run(filled_stub("exercise03", lang="ko"), tmp_path, monkeypatch)
    html, text, errors = outputs(nb.cells[-1])
    assert not errors
    assert len(html) == 1 and 'class="grade-report"' in html[0] and 'lang="ko"' in html[0]
    assert "점수 6 / 6" in html[0] and "<svg" in html[0] and "만점입니다." in html[0]
    assert text[0].splitlines()[1] == "exercise03  점수 6 / 6"


def test_a_wrong_function_is_blamed_in_the_kernel_as_by_grade_submit(tmp_path, monkeypatch):
    wrong = "import math\n\ndef exp_backward(x, upstream, out):\n    return math.exp(x)\n"
    nb = filled_stub("exercise03", lang="en", override=wrong)
    nb.cells.insert(-1, new_code_cell("print(exp_backward(0.0, 2.0, 1.0))  # a try-out: not graded"))
    nb = run(nb, tmp_path, monkeypatch)
    html, text, errors = outputs(nb.cells[-1])
    assert not errors
    assert "score 5 / 6" in html[0]
    assert "the local gradient was used alone" in html[0]  # the mistake, named
    assert 'data-node="e"' in html[0] and 'data-blamed="1"' in html[0]  # the blamed node in the graph
    assert "Not run when grading" in html[0]  # the try-out cell, noted
    assert "✗ exp_backward 0/1 → node e (exponential): the local gradient was used alone" in text[0]


def test_an_exception_names_the_cell_by_its_execution_count(tmp_path, monkeypatch):
    wrong = "def neg_backward(x, upstream, out):\n    y = upstream\n    return y / 0\n"
    nb = run(filled_stub("exercise03", lang="en", override=wrong), tmp_path, monkeypatch)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "def neg_backward" in c.source)
    html, _, errors = outputs(nb.cells[-1])
    assert not errors
    assert f"raised ZeroDivisionError at cell [{cell.execution_count}], line 3" in html[0]


def test_an_unknown_exercise_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[new_code_cell('from grader.notebook import check\ncheck("exercise99")')])
    nb = run(nb, tmp_path, monkeypatch)
    html, text, errors = outputs(nb.cells[0])
    assert not errors
    assert text[0].startswith("error: unknown exercise 'exercise99'")


def test_history_latest_definitions_win_and_scratch_is_left_out():
    entries = [
        ("[1]", "import math\nEPS = 1/0"),
        ("[2]", "def f(x):\n    return 1"),
        ("[3]", "f(2)"),
        ("[4]", "EPS = 1e-9\ndef f(x):\n    return 2"),
        ("[6]", "from grader.notebook import check\ncheck('exercise01')"),
    ]
    source, line_map = history_source(entries, ["f"])
    assert source.splitlines() == ["import math", "EPS = 1e-9", "def f(x):", "    return 2"]
    assert line_map.places == (("[1]", 1), ("[4]", 1), ("[4]", 2), ("[4]", 3))
    assert line_map.texts("en") == [
        "Not run when grading, as it is not a definition (prints, try-outs, plots): cell [3], line 1",
    ]


def test_history_a_function_whose_latest_run_did_not_parse_is_not_written():
    """As in the saved file, where the cell holds the broken version (issue 13, case 11): one verdict."""
    entries = [
        ("[1]", "import math"),
        ("[2]", "def f(x):\n    return 1"),
        ("[3]", "def g(x):\n    return 2"),
        ("[4]", "def f(x)\n    return 3"),  # the same cell, edited and run again: a syntax error
        ("[5]", "from grader.notebook import check\ncheck('exercise01')"),
    ]
    source, line_map = history_source(entries, ["f", "g"])
    assert source.splitlines() == ["import math", "def g(x):", "    return 2"]
    assert line_map.broken == (("f", "[4]", 1, "expected ':': def f(x)"),)
    assert line_map.texts("en") == [
        "cell [4] is not graded: syntax error at line 1; the functions it defines count as not written. "
        "Fix it and run it again.",
    ]


def test_history_a_cell_run_again_keeps_its_place():
    entries = [
        ("[1]", "import math"),
        ("[2]", "S = math.sqrt(2)"),
        ("[3]", "def f(x):\n    return S"),
        ("[4]", "import math"),
    ]
    source, line_map = history_source(entries, ["f"])
    assert source.splitlines() == ["import math", "S = math.sqrt(2)", "def f(x):", "    return S"]
    assert line_map.places == (("[4]", 1), ("[2]", 1), ("[3]", 1), ("[3]", 2))


def test_history_without_the_task_functions_asks_to_run_the_cells():
    _, line_map = history_source([("[1]", "from grader.notebook import check\ncheck('exercise01')")], ["f"])
    assert line_map.texts("en") == [
        "no task function was run in this kernel: run the cells with your functions first (Run All)."
    ]


def test_check_outside_ipython_explains_itself(capsys):
    from grader.notebook import check

    check("exercise01", lang="en")
    assert "check() grades the notebook it runs in" in capsys.readouterr().out


def test_check_with_a_path_prints_the_terminal_report(tmp_path, capsys):
    from grader.notebook import check
    from tests.notebook.helpers import write

    path = write(filled_stub("exercise01"), tmp_path / "mine.ipynb")
    check("exercise01", lang="en", path=path, exercises_dir=EXERCISES)
    out = capsys.readouterr().out
    assert "exercise01" in out and "score 7 / 7" in out and "Full marks." in out
