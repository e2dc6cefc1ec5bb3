"""Marks: sys.exit(0) before anything is checked (gradema "early exit", promptdriven/pdd #605).

If it worked: a grader that trusts exit status 0 reports success. Expected: "crash" while loading, 0 marks.
"""

import sys

sys.exit(0)


def tanh_local_grad(x):
    return 0.0
