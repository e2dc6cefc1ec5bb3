"""Verdict → words, in Korean or English.

Every message is a template keyed by a ``Why`` code. Numbers are shown to 6 significant digits;
hidden and random points say where and how something went wrong, never the expected value.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

from grader.engine import GATES
from grader.grading.verdict import Blame, Check, Failure, TaskResult, Verdict, Why
from grader.grading.words import FORWARD, INPUT_FOR_OUTPUT, NAMES, OUTPUT_FOR_INPUT, RIGHT, SHORT, point_text

T = {
    # ------------------------------------------------------------------ checks
    "wrong": ("기댓값 {expected}, 제출값 {got}", "expected {expected}, got {got}"),
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
    "not_a_number": ("숫자 대신 {what_ko_obj} 반환했습니다{text}", "returned {what_en} instead of a number{text}"),
    "shape": (
        "숫자 {count}개(입력마다 하나)를 반환해야 하는데 {returned_ko_obj} 반환했습니다",
        "should return {count} numbers (one per input), returned {returned}",
    ),
    "not_a_dict": (
        "{{이름: 값}} 사전(dict)을 반환해야 하는데 {returned_ko_obj} 반환했습니다",
        "should return a dict {{name: value}}, returned {returned}",
    ),
    "missing_keys": ("반환한 사전에 {keys} 키가 없습니다", "the returned dict lacks {keys}"),
    # ------------------------------------------------------------------ blame
    # (the diagnosis sentences are built by ``blame_text`` from grading/words.py; these are the rest)
    "blame.raised": (
        "{node_ko}: 함수가 값을 돌려주지 못했습니다 — {raised_ko}",
        "{node_en}: your function did not return a value — {raised_en}",
    ),
    "blame.nan": (
        "{node_ko}: {what} 값을 반환했습니다. 0으로 나누거나 log(0)을 계산하지 않았는지 확인하세요.",
        "{node_en}: returned {what}. Look for a division by zero or log(0).",
    ),
    "blame.not_a_number": (
        "{node_ko}: 숫자 대신 {what_ko_obj} 반환했습니다.",
        "{node_en}: returned {what_en} instead of a number.",
    ),
    # ------------------------------------------------------------------ failures
    "stopped_at": (
        "함수 `{function}`이(가) {point_ko}{node_ko_at}에서 {message_ko}",
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
        "함수 `{function}`{line_paren_ko}의 매개변수가 맞지 않습니다: {problem_ko}. "
        "채점기는 `{call}` 형태로 호출합니다.",
        "function `{function}`{line_en} {problem}; the grader calls it as `{call}`.",
    ),
    "not_function": ("`{function}`은(는) 함수가 아니라 {what_ko}입니다.", "`{function}` is a {what}, not a function."),
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
    "a single number": "숫자 하나",
    "list": "리스트",
    "tuple": "튜플",
    "float": "숫자 하나",
    "int": "정수",
    "dict": "사전(dict)",
    "set": "집합(set)",
}


WHAT_EN = {
    "str": "a string",
    "NoneType": "None",
    "bool": "a bool",
    "list": "a list",
    "tuple": "a tuple",
    "dict": "a dict",
    "set": "a set",
    "int": "an int",
    "huge int": "a huge int",
    "complex": "a complex number",
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
    if code.startswith("blame.") and code not in T:
        return blame_text(code, why.params, lang)
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
        "what_en": WHAT_EN.get(what, what),
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
        "returned_ko": _returned_ko(str(p.get("returned", ""))),
        "returned_ko_obj": _object(_returned_ko(str(p.get("returned", "")))),
        "what_ko_obj": _object(WHAT_KO.get(what, what)),
        "problem_ko": _problem_ko(str(p.get("problem", ""))),
        "point_ko": point_text(str(p.get("point", "")), "ko"),
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _object(word: str) -> str:
    """The word with its object particle: 을 after a final consonant, 를 after a vowel, 을(를) when
    the word does not end in Hangul (a type name, a formula)."""
    bare = re.sub(r"\s*\([^()]*\)$", "", word.strip())  # 사전(dict): the particle follows 사전
    last = bare[-1:]
    if not ("가" <= last <= "힣"):
        return f"{word}을(를)"
    return word + ("을" if (ord(last) - 0xAC00) % 28 else "를")


def _returned_ko(returned: str) -> str:
    """What came back instead, in Korean: ``a single number``, ``3 values``, a type's name."""
    count = re.fullmatch(r"(\d+) values", returned)
    return f"값 {count.group(1)}개" if count else WHAT_KO.get(returned, returned)


