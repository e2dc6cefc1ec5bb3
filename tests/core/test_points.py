"""Points: the same file gets the same points; the course secret draws hidden ones."""

from __future__ import annotations

import ast
import json

from grader.exercise.loader import find_exercise, load_exercise
from grader.exercise.points import draw_points, hidden_points, submission_seed
from grader.grading.probes import probes_for
from tests.conftest import EXERCISES, SOLUTIONS


def test_the_same_file_gets_the_same_points_and_another_file_others():
    ex = load_exercise(EXERCISES / "exercise03.yaml")
    a = draw_points(ex, submission_seed("def f(): pass\n"))
    b = draw_points(ex, submission_seed("def f(): pass\n"))
    c = draw_points(ex, submission_seed("def f():  pass\n"))
    assert [p.values for p in a] == [p.values for p in b]
    assert [p.values for p in a] != [p.values for p in c]
    assert [p.label for p in a][:2] == ["public-1", "public-2"]
    assert len(a) == len(ex.points) + ex.random.count


def test_secret_points_depend_on_the_secret_and_are_hidden():
    ex = load_exercise(EXERCISES / "exercise03.yaml")
    one = hidden_points(ex, "one", "s1")
    two = hidden_points(ex, "two", "s1")
    assert [p.values for p in one[2:]] != [p.values for p in two[2:]]
    assert all(p.label.startswith("hidden-") and not p.public for p in one[2:])


def hidden_values(points):
    return [p.values for p in points if not p.public]


def test_hidden_points_are_drawn_per_student_and_the_same_on_every_run():
    ex = load_exercise(EXERCISES / "exercise03.yaml")
    alice, bob = hidden_points(ex, "course", "alice"), hidden_points(ex, "course", "bob")
    assert hidden_values(alice) != hidden_values(bob)
    assert hidden_values(alice) == hidden_values(hidden_points(ex, "course", "alice", "any source"))
    assert hidden_values(alice) == hidden_values(hidden_points(ex, "course", " Alice"))  # one id, one form
    other = load_exercise(EXERCISES / "exercise02.yaml")  # and per exercise
    assert hidden_values(hidden_points(other, "course", "alice")) != hidden_values(alice)


def test_without_a_student_id_hidden_points_are_drawn_per_file():
    ex = load_exercise(EXERCISES / "exercise03.yaml")
    one = hidden_points(ex, "course", None, "def f(): pass\n")
    assert hidden_values(one) == hidden_values(hidden_points(ex, "course", None, b"def f(): pass\n"))
    assert hidden_values(one) != hidden_values(hidden_points(ex, "course", None, "def f():  pass\n"))
    assert hidden_values(one) != hidden_values(hidden_points(ex, "course", "s1", "def f(): pass\n"))


def answer_table_source(exercise_id: str, points) -> str:
    """A file answering from a table of the reference's answers at ``points`` (what ``grade trace``
    at leaked points gives), and 0.0 anywhere else."""
    ex = find_exercise(exercise_id, EXERCISES)
    table: dict[str, dict] = {}
    for probe in probes_for(ex, points):
        expected = list(probe.expected) if isinstance(probe.expected, tuple) else probe.expected
        table.setdefault(ex.tasks[probe.task].function, {})[repr(tuple(round(a, 9) for a in probe.args))] = expected
    solution = (SOLUTIONS / f"{exercise_id}.py").read_text(encoding="utf-8")
    lines = [f"T = {table!r}", "def _key(args):", "    return repr(tuple(round(a, 9) for a in args))"]
    for node in ast.parse(solution).body:
        if isinstance(node, ast.FunctionDef):
            params = [a.arg for a in node.args.args]
            star = node.args.vararg.arg if node.args.vararg else None
            inputs = [p for p in params if p not in ("out", "upstream")]
            signature = ", ".join(params + ([f"*{star}"] if star else []))
            args = f"({', '.join(inputs)},)" if inputs else star
            lines += [f"def {node.name}({signature}):", f"    return T[{node.name!r}].get(_key({args}), 0.0)"]
    return "\n".join(lines) + "\n"


