"""Verdict → words, in Korean or English.

Every message is a template keyed by a ``Why`` code. Numbers are shown to 6 significant digits;
hidden and random points say where and how something went wrong, never the expected value.
"""

from __future__ import annotations

import os
from dataclasses import replace

from grader.engine import GATES
from grader.grading.verdict import Blame, Check, Failure, TaskResult, Verdict, Why

T = {
    # ------------------------------------------------------------------ checks
    "wrong": ("기대값 {expected}, 제출값 {got}", "expected {expected}, got {got}"),
    "wrong_hidden": (
        "값이 틀렸습니다 (제출값 {got}; 이 점의 정답은 공개하지 않습니다)",
        "wrong (got {got}; the answer at this point is not shown)",
    ),
    "wrong_secret": (
        "값이 틀렸습니다 (숨은 점에서는 값을 보여주지 않습니다)",
        "wrong (values at hidden points are not shown)",
    ),
    "raised": ("{line_ko}{type} 예외가 발생했습니다: {message}", "raised {type}{line_en}: {message}"),
    "stopped": ("{message_ko}", "{message}"),
    "not_run": ("실행되지 않았습니다", "not run"),
    "nan": ("숫자가 아닌 {what} 값을 반환했습니다", "returned {what}, not a finite number"),
    "not_a_number": ("숫자 대신 {what_ko}을(를) 반환했습니다{text}", "returned {what_en} instead of a number{text}"),
    "shape": (
        "숫자 {count}개(입력마다 하나)를 반환해야 하는데 {returned}을(를) 반환했습니다",
        "should return {count} numbers (one per input), returned {returned}",
    ),
    "not_a_dict": (
        "{{이름: 값}} 사전(dict)을 반환해야 하는데 {returned}을(를) 반환했습니다",
        "should return a dict {{name: value}}, returned {returned}",
    ),
    "missing_keys": ("반환한 사전에 {keys} 키가 없습니다", "the returned dict lacks {keys}"),
    # ------------------------------------------------------------------ blame
    "blame.wrong": (
        "{node_ko}의 값이 {wrong}/{total}개 점에서 틀렸습니다. 이 게이트의 식을 다시 확인하세요.",
        "{node_en} is wrong at {wrong} of {total} points. Check this gate's formula.",
    ),
    "blame.sign_error": (
        "{node_ko}: 부호가 반대입니다. 마이너스 부호를 확인하세요.",
        "{node_en}: the sign is flipped. Check the minus signs.",
    ),
    "blame.missing_upstream": (
        "{node_ko}: 국소 기울기만 반환했습니다. 연쇄 법칙에 따라 위에서 온 기울기(upstream)를 곱하세요: "
        "하류 = 상류 × 국소.",
        "{node_en}: you returned the local gradient alone. Multiply it by the upstream gradient "
        "(chain rule: downstream = upstream × local).",
    ),
    "blame.swapped_operands": (
        "{node_ko}: 두 입력의 기울기가 뒤바뀌었습니다. 곱셈에서 ∂(a·b)/∂a = b, 즉 '다른' 입력입니다.",
        "{node_en}: the two inputs' gradients are swapped. For a product ∂(a·b)/∂a = b: the *other* input.",
    ),
    "blame.used_output_for_input": (
        "{node_ko}: 입력 자리에 게이트의 출력을 넣었습니다. 도함수를 입력 x로 계산했는지 확인하세요.",
        "{node_en}: you used the gate's output where its input was meant. Evaluate the derivative at the input x.",
    ),
    "blame.used_input_for_output": (
        "{node_ko}: 출력 자리에 입력을 넣었습니다 (예: exp' = out, σ' = σ(1−σ)에서 σ는 출력). "
        "`out` 매개변수로 출력을 받을 수 있습니다.",
        "{node_en}: you used the input where the output was meant (e.g. exp' = out; in σ' = σ(1−σ), σ is the "
        "output). A parameter named `out` receives the gate's output.",
    ),
    "blame.off_by_factor": (
        "{node_ko}: 정답의 {factor}배입니다. 덧셈 게이트는 기울기를 나누지 않고 그대로 모든 입력에 전달합니다.",
        "{node_en}: your answer is {factor} times the right one. An add gate passes the gradient on "
        "unchanged to every input; check constant factors.",
    ),
    "blame.step_factor": (
        "학습률이 {factor}배로 적용되었습니다: w ← w − η·∂L/∂w 를 확인하세요.",
        "the step is {factor} times the right one: check w ← w − η·∂L/∂w.",
    ),
    "blame.ascent": (
        "기울기 방향으로 움직였습니다 (w + η·∇L). 경사 하강법은 기울기를 뺍니다: w ← w − η·∂L/∂w.",
        "you moved along the gradient (w + η·∇L). Gradient descent subtracts: w ← w − η·∂L/∂w.",
    ),
    "blame.overwrote_fanout": (
        "{node_ko}는 {paths}개 경로로 쓰이는데 한 경로({kept})의 기울기만 남았습니다. 갈라지는 곳에서는 "
        "기울기를 더해야 합니다 (= 가 아니라 +=).",
        "{node_en} feeds {paths} paths but only the gradient from {kept} survived. Gradients add up where a "
        "value fans out (+=, not =).",
    ),
    "blame.raised": (
        "{node_ko}: 함수가 값을 돌려주지 못했습니다 — {raised_ko}",
        "{node_en}: your function did not return a value — {raised_en}",
    ),
    "blame.overwrote_fanout_many": (
        "여러 갈림길({nodes})에서 일부 경로의 기울기만 남았습니다 (남은 것: {kept}). 갈라지는 곳에서는 "
        "기울기를 더해야 합니다 (= 가 아니라 +=).",
        "at the fan-outs {nodes}, only part of the gradient survived (kept: {kept}). Gradients add up where "
        "a value fans out (+=, not =).",
    ),
    "blame.nan": (
        "{node_ko}: {what} 값을 반환했습니다. 0으로 나누거나 log(0)을 계산하지 않았는지 확인하세요.",
        "{node_en}: returned {what}. Look for a division by zero or log(0).",
    ),
    "blame.not_a_number": (
        "{node_ko}: 숫자 대신 {what_ko}을(를) 반환했습니다.",
        "{node_en}: returned {what_en} instead of a number.",
    ),
    "blame.wrong_inputs": (
        "{inputs}에 대한 기울기가 틀렸습니다. 역전파 경로를 출력에서부터 한 게이트씩 확인하세요.",
        "the gradients for {inputs} are wrong. Walk the backward path gate by gate from the output.",
    ),
    # ------------------------------------------------------------------ failures
    "stopped_at": (
        "함수 `{function}`이(가) {point}{node_ko_at}에서 {message_ko}",
        "your function `{function}` {message} at {point}{node_en_at}",
    ),
    "syntax_error": ("{line_ko}문법 오류: {message}", "syntax error{line_en}: {message}"),
    "crash": ("파일을 불러오는 중 오류{line_paren_ko}: {message}", "loading the file failed{line_en}: {message}"),
    "forbidden": ("{line_ko}{message}", "{message}{line_en}"),
    "load_timeout": ("파일을 불러오는 데 너무 오래 걸렸습니다: {message}", "{message}"),
    "memory": ("메모리를 너무 많이 사용했습니다{line_paren_ko}", "used too much memory{line_en}"),
    "output": ("{message}", "{message}"),
    "missing_function": (
        "함수 `{function}`이(가) 없습니다. `def {function}(...)`을 정의하세요.",
        "there is no function `{function}`: define `def {function}(...)`.",
    ),
    "no_function": (
        "과제 함수가 하나도 없습니다 ({functions}). 올바른 파일을 제출했는지 확인하세요.",
        "none of the task functions is defined ({functions}). Is this the right file?",
    ),
    "bad_signature": (
        "함수 `{function}`{line_paren_ko}의 매개변수가 맞지 않습니다: {problem}. 채점기는 `{call}` 형태로 호출합니다.",
        "function `{function}`{line_en} {problem}; the grader calls it as `{call}`.",
    ),
    "not_function": ("`{function}`은(는) 함수가 아니라 {what}입니다.", "`{function}` is a {what}, not a function."),
    "bad_file": ("{message}", "{message}"),
}