_PROBLEMS_KO = (
    (r"takes (\d+) positional argument\(s\) but is called with (\d+)", "위치 인자를 {0}개 받는데 {1}개로 호출됩니다"),
    (r"needs (.+), which the grader does not pass", "채점기가 넘기지 않는 {0}이(가) 필요합니다"),
    (r"has no parameter '(.+)'", "'{0}' 매개변수가 없습니다"),
)


def _problem_ko(problem: str) -> str:
    for pattern, words in _PROBLEMS_KO:
        found = re.fullmatch(pattern, problem)
        if found:
            return words.format(*found.groups())
    return problem


# ---------------------------------------------------------------------- the diagnosis in words


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ko" else pair[1]


def _gate_title(op: str | None, lang: str) -> str:
    return GATES[op].title[lang] if op in GATES else ""


def blame_text(code: str, params: dict, lang: str) -> str:
    """One blame as sentences that speak of its gate and task; alternatives in words."""
    p = dict(params)
    ko = lang == "ko"
    old_step = {"blame.ascent": "blame.step.ascent", "blame.step_factor": "blame.step.off_by_factor"}
    if code in old_step:  # stored before 2026-12
        code, p = old_step[code], {"keys": [p.get("node", "")], **p}
    if p.get("gate") and isinstance(p.get("nodes"), list) and code != "blame.overwrote_fanout":
        title = _gate_title(p["gate"], lang)
        lead = (
            f"{title} 게이트 모두({', '.join(p['nodes'])})에서: "
            if ko
            else f"at every {title} gate ({', '.join(p['nodes'])}): "
        )
        one = {k: v for k, v in p.items() if k not in ("gate", "nodes")}
        return lead + _one_blame(code, one, lang, head=False) + _alternatives(p, lang)
    text = _one_blame(code, p, lang)
    if p.get("together", 1) > 1:
        text = (
            f"게이트 {p['together']}개의 실수가 함께 있어야 이 값이 나옵니다. "
            if ko
            else f"It takes mistakes at {p['together']} gates together to give these numbers. "
        ) + text
    return text + _alternatives(p, lang)


