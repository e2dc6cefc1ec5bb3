"""Marks and more: an object whose __reduce__ runs a command when a grader unpickles it.

If it worked: code execution in the grader (multiprocessing's Connection.recv()). Expected: a
non-number (only JSON crosses), nothing run in the grader, 0 marks.
"""

import os


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-pickle-__UNIQUE__",))


def tanh_local_grad(x):
    return Evil()
