"""Grader fault: a function whose parameter name is a lone surrogate, which no UTF-8 writer accepts.

Student code may replace its own function's code object; the harness then reports a parameter named
"\\ud800". Once, that name reached the grader's messages and the gradebook and killed the worker
(the next student was reported as not graded). Expected: the file is refused ("load:forbidden"),
for this student only; the worker and the next file carry on.
"""


def tanh_local_grad(x):
    return 0.0


tanh_local_grad.__code__ = tanh_local_grad.__code__.replace(co_varnames=("\ud800",))