def _one_blame(code: str, p: dict, lang: str, head: bool = True) -> str:
    ko = lang == "ko"
    op = p.get("op")
    kind = p.get("kind", "")
    node = node_text(p.get("node"), op, lang) if head else ""
    lead = f"{node}: " if node else ""
    right = _pick(RIGHT[op], lang) if op in RIGHT else ""
    forward = FORWARD.get(op, "")
    what = code.removeprefix("blame.")
    f = {k: fmt(v) for k, v in p.items()}
    rule = f.get("rule", "")
    if what == "sign_error":
        if kind == "forward":
            return lead + (
                f"값의 부호가 반대입니다. 이 게이트가 계산하는 값: {forward}."
                if ko
                else f"the value has the wrong sign. This gate computes {forward}."
            )
        if p.get("input"):
            return lead + (
                f"{f['input']} 쪽 기울기의 부호가 반대입니다. 국소 기울기는 {right}입니다."
                if ko
                else f"the gradient towards {f['input']} has the wrong sign. The local gradients are {right}."
            )
        if op == "neg":
            return lead + (
                "부호가 반대입니다. 부호 반전 게이트는 기울기에 −1을 곱합니다: 하류 = 상류 × (−1)."
                if ko
                else "the sign is flipped. The neg gate multiplies the gradient by −1: downstream = upstream × (−1)."
            )
        return lead + (
            f"부호가 반대입니다. 이 게이트의 국소 기울기는 {right}입니다. 마이너스 부호를 확인하세요."
            if ko
            else f"the sign is flipped. This gate's local gradient is {right}: check the minus signs."
        )
    if what == "missing_upstream":
        return lead + (
            "국소 기울기만 쓰고 위에서 내려온 상류 기울기를 곱하지 않았습니다. 연쇄 법칙: 하류 = 상류 × 국소."
            if ko
            else "the local gradient was used alone, without multiplying by the upstream gradient. "
            "Chain rule: downstream = upstream × local."
        )
    if what == "missing_local":
        return lead + (
            f"상류 기울기를 그대로 넘겼습니다 (국소 기울기를 1로 둔 셈). 국소 기울기를 곱하세요: {right}."
            if ko
            else f"the upstream gradient went through unchanged, as if the local gradient were 1. "
            f"Multiply it by the local gradient {right}."
        )
    if what == "swapped_operands":
        if kind == "forward":
            return lead + (
                f"두 입력의 순서가 바뀌었습니다. 이 게이트가 계산하는 값: {forward}."
                if ko
                else f"the two operands are swapped. This gate computes {forward}."
            )
        if op == "mul":
            return lead + (
                "두 입력의 기울기가 뒤바뀌었습니다. ∂(a·b)/∂a = b, 즉 각 입력의 기울기는 '다른' 입력입니다."
                if ko
                else "the two inputs' gradients are swapped. ∂(a·b)/∂a = b: each input gets the *other* input."
            )
        return lead + (
            f"두 입력의 기울기가 뒤바뀌었습니다. 국소 기울기는 {right}입니다."
            if ko
            else f"the two inputs' gradients are swapped. The local gradients are {right}."
        )
    if what in ("used_output_for_input", "used_input_for_output") and op == "reciprocal":
        # −x² and −1/out² are the same numbers: say so instead of guessing which one was written
        return lead + (
            "제출한 값은 −x²와(과) 맞습니다. 이는 −1/out²와(과) 같은 값이라, 입력 x와 출력 out의 자리가 바뀐 것입니다. "
            "국소 기울기는 입력으로 쓰면 −1/x², 출력으로 쓰면 −out²입니다."
            if ko
            else "your numbers fit −x², which is the same number as −1/out²: the input x and the output out "
            "traded places. The local gradient is −1/x² written with the input, or −out² with the output."
        )
    if what == "used_output_for_input":
        wrong = OUTPUT_FOR_INPUT.get(op, "f′(out)")
        return lead + (
            f"제출한 값은 {wrong}, 즉 게이트의 출력에서 계산한 도함수와 맞습니다. "
            f"국소 기울기는 {right}이고, 여기서 x는 게이트의 입력입니다."
            if ko
            else f"your numbers fit {wrong}: the derivative evaluated at the gate's output. "
            f"The local gradient is {right}, where x is the gate's input."
        )
    if what == "used_input_for_output":
        wrong = INPUT_FOR_OUTPUT.get(op, "f′(x)")
        return lead + (
            f"제출한 값은 {wrong}와(과) 맞습니다: 출력이 들어갈 자리에 입력 x를 썼습니다. "
            f"국소 기울기는 {right}입니다. 이름이 `out`인 매개변수로 출력을 받을 수 있습니다."
            if ko
            else f"your numbers fit {wrong}: the input x where the output was meant. "
            f"The local gradient is {right}; a parameter named `out` receives the gate's output."
        )
    if what == "wrong_rule":
        if kind == "forward" and p.get("left_out"):
            return lead + (
                f"입력 {f['left_out']}을(를) 빼고 더한 값과 맞습니다. 모든 입력을 더하세요 ({forward})."
                if ko
                else f"your values fit the sum without the input {f['left_out']}. Add every input ({forward})."
            )
        if kind == "forward":
            return lead + (
                f"제출한 값은 {rule}와(과) 맞습니다. 이 게이트가 계산하는 값: {forward}."
                if ko
                else f"your values fit {rule}, but this gate computes {forward}."
            )
        return lead + (
            f"제출한 값은 국소 기울기를 {rule}(으)로 쓴 것과 맞습니다. 이 게이트의 국소 기울기는 {right}입니다."
            if ko
            else f"your numbers fit the local gradient {rule}, but this gate's local gradient is {right}."
        )
    if what == "off_by_factor":
        factor = f.get("factor", "?")
        if p.get("split"):
            return lead + (
                f"정답의 {factor}배입니다. 덧셈 게이트는 기울기를 나누지 않고 모든 입력에 그대로 전달합니다."
                if ko
                else f"your answer is {factor} times the right one. An add gate does not split the "
                "gradient: it passes it on unchanged to every input."
            )
        if kind == "forward":
            return lead + (
                f"값이 정답의 {factor}배입니다. 상수 배를 확인하세요. 이 게이트가 계산하는 값: {forward}."
                if ko
                else f"your value is {factor} times the right one. This gate computes {forward}: check "
                "the constant factors."
            )
        if p.get("input"):
            return lead + (
                f"{f['input']} 쪽 기울기가 정답의 {factor}배입니다. 국소 기울기는 {right}입니다."
                if ko
                else f"the gradient towards {f['input']} is {factor} times the right one. The local "
                f"gradients are {right}."
            )
        return lead + (
            f"정답의 {factor}배입니다. 이 게이트의 국소 기울기는 {right}입니다. 상수 배를 확인하세요."
            if ko
            else f"your answer is {factor} times the right one. This gate's local gradient is {right}: "
            "check its constant factor."
        )
    if what == "log_base":
        base = f.get("base", "10")
        return lead + (
            f"값이 정답을 ln {base}(으)로 나눈 것과 같습니다: 밑이 {base}인 로그(log{base})를 썼습니다. "
            "자연로그 ln, 즉 math.log를 쓰세요."
            if ko
            else f"your value is the right one divided by ln {base}: you used log{base} where the natural "
            "logarithm ln (math.log) is meant."
        )
    if what == "overwrote_fanout":
        if p.get("nodes"):
            nodes = ", ".join(p["nodes"])
            return (
                (
                    f"여러 갈림길({nodes})에서 일부 경로의 기울기만 남았습니다 (남은 것: {f['kept']}). "
                    "갈라지는 곳에서는 기울기를 더해야 합니다 (= 가 아니라 +=)."
                )
                if ko
                else f"at the fan-outs {nodes}, only part of the gradient survived (kept: {f['kept']}). "
                "Gradients add up where a value fans out (+=, not =)."
            )
        return (
            (
                f"{node}는 {f['paths']}개 경로로 쓰이는데 {f['kept']} 경로의 기울기만 남았습니다. "
                "갈라지는 곳에서는 기울기를 더해야 합니다 (= 가 아니라 +=)."
            )
            if ko
            else f"{node} feeds {f['paths']} paths but only the gradient from {f['kept']} survived. "
            "Gradients add up where a value fans out (+=, not =)."
        )
    if what == "wrong":
        formula = right if kind != "forward" else forward
        return lead + (
            f"{f['total']}개 점 중 {f['wrong']}개에서 값이 틀렸습니다. 이 게이트의 식을 확인하세요"
            + (f": {formula}." if formula else ".")
            if ko
            else f"wrong at {f['wrong']} of {f['total']} points. Check this gate's formula"
            + (f": {formula}." if formula else ".")
        )
    if what == "wrong_inputs":
        inputs = ", ".join(p.get("wrong_inputs", []))
        return (
            f"{inputs}에 대한 기울기가 틀렸지만, 게이트 하나나 둘의 흔한 실수로는 설명되지 않습니다. "
            "역전파 경로를 출력에서부터 한 게이트씩 확인하세요."
            if ko
            else f"the gradients for {inputs} are wrong, and no common mistake at one or two gates explains "
            "them. Walk the backward path gate by gate from the output."
        )
    if what == "missing_keys":
        keys = ", ".join(p.get("keys", []))
        done = ", ".join(p.get("right", []))
        return (
            f"반환한 사전에 {keys} 키가 없습니다." + (f" 맞은 값: {done}." if done else "")
            if ko
            else f"the returned dict lacks {keys}." + (f" Right: {done}." if done else "")
        )
    if what.startswith("step."):
        return _step_text(what.removeprefix("step."), p, lang)
    return lead + (NAMES.get(what, ("", ""))[0 if ko else 1] or what)


