"""Marks: the right answer as a string, hoping the grader calls float() on it.

If it worked: "0.786..." would become a number. Expected: "str", 0 marks.
"""

import math


def tanh_local_grad(x):
    return repr(1 - math.tanh(x) ** 2)
