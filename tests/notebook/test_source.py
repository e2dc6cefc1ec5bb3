"""From cells to one source: what runs, what is skipped (with a note), and the map back to cells."""

from __future__ import annotations

from grader.notebook import grade as notebook
from grader.notebook.code import LineMap, strip_ipython
from tests.notebook.helpers import notebook as make
from tests.notebook.helpers import write


def source_of(tmp_path, *cells):
    got = notebook.notebook_source(write(make(*cells), tmp_path / "nb.ipynb"))
    assert not isinstance(got, notebook.Failure), got
    return got


def test_ipython_lines_are_blanked_where_a_statement_starts_only():
    text = (
        "%matplotlib inline\n"
        "!pip install numpy\n"
        "files = !ls\n"
        "len?\n"
        "def f(x):\n"
        '    """%d items\n'
        "    !important\n"
        '    """\n'
        "    %time y = 1\n"
        "    return (x\n"
        "            % 3)\n"
    )
    clean, found = strip_ipython(text)
    assert found == [1, 2, 3, 4, 9]
    lines = clean.split("\n")
    assert lines[:4] == ["", "", "", ""]
    assert lines[5:8] == ['    """%d items', "    !important", '    """']  # a docstring is not a magic
    assert lines[8] == "    pass"  # indented: keeps the block valid
    assert lines[10] == "            % 3)"  # a continued expression is not a magic
    namespace = {}
    exec(clean, namespace)
    assert namespace["f"](7) == 1


def test_only_definitions_run_and_the_rest_is_noted_with_its_cell_and_line(tmp_path):
    source, line_map = source_of(
        tmp_path,
        "import math\nEPS = 1e-12\nSCALE = math.sqrt(2)",  # cell 2
        "#md some words",  # cell 3
        "def f(x):\n    return x + EPS\n\nprint(f(1))\nresult = f(2)\nfor i in range(3):\n    print(i)",  # cell 4
        "from grader.notebook import check\ncheck('exercise01')",  # cell 5: left out silently
    )
    assert source.splitlines() == [
        "import math",
        "EPS = 1e-12",
        "SCALE = math.sqrt(2)",
        "def f(x):",
        "    return x + EPS",
    ]
    assert line_map.places == ((2, 1), (2, 2), (2, 3), (4, 1), (4, 2))
    assert line_map.texts("en") == [
        "Not run when grading, as it is not a definition (prints, try-outs, plots): "
        "cell 4, line 4; cell 4, line 5; cell 4, line 6"
    ]
    assert "4번 셀 4번째 줄" in line_map.texts("ko")[0]


def test_statements_after_a_semicolon_and_decorators_are_cut_right(tmp_path):
    source, line_map = source_of(
        tmp_path,
        "import functools; print('hi')\n\n@functools.lru_cache\ndef g(x):\n    return 2 * x",
    )
    assert source.splitlines() == ["import functools", "@functools.lru_cache", "def g(x):", "    return 2 * x"]
    assert line_map.places == ((2, 1), (2, 3), (2, 4), (2, 5))


def test_magics_and_cell_magics_are_skipped_with_a_note(tmp_path):
    source, line_map = source_of(
        tmp_path,
        "%load_ext autoreload\n!pip install nothing\nimport math",
        "%%time\ndef f(x):\n    return x",
    )
    assert source.splitlines() == ["import math"]
    assert line_map.places == ((2, 3),)
    assert line_map.texts("en") == [
        "cell 2, lines 1, 2: IPython syntax (%load_ext, !pip) is skipped.",
        "cell 3: a %%time cell is skipped; if it defines your functions, remove its %%time line.",
    ]


def test_relocate_turns_every_line_into_cell_and_line():
    from grader.grading.verdict import Blame, Check, Failure, TaskResult, Verdict, Why

    line_map = LineMap(((2, 1), (4, 1), (4, 2)))
    raised = Why("raised", {"line": 3, "type": "ZeroDivisionError", "message": "division by zero", "kind": "exception"})
    verdict = Verdict(
        "ex",
        None,
        "graded",
        0.0,
        1.0,
        Failure("crash", Why("crash", {"line": 2, "message": "x"}), line=2),
        (
            TaskResult(
                "f",
                "forward",
                0.0,
                1.0,
                False,
                (Check("public-1", "n", 1.0, None, False, why=raised),),
                Blame("n", None, Why("blame.raised", {**raised.params, "node": "n"})),
            ),
        ),
    )
    moved = line_map.relocate(verdict)
    assert moved.error.line == 1 and moved.error.why.params == {"line": 1, "cell": 4, "message": "x"}
    assert moved.tasks[0].checks[0].why.params["cell"] == 4 and moved.tasks[0].checks[0].why.params["line"] == 2
    assert moved.tasks[0].blame.why.params["line"] == 2
    from grader.grading import explain

    text = explain.localize(moved, "en")
    assert "cell 4, line 1" in text.error.message
    assert "raised ZeroDivisionError at cell 4, line 2" in text.tasks[0].checks[0].message


def test_a_notebook_named_after_no_exercise_is_graded_by_its_metadata(tmp_path):
    from tests.notebook.helpers import EXERCISES, filled_stub

    path = write(filled_stub("exercise01"), tmp_path / "Copy of exercise01.ipynb")
    verdict, notes = notebook.submit_with_notes(path, exercises_dir=EXERCISES)
    assert verdict.exercise == "exercise01" and verdict.full_marks
    assert notes == ["graded as exercise01, the exercise named in the notebook's metadata."]
