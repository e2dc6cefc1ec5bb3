"""Marks: monkey-patch whatever a comparison might use (math.isclose, abs, round, float.__eq__ cannot).

If it worked: a grader comparing in this process would accept any value. Expected: a wrong value,
0 marks (the comparison runs in the grader, which never imports this file).
"""

import builtins
import math

math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda value: 0.0
builtins.round = lambda *args: 0.0
builtins.isinstance = lambda *args: True


def tanh_local_grad(x):
    return 42.0
