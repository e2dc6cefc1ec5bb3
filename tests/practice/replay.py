"""The page's part of the practice panel, played in CPython: a timer that stops the worker at a
step's time limit, and a new worker that grades again with that step in ``stops``.

In the browser the page terminates the Web Worker; here an interval timer raises ``Stopped``
through the running student code (nothing in this process is the grader's to lose: each replay
starts from ``browser.check`` again, as a new worker does).
"""

from __future__ import annotations

import json
import signal

from grader.site import browser


class Stopped(BaseException):
    pass


def _watch(state: dict):
    def watch(step, seconds):
        signal.setitimer(signal.ITIMER_REAL, seconds if step else 0)
        if step:
            state["step"] = step
        elif state.pop("fired", False):  # the harness caught what broke the loop: the worker is gone all the same
            raise Stopped

    return watch


def check(exercise: str, source: str, lang: str = "en") -> dict:
    """The page's ``gradePractice.check``: grade, replaying after each stopped worker."""
    state: dict = {}
    browser.use_in_process_children(_watch(state))
    stops: dict[str, str] = {}

    def alarm(signum, frame):
        state["fired"] = True
        raise Stopped

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        for _ in range(50):
            try:
                return json.loads(browser.check(exercise, source, lang, json.dumps(stops)))
            except Stopped:
                stops[state["step"]] = "timeout"
        raise AssertionError("no verdict after 50 replays")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
