"""Bad instructor input: every error names the file, the line, the key path and what is wrong.

Each test writes one broken exercise (the lecture's exercise with one thing changed), loads
it, and compares the whole message, ``file:line: key.path: message``. Each also checks that
the line it names holds what the error is about, so that a wrong line number cannot pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.engine import known_gates
from grader.errors import ExerciseError, UsageError
from grader.exercise.loader import check_exercise, load_exercise, read_yaml, validate
from grader.exercise.spec import Exercise

# The lecture's exercise; the line numbers below refer to this text.
GOOD = """\
id: exercise03
title: {ko: "로지스틱 회귀", en: "Logistic regression"}
graph:
  inputs: [w0, w1, x1, w2, x2, y]
  nodes:
    m1: {op: mul, args: [w1, x1]}
    m2: {op: mul, args: [w2, x2]}
    z:  {op: add, args: [w0, m1, m2]}
    n:  {op: neg, args: [z]}
    e:  {op: exp, args: [n]}
    d:  {op: add, args: [e, 1]}
    yhat: {op: reciprocal, args: [d]}
    L:  {op: bce, args: [yhat, y]}
  output: L
points:
  - {w0: -3, w1: 2, x1: -1, w2: -3, x2: -2, y: 1}
random:
  count: 5
  ranges: {w0: [-4, 4], w1: [-4, 4], x1: [-2, 2], w2: [-4, 4], x2: [-2, 2]}
  choices: {y: [0, 1]}
tasks:
  - {function: exp_local_grad, kind: local_grad, op: exp, score: 1}
  - {function: reciprocal_backward, kind: backward, node: yhat, score: 2}
tolerance: {rtol: 1.0e-6, atol: 1.0e-9}
allowed_imports: [math]
"""

INPUTS = "w0, w1, x1, w2, x2, y"
NAMES = "w0, w1, x1, w2, x2, y, m1, m2, z, n, e, d, yhat, L"
NODES = "m1, m2, z, n, e, d, yhat, L"
TOP_LEVEL_KEYS = (
    "id, title, description, graph, points, edge_points, random, tasks, tolerance, allowed_imports, limits, "
    "same_gradients_as, order"
)


def changed(old: str, new: str, text: str = GOOD) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once in the exercise"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, stem: str = "exercise03") -> Path:
    path = tmp_path / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(path)
    return str(caught.value)


def assert_error(tmp_path, text, line, where, message, on, stem="exercise03"):
    """Loading ``text`` fails with exactly ``path:line: where: message``; line ``line`` contains ``on``."""
    path = write(tmp_path, text, stem)
    assert on in text.splitlines()[line - 1], f"line {line} is {text.splitlines()[line - 1]!r}"
    assert error_of(path) == f"{path}:{line}: {where + ': ' if where else ''}{message}"


# --------------------------------------------------------------------------- the good file


def test_the_unchanged_exercise_loads(tmp_path):
    exercise = load_exercise(write(tmp_path, GOOD))
    assert exercise.id == "exercise03"
    assert [n.name for n in exercise.built.nodes] == NODES.split(", ")
    assert exercise.max_score == 3.0
    assert exercise.path == tmp_path / "exercise03.yaml"
    assert len(exercise.digest) == 64


# --------------------------------------------------------------------------- YAML itself


def test_invalid_yaml_syntax(tmp_path):
    assert_error(
        tmp_path, changed("  output: L\n", "  output: L: yhat\n"),
        line=14, where="", message="invalid YAML: mapping values are not allowed here", on="output: L: yhat",
    )  # fmt: skip


def test_a_tab_in_the_indentation(tmp_path):
    assert_error(
        tmp_path, changed("    m2: {op", "\tm2: {op"),
        line=7, where="",
        message="invalid YAML: while scanning for the next token found character '\\t' that cannot start any token",
        on="\tm2",
    )  # fmt: skip


def test_duplicate_key(tmp_path):
    """PyYAML would silently keep the second m1; the loader refuses it."""
    assert_error(
        tmp_path, changed("    m2: {op: mul, args: [w2, x2]}", "    m1: {op: mul, args: [w2, x2]}"),
        line=7, where="graph.nodes.m1", message="this key appears twice", on="m1: {op: mul, args: [w2, x2]}",
    )  # fmt: skip


def test_duplicate_top_level_key(tmp_path):
    assert_error(
        tmp_path, GOOD + "id: exercise03\n",
        line=26, where="id", message="this key appears twice", on="id: exercise03",
    )  # fmt: skip


def test_the_file_is_not_utf8(tmp_path):
    path = tmp_path / "exercise03.yaml"
    raw = changed('"Logistic regression"', '"Régression logistique"').encode("utf-8")
    raw = raw.replace("é".encode(), "é".encode("latin-1"))
    path.write_bytes(raw)
    message = error_of(path)
    offset = raw.index("é".encode("latin-1"))
    assert message.startswith(str(path))
    assert message.endswith(f": not UTF-8 text (byte {offset})")


def test_the_file_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "exercise03.yaml"
    raw = changed('"Logistic regression"', '"Régression logistique"').encode("utf-8")
    path.write_bytes(raw.replace("é".encode(), "é".encode("latin-1")))
    assert error_of(path).startswith(f"{path}:2: ")


def test_an_empty_file(tmp_path):
    path = write(tmp_path, "")
    assert error_of(path) == f"{path}:1: the file must be a mapping of keys (id, title, graph, ...)"


def test_a_missing_file_is_a_usage_error(tmp_path):
    path = tmp_path / "exercise99.yaml"
    with pytest.raises(UsageError, match=f"^{path}: no such file$"):
        load_exercise(path)


# --------------------------------------------------------------------------- keys


def test_unknown_top_level_key_lists_the_known_keys(tmp_path):
    assert_error(
        tmp_path, changed("tolerance: {rtol", "tolerence: {rtol"),
        line=24, where="tolerence", message=f"unknown key 'tolerence' (known: {TOP_LEVEL_KEYS})", on="tolerence:",
    )  # fmt: skip


def test_unknown_key_in_a_node_lists_the_node_keys(tmp_path):
    assert_error(
        tmp_path, changed("{op: neg, args: [z]}", "{op: neg, args: [z], lable: n}"),
        line=9, where="graph.nodes.n.lable", message="unknown key 'lable' (known: op, args, label)", on="lable",
    )  # fmt: skip


def test_missing_required_key(tmp_path):
    assert_error(
        tmp_path, changed("  output: L\n", ""),
        line=3, where="graph.output", message="missing key 'output'", on="graph:",
    )  # fmt: skip


def test_id_must_match_the_file_name(tmp_path):
    assert_error(
        tmp_path, GOOD, stem="exercise04",
        line=1, where="id", message="'exercise03' must equal the file's name 'exercise04'", on="id: exercise03",
    )  # fmt: skip


def test_a_quiz_is_not_an_exercise(tmp_path):
    quiz = """\