STOP_KO = {
    "timeout": "시간 제한을 넘겼습니다",
    "memory": "메모리를 너무 많이 썼습니다",
    "crash": "프로세스가 비정상 종료되었습니다",
    "output": "출력이 너무 많습니다",
    "forbidden": "허용되지 않은 동작을 했습니다",
    "skipped": "앞선 호출이 중단되어 실행하지 않았습니다",
}
WHAT_KO = {
    "str": "문자열",
    "NoneType": "None",
    "bool": "참/거짓(bool)",
    "a sequence": "여러 값(시퀀스)",
    "a mapping": "사전(dict)",
    "huge int": "너무 큰 정수",
    "complex": "복소수",
}


def default_lang() -> str:
    """The language of messages when none is asked for: $GRADE_LANG, else Korean where $LANG is."""
    explicit = os.environ.get("GRADE_LANG", "")
    if explicit in ("ko", "en"):
        return explicit
    return "ko" if os.environ.get("LANG", "").startswith("ko") else "en"


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


def render(why: Why | None, lang: str, check: Check | None = None) -> str:
    if why is None:
        return ""
    code = why.code
    if code == "wrong" and check is not None and not check.public:
        code = "wrong_hidden" if check.got is not None else "wrong_secret"
    if code == "blame.overwrote_fanout" and why.params.get("nodes"):
        code = "blame.overwrote_fanout_many"
    if why.params.get("gate") and why.params.get("nodes") and code.startswith("blame.") and code in T:
        lead = "{gate} 게이트 모두({nodes})에서: " if lang == "ko" else "at every {gate} gate ({nodes}): "
        rest = render(
            Why(code, {k: v for k, v in why.params.items() if k not in ("gate", "nodes", "node")}), lang, check
        )
        return lead.format(gate=why.params["gate"], nodes=", ".join(why.params["nodes"])) + rest.lstrip(": ")
    template = T.get(code, (code, code))[0 if lang == "ko" else 1]
    p = dict(why.params)
    if code == "raised" and not p.get("message"):  # withheld at a hidden point: no dangling colon
        template = template.replace(": {message}", "").replace("했습니다: {message}", "했습니다")
    line = p.get("line")
    cell = p.get("cell")  # set for notebooks: the line is then counted within that cell
    at_en = f"cell {cell}, line {line}" if cell is not None else f"line {line}"
    at_ko = f"{cell}번 셀 {line}번째 줄" if cell is not None else f"{line}번째 줄"
    p.setdefault("message", "")
    kind = p.get("kind", "")
    what = p.get("what", "")
    values = {
        **{k: fmt(v) for k, v in p.items()},
        "expected": fmt(check.expected) if check else "",
        "got": fmt(check.got) if check and check.got is not None else fmt(p.get("got")),
        "line_ko": f"{at_ko}에서 " if line else "",
        "line_en": f" at {at_en}" if line else "",
        "line_paren_ko": f" ({at_ko})" if line else "",
        "node_ko": node_text(p.get("node"), p.get("op"), "ko"),
        "node_en": node_text(p.get("node"), p.get("op"), "en"),
        "node_ko_at": f" 노드 {p['node']}" if p.get("node") else "",
        "node_en_at": f", node {p['node']}" if p.get("node") else "",
        "message_ko": STOP_KO.get(kind, "") + (f" ({p['message']})" if p["message"] and kind == "crash" else "")
        if kind in STOP_KO
        else p["message"],
        "what_ko": WHAT_KO.get(what, what),
        "what_en": {"str": "a string"}.get(what, what),
        "text": f" ('{p['text']}')" if p.get("text") else "",
        "inputs": ", ".join(p.get("wrong_inputs", [])),
        "nodes": ", ".join(p["nodes"]) if isinstance(p.get("nodes"), list) else "",
        "raised_ko": (
            f"{at_ko}에서 {p.get('type')} 예외" + (f": {p['message']}" if p["message"] else "")
            if kind == "exception"
            else STOP_KO.get(kind, p["message"])
        ),
        "raised_en": (
            f"raised {p.get('type')}" + (f" at {at_en}" if line else "") + (f": {p['message']}" if p["message"] else "")
            if kind == "exception"
            else p["message"]
        ),
        "keys": ", ".join(p.get("keys", [])),
    }
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError):
        text = template
    if p.get("alternatives"):
        text += (" (다른 가능성: " if lang == "ko" else " (or: ") + ", ".join(map(str, p["alternatives"])) + ")"
    return text


def localize(verdict: Verdict, lang: str) -> Verdict:
    """The verdict with every message written in ``lang``."""

    def blame(b: Blame | None) -> Blame | None:
        return replace(b, message=render(b.why, lang)) if b else None

    def failure(f: Failure | None) -> Failure | None:
        return replace(f, message=render(f.why, lang)) if f else None

    def task(t: TaskResult) -> TaskResult:
        checks = tuple(replace(c, message=render(c.why, lang, c) if c.why else None) for c in t.checks)
        return replace(
            t, checks=checks, blame=blame(t.blame), also=tuple(blame(b) for b in t.also), error=failure(t.error)
        )

    return replace(verdict, lang=lang, error=failure(verdict.error), tasks=tuple(task(t) for t in verdict.tasks))
