"""Korean messages are Korean: every template, rendered with sample values, keeps Latin script
only for identifiers (node names, function names, code in backticks) and math."""

from __future__ import annotations

import re

import pytest

from grader.engine import GATES
from grader.grading import explain, sentences, words
from grader.grading.verdict import Check, Why
from grader.report import terminal

# Identifiers the samples put in, and the math and code words a Korean sentence may keep.
SAMPLE_NAMES = {"yhat", "sigx", "sigy", "m1", "m2", "params", "num", "den", "xpy", "w0", "w1", "x1", "x2", "step"}
SAMPLE_NAMES |= {"exp_backward"}
MATH = {"out", "ln", "log", "log10", "log2", "exp", "math", "tanh", "max", "ReLU", "nan", "inf", "BCE"}
CODE = {"dict", "set", "None", "bool", "def", "print", "ValueError"}  # Python's own names
ALLOWED = MATH | CODE
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]+")


def latin_words(text: str) -> list[str]:
    text = re.sub(r"`[^`]*`", "", text)  # code
    return [w for w in LATIN.findall(text) if w not in ALLOWED and w not in SAMPLE_NAMES]


SAMPLE = {
    "node": "yhat",
    "op": "reciprocal",
    "wrong": 3,
    "total": 7,
    "count": 2,
    "returned": "a single number",
    "what": "str",
    "text": "",
    "type": "ValueError",
    "message": "",
    "kind": "exception",
    "line": 4,
    "keys": ["x2"],
    "function": "exp_backward",
    "functions": "exp_backward",
    "call": "exp_backward(x, upstream)",
    "problem": "takes 2 positional argument(s) but is called with 3",
    "point": "public-1",
    "what_ko": "",
    "name": "w1",
    "arg": "params",
    "digits": 5,
    "detail": "",
    "got": 0.5,
    "step": 3,
    "before": 0.31,
    "after": 0.35,
}


@pytest.mark.parametrize("code", sorted(explain.T))
def test_every_korean_template_keeps_latin_only_for_names_and_math(code):
    check = Check("public-1", "yhat", 1.0, 2.0, False)
    params = {**SAMPLE, "what": "nan"} if "nan" in code else dict(SAMPLE)
    text = explain.render(Why(code, params), "ko", check)
    assert not latin_words(text), (code, text)


def blame_samples():
    kinds = ("forward", "local_grad", "backward", "gradients")
    base = [
        ("sign_error", {}),
        ("sign_error", {"input": "w1"}),
        ("missing_upstream", {}),
        ("missing_local", {}),
        ("swapped_operands", {}),
        ("used_output_for_input", {}),
        ("used_input_for_output", {}),
        ("wrong_rule", {"rule": "σ²"}),
        ("wrong_rule", {"left_out": "m1"}),
        ("off_by_factor", {"factor": 0.5}),
        ("off_by_factor", {"factor": 0.5, "split": True}),
        ("off_by_factor", {"factor": 2.0, "input": "w0"}),
        ("log_base", {"base": 10}),
        ("overwrote_fanout", {"kept": "num", "paths": 3}),
        ("overwrote_fanout", {"kept": "x: num; y: sigy", "paths": "several", "nodes": ["x", "y"]}),
        ("wrong", {}),
        ("wrong_inputs", {"wrong_inputs": ["x1", "x2"]}),
        ("missing_keys", {"keys": ["x2"], "right": ["w0", "w1"]}),
    ]
    for op in GATES:
        for kind in kinds:
            for code, params in base:
                yield f"blame.{code}", {"node": "yhat", "op": op, "kind": kind, "wrong": 3, "total": 7, **params}
    for rule in ("ascent", "missing_lr", "off_by_factor", "returned_change", "not_updated", "wrong"):
        yield f"blame.step.{rule}", {"node": "w0", "keys": ["w0", "w1"], "lr": 0.1, "factor": 10.0}
    alternatives = [
        [{"node": "n", "op": "neg", "mistake": m, "factor": 0.5, "rule": "σ²", "kept": "num"}] for m in words.SHORT
    ]
    alternatives.append([{"node": "e", "op": "exp", "mistake": "sign_error", "instead": "n"}])
    alternatives.append(
        [
            {"node": "e", "op": "exp", "mistake": "used_input_for_output"},
            {"node": "z", "op": "add", "mistake": "sign_error", "gate": "mul", "nodes": ["m1", "m2"]},
        ]
    )
    yield (
        "blame.sign_error",
        {"node": "n", "op": "neg", "kind": "gradients", "alternatives": alternatives, "together": 2},
    )
    yield (
        "blame.wrong_rule",
        {"node": "sigy", "op": "sigmoid", "rule": "σ²", "gate": "sigmoid", "nodes": ["sigy", "sigx"]},
    )


