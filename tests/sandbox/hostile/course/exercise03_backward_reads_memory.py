"""Marks: a backward file that knows only the mul rule and reads every other answer from memory (issue 12).

``upstream`` given to the backward call at a node is the answer of the call above it. Each function
but mul's walks up its own traceback frames to the harness, collects every call it finds there
(a whole round in the old protocol) and every call it was ever given, and answers for an argument
with the upstream of the call whose ``out`` is that argument's value. Found nothing: its own
upstream, which is what honest wrong code returns (and right only for add).

Against the old protocol: 6/6. Expected now: exactly the marks of this file with READ = False.
"""

import math

READ = True
SEEN = []


def _frames():
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        yield frame
        frame = frame.f_back


def _calls_in(value, depth=0):
    if type(value) is dict:
        if "fn" in value and "args" in value:
            return [value]
        if depth < 3:
            return [c for v in list(value.values()) for c in _calls_in(v, depth + 1)]
    if type(value) in (list, tuple) and depth < 3:
        return [c for v in list(value) for c in _calls_in(v, depth + 1)]
    return []


def _memory():
    found = list(SEEN)
    for frame in _frames():
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            found += _calls_in(value)
    return found


def _upstream_of(call):
    kwargs = call.get("kwargs") or {}
    return kwargs["upstream"] if "upstream" in kwargs else call["args"][-1]


def _answer(fn, args, upstream, out, graded):
    SEEN.append({"fn": fn, "args": [*args, upstream], "kwargs": {"out": out}})
    calls = _memory() if READ else []
    answers = []
    for a in args[:graded]:
        hits = [c for c in calls if (c.get("kwargs") or {}).get("out") == a]
        answers.append(float(_upstream_of(hits[0])) if hits else upstream)
    return answers[0] if len(answers) == 1 else tuple(answers)


def mul_backward(a, b, upstream, out=None):
    return (upstream * b, upstream * a)


def add_backward(*inputs, upstream, out=None):
    return _answer("add_backward", inputs, upstream, out, len(inputs))


def neg_backward(x, upstream, out=None):
    return _answer("neg_backward", (x,), upstream, out, 1)


def exp_backward(x, upstream, out=None):
    return _answer("exp_backward", (x,), upstream, out, 1)


def reciprocal_backward(x, upstream, out=None):
    return _answer("reciprocal_backward", (x,), upstream, out, 1)


def bce_backward(p, y, upstream, out=None):
    return _answer("bce_backward", (p, y), upstream, out, 1) + 0 * math.pi