def _step_text(rule: str, p: dict, lang: str) -> str:
    ko = lang == "ko"
    who = ", ".join(p.get("keys", []))
    law = "w ← w − η·∂L/∂w"
    f = {k: fmt(v) for k, v in p.items()}
    lr = f.get("lr", "")
    if rule == "ascent":
        return (
            f"{who}: 기울기 방향으로 움직였습니다 (w + η·∂L/∂w). 경사 하강법은 기울기를 뺍니다: {law}."
            if ko
            else f"{who}: you moved along the gradient (w + η·∂L/∂w). Gradient descent subtracts: {law}."
        )
    if rule == "missing_lr":
        return (
            f"{who}: 이동한 양이 올바른 값의 {f['factor']}배입니다. 학습률 η = {lr}을(를) 곱하지 않았습니다: {law}."
            if ko
            else f"{who}: the step is {f['factor']} times the right one: the learning rate η = {lr} was left "
            f"out. {law}."
        )
    if rule == "off_by_factor":
        return (
            f"{who}: 이동한 양이 올바른 값의 {f['factor']}배입니다. 한 걸음은 정확히 η·∂L/∂w (η = {lr})입니다: {law}."
            if ko
            else f"{who}: the step is {f['factor']} times the right one. One step moves by exactly η·∂L/∂w "
            f"(η = {lr}): {law}."
        )
    if rule == "returned_change":
        return (
            f"{who}: 변화량 −η·∂L/∂w만 돌려주었습니다. 새 값을 돌려주세요: w − η·∂L/∂w."
            if ko
            else f"{who}: you returned the change −η·∂L/∂w, not the new value w − η·∂L/∂w."
        )
    if rule == "not_updated":
        return (
            f"{who}: 값이 바뀌지 않았습니다. 모든 매개변수가 움직입니다: {law}."
            if ko
            else f"{who}: came back unchanged. Every parameter moves: {law}."
        )
    return (
        f"{who}: 새 값이 틀렸습니다. 확인하세요: {law} (η = {lr})."
        if ko
        else f"{who}: the new value is wrong. Check {law} (η = {lr})."
    )


