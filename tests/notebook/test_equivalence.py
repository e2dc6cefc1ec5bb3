"""A notebook is graded like the same code in a .py file: the course's stubs filled with the
solutions score full marks, and with each mistake fixture they get the same scores, checks and
blame as the .py equivalent; only line numbers differ, as "cell N, line M"."""

from __future__ import annotations

import pytest

from grader.grading import api
from grader.notebook import grade as notebook
from tests.notebook.helpers import EXERCISES, MISTAKES, as_python, filled_stub, header, write

COURSE = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))


def shape(verdict):
    """Everything but the words: status, scores, every check, the blamed nodes and mistakes."""
    return (
        verdict.status,
        verdict.score,
        [
            (
                t.function,
                t.score,
                t.passed,
                t.blame and (t.blame.node, t.blame.mistake),
                [(b.node, b.mistake) for b in t.also],
                [(c.point, c.node, c.ok, c.got, c.expected, c.mistake) for c in t.checks],
                t.error and t.error.kind,
            )
            for t in verdict.tasks
        ],
        verdict.effect,
    )


@pytest.mark.parametrize("exercise", COURSE)
def test_the_course_stub_filled_with_the_solution_scores_full_marks(exercise, tmp_path):
    path = write(filled_stub(exercise), tmp_path / f"{exercise}.ipynb")
    verdict, notes = notebook.submit_with_notes(path, exercises_dir=EXERCISES)
    assert verdict.status == "graded" and verdict.full_marks, verdict
    assert notes == []  # the stub has nothing that is skipped; its check cell is left out silently


@pytest.mark.parametrize("fixture", MISTAKES, ids=lambda p: p.stem)
def test_a_wrong_notebook_is_graded_exactly_like_the_same_py_file(fixture, tmp_path):
    want = header(fixture)
    nb = filled_stub(want["exercise"], override=fixture.read_text(encoding="utf-8"))
    nb_path = write(nb, tmp_path / "attempt.ipynb")
    py_path = tmp_path / "attempt.py"
    py_path.write_text(as_python(nb), encoding="utf-8")
    as_py = api.submit(py_path, want["exercise"], exercises_dir=EXERCISES, secret="course")
    as_nb = notebook.submit(nb_path, want["exercise"], exercises_dir=EXERCISES, secret="course")
    assert shape(as_nb) == shape(as_py)
    assert not as_nb.full_marks
    task = next(t for t in as_nb.tasks if t.function == want["task"])
    assert (task.blame.node, task.blame.mistake) == (want["node"], want["mistake"])
    if "line" not in task.blame.message:
        py_task = next(t for t in as_py.tasks if t.function == want["task"])
        assert task.blame.message == py_task.blame.message


def cell_number(nb, function: str) -> int:
    return next(i for i, c in enumerate(nb.cells, 1) if c.cell_type == "code" and f"def {function}(" in c.source)


@pytest.mark.parametrize(("lang", "where"), [("en", "cell {n}, line 3"), ("ko", "{n}번 셀 3번째 줄")])
def test_an_exception_in_a_function_points_at_its_cell_and_line(tmp_path, lang, where):
    nb = filled_stub("exercise03", override="def exp_backward(x, upstream, out):\n    y = 1\n    return y / 0\n")
    n = cell_number(nb, "exp_backward")
    verdict = notebook.submit(write(nb, tmp_path / "exercise03.ipynb"), lang=lang, exercises_dir=EXERCISES)
    task = next(t for t in verdict.tasks if t.function == "exp_backward")
    assert task.blame.why.params["cell"] == n and task.blame.why.params["line"] == 3
    assert where.format(n=n) in task.blame.message
    assert all(where.format(n=n) in c.message for c in task.checks)
    data = verdict.to_json()  # the gradebook and the site keep the cell with the line
    blame = next(t for t in data["tasks"] if t["function"] == "exp_backward")["blame"]
    assert blame["why"]["params"]["cell"] == n


def test_a_bad_signature_points_at_the_def_line_of_its_cell(tmp_path):
    nb = filled_stub("exercise03", override="def exp_backward(x):\n    return x\n")
    n = cell_number(nb, "exp_backward")
    verdict = notebook.submit(write(nb, tmp_path / "exercise03.ipynb"), exercises_dir=EXERCISES)
    failure = next(t for t in verdict.tasks if t.function == "exp_backward").error
    assert failure.kind == "bad_signature" and failure.line == 1
    assert f"cell {n}, line 1" in failure.message


def test_notebook_grading_is_as_deterministic_as_a_py_file(tmp_path):
    path = write(filled_stub("exercise02"), tmp_path / "exercise02.ipynb")
    first = notebook.submit(path, exercises_dir=EXERCISES)
    again = notebook.submit(path, exercises_dir=EXERCISES)
    assert first == again
    assert any(p.startswith("random-") for t in first.tasks for p in [c.point for c in t.checks])