@pytest.mark.parametrize("code,params", list(blame_samples()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_korean_blame_sentence_keeps_latin_only_for_names_and_math(code, params):
    text = sentences.blame_text(code, params, "ko")
    assert text and not latin_words(text), (code, params, text)
    assert "{" not in text  # no template left unfilled
    english = sentences.blame_text(code, params, "en")
    assert english and "{" not in english


def test_the_words_tables_have_both_languages_and_the_terminal_korean_labels():
    for table in (words.RIGHT, words.SHORT, words.NAMES):
        for ko, en in table.values():
            assert ko and en and not latin_words(ko.format(rule="", factor="", kept="", wrong="")), ko
    for ko, _ in terminal.L.values():
        assert not latin_words(ko.format(point="공개 점 1", n=3, where="3번째 줄", line=3, cell=2)), ko
    assert words.point_text("public-1", "ko") == "공개 점 1"
    assert words.point_text("random-2", "ko") == "무작위 점 2"
    assert words.point_text("hidden-3", "ko") == "숨은 점 3"
    assert words.point_text("edge-1", "ko") == "극단 점 1"
    assert words.point_text("public-1", "en") == "public-1"


def test_the_glossary_lists_every_mistake_and_gate_with_the_words_the_grader_uses():
    from pathlib import Path

    from grader.engine import GATES

    glossary = (Path(__file__).resolve().parents[2] / "docs" / "glossary.md").read_text(encoding="utf-8")
    for code, (ko, en) in words.NAMES.items():
        assert f"| `{code}` | {ko} | {en} |" in glossary, code
    for name, gate in GATES.items():
        assert f"| `{name}` | {gate.title['ko']} | {gate.title['en']} |" in glossary, name
    assert "기대값" not in re.sub(r"기댓값, not 기대값", "", glossary)


def sandbox_messages():
    """Every message the sandbox and the loader write of a file or a call that did not finish, made
    by the code that writes it."""
    import signal
    import types

    from grader.grading import api
    from grader.isolation import child, harness, sandbox
    from grader.isolation.pool import Exit

    def ended(code=0, cpu=0.1, oom=False, reason=None, loading=False):
        fake = types.SimpleNamespace(
            wait=lambda: Exit(code, cpu, 1000, oom),
            _from_outside=lambda end: False,
            dead_reason=reason,
            limits=types.SimpleNamespace(cpu_seconds=2.0, memory_mb=512),
        )
        return child.Child.exit_description(fake, loading=loading)[1]

    yield ended(reason="output")
    yield ended(reason="timeout")
    yield ended(code=-signal.SIGKILL, oom=True)
    yield ended(code=-signal.SIGXCPU)
    yield ended(code=-signal.SIGKILL, reason="eof")
    yield ended(code=-signal.SIGSYS)
    yield ended(code=-signal.SIGSEGV)
    yield ended(code=-signal.SIGABRT)
    yield ended(code=child.HARNESS_BROKEN)
    yield ended(code=3, loading=True)
    yield ended(code=3)
    yield harness.forbidden("os", {"math"}, 3)["message"]
    yield harness.forbidden("os", set(), 3)["message"]
    yield f"loading the file {harness.SANDBOX} (PermissionError: [Errno 13] Permission denied: '/etc')"
    yield f"{harness.SANDBOX} (PermissionError: [Errno 1] Operation not permitted)"
    yield sandbox.FORGED
    yield "the file wrote to the grader's private channel (BrokenPipeError: [Errno 32] Broken pipe)"
    yield api._load_failure(sandbox.LoadReport(False, kind="timeout"), 2.0).why.params["message"]
    yield api.hard_link_failure(2).why.params["message"]
    yield api.holds_secret("x = 'a-long-course-secret'", "a-long-course-secret").why.params["message"]
    yield "the file is larger than 256 KB"
    yield "the file is binary, not Python source"
    yield "the file is not UTF-8 text (byte 12)"
    yield "ran out of memory while loading"


# Words a Korean sandbox message keeps: units, the names of signals and errors, code in parentheses.
SANDBOX_WORDS = {"MB", "KB", "CPU", "UTF", "SIGABRT", "import", "math", "PermissionError", "BrokenPipeError"}
SANDBOX_WORDS |= {"Errno", "Permission", "denied", "etc", "Operation", "not", "permitted", "Broken", "pipe"}
SANDBOX_WORDS |= {"reply", "came", "before", "its", "question", "a"}  # FORGED's detail, in its parentheses


@pytest.mark.parametrize("message", list(sandbox_messages()))
def test_every_sandbox_message_has_korean_words(message):
    korean = explain.detail_ko(message)
    assert korean != message, message
    outside = re.sub(r"\([^()]*\)$", "", korean)  # the detail in the last parentheses is the system's own
    assert not [w for w in latin_words(outside) if w not in SANDBOX_WORDS], (message, korean)


def test_a_korean_report_of_a_refused_file_and_a_hung_function_is_korean(grade_text):
    from tests.conftest import SOLUTIONS

    source = (SOLUTIONS / "exercise02.py").read_text(encoding="utf-8")
    refused = explain.localize(grade_text("exercise02", "import os\n" + source), "ko")
    assert "`os`은(는) 이 과제에서 import할 수 없습니다 (허용: math)" in refused.error.message
    hung = source.replace("def mul_local_grad(a, b):", "def mul_local_grad(a, b):\n    while True:\n        pass", 1)
    task = next(t for t in explain.localize(grade_text("exercise02", hung), "ko").tasks if not t.passed)
    assert "시간 제한을 넘겼습니다" in task.blame.message and not latin_words(task.blame.message.split("—")[-1])


def test_pythons_words_for_the_usual_exceptions_are_korean_with_the_original_beside():
    import math

    def message(expression) -> str:
        try:
            expression()
        except Exception as exc:  # noqa: BLE001 - the message is the point
            return str(exc)
        raise AssertionError("no exception")

    for expression in (
        lambda: 1 / 0,
        lambda: math.log(-1.0),
        lambda: math.exp(1000.0),
        lambda: undefined_name,  # noqa: F821
        lambda: (1.0, 2.0)[2],
        lambda: None + 1.0,
        lambda: (1.0, 2.0) * 1.5,
    ):
        english = message(expression)
        korean = explain.python_ko(english)
        assert korean.endswith(f"({english})") and korean != f"({english})", korean
        assert not latin_words(korean.removesuffix(f"({english})")), korean
    withheld = explain.render(Why("raised", {"kind": "exception", "type": "ValueError", "message": ""}), "ko")
    assert withheld.endswith("ValueError 예외가 발생했습니다"), withheld  # nothing after it at a hidden point
    assert explain.python_ko("my own message") == "my own message"
