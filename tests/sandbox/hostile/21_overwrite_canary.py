"""Write: a world-writable file of the course (a gradebook, a results.json) — saligrama.io, LambdaJudge #24.

Writes to the canary, reads it back and returns the right answer only if the write took.
If it worked: the file changed. Expected: "forbidden", 0 marks, the canary unchanged.
"""

import math


def tanh_local_grad(x):
    with open("__CANARY__", "w") as f:
        f.write("pwned")
    with open("__CANARY__") as f:
        assert f.read() == "pwned"
    return 1 - math.tanh(x) ** 2
