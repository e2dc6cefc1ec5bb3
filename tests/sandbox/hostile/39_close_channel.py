"""Crash: close every descriptor (the results channel too) so the harness cannot reply.

Expected: "crash" (the process ends without a reply), 0 marks; grading goes on.
"""

import os


def tanh_local_grad(x):
    os.closerange(0, 64)
    return 0.0