def _alternatives(p: dict, lang: str) -> str:
    """Other explanations that fit the numbers as well, in words, and what to do about it. Single
    gates with the same mistake are named together ("a sign error at node e, node d")."""
    found = [e for e in map(_explanation, p.get("alternatives") or []) if e]
    if not found:
        return ""
    ko = lang == "ko"
    grouped: dict[str, list[str]] = {}
    for explanation in found:
        parts = [(_short(g, lang), _where(g, lang)) for g in explanation]
        if len(parts) == 1:
            grouped.setdefault(parts[0][0], []).append(parts[0][1])
        else:
            joined = (" + " if ko else " with ").join(f"{w}의 {s}" if ko else f"{s} at {w}" for s, w in parts)
            grouped.setdefault(joined, [])
    items = []
    for short, places in grouped.items():
        if not places:
            items.append(short)
        else:
            items.append(f"{', '.join(places)}의 {short}" if ko else f"{short} at {', '.join(places)}")
    instead = {g.get("instead") for e in found for g in e if g.get("instead")}
    if len(instead) == 1:
        node = next(iter(instead))
        items[-1] += f" (노드 {node}의 것 대신)" if ko else f" (in place of the one at node {node})"
    if ko:
        return (
            " 같은 값은 다음 경우에도 나옵니다: "
            + "; ".join(items)
            + ". 숫자만으로는 어느 쪽인지 가릴 수 없으니 이 게이트들을 모두 확인하세요."
        )
    return (
        " The same numbers also come from "
        + "; ".join(items)
        + ". The numbers alone cannot tell these apart: check each of these gates."
    )


def _explanation(item) -> list[dict]:
    """One alternative as a list of gates; verdicts stored before 2026-12 have "node (code)"."""
    if isinstance(item, str):
        old = re.fullmatch(r"(\S+) \((\w+)\)", item)
        return [{"node": old.group(1), "mistake": old.group(2)}] if old else []
    return [g for g in item if isinstance(g, dict)] if isinstance(item, list) else []


def _short(g: dict, lang: str) -> str:
    mistake = g.get("mistake", "")
    wrong = (OUTPUT_FOR_INPUT if mistake == "used_output_for_input" else INPUT_FOR_OUTPUT).get(g.get("op", ""), "")
    words = _pick(SHORT.get(mistake, NAMES.get(mistake, ("", ""))), lang)
    return words.format(rule=g.get("rule", ""), factor=fmt(g.get("factor", "")), kept=g.get("kept", ""), wrong=wrong)


def _where(g: dict, lang: str) -> str:
    if g.get("gate") and isinstance(g.get("nodes"), list):
        title = _gate_title(g["gate"], lang)
        nodes = ", ".join(g["nodes"])
        return f"{title} 게이트 모두({nodes})" if lang == "ko" else f"every {title} gate ({nodes})"
    return node_text(g.get("node"), g.get("op"), lang)


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
