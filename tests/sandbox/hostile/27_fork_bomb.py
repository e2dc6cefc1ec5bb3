"""Processes: a (bounded) fork bomb (pushkar8723/aurora #11, HackGrader #33).

Returns the right answer only if a fork succeeded. Expected: "forbidden", 0 marks, no process left.
"""

import math
import os


def tanh_local_grad(x):
    children = []
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)
    return 1 - math.tanh(x) ** 2 if children else 0.0
