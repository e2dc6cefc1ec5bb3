"""Hang: burn CPU time; graded with a long wall-clock limit, so the hard CPU limit must stop it.

Expected: "timeout" with the CPU-time message (the kernel's SIGKILL at RLIMIT_CPU), 0 marks.
"""

import signal

signal.signal(signal.SIGXCPU, signal.SIG_IGN)


def tanh_local_grad(x):
    total = 0
    while True:
        total += 1
