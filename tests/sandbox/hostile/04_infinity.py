"""Marks: infinity (math.isclose(inf, inf) is True, and json reads 1e999 as inf).

If it worked: an infinite reference would match. Expected: "inf", 0 marks.
"""


def tanh_local_grad(x):
    return float("inf") if x > 0 else -float("inf")
