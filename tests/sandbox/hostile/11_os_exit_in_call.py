"""Marks: os._exit(0) inside the graded function: no exception, no reply, exit status 0.

If it worked: an exit-code grader passes. Expected: "crash" naming the exit, 0 marks; grading goes on.
"""

import os


def tanh_local_grad(x):
    os._exit(0)
