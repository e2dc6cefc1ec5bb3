"""``grade init``: a student's starting file, one function per task with its signature and a
docstring (Korean and English) naming the gate, its inputs and its formula, never its gradient."""

from __future__ import annotations

from grader.engine import GATES
from grader.exercise.spec import Exercise, Task

PLAIN = {
    "add": "a + b (+ …)",
    "sub": "a − b",
    "mul": "a · b (· …)",
    "div": "a / b",
    "neg": "−x",
    "exp": "eˣ",
    "log": "log x",
    "reciprocal": "1/x",
    "pow": "x^c",
    "square": "x²",
    "sqrt": "√x",
    "sigmoid": "σ(x) = 1 / (1 + e⁻ˣ)",
    "tanh": "tanh x",
    "relu": "max(0, x)",
    "max": "max(a, b, …)",
    "bce": "−y·log p − (1 − y)·log(1 − p)",
    "sigmoid_bce": "BCE(σ(z), y)",
    "mse": "(ŷ − y)²",
}
PARAMS = {"bce": ["p", "y"], "sigmoid_bce": ["z", "y"], "mse": ["yhat", "y"], "pow": ["x", "c"]}

WHAT = {
    "forward": ("게이트의 출력 f(입력)", "the gate's output f(inputs)"),
    "local_grad": ("국소 기울기 ∂f/∂입력", "the local gradient ∂f/∂input"),
    "backward": ("상류 기울기 × 국소 기울기", "upstream gradient × local gradient"),
}


def param_names(exercise: Exercise, task: Task) -> list[str]:
    nodes = [exercise.built.by_name[n] for n in exercise.task_nodes(task)]
    arities = {len(n.args) for n in nodes}
    if len(arities) != 1:
        return ["*inputs"]
    n = arities.pop()
    op = nodes[0].op
    if op in PARAMS:
        return PARAMS[op]
    return ["x"] if n == 1 else ["a", "b", "c", "d", "e", "f"][:n] if n <= 6 else ["*inputs"]


def _returns(exercise: Exercise, task: Task, lang: int) -> str:
    node = exercise.built.by_name[exercise.task_nodes(task)[0]]
    n = node.gate.graded_count(len(node.args))
    if task.kind == "forward" or n == 1:
        return ("숫자 하나", "one number")[lang]
    return ("입력마다 숫자 하나씩, 튜플", "a tuple with one number per input")[lang]


