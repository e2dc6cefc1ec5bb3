"""Processes: run another program (a shell, a compiler, python without the sandbox's limits).

Returns the right answer only if a program ran. Expected: "forbidden", 0 marks.
"""

import math
import os


def tanh_local_grad(x):
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", "echo escaped"], {})
    os.waitpid(pid, 0)
    os.execv("/bin/sh", ["sh", "-c", "echo escaped"])
    return 1 - math.tanh(x) ** 2
