"""Marks and resources: replies the grader could choke on — deeply nested, enormous, self-referencing.

Expected: a non-number, 0 marks, the grader's parser unharmed.
"""

import math


def tanh_local_grad(x):
    if x > 1:
        deep = []
        for _ in range(100_000):
            deep = [deep]
        return deep
    if x > 0:
        return [1 - math.tanh(x) ** 2] * 1_000_000
    loop = []
    loop.append(loop)
    return {"value": loop}
