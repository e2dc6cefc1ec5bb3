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