id: quiz01
title: {ko: "퀴즈", en: "Quiz"}
questions:
  - {id: q1, kind: choice, text: "?", choices: ["a", "b"], answer: 0}
"""
    assert_error(
        tmp_path, quiz, stem="quiz01",
        line=3, where="questions", message="this is a quiz, not an exercise", on="questions:",
    )  # fmt: skip


# --------------------------------------------------------------------------- the graph


def test_unknown_gate_lists_the_known_gates(tmp_path):
    assert "exp, log" in known_gates()
    assert_error(
        tmp_path, changed("{op: exp, args: [n]}", "{op: expo, args: [n]}"),
        line=10, where="graph.nodes.e.op", message=f"unknown gate 'expo' (known: {known_gates()})", on="expo",
    )  # fmt: skip


def test_undefined_name_in_args(tmp_path):
    assert_error(
        tmp_path, changed("args: [e, 1]", "args: [e, q]"),
        line=11, where="graph.nodes.d.args[1]", message=f"'q' is not an input or node (known: {NAMES})",
        on="args: [e, q]",
    )  # fmt: skip


def test_undefined_name_in_block_style_args_names_its_own_line(tmp_path):
    text = changed("    n:  {op: neg, args: [z]}\n", "    n:\n      op: sub\n      args:\n        - z\n        - zz\n")
    assert_error(
        tmp_path, text,
        line=13, where="graph.nodes.n.args[1]", message=f"'zz' is not an input or node (known: {NAMES})",
        on="- zz",
    )  # fmt: skip


def test_a_cycle_is_named(tmp_path):
    assert_error(
        tmp_path, changed("args: [w0, m1, m2]", "args: [w0, m1, yhat]"),
        line=5, where="graph.nodes", message="the graph has a cycle through z → n → e → d → yhat → z",
        on="nodes:",
    )  # fmt: skip


def test_a_node_using_itself_is_a_cycle(tmp_path):
    assert_error(
        tmp_path, changed("args: [e, 1]", "args: [d, 1]"),
        line=5, where="graph.nodes", message="the graph has a cycle through d → d", on="nodes:",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "line", "where", "message"),
    [
        ("{op: neg, args: [z]}", "{op: neg, args: [z, w0]}", 9, "graph.nodes.n.args",
         "gate 'neg' takes 1 argument(s), got 2"),
        ("{op: mul, args: [w1, x1]}", "{op: sub, args: [w1, x1, w0]}", 6, "graph.nodes.m1.args",
         "gate 'sub' takes 2 argument(s), got 3"),
        ("{op: exp, args: [n]}", "{op: pow, args: [n]}", 10, "graph.nodes.e.args",
         "gate 'pow' takes 2 argument(s), got 1"),
        ("{op: exp, args: [n]}", "{op: exp, args: []}", 10, "graph.nodes.e.args",
         "List should have at least 1 item after validation, not 0"),
    ],
    ids=["neg-with-two", "sub-with-three", "pow-with-one", "no-args"],
)  # fmt: skip
def test_wrong_arity(tmp_path, old, new, line, where, message):
    assert_error(tmp_path, changed(old, new), line=line, where=where, message=message, on=new)


def test_pow_exponent_must_be_a_number_not_a_name(tmp_path):
    assert_error(
        tmp_path, changed("{op: exp, args: [n]}", "{op: pow, args: [n, y]}"),
        line=10, where="graph.nodes.e.args[1]", message="gate 'pow' needs a number here, not 'y'",
        on="pow, args: [n, y]",
    )  # fmt: skip


def test_pow_exponent_that_is_a_word_asks_for_a_number(tmp_path):
    assert_error(
        tmp_path, changed("{op: exp, args: [n]}", "{op: pow, args: [n, two]}"),
        line=10, where="graph.nodes.e.args[1]", message="gate 'pow' needs a number here, not 'two'",
        on="pow, args: [n, two]",
    )  # fmt: skip


def test_output_must_be_a_node(tmp_path):
    assert_error(
        tmp_path, changed("  output: L\n", "  output: loss\n"),
        line=14, where="graph.output", message=f"'loss' is not a node (nodes: {NODES})", on="output: loss",
    )  # fmt: skip


def test_every_node_must_lead_to_the_output(tmp_path):
    assert_error(
        tmp_path, changed("    L:  {op", "    spare: {op: tanh, args: [z]}\n    L:  {op"),
        line=13, where="graph.nodes.spare", message="node 'spare' does not lead to the output 'L'", on="spare:",
    )  # fmt: skip


def test_an_input_listed_twice(tmp_path):
    assert_error(
        tmp_path, changed("[w0, w1, x1, w2, x2, y]", "[w0, w1, x1, w2, x2, y, w1]"),
        line=4, where="graph.inputs[6]", message="input 'w1' is listed twice", on="inputs:",
    )  # fmt: skip


# --------------------------------------------------------------------------- points


def test_a_point_missing_an_input(tmp_path):
    assert_error(
        tmp_path, changed("x2: -2, y: 1}", "y: 1}"),
        line=16, where="points[0]", message="the point is missing input 'x2'", on="{w0: -3",
    )  # fmt: skip


def test_a_point_with_an_unknown_input(tmp_path):
    assert_error(
        tmp_path, changed("x2: -2, y: 1}", "x2: -2, y: 1, x3: 0}"),
        line=16, where="points[0].x3", message=f"'x3' is not an input (inputs: {INPUTS})", on="x3: 0",
    )  # fmt: skip


def test_a_block_style_point_with_an_unknown_input_names_the_keys_line(tmp_path):
    second = "  - w0: 1\n    w1: 1\n    x1: 1\n    w2: 1\n    x2: 1\n    y: 0\n    why: 1\n"
    assert_error(
        tmp_path, changed("random:\n", second + "random:\n"),
        line=23, where="points[1].why", message=f"'why' is not an input (inputs: {INPUTS})", on="why: 1",
    )  # fmt: skip


def test_a_point_that_is_not_a_number(tmp_path):
    assert_error(
        tmp_path, changed("{w0: -3,", "{w0: minus three,"),
        line=16, where="points[0].w0",
        message="Input should be a valid number, unable to parse string as a number, got 'minus three'",
        on="minus three",
    )  # fmt: skip


def test_a_public_point_where_the_reference_is_undefined(tmp_path):
    """log(0): at the lecture's point z = 1, so n = z - 1 = 0."""
    text = changed("{op: neg, args: [z]}", "{op: sub, args: [z, 1]}")
    text = changed("{op: exp, args: [n]}", "{op: log, args: [n]}", text)
    assert_error(
        tmp_path, text,
        line=16, where="points[0]",
        message="the reference is undefined at this public point: node 'e' (log): log(0) is undefined: "
        "the argument must be positive at w0=-3, w1=2, x1=-1, w2=-3, x2=-2, y=1",
        on="{w0: -3",
    )  # fmt: skip


