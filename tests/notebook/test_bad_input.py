"""Bad notebooks are graded results with a clear message (``bad_file``, ``syntax_error``, ...),
never a traceback; only a path that is missing or a folder is a usage error (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from grader.errors import UsageError
from grader.notebook import grade as notebook
from tests.conftest import ROOT
from tests.notebook.helpers import EXERCISES, filled_stub, write
from tests.notebook.helpers import notebook as make


def grade(path, **kw):
    return notebook.submit_with_notes(path, "exercise01", exercises_dir=EXERCISES, **kw)


def error_of(path, **kw):
    verdict, _ = grade(path, **kw)
    assert verdict.status == "error" and verdict.score == 0.0
    return verdict.error


def test_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "exercise01.ipynb"
    path.write_text("def f(x):\n    return x\n")
    error = error_of(path)
    assert error.kind == "bad_file"
    assert error.message.startswith("not a notebook: the file is not JSON (line 1, column 1")
    assert "name it .py" in error.message


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("[1, 2]", "the JSON is a list"),
        ('{"cells": []}', "no 'nbformat' key"),
        ('{"nbformat": "4"}', 'nbformat is "4"'),
    ],
)
def test_json_that_is_not_a_notebook(tmp_path, content, why):
    path = tmp_path / "exercise01.ipynb"
    path.write_text(content)
    assert error_of(path).message == f"not a Jupyter notebook: {why}."


def test_an_nbformat_too_new(tmp_path):
    data = json.loads(nbformat.writes(filled_stub("exercise01")))
    data["nbformat"] = 5
    path = tmp_path / "exercise01.ipynb"
    path.write_text(json.dumps(data))
    error = error_of(path, lang="ko")
    assert error.kind == "bad_file" and "nbformat 5" in error.message and "nbformat 4" in error.message


def test_an_old_nbformat_3_notebook_is_converted_and_graded(tmp_path):
    solution = (EXERCISES.parent / "solutions" / "exercise01.py").read_text()
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": solution,
                        "outputs": [],
                        "collapsed": False,
                        "metadata": {},
                    }
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "exercise01.ipynb"
    path.write_text(json.dumps(v3))
    verdict, notes = grade(path)
    assert verdict.full_marks
    assert notes == ["read an nbformat 3 notebook, converted to 4."]


def test_an_old_notebook_that_cannot_be_converted(tmp_path):
    path = tmp_path / "exercise01.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "worksheets": "oops"}))
    error = error_of(path)
    assert error.message.startswith("cannot read this nbformat 3 notebook (")
    assert error.message.endswith("open it in Jupyter and save it again.")


def test_a_hand_written_notebook_without_metadata_is_read_leniently(tmp_path):
    solution = (EXERCISES.parent / "solutions" / "exercise01.py").read_text()
    path = tmp_path / "exercise01.ipynb"
    path.write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code", "source": solution}]})
    )
    verdict, _ = grade(path)
    assert verdict.full_marks


def test_a_notebook_without_code_cells(tmp_path):
    path = write(make("#md just words", "#md more words"), tmp_path / "exercise01.ipynb")
    error = error_of(path)
    assert error.message == "the notebook has no code cell: write your functions in code cells."


def test_a_notebook_whose_code_cells_define_nothing_is_missing_its_functions(tmp_path):
    path = write(make("print('hello')"), tmp_path / "exercise01.ipynb")
    error = error_of(path)
    assert error.kind == "missing_function"


def test_a_notebook_of_another_language(tmp_path):
    nb = make("x <- 1")
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    error = error_of(write(nb, tmp_path / "exercise01.ipynb"))
    assert error.message == "this notebook's language is R, not Python."


def test_a_50_mb_notebook_full_of_outputs_is_graded_and_its_outputs_ignored(tmp_path):
    nb = filled_stub("exercise01")
    blob = "x" * (1024 * 1024)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for i in range(52):
        code[i % len(code)].outputs.append(new_output("stream", name="stdout", text=blob))
    path = write(nb, tmp_path / "exercise01.ipynb")
    assert 50 * 2**20 < path.stat().st_size < 60 * 2**20
    verdict, notes = grade(path)
    assert verdict.full_marks
    assert notes == [f"ignored the notebook's outputs ({-(-path.stat().st_size // 2**20)} MB)."]


def test_a_notebook_over_the_size_limit_asks_to_clear_the_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook, "MAX_NOTEBOOK_BYTES", 1024 * 1024)
    nb = filled_stub("exercise01")
    nb.cells[2].outputs = [new_output("stream", name="stdout", text="y" * 2 * 1024 * 1024)]
    error = error_of(write(nb, tmp_path / "exercise01.ipynb"))
    assert error.message == (
        "the notebook is 3 MB, over the 1 MB limit: clear all outputs (Edit → Clear All Outputs) and save."
    )


def test_too_much_code(tmp_path):
    path = write(make("X = 1\n" * 60_000), tmp_path / "exercise01.ipynb")
    assert error_of(path).message.startswith("the notebook's code is ")


def test_binary_garbage(tmp_path):
    path = tmp_path / "exercise01.ipynb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert error_of(path).message == "the notebook is not UTF-8 text (byte 0)."


def test_a_syntax_error_names_its_cell_and_line(tmp_path):
    path = write(
        make("import math", "#md text", "def f(x):\n    return (x +\n\ndef g(:\n    pass"),
        tmp_path / "exercise01.ipynb",
    )
    error = error_of(path)
    assert error.kind == "syntax_error" and error.why.params["cell"] == 4 and error.line == 4
    assert error.message == "syntax error at cell 4, line 4: invalid syntax: def g(:"


def test_a_cell_that_fails_at_import_time_names_its_cell_and_line(tmp_path):
    path = write(make("import math", "#md text", "SCALE = 1\nRATE = SCALE / 0"), tmp_path / "exercise01.ipynb")
    error = error_of(path)
    assert error.kind == "crash" and error.why.params["cell"] == 4 and error.line == 2
    assert "loading the file failed at cell 4, line 2: ZeroDivisionError" in error.message


def test_a_forbidden_import_names_its_cell_and_line(tmp_path):
    """An import a task function uses (a scratch one is left out: tests/notebook/test_student_notebooks.py)."""
    uses = "def mul_forward(a, b):\n    return np.multiply(a, b)"
    path = write(make("import math", "\nimport numpy as np", uses), tmp_path / "exercise01.ipynb")
    error = error_of(path, lang="ko")
    assert error.kind == "forbidden" and error.why.params["cell"] == 3 and error.line == 2
    assert "3번 셀 2번째 줄" in error.message


def test_missing_path_and_folder_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        grade(tmp_path / "nope.ipynb")
    (tmp_path / "dir.ipynb").mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        grade(tmp_path / "dir.ipynb")


def test_through_the_cli_a_bad_notebook_exits_1_without_a_traceback(tmp_path):
    path = tmp_path / "exercise01.ipynb"
    path.write_text("{not json")
    env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "grader.cli", "submit", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)
    assert result["status"] == "error" and result["error"]["kind"] == "bad_file"
    assert "Traceback" not in run.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "grader.cli", "submit", str(tmp_path / "gone.ipynb")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_a_cell_as_a_list_of_lines_and_windows_newlines(tmp_path):
    solution = (EXERCISES.parent / "solutions" / "exercise01.py").read_text().replace("\n", "\r\n")
    nb = make("")
    nb.cells[1] = new_code_cell(solution)
    path = write(nb, tmp_path / "exercise01.ipynb")
    assert grade(path)[0].full_marks


def test_without_nbformat_reading_a_notebook_is_a_usage_error(tmp_path, monkeypatch):
    path = write(make("x = 1"), tmp_path / "exercise01.ipynb")
    monkeypatch.setitem(sys.modules, "nbformat", None)
    with pytest.raises(UsageError, match="pip install nbformat"):
        grade(path)
