"""Hang: sleep forever (no CPU used, so only a wall-clock deadline stops it).

Expected: "timeout", 0 marks.
"""

import time


def tanh_local_grad(x):
    time.sleep(3600)
    return 0.0
