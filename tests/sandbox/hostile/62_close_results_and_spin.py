"""Time: close the results channel, then spin, so the grader waits for a deadline it never needs.

Once, the grader noticed only at the call's deadline (61 s in all where a plain endless loop costs
12 s). Expected: "crash" at the end of file (the results channel closed), not "timeout"; 0 marks.
"""

import os


def tanh_local_grad(x):
    os.close(4)
    while True:
        pass
