"""Marks: an integer too large for a float (float() raises OverflowError in the grader).

If it worked: the grader crashes or overflows to inf. Expected: "huge int", 0 marks.
"""


def tanh_local_grad(x):
    return 10**400
