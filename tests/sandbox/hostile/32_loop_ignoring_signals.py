"""Hang: a busy loop that ignores every signal it can (SIGXCPU, SIGTERM, SIGINT, SIGALRM).

If it worked: the batch hangs. Expected: "timeout" after the wall-clock limit (SIGKILL cannot be
ignored), a message naming the function and the point, 0 marks.
"""

import signal

for name in ("SIGXCPU", "SIGTERM", "SIGINT", "SIGALRM", "SIGHUP"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)


def tanh_local_grad(x):
    while True:
        pass
