"""Words for the diagnosis: each gate's right formula, the wrong ones, and a mistake's short name.

Formulas are math and read the same in both languages; everything around them is Korean or
English. ``explain`` builds the blame sentences from these parts, so a message always speaks of
the gate it blames (an add gate's wording only at add gates, log wording for a log base...).
"""

from __future__ import annotations

from grader.engine import GATES

# d out / d input, as a student should write it.
RIGHT = {
    "add": ("모든 입력에 대해 1", "1 for every input"),
    "sub": ("a 쪽 1, b 쪽 −1", "1 for a, −1 for b"),
    "mul": ("∂(a·b)/∂a = b, ∂(a·b)/∂b = a (다른 쪽 입력)", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a (the other input)"),
    "div": ("∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²", "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²"),
    "neg": ("−1", "−1"),
    "exp": ("eˣ = out (출력 자신)", "eˣ = out (the output itself)"),
    "log": ("1/x", "1/x"),
    "reciprocal": ("−1/x² = −out²", "−1/x² = −out²"),
    "pow": ("c·x^(c−1)", "c·x^(c−1)"),
    "square": ("2x", "2x"),
    "sqrt": ("1/(2√x)", "1/(2√x)"),
    "sigmoid": ("σ(1 − σ) = out·(1 − out)", "σ(1 − σ) = out·(1 − out)"),
    "tanh": ("1 − tanh² x = 1 − out²", "1 − tanh² x = 1 − out²"),
    "relu": ("x > 0이면 1, 아니면 0", "1 if x > 0, else 0"),
    "max": ("가장 큰 입력에 1, 나머지에 0", "1 for the largest input, 0 for the others"),
    "bce": ("∂L/∂p = −y/p + (1 − y)/(1 − p)", "∂L/∂p = −y/p + (1 − y)/(1 − p)"),
    "sigmoid_bce": ("∂L/∂z = σ(z) − y", "∂L/∂z = σ(z) − y"),
    "mse": ("∂L/∂ŷ = 2(ŷ − y)", "∂L/∂ŷ = 2(ŷ − y)"),
}

# What the gate computes.
FORWARD = {
    "add": "a + b + …",
    "sub": "a − b",
    "mul": "a·b",
    "div": "a/b",
    "neg": "−x",
    "exp": "eˣ",
    "log": "ln x",
    "reciprocal": "1/x",
    "pow": "x^c",
    "square": "x²",
    "sqrt": "√x",
    "sigmoid": "σ(x) = 1/(1 + e^(−x))",
    "tanh": "tanh x",
    "relu": "max(0, x)",
    "max": "max(a, b, …)",
    "bce": "−y·ln p − (1 − y)·ln(1 − p)",
    "sigmoid_bce": "−y·ln σ(z) − (1 − y)·ln(1 − σ(z))",
    "mse": "(ŷ − y)²",
}

# The local gradient written with the input where the output was meant, and the reverse.
INPUT_FOR_OUTPUT = {
    "exp": "x",
    "sigmoid": "z(1 − z)",
    "reciprocal": "−x²",
    "tanh": "1 − x²",
    "log": "1/eˣ",
    "sqrt": "1/(2x)",
    "square": "2√x",
}
OUTPUT_FOR_INPUT = {
    "exp": "e^out",
    "sigmoid": "σ(out)·(1 − σ(out))",
    "reciprocal": "−1/out²",
    "tanh": "1 − tanh²(out)",
    "log": "1/out",
    "sqrt": "1/(2√out)",
    "square": "2·out",
}

# A mistake in a few words, for lists of alternatives ({rule}, {factor}, {kept} filled in).
SHORT = {
    "sign_error": ("부호 오류", "a sign error"),
    "missing_upstream": ("상류 기울기를 곱하지 않음", "the upstream gradient not multiplied in"),
    "missing_local": ("국소 기울기를 곱하지 않음", "the local gradient left out"),
    "swapped_operands": ("두 입력의 기울기가 뒤바뀜", "the two inputs' gradients swapped"),
    "used_output_for_input": ("출력에서 계산한 도함수 ({wrong})", "the derivative taken at the output ({wrong})"),
    "used_input_for_output": ("입력으로 쓴 도함수 ({wrong})", "the derivative written with the input ({wrong})"),
    "wrong_rule": ("국소 기울기를 {rule}(으)로 씀", "the local gradient written as {rule}"),
    "off_by_factor": ("기울기가 {factor}배", "a factor {factor}"),
    "overwrote_fanout": ("+= 대신 = ({kept} 경로만 남음)", "= instead of += (only {kept} kept)"),
}

# Mistake codes in words, for tables and summaries (the site, the gradebook).
NAMES = {
    "sign_error": ("부호 오류", "sign error"),
    "missing_upstream": ("상류 기울기 누락", "upstream gradient left out"),
    "missing_local": ("국소 기울기 누락", "local gradient left out"),
    "swapped_operands": ("입력 뒤바뀜", "operands swapped"),
    "used_output_for_input": ("입력 자리에 출력 사용", "output used for input"),
    "used_input_for_output": ("출력 자리에 입력 사용", "input used for output"),
    "wrong_rule": ("잘못된 공식", "wrong formula"),
    "off_by_factor": ("상수 배 차이", "off by a factor"),
    "log_base": ("로그의 밑 오류", "wrong log base"),
    "overwrote_fanout": ("갈림길에서 덮어씀 (+= 대신 =)", "fan-out overwritten (= for +=)"),
    "ascent": ("경사 상승 (부호 반대)", "ascent (wrong sign)"),
    "missing_lr": ("학습률 누락", "learning rate left out"),
    "returned_change": ("변화량만 반환", "returned the change only"),
    "not_updated": ("갱신하지 않음", "not updated"),
    "missing_keys": ("빠진 이름", "missing names"),
    "nan": ("유한한 수가 아님", "not a finite number"),
    "not_a_number": ("숫자가 아님", "not a number"),
}

# Point labels: "public-1" → "공개 점 1".
POINT_KINDS = {
    "public": ("공개 점", "public point"),
    "edge": ("극단 점", "edge point"),
    "random": ("무작위 점", "random point"),
    "hidden": ("숨은 점", "hidden point"),
}


def point_text(label: str, lang: str) -> str:
    """A point's label in words: ``public-1`` stays as is in English, ``공개 점 1`` in Korean."""
    kind, _, number = label.partition("-")
    if lang != "ko" or kind not in POINT_KINDS or not number:
        return label
    return f"{POINT_KINDS[kind][0]} {number}"


def fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "(" + ", ".join(fmt(v) for v in x) + ")"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in x.items()) + "}"
    return "—" if x is None else str(x)


def node_text(node: str | None, op: str | None, lang: str) -> str:
    if not node:
        return ""
    if op and op in GATES:
        return f"노드 {node} ({GATES[op].title['ko']})" if lang == "ko" else f"node {node} ({GATES[op].title['en']})"
    return f"노드 {node}" if lang == "ko" else f"node {node}"
