"""Marks: forged replies written on the grader's results channel (any inherited descriptor).

At import time it writes a "loaded" report and a right answer for every public point on each
descriptor it finds, then returns wrong values when called. If it worked: marks for answers it
never returned. Expected: "forbidden" (a reply that came before its question), 0 marks.
"""

import json
import math
import os

answers = [1 - math.tanh(x) ** 2 for x in (0.5, -1.25, 2.0)]
signature = {"line": 20, "params": ["x"], "kwonly": [], "defaults": 0, "varargs": False, "varkw": False}
frames = [{"loaded": True, "functions": {"tanh_local_grad": signature}}]
frames += [{"id": i, "ok": True, "value": v} for i, v in enumerate(answers)]
data = "".join(json.dumps(f) + "\n" for f in frames).encode()
for fd in range(3, 64):
    try:  # noqa: SIM105 - the exercise allows no contextlib
        os.write(fd, data)
    except OSError:
        pass


def tanh_local_grad(x):
    return -1.0