def test_a_public_point_dividing_by_zero(tmp_path):
    """1/0: with d = e - 1, the second point (z = 0, so e = 1) makes d = 0."""
    text = changed("{op: add, args: [e, 1]}", "{op: sub, args: [e, 1]}")
    text = changed("{op: bce, args: [yhat, y]}", "{op: mse, args: [yhat, y]}", text)
    text = changed("random:\n", "  - {w0: 0, w1: 0, x1: 0, w2: 0, x2: 0, y: 1}\nrandom:\n", text)
    assert_error(
        tmp_path, text,
        line=17, where="points[1]",
        message="the reference is undefined at this public point: node 'yhat' (reciprocal): 1/x divides by zero "
        "at w0=0, w1=0, x1=0, w2=0, x2=0, y=1",
        on="{w0: 0",
    )  # fmt: skip


# --------------------------------------------------------------------------- tasks


@pytest.mark.parametrize("name", ["2fast", "exp-local-grad", "lambda"])
def test_a_task_function_must_be_an_identifier(tmp_path, name):
    assert_error(
        tmp_path, changed("function: exp_local_grad", f"function: {name}"),
        line=22, where="tasks[0].function", message=f"'{name}' is not a valid Python function name",
        on=f"function: {name}",
    )  # fmt: skip


