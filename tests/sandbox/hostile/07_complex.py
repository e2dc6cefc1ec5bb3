"""Marks: a complex number whose real part is right (complex step differentiation leftovers).

If it worked: abs(got - expected) is 0.0. Expected: "complex", 0 marks.
"""

import math


def tanh_local_grad(x):
    return complex(1 - math.tanh(x) ** 2, 1e-300)
