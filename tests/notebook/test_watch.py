"""``grade submit FILE --watch`` in a subprocess: a save regrades, an unchanged save does not,
Ctrl-C (SIGINT) stops it with the last grade's exit code. Only generous timeouts, no timing claims."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import ROOT, SOLUTIONS
from tests.notebook.helpers import EXERCISES, filled_stub, write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
WAIT = 60.0


class Watcher:
    def __init__(self, path, *extra):
        env = {
            **os.environ,
            "GRADE_EXERCISES": str(EXERCISES),
            "NO_COLOR": "1",
            "GRADE_LANG": "en",
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "submit", str(path), "--watch", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, predicate, timeout=WAIT) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"not seen in {timeout} s; output so far:\n" + "\n".join(self.seen))

    def rounds(self) -> int:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return sum(1 for line in self.seen if line.startswith("── "))

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=WAIT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return code, self.proc.stderr.read()


def test_a_py_file_is_graded_again_on_every_save_until_ctrl_c(tmp_path):
    path = tmp_path / "exercise02.py"
    solution = (SOLUTIONS / "exercise02.py").read_text(encoding="utf-8")
    path.write_text(solution.replace("return -1.0", "return 1.0", 1), encoding="utf-8")
    watcher = Watcher(path)
    try:
        first = watcher.until(lambda line: line.startswith("exercise02  score "))
        assert not first.endswith(f"{first.split()[-1]} / {first.split()[-1]}")  # below full marks
        watcher.until(lambda line: line.startswith("✗ "))

        path.write_text(solution, encoding="utf-8")  # the fix, saved
        watcher.until(lambda line: line == "✓ Full marks.")
        assert watcher.rounds() == 2

        os.utime(path)  # saved again without a change: not graded again
        time.sleep(1.5)
        path.write_text(solution + "\n# done\n", encoding="utf-8")
        watcher.until(lambda line: line == "✓ Full marks.")
        time.sleep(1.0)
        assert watcher.rounds() == 3
    finally:
        code, err = watcher.stop()
    assert code == 0  # the last grade had full marks
    assert "watching" in err and "stopped watching." in err and "Traceback" not in err


def test_a_notebook_is_watched_too_and_a_broken_save_is_reported_not_fatal(tmp_path):
    path = write(filled_stub("exercise01"), tmp_path / "exercise01.ipynb")
    text = path.read_text(encoding="utf-8")
    watcher = Watcher(path)
    try:
        watcher.until(lambda line: line == "✓ Full marks.")
        path.write_text(text[: len(text) // 2], encoding="utf-8")  # half a notebook: not JSON
        line = watcher.until(lambda line: line.startswith("✗ could not be graded"))
        assert "[bad_file]" in line and "not JSON" in line
        path.write_text(text, encoding="utf-8")
        watcher.until(lambda line: line == "✓ Full marks.")
    finally:
        code, err = watcher.stop()
    assert code == 0 and "Traceback" not in err


def test_json_lines_in_watch_mode(tmp_path):
    import json

    path = write(filled_stub("exercise01"), tmp_path / "exercise01.ipynb")
    watcher = Watcher(path, "--json")
    try:
        line = watcher.until(lambda line: line.startswith("{"))
        assert json.loads(line)["score"] == json.loads(line)["max_score"]
    finally:
        code, _ = watcher.stop()
    assert code == 0


def test_saves_yields_only_for_new_content(tmp_path):
    from grader.notebook.watch import saves

    path = tmp_path / "f.py"
    path.write_text("a")
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 4:
            os.utime(path, ns=(1, 1))  # a touch: new time, same content
        if len(naps) == 8:
            path.write_text("b")

    events = saves(path, poll=0, settle=0, sleep=sleep)
    assert next(events) is True  # at once
    assert next(events) is True  # after "b", not after the touch
    assert path.read_text() == "b" and len(naps) >= 8
