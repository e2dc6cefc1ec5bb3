"""The expression checker: a table of equivalent and wrong answers, random equivalent rewrites
(hypothesis), parse errors with their messages, and hostile inputs refused or bounded in time."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from grader.quiz.expressions import (
    MAX_DEPTH,
    ExpressionError,
    Grammar,
    evaluate,
    parse,
    to_sympy,
    to_text,
)
from grader.quiz.symbolic import Worker, judge, numeric_compare

SIG = "σ(x)*(1 - σ(x))"
BCE = "-y/p + (1 - y)/(1 - p)"

# (key, variables, answer, accepted)
TABLE = [
    ("-1/x^2", "x", "-x^-2", True),
    ("-1/x^2", "x", "-1/(x*x)", True),
    ("-1/x^2", "x", "-(1/x)^2", True),
    ("-1/x^2", "x", "-x**(-2)", True),
    ("-1/x^2", "x", "−1/x²", True),
    ("-1/x^2", "x", "-1/x/x", True),
    ("-1/x^2", "x", "-(x^2)^-1", True),
    ("-1/x^2", "x", "-exp(-2ln(x))", True),
    ("exp(x)", "x", "e^x", True),
    ("exp(x)", "x", "e**x", True),
    ("exp(x)", "x", "exp(x/2)^2", True),
    ("exp(x)", "x", "1·exp(x)", True),
    ("1/x", "x", "x^-1", True),
    ("1/x", "x", "1 / x", True),
    (SIG, "x", "exp(-x)/(1+exp(-x))^2", True),
    (SIG, "x", "σ(x) - σ(x)^2", True),
    (SIG, "x", "e^x/(1+e^x)^2", True),
    (SIG, "x", "sigmoid(x)*sigmoid(-x)", True),
    (SIG, "x", "1/(2 + exp(x) + exp(-x))", True),
    (SIG, "x", "sigma(x)(1-sigma(x))", True),
    ("b", "ab", "b", True),
    ("b", "ab", "2b - b", True),
    ("1", "ab", "1", True),
    ("1", "x", "x/x", True),
    ("-1", "x", "-1", True),
    (BCE, "py", "(p - y)/(p(1 - p))", True),
    (BCE, "py", "(p-y)/(p-p^2)", True),
    ("σ(z) - y", "zy", "1/(1+e^-z) - y", True),
    ("σ(z) - y", "zy", "-(y - σ(z))", True),
    ("3x^2", "x", "3*x*x", True),
    ("3x^2", "x", "x^2 + 2x^2", True),
    ("2x + 3", "x", "3 + 2x", True),
    ("2x + 3", "x", "x + x + 3", True),
    ("1 - tanh(x)^2", "x", "4/(exp(x) + exp(-x))^2", True),
    ("1/(2sqrt(x))", "x", "0.5 x^-0.5", True),
    ("1/(2sqrt(x))", "x", "1/(2x^(1/2))", True),
    ("x*y", "xy", "yx", True),
    ("(x+1)^2", "x", "x^2 + 2x + 1", True),
    ("log(x*y)", "xy", "log(x) + ln(y)", True),
    ("x/2", "x", "1/2x", True),
    ("0.5", "x", "1/2", True),
    ("-1/x^2", "x", "1/x^2", False),
    ("-1/x^2", "x", "-1/x", False),
    ("-1/x^2", "x", "-2/x^3", False),
    ("exp(x)", "x", "exp(-x)", False),
    ("exp(x)", "x", "x*exp(x-1)", False),
    (SIG, "x", "σ(x)", False),
    (SIG, "x", "x(1-x)", False),
    (SIG, "x", "σ(x)^2", False),
    ("b", "ab", "a", False),
    ("1", "ab", "0.5", False),
    (BCE, "py", "y/p - (1-y)/(1-p)", False),
    ("σ(z) - y", "zy", "y - σ(z)", False),
    ("3x^2", "x", "3x", False),
    ("2x + 3", "x", "x + 3", False),
    ("1/(2sqrt(x))", "x", "1/sqrt(x)", False),
    ("x/2", "x", "1/(2x)", False),
    ("1 - tanh(x)^2", "x", "1 - tanh(x)", False),
    ("log(x)", "x", "1/x", False),
]


def check(key: str, variables: str, answer: str):
    names = list(variables)
    return judge(parse(key, names), parse(answer, names), names)


def test_the_table_is_large():
    assert len(TABLE) >= 40
    assert sum(1 for *_, ok in TABLE if ok) >= 20 and sum(1 for *_, ok in TABLE if not ok) >= 15


@pytest.mark.parametrize(("key", "variables", "answer", "accepted"), TABLE)
def test_table(key, variables, answer, accepted):
    found = check(key, variables, answer)
    assert found.equivalent is accepted, found
    if not accepted:
        assert found.counterexample is not None  # a wrong answer is shown wrong at a point
    assert found.latex  # what we understood, in LaTeX


def test_symbolic_proof_backs_the_numeric_check():
    found = check("-1/x^2", "x", "-x^-2")
    assert found.method == "symbolic+numeric" and found.proved is True
    assert found.latex == r"- \frac{1}{x^{2}}"


def test_sigma_is_shown_as_sigma_in_latex():
    found = check(SIG, "x", "σ(x) - σ(x)^2")
    assert r"\sigma" in found.latex and r"\sigma" in found.key_latex


# --------------------------------------------------------------------------- what we understood


@pytest.mark.parametrize(
    ("text", "understood"),
    [
        ("2x", "2·x"),
        ("x(x+1)", "x·(x + 1)"),
        ("1/2x", "(1/2)·x"),
        ("-x^2", "-x^2"),
        ("2^3^2", "2^(3^2)"),
        ("e^-x", "e^(-x)"),
        ("x²", "x^2"),
        ("x1x2", "x1·x2"),
        ("σ(x)(1-σ(x))", "σ(x)·(1 - σ(x))"),
        ("ln(x)", "log(x)"),
        ("（x＋1）", "x + 1"),
        ("2 × x ÷ 3", "2·x/3"),
        ("((((x))))", "x"),
    ],
)
def test_understood(text, understood):
    assert to_text(parse(text, ["x", "x1", "x2"])) == understood


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x +", "ends_early"),
        ("2 * (", "unclosed"),
        ("x + * 2", "expected"),
        ("(x + 1", "unclosed"),
        ("x + 1)", "unopened"),
        ("foo(x)", "unknown_name"),
        ("q", "unknown_name"),
        ("ln x", "call_paren"),
        ("x 2", "number_after"),
        ("(x+1)2", "number_after"),
        ("1.2.3", "bad_number"),
        ("x # y", "bad_char"),
        ("x; y", "bad_char"),
        ("'x'", "bad_char"),
        ("x = 1", "bad_char"),
        ("x()", "variable_fn"),
        ("값", "bad_char"),
    ],
)
def test_parse_errors(text, code):
    with pytest.raises(ExpressionError) as caught:
        parse(text, ["x"])
    assert caught.value.code == code
    assert caught.value.message("ko") and caught.value.message("en")


def test_unknown_name_lists_what_can_be_used():
    with pytest.raises(ExpressionError) as caught:
        parse("foo(x)", ["x"])
    assert "x, exp, log/ln" in caught.value.message("en")
    assert "'foo'을(를) 모릅니다" in caught.value.message("ko")


def test_refs_only_in_answer_keys():
    with pytest.raises(ExpressionError):
        parse("grad(w1)", ["w1"])
    tree = parse("w1 - lr*grad(w1)", Grammar(("w1", "lr"), ("w1", "z")))
    assert evaluate(tree, {"w1": 2.0, "lr": 0.1}, {("grad", "w1", 0): 0.5}) == pytest.approx(1.95)
    with pytest.raises(ExpressionError) as caught:
        parse("grad(q)", Grammar(("w1",), ("w1", "z")))
    assert caught.value.code == "unknown_node"


# --------------------------------------------------------------------------- hostile inputs


HOSTILE = [
    "__import__('os')",
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "exec('1')",
    "eval('1')",
    "lambda: 1",
    "x.__class__",
    "open('/etc/passwd').read()",
    "9**9**9**9",
    "2^1000",
    "10^10^10",
    "(10^50)^50",
    "x^(10^6)",
    "(" * 10000 + "x" + ")" * 10000,
    "(" * 100 + "x" + ")" * 100,
    "-" * 250 + "x",
    "x^" * 60 + "x",
    "x" * 100_000,
    "1" * 5000,
    "x+" * 149 + "x",
    "1" * 25,
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:30])
def test_hostile_input_is_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        parse(text, ["x"])
    assert time.perf_counter() - start < 0.5
    assert caught.value.message("ko") and caught.value.message("en")


def test_deep_nesting_is_bounded_before_python_recursion():
    with pytest.raises(ExpressionError) as caught:
        parse("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), ["x"])
    assert caught.value.code == "too_deep"
    parse("(" * (MAX_DEPTH - 2) + "x" + ")" * (MAX_DEPTH - 2), ["x"])


def test_hostile_answers_are_graded_not_raised():
    from grader.quiz.result import grade_expression
    from tests.quiz.helpers import variant_of

    qv = next(q for q in variant_of("quiz02", "s1").questions if q.question.id == "reciprocal_local")
    for text in HOSTILE[:6] + ["9**9**9**9", "(" * 10000 + ")"]:
        found = grade_expression(qv, text)
        assert found.status == "invalid" and found.score == 0


def test_a_slow_proof_times_out_and_the_worker_recovers():
    worker = Worker(timeout=5)
    try:
        key = parse("(x+1)^40*(x-1)^40", ["x"])
        answer = parse("(x^2-1)^40", ["x"])
        start = time.perf_counter()
        found = judge(key, answer, ["x"], worker=worker, timeout=0.001)
        assert time.perf_counter() - start < 3
        assert found.proved is None  # the worker was stopped
        assert found.equivalent and found.method == "numeric"  # the numeric judge still decides
        again = judge(parse("1/x", ["x"]), parse("x^-1", ["x"]), ["x"], worker=worker)
        assert again.proved is True  # a fresh worker serves the next request
    finally:
        worker.close()


def test_without_sympy_the_numeric_judge_decides():
    off = Worker(enabled=False)
    found = judge(parse(SIG, ["x"]), parse("exp(-x)/(1+exp(-x))^2", ["x"]), ["x"], worker=off)
    assert found.equivalent and found.method == "numeric" and found.latex is None


def test_undefined_almost_everywhere_needs_a_proof():
    tree = parse("log(-x^2 - 1)", ["x"])
    verdict, points, _ = numeric_compare(tree, tree, ["x"], {})
    assert verdict == "unknown" and points == 0


def test_no_eval_exec_or_sympify_in_the_expression_code():
    root = Path(__file__).resolve().parents[2] / "grader" / "quiz"
    for name in ("expressions.py", "symbolic.py", "quizzes.py", "result.py", "variant.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
        builtins = {f.id for f in calls if isinstance(f, ast.Name)}
        methods = {f.attr for f in calls if isinstance(f, ast.Attribute)}
        assert not builtins & {"eval", "exec", "compile", "__import__", "sympify", "parse_expr"}, name
        assert not methods & {"sympify", "parse_expr", "lambdify", "eval", "exec"}, name


# --------------------------------------------------------------------------- random rewrites


LEAVES = st.sampled_from([("var", "x"), ("var", "y"), ("num", "2"), ("num", "3"), ("num", "0.5")])


def trees(depth: int = 3):
    if depth == 0:
        return LEAVES
    sub = trees(depth - 1)
    return st.one_of(
        LEAVES,
        st.tuples(st.sampled_from(["add", "sub", "mul"]), sub, sub),
        st.tuples(st.just("div"), sub, st.just(("add", ("num", "2"), ("fn", "exp", ("var", "y"))))),
        st.tuples(st.just("pow"), sub, st.sampled_from([("num", "2"), ("num", "3")])),
        st.tuples(st.just("fn"), st.sampled_from(["sigmoid", "tanh"]), sub),
        st.tuples(st.just("neg"), sub),
    )


def rewrite(t, choose):
    """An equal tree, rewritten by identities chosen by ``choose`` at every node."""
    kind = t[0]
    if kind in ("num", "var"):
        return [t, ("mul", ("num", "1"), t), ("add", t, ("num", "0")), ("neg", ("neg", t))][choose(4)]
    if kind == "neg":
        a = rewrite(t[1], choose)
        return [("neg", a), ("mul", ("neg", ("num", "1")), a), ("sub", ("num", "0"), a)][choose(3)]
    if kind == "fn":
        a = rewrite(t[2], choose)
        if t[1] == "sigmoid" and choose(2):
            return ("div", ("num", "1"), ("add", ("num", "1"), ("pow", ("const", "e"), ("neg", a))))
        return ("fn", t[1], a)
    a, b = rewrite(t[1], choose), rewrite(t[2], choose)
    if kind == "add":
        return [("add", a, b), ("add", b, a), ("sub", a, ("neg", b))][choose(3)]
    if kind == "sub":
        return [("sub", a, b), ("add", a, ("neg", b)), ("neg", ("sub", b, a))][choose(3)]
    if kind == "mul":
        return [("mul", a, b), ("mul", b, a), ("div", a, ("div", ("num", "1"), b))][choose(3)]
    if kind == "div":
        return [("div", a, b), ("mul", a, ("pow", b, ("neg", ("num", "1"))))][choose(2)]
    if t[2] == ("num", "2"):
        return [("pow", a, b), ("mul", a, a)][choose(2)]
    return [("pow", a, b), ("mul", a, ("mul", a, a))][choose(2)]


def defined_somewhere(tree) -> bool:
    return numeric_compare(tree, tree, ["x", "y"], {})[0] == "same"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(), data=st.data())
def test_random_equivalent_rewrites_are_accepted(tree, data):
    assume(defined_somewhere(tree))
    other = rewrite(tree, lambda n: data.draw(st.integers(0, n - 1)))
    key = parse(to_text(tree), ["x", "y"])  # the text we show reads back as the same tree
    answer = parse(to_text(other), ["x", "y"])
    found = judge(key, answer, ["x", "y"])
    assert found.equivalent, (to_text(tree), to_text(other), found)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(), data=st.data(), wrong=st.sampled_from(["plus_one", "double", "negate"]))
def test_random_wrong_rewrites_are_refused(tree, data, wrong):
    assume(defined_somewhere(tree))
    other = rewrite(tree, lambda n: data.draw(st.integers(0, n - 1)))
    broken = {
        "plus_one": ("add", other, ("num", "1")),
        "double": ("mul", ("num", "2"), other),
        "negate": ("neg", other),
    }[wrong]
    if wrong != "plus_one":  # 2t = t and -t = t only where t = 0
        assume(numeric_compare(tree, ("num", "0"), ["x", "y"], {})[0] == "differ")
    found = judge(parse(to_text(tree), ["x", "y"]), parse(to_text(broken), ["x", "y"]), ["x", "y"])
    assert not found.equivalent, (to_text(tree), to_text(broken), found)


@settings(max_examples=80, deadline=None)
@given(tree=trees())
def test_text_round_trip_keeps_the_value(tree):
    again = parse(to_text(tree), ["x", "y"])
    assert numeric_compare(tree, again, ["x", "y"], {})[0] != "differ"


def test_to_sympy_builds_from_the_tree():
    import sympy

    x = sympy.Symbol("x", real=True)
    assert sympy.simplify(to_sympy(parse("-x^-2", ["x"])) + 1 / x**2) == 0
