"""How a ``grade`` run ends: a closed pipe as ``cat`` would, and ``grade submit`` without the teardown.

Standard library only, so the entry point can end a run before or without importing typer.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys


def pipe_closed() -> None:
    """The reader of our output has gone: clean up, then end as ``cat`` would, by SIGPIPE (no traceback)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere, silently
    except (OSError, ValueError):
        pass
    atexit._run_exitfuncs()  # the sandbox's zygote stops, as at a normal exit
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(1)  # where there is no SIGPIPE


def quiet_on_closed_pipe(call, *args, **kwargs):
    """``call(*args, **kwargs)`` with its output flushed; a reader that has gone ends the program
    quietly (``grade submit x.py | head -1``), as ``cat`` would."""
    try:
        try:
            return call(*args, **kwargs)
        finally:
            sys.stdout.flush()  # a closed pipe is met here, not in the interpreter's last flush
    except BrokenPipeError:
        pipe_closed()


def exit_code(code: object) -> int:
    """The status ``SystemExit(code)`` ends a process with; a message is printed as Python does."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def end_now(code: object) -> None:
    """End the process as a normal exit would, minus the interpreter's teardown.

    Freeing every module and object of the grader costs ~15 ms at the end of a ``grade submit``
    that takes ~100: more than the student's code runs. What an exit must do is done here: the
    output is flushed (a reader that has gone is a closed pipe) and the ``atexit`` functions run
    (the sandbox's zygote stops and its cgroups go). Only for a command whose threads have all
    ended: non-daemon threads are not waited for.
    """
    status = exit_code(code)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pipe_closed()
    except (OSError, ValueError):
        status = status or 120  # as the interpreter does when its last flush fails
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
