"""Marks: forward functions that compute nothing and read their answers from memory (issue 12).

A gate's forward answer is an argument of the next gate's forward call at the same point. Each
function walks up its own traceback frames to the harness, finds its own call there and any list
of calls (a whole round in the old protocol), takes its rank among the calls of its function, and
returns the argument of the consumer's call of the same rank (the graph of exercise01 is public).
It also remembers every call it was given. Found nothing: 0.0, which is what code that computes
nothing returns.

Against the old protocol: every gate but bce. Expected now: exactly the marks of READ = False.
"""

import math

READ = True
SEEN = []
# function → (consumer function, calls of mine per point, calls of the consumer per point, {my slot: (its slot, arg)})
CONSUMER = {
    "mul_forward": ("add_forward", 2, 2, {0: (0, 1), 1: (0, 2)}),
    "add_forward": (None, 2, 0, {}),  # z feeds neg, d feeds reciprocal: handled below
    "neg_forward": ("exp_forward", 1, 1, {0: (0, 0)}),
    "exp_forward": ("add_forward", 1, 2, {0: (1, 0)}),
    "reciprocal_forward": ("bce_forward", 1, 1, {0: (0, 0)}),
}


def _frames():
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        yield frame
        frame = frame.f_back


def _rounds_and_me(fn, args):
    rounds, me = [list(SEEN)], None
    for frame in _frames():
        for value in list(frame.f_locals.values()):
            if type(value) is dict and value.get("fn") == fn and list(value.get("args", ())) == list(args):
                me = value
            if type(value) is dict and type(value.get("calls")) is list:
                rounds.append(value["calls"])
            if type(value) is list and value and type(value[0]) is dict and "fn" in value[0]:
                rounds.append(value)
    return rounds, me


def _read(fn, args):
    SEEN.append({"fn": fn, "args": list(args)})
    if not READ:
        return 0.0
    rounds, me = _rounds_and_me(fn, args)
    for calls in rounds:
        mine = [c for c in calls if c.get("fn") == fn]
        index = next((i for i, c in enumerate(mine) if c is me or c.get("args") == list(args)), None)
        if index is None:
            continue
        if fn == "add_forward":
            point, slot = divmod(index, 2)
            target, its_slot, per_point = ("neg_forward", 0, 1) if slot == 0 else ("reciprocal_forward", 0, 1)
            arg = 0
        else:
            target, per_me, per_it, slots = CONSUMER[fn]
            point, slot = divmod(index, per_me)
            its_slot, arg = slots[slot]
            per_point = per_it
        theirs = [c for c in calls if c.get("fn") == target]
        at = point * per_point + its_slot
        if at < len(theirs):
            return float(theirs[at]["args"][arg])
    return 0.0


def mul_forward(a, b):
    return _read("mul_forward", (a, b))


def add_forward(*inputs):
    return _read("add_forward", inputs)


def neg_forward(x):
    return _read("neg_forward", (x,))


def exp_forward(x):
    return _read("exp_forward", (x,))


def reciprocal_forward(x):
    return _read("reciprocal_forward", (x,))


def bce_forward(p, y):
    return 0.0 * math.pi
