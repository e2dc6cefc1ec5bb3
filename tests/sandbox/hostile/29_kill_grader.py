"""Signals: kill the grader, the zygote and everything else (research §2.1 item 11).

Signals a root bystander process (standing in for the grader) and the zygote (its parent);
returns the right answer only if one signal was delivered. (Not kill(-1): on a machine where a
layer failed, that would take down everything the grader's user runs.)
Expected: "forbidden", 0 marks, the bystander alive, later submissions still graded.
"""

import math
import os
import signal


def tanh_local_grad(x):
    delivered = 0
    errors = []
    for pid in (int("__BYSTANDER__"), os.getppid()):
        try:
            os.kill(pid, signal.SIGKILL)
            delivered += 1
        except OSError as exc:
            errors.append(exc)
    if not delivered:
        raise errors[0]
    return 1 - math.tanh(x) ** 2