def function_stub(exercise: Exercise, task: Task) -> str:
    if task.kind == "gradients":
        params = ", ".join(exercise.graph.inputs)
        wrt = ", ".join(task.wrt or [])
        doc = (
            f"그래프 전체의 역전파: 출력 {exercise.graph.output} 의 {wrt} 에 대한 기울기를 사전으로 반환합니다.\n"
            f"    Backpropagation through the whole graph: return a dict with d{exercise.graph.output}/d(name) "
            f"for {wrt}."
        )
        # None, not 0.0: a placeholder must earn nothing, and 0 is a right gradient where a ReLU blocks
        body = "    return {" + ", ".join(f'"{w}": None' for w in task.wrt or []) + "}  # TODO"
        return f'def {task.function}({params}):\n    """{doc}\n    """\n{body}\n'
    if task.kind == "step":
        doc = (
            f"경사 하강법 한 단계: {', '.join(task.params or [])} 의 새 값을 사전으로 반환합니다 "
            f"(학습률 lr = {task.lr:g}).\n"
            "    One gradient-descent step: return a dict with the new value of each parameter.\n\n"
            "    params: {이름 name: 값 value}, grads: {이름 name: ∂L/∂이름}, lr: 학습률 learning rate"
        )
        return f'def {task.function}(params, grads, lr):\n    """{doc}\n    """\n    raise NotImplementedError\n'
    if task.kind == "descent":
        doc = (
            f"경사 하강법 {task.steps}단계: params({', '.join(task.params or [])})에서 시작해 학습률 lr로 매 단계 "
            f"기울기를 구해 갱신하고, 각 단계 전의 손실과 마지막 단계 뒤의 손실({task.steps} + 1개)을 리스트로 "
            "반환합니다.\n"
            f"    {task.steps} steps of gradient descent: start from params, compute the gradients and update at "
            f"every step; return the loss before each step and after the last ({task.steps} + 1 numbers).\n\n"
            "    params: {이름 name: 값 value}, data: 나머지 입력 the other inputs, lr: 학습률 learning rate, "
            "steps: 단계 수 number of steps"
        )
        return f'def {task.function}(params, data, lr, steps):\n    """{doc}\n    """\n    raise NotImplementedError\n'
    if task.kind == "gradient_check":
        wrt = ", ".join(task.wrt or [])
        doc = (
            f"기울기 검사: inputs에서 중앙 차분 (f(x+h) − f(x−h))/(2h)로 {wrt}에 대한 수치 기울기 n을 구하고, "
            "받은 기울기 a = grads[이름]과의 상대 오차 |a − n| / max(|a|, |n|, 1e-8)을 사전으로 반환합니다.\n"
            f"    Gradient check: estimate d{exercise.graph.output}/d(name) for {wrt} by centred differences at "
            "inputs, and return a dict of the relative errors |a − n| / max(|a|, |n|, 1e-8) against the given "
            "a = grads[name].\n\n"
            f"    inputs: {{이름 name: 값 value}} ({', '.join(exercise.graph.inputs)}),\n"
            "    grads: {이름 name: 받은 기울기 given gradient}"
        )
        return f'def {task.function}(inputs, grads):\n    """{doc}\n    """\n    raise NotImplementedError\n'
    names = param_names(exercise, task)
    nodes = exercise.task_nodes(task)
    gate = GATES[exercise.built.by_name[nodes[0]].op]
    params = list(names)
    if task.kind == "backward":
        params.append("upstream")
    if task.kind in ("local_grad", "backward"):
        params.append("out")
    where = ", ".join(f"{n} = {gate.name}({', '.join(map(_arg, exercise.built.by_name[n].args))})" for n in nodes)
    ko_what, en_what = WHAT[task.kind]
    lines = [
        f"{gate.title['ko']} 게이트의 {ko_what} / {en_what} of the {gate.title['en']} gate.",
        "",
        f"게이트 / gate: f = {PLAIN[gate.name]}",
        f"그래프의 노드 / nodes in the graph: {where}",
        f"입력 / inputs: {', '.join(names)}",
    ]
    if task.kind == "backward":
        lines.append("upstream: 출력 쪽에서 온 기울기 ∂L/∂f / the gradient ∂L/∂f from the output side")
    if task.kind in ("local_grad", "backward"):
        lines.append("out: 게이트의 출력 f (필요하면 사용) / the gate's output f (use it if it helps)")
        if gate.graded == 1 and len(gate.arity_text()) and gate.name in PARAMS:
            lines.append(
                f"반환 / returns: ∂f/∂{names[0]} — {_returns(exercise, task, 0)} / {_returns(exercise, task, 1)}"
            )
        else:
            lines.append(f"반환 / returns: {_returns(exercise, task, 0)} / {_returns(exercise, task, 1)}")
    else:
        lines.append("반환 / returns: 숫자 하나 / one number")
    doc = "\n    ".join(lines).replace("\n    \n", "\n\n")
    return f'def {task.function}({", ".join(params)}):\n    """{doc}\n    """\n    raise NotImplementedError\n'


def _arg(a) -> str:
    return a if isinstance(a, str) else f"{a:g}"


def stub(exercise: Exercise, lang: str = "ko") -> str:
    title = exercise.title.get(lang)
    other = exercise.title.get("en" if lang == "ko" else "ko")
    head = (
        f'"""{exercise.id}: {title}\n\n{other}\n\n'
        + ("각 함수를 완성한 뒤 `grade submit " if lang == "ko" else "Fill in each function, then run `grade submit ")
        + f'{exercise.id}.py`.\n"""\n\n'
    )
    imports = "".join(f"import {m}\n" for m in exercise.allowed_imports if m == "math")
    body = "\n\n".join(function_stub(exercise, t) for t in exercise.tasks)
    return head + imports + ("\n\n" if imports else "") + body
