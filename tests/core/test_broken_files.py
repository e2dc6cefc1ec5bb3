"""A broken student file is a graded result with a message pointing at the student's own line."""

from __future__ import annotations

import pytest

from tests.conftest import SOLUTIONS


def task(verdict, function):
    return next(t for t in verdict.tasks if t.function == function)


def test_syntax_error_is_an_error_result_with_the_line(grade_text):
    verdict = grade_text("exercise02", "def neg_local_grad(x):\n    return -1\n\ndef oops(:\n    pass\n")
    assert (verdict.status, verdict.score) == ("error", 0.0)
    assert verdict.error.kind == "syntax_error" and verdict.error.line == 4
    assert "line 4" in verdict.error.message


def test_exception_while_loading_points_at_the_line(grade_text):
    verdict = grade_text("exercise02", "x = 1\ny = x / 0\n")
    assert verdict.status == "error" and verdict.error.kind == "crash"
    assert verdict.error.line == 2 and "ZeroDivisionError" in verdict.error.message


def test_a_missing_function_costs_its_task_only(grade_text):
    source = (SOLUTIONS / "exercise02.py").read_text().replace("def neg_local_grad", "def neg_local_gradient")
    verdict = grade_text("exercise02", source)
    assert verdict.status == "graded"
    missing = task(verdict, "neg_local_grad")
    assert missing.error.kind == "missing_function" and missing.score == 0
    assert "def neg_local_grad(" in missing.error.message
    assert all(t.passed for t in verdict.tasks if t.function != "neg_local_grad")


def test_a_file_with_none_of_the_functions_is_an_error(grade_text):
    verdict = grade_text("exercise02", "def something_else():\n    pass\n")
    assert verdict.status == "error" and verdict.error.kind == "missing_function"
    assert "neg_local_grad" in verdict.error.message


def test_wrong_signature_names_the_function_its_line_and_how_it_is_called(grade_text):
    verdict = grade_text("exercise03", "def exp_backward(x):\n    return x\n")
    failure = task(verdict, "exp_backward").error
    assert failure.kind == "bad_signature" and failure.line == 1
    assert "exp_backward(n, upstream" in failure.message


def test_an_exception_in_a_function_is_a_failed_check_with_the_line(grade_text):
    verdict = grade_text("exercise02", "def neg_local_grad(x):\n    y = 0\n    return 1 / y\n")
    checks = task(verdict, "neg_local_grad").checks
    assert not any(c.ok for c in checks)
    assert checks[0].message == "raised ZeroDivisionError at line 3: division by zero"  # the type said once


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("return 'minus one'", "returned a string instead of a number ('minus one')"),
        ("return None", "returned None instead of a number"),
        ("return True", "returned a bool instead of a number"),
        ("return float('nan')", "returned nan, not a finite number"),
        ("return float('inf')", "returned inf, not a finite number"),
        ("return 10**400", "returned a huge int"),
        ("return 1j", "returned a complex number instead of a number"),
    ],
)
def test_a_value_that_is_not_a_plain_finite_number_fails_with_a_message(grade_text, body, words):
    verdict = grade_text("exercise02", f"def neg_local_grad(x):\n    {body}\n")
    check = task(verdict, "neg_local_grad").checks[0]
    assert not check.ok and words in check.message


def test_a_tuple_of_the_wrong_length_says_how_many_numbers(grade_text):
    verdict = grade_text("exercise02", "def mul_local_grad(a, b):\n    return (b, a, 0.0)\n")
    check = task(verdict, "mul_local_grad").checks[0]
    assert check.message == "should return 2 numbers (one per input), returned 3 values"


def test_float_subclass_and_always_equal_objects_earn_nothing(grade_text):
    source = (
        "class Sly(float):\n    def __eq__(self, other):\n        return True\n"
        "class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
        "    def __sub__(self, other):\n        return 0.0\n"
        "def neg_local_grad(x):\n    return Sly(5.0)\n"
        "def exp_local_grad(x, out):\n    return AlwaysEqual()\n"
    )
    verdict = grade_text("exercise02", source)
    assert task(verdict, "neg_local_grad").score == 0 and task(verdict, "exp_local_grad").score == 0
    assert "returned Sly instead of a number" in task(verdict, "neg_local_grad").checks[0].message


def test_an_import_outside_the_allow_list_is_refused_with_its_line(grade_text):
    verdict = grade_text("exercise02", "import math\nimport os\n")
    assert verdict.status == "error" and verdict.error.kind == "forbidden"
    assert verdict.error.line == 2 and "'os' is not allowed" in verdict.error.message


def test_a_binary_file_is_a_bad_file(tmp_path):
    from grader.grading import api
    from tests.conftest import EXERCISES

    path = tmp_path / "exercise02.py"
    path.write_bytes(b"\x00\x01binary")
    verdict = api.submit(path, exercises_dir=EXERCISES)
    assert verdict.status == "error" and verdict.error.kind == "bad_file"


def test_a_function_that_never_returns_is_named_with_its_point(grade_text):
    from grader.isolation.sandbox import Limits

    verdict = grade_text(
        "exercise02",
        "def neg_local_grad(x):\n    while True:\n        pass\ndef exp_local_grad(x, out):\n    return out\n",
        limits=Limits(seconds_per_call=0.5),
    )
    failure = task(verdict, "neg_local_grad").error
    assert failure.kind == "timeout"
    assert failure.message.startswith("your function `neg_local_grad` ran for more than 0.5 s")
    assert failure.message.endswith("at public-1, node n")
    assert task(verdict, "exp_local_grad").passed  # a fresh child finished the rest