def test_a_table_of_one_students_hidden_answers_serves_no_other_student(grade_text):
    ex = find_exercise("exercise02", EXERCISES)
    leaked = answer_table_source("exercise02", hidden_points(ex, "course", "alice"))
    public_only = answer_table_source("exercise02", [p for p in hidden_points(ex, "course", "alice") if p.public])
    assert grade_text("exercise02", leaked, secret="course", student="alice").full_marks  # the table is right
    solution = (SOLUTIONS / "exercise02.py").read_text(encoding="utf-8")
    sign_slip = solution.replace("return -1.0", "return 1.0")  # honest work with one classic mistake
    assert sign_slip != solution
    for student in ("bob", "carol"):
        copied = grade_text("exercise02", leaked, secret="course", student=student)
        public_answers = grade_text("exercise02", public_only, secret="course", student=student)
        honest_wrong = grade_text("exercise02", sign_slip, secret="course", student=student)
        assert copied.score == public_answers.score < honest_wrong.score < copied.max_score


def test_random_points_where_the_reference_is_undefined_are_drawn_again(tmp_path):
    path = tmp_path / "logx.yaml"
    path.write_text(
        "id: logx\ntitle: t\ngraph:\n  inputs: [x]\n  nodes:\n    l: {op: log, args: [x]}\n"
        "  output: l\npoints: [{x: 1}]\nrandom: {count: 20, ranges: {x: [-1, 1]}}\n"
        "tasks: [{function: f, kind: local_grad, op: log}]\n"
    )
    points = draw_points(load_exercise(path), b"seed")
    assert len(points) == 21 and all(p.values["x"] > 0 for p in points)


def test_a_file_hard_coding_the_public_answers_loses_marks_under_the_secret(grade_text):
    public = {(-3.0, 2.0, -1.0, -3.0, -2.0, 1.0): -1.0}  # neg's local gradient is -1 anyway: use exp
    del public
    source = (
        "import math\n"
        "def exp_local_grad(x, out):\n"
        "    table = {-1.0: 0.36787944117144233, -1.5: 0.22313016014842982}\n"
        "    return table.get(x, 0.0)\n"
    )
    verdict = grade_text("exercise02", source, secret="course-secret")
    task = next(t for t in verdict.tasks if t.function == "exp_local_grad")
    public_ok = [c.ok for c in task.checks if c.public]
    hidden_ok = [c.ok for c in task.checks if not c.public]
    assert all(public_ok) and not any(hidden_ok)
    assert 0 < task.score < task.max_score


def test_solutions_score_full_marks_at_hidden_points_too(grade_text):
    for path in sorted(SOLUTIONS.glob("exercise*.py")):
        verdict = grade_text(path.stem, path.read_text(encoding="utf-8"), secret="another secret")
        assert verdict.full_marks, path.stem


def test_what_a_function_prints_at_hidden_points_is_withheld(grade_text):
    source = 'print("loading")\ndef neg_local_grad(x):\n    print("input was", x)\n    return -1.0\n'
    hidden = grade_text("exercise02", source, secret="course-secret")
    assert hidden.output == "loading\n" and hidden.output_withheld
    practice = grade_text("exercise02", source)
    assert "input was" in practice.output and not practice.output_withheld


def test_hidden_points_reveal_neither_values_nor_texts_that_could_carry_their_inputs(grade_text):
    # Each function smuggles its inputs out a different way; none of them may reach the report.
    source = (
        "def mul_local_grad(a, b):\n    return (a, b)\n"
        "def neg_local_grad(x):\n    return str(x)\n"
        "def exp_local_grad(x, out):\n    raise ValueError(repr(x))\n"
    )
    verdict = grade_text("exercise02", source, secret="course-secret")
    ex = find_exercise("exercise02", EXERCISES)
    hidden_inputs = {repr(v) for p in hidden_points(ex, "course-secret", None, source)[2:] for v in p.values.values()}
    text = json.dumps(verdict.to_json())
    hidden_checks = [c for t in verdict.tasks for c in t.checks if c.point.startswith("hidden-")]
    assert hidden_checks and all(c.got is None and c.expected is None for c in hidden_checks)
    assert all(c.why.code == "wrong_secret" and not c.why.params for c in hidden_checks if not c.ok)
    leaked = [v for v in hidden_inputs if v in text and v not in ("1.0", "0.0", "-1.0")]
    assert not leaked
    exp = next(t for t in verdict.tasks if t.function == "exp_local_grad")
    hidden_words = {c.message for c in exp.checks if c.point.startswith("hidden-")}
    assert hidden_words == {"wrong (what your function did at a hidden point is not shown)"}
    assert "raised ValueError at line 6: -1.0" in {c.message for c in exp.checks if c.public}
