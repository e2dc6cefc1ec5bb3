"""Marks: NaN, for which `abs(got - expected) > tol` is False.

If it worked: a grader that fails only when the error is large passes it. Expected: "nan", 0 marks.
"""


def tanh_local_grad(x):
    return float("nan")