def test_duplicate_function_names(tmp_path):
    assert_error(
        tmp_path, changed("function: reciprocal_backward", "function: exp_local_grad"),
        line=23, where="tasks[1].function", message="'exp_local_grad' is already the function of task 0",
        on="node: yhat",
    )  # fmt: skip


def test_a_task_op_not_used_in_the_graph(tmp_path):
    assert_error(
        tmp_path, changed("op: exp, score: 1", "op: tanh, score: 1"),
        line=22, where="tasks[0].op",
        message="no node of the graph uses gate 'tanh' (used: add, bce, exp, mul, neg, reciprocal)",
        on="op: tanh",
    )  # fmt: skip


def test_a_task_op_that_is_no_gate(tmp_path):
    assert_error(
        tmp_path, changed("op: exp, score: 1", "op: expo, score: 1"),
        line=22, where="tasks[0].op", message=f"unknown gate 'expo' (known: {known_gates()})", on="op: expo",
    )  # fmt: skip


def test_a_task_node_that_does_not_exist(tmp_path):
    assert_error(
        tmp_path, changed("node: yhat", "node: y_hat"),
        line=23, where="tasks[1].node", message=f"'y_hat' is not a node (nodes: {NODES})", on="node: y_hat",
    )  # fmt: skip


def test_a_task_naming_both_op_and_node(tmp_path):
    assert_error(
        tmp_path, changed("op: exp, score: 1", "op: exp, node: e, score: 1"),
        line=22, where="tasks[0]", message="a 'local_grad' task names exactly one of 'op' or 'node'",
        on="node: e",
    )  # fmt: skip


def test_a_gradients_task_with_an_unknown_input(tmp_path):
    text = GOOD + "  - {function: grads, kind: gradients, wrt: [w0, w3]}\n"
    text = changed("tolerance: {rtol: 1.0e-6, atol: 1.0e-9}\nallowed_imports: [math]\n", "", text)
    assert_error(
        tmp_path, text,
        line=24, where="tasks[2].wrt[1]", message=f"'w3' is not an input (inputs: {INPUTS})", on="wrt: [w0, w3]",
    )  # fmt: skip


# --------------------------------------------------------------------------- check_exercise


def _validated(tmp_path, text):
    path = write(tmp_path, text)
    data, lines = read_yaml(path)
    return validate(Exercise, data, lines, path), path


def test_check_exercise_reports_problems_in_file_order(tmp_path):
    text = changed("op: exp, score: 1", "op: tanh, score: 1")
    text = changed("node: yhat", "node: y_hat", text)
    exercise, path = _validated(tmp_path, text)
    assert [(at, message.split(" (")[0]) for at, message in check_exercise(exercise, path)] == [
        (("tasks", 0, "op"), "no node of the graph uses gate 'tanh'"),
        (("tasks", 1, "node"), "'y_hat' is not a node"),
    ]


def test_check_exercise_can_be_listed_after_a_graph_problem(tmp_path):
    exercise, path = _validated(tmp_path, changed("args: [e, 1]", "args: [e, q]"))
    problems = list(check_exercise(exercise, path))
    assert problems[0] == (("graph", "nodes", "d", "args", 1), f"'q' is not an input or node (known: {NAMES})")


def test_check_exercise_can_be_listed_after_a_point_problem(tmp_path):
    exercise, path = _validated(tmp_path, changed("x2: -2, y: 1}", "y: 1}"))
    problems = list(check_exercise(exercise, path))
    assert problems == [(("points", 0), "the point is missing input 'x2'")]
