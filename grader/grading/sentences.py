"""The diagnosis in words: a blame sentence that speaks of its gate and its task.

The parts come from ``words`` (each gate's right formula, the wrong ones, a mistake's short name);
``blame_text`` puts them together in Korean or English, so an add gate's wording appears only at
add gates, a log base gets log wording, a step gets step wording, and explanations that fit the
numbers equally are listed in words, never as codes.
"""

from __future__ import annotations

import re

from grader.engine import GATES
from grader.grading.words import FORWARD, INPUT_FOR_OUTPUT, NAMES, OUTPUT_FOR_INPUT, RIGHT, SHORT, fmt, node_text


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
