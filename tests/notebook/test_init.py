"""``grade init EXERCISE --format ipynb``: a valid notebook with the description, the graph, one cell
per function and a check cell; ``grade submit`` on it names cells in its messages and notes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import nbformat
import pytest

from tests.notebook.helpers import EXERCISES

COURSE = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))


def grade(*args, cwd):
    env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("exercise", COURSE)
def test_every_exercise_has_a_valid_stub_notebook(exercise):
    from grader.exercise.loader import find_exercise
    from grader.notebook.stub import stub_notebook

    ex = find_exercise(exercise, EXERCISES)
    nb = nbformat.reads(stub_notebook(ex, "ko"), as_version=4)
    nbformat.validate(nb)
    kinds = [c.cell_type for c in nb.cells]
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert kinds[:2] == ["markdown", "markdown"] and kinds[-1] == "code"
    assert nb.cells[0].source.startswith(f"# {exercise}: {ex.title.ko}")
    assert "$" in nb.cells[0].source  # the description's formulas stay LaTeX for Jupyter to render
    svg = base64.b64decode(nb.cells[1].attachments["graph.svg"]["image/svg+xml"]).decode()
    assert svg.startswith("<svg") and "attachment:graph.svg" in nb.cells[1].source
    for task in ex.tasks:
        assert sum(src.startswith(f"def {task.function}(") for src in code) == 1
    assert code[-1] == f'from grader.notebook import check\n\ncheck("{exercise}", lang="ko")'
    assert nb.metadata["grader"] == {"exercise": exercise, "lang": "ko"}


def test_init_writes_a_notebook_that_submit_grades_with_cells_named(tmp_path):
    run = grade("init", "exercise03", "--format", "ipynb", "--lang", "en", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "wrote exercise03.ipynb: 6 function(s) to fill in" in run.stderr
    path = tmp_path / "exercise03.ipynb"
    nbformat.validate(nbformat.read(path, as_version=4))
    again = grade("init", "exercise03", "--format", "ipynb", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr

    submitted = grade("submit", "exercise03.ipynb", "--json", cwd=tmp_path)
    assert submitted.returncode == 1
    result = json.loads(submitted.stdout)
    assert result["status"] == "graded" and result["score"] == 0
    blame = result["tasks"][0]["blame"]
    assert "raised NotImplementedError at cell 4, line" in blame["message"]
    assert blame["why"]["params"]["cell"] == 4
    assert submitted.stderr == ""  # the stub skips nothing, so there is no note


def test_the_format_follows_out_and_is_checked(tmp_path):
    run = grade("init", "exercise01", "--out", "mine.ipynb", cwd=tmp_path)
    assert run.returncode == 0 and json.loads((tmp_path / "mine.ipynb").read_text())["nbformat"] == 4
    bad = grade("init", "exercise01", "--format", "txt", cwd=tmp_path)
    assert bad.returncode == 2 and "--format must be py or ipynb" in bad.stderr
    plain = grade("init", "exercise01", cwd=tmp_path)
    assert plain.returncode == 0 and (tmp_path / "exercise01.py").read_text().startswith('"""exercise01')


def test_submit_prints_notes_on_stderr_and_the_report_on_stdout(tmp_path):
    from tests.notebook.helpers import filled_stub, write

    nb = filled_stub("exercise01")
    nb.cells.insert(2, nbformat.v4.new_code_cell("%matplotlib inline\nprint('trying')"))
    write(nb, tmp_path / "exercise01.ipynb")
    run = grade("submit", "exercise01.ipynb", "--lang", "en", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Full marks." in run.stdout
    assert run.stderr.splitlines() == [
        "note: cell 3, line 1: IPython syntax (%matplotlib) is skipped.",
        "note: Not run when grading, as it is not a definition (prints, try-outs, plots): cell 3, line 2",
    ]
