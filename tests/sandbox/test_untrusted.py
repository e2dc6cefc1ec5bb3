"""One student never affects another (issue 12): every byte from a child is data, a closed results
channel ends the child at once, and a child killed from outside is a fault of the grader.

The load report is forged at import time, on the results channel, the way student code can: its
bytes must become a refused file for that student (``status: error``), never an exception in the
grader, a dead worker or a string that cannot be written as UTF-8.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time

import pytest

from grader.classroom.worker import WorkerState, grade_work
from grader.errors import SandboxError
from grader.grading import api
from grader.isolation.sandbox import Call, Limits, Session
from tests.sandbox.conftest import EXERCISES, HONEST, POINTS, run_session

SIGNATURE = {"line": 3, "params": ["x"], "kwonly": [], "defaults": 0, "varargs": False, "varkw": False}
REPORTS = {
    "surrogate-name": {"params": ["\ud800"]},
    "integer-names": {"params": [1, 2]},
    "repeated-names": {"params": ["x", "x"]},
    "name-not-identifier": {"params": ["x y"]},
    "defaults-out-of-range": {"defaults": 10**30},
    "defaults-negative": {"defaults": -1},
    "varargs-not-bool": {"varargs": "yes"},
    "line-surrogate": {"line": "\ud800"},
    "params-not-list": {"params": {"x": 1}},
    "kwonly-nested": {"kwonly": [["out"]]},
    "many-params": {"params": [f"p{i}" for i in range(5000)]},
}


def forged_load(report: dict | str) -> str:
    """A submission that writes ``report`` as its load report, then ends before the harness's own."""
    line = (report if isinstance(report, str) else json.dumps(report)).encode() + b"\n"
    return f"import os\nos.write(4, {line!r})\nos._exit(0)\n\ndef tanh_local_grad(x):\n    return x\n"


def surrogate_free(verdict) -> str:
    text = json.dumps(verdict.to_json(), ensure_ascii=False)
    text.encode("utf-8")  # a lone surrogate anywhere would raise here, as it did in the worker
    return text


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_forged_signature_is_refused_as_data(world, tmp_path, name):
    forged = {"loaded": True, "functions": {"tanh_local_grad": {**SIGNATURE, **REPORTS[name]}}}
    source = forged_load(forged)
    outcome = run_session(source, world.pool)
    assert (outcome.score, outcome.kind) == (0, "load:forbidden"), outcome
    assert "private channel" in outcome.message
    path = tmp_path / "sbx_open.py"
    path.write_text(source)
    verdict = api.submit(path, "sbx_open", exercises_dir=EXERCISES)
    assert verdict.status == "error" and verdict.score == 0.0
    surrogate_free(verdict)
    assert run_session(HONEST, world.pool).score == len(POINTS)


@pytest.mark.parametrize(
    "payload",
    [
        '{"loaded": true, "functions": [1, 2]}',
        '{"loaded": true, "functions": {"tanh_local_grad": 7}}',
        '{"loaded": true, "functions": {"tanh_local_grad": {"not_function": "\\ud800\\udfff\\ud800"}}}',
        '{"loaded": false, "kind": "\\ud800", "message": "\\ud800\\u001b[2J", "line": "\\ud800"}',
        '{"loaded": true, "functions": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"loaded": true, "functions": {"tanh_local_grad": {"params": ["x"], "line": ' + "9" * 5000 + "}}}",
    ],
    ids=["functions-list", "signature-int", "not-function-surrogates", "failure-surrogates", "deep", "huge-int"],
)
def test_other_forged_load_reports_are_graded_not_raised(world, tmp_path, payload):
    path = tmp_path / "sbx_open.py"
    path.write_text(forged_load(payload))
    verdict = api.submit(path, "sbx_open", exercises_dir=EXERCISES)
    assert verdict.score == 0.0
    text = surrogate_free(verdict)
    assert "\x1b" not in text


def test_a_forged_report_in_a_batch_worker_is_that_students_error_only(world):
    """The worker replies for the student with the forged file, then grades the next one."""
    state = WorkerState("tests-secret-0123456789", "en")
    forged = forged_load({"loaded": True, "functions": {"tanh_local_grad": {**SIGNATURE, "params": ["\ud800"]}}})
    replies = []
    for n, source in enumerate([forged, HONEST]):
        work = {
            "id": n,
            "kind": "exercise",
            "student": f"s{n}",
            "item": "sbx_open",
            "exercise_path": str(EXERCISES / "sbx_open.yaml"),
            "filename": "sbx_open.py",
            "path": "/nonexistent/sbx_open.py",
            "source": base64.b64encode(source.encode()).decode(),
        }
        reply = grade_work(work, state)
        json.dumps(reply, ensure_ascii=False).encode("utf-8")
        replies.append(reply)
    assert replies[0]["ok"] and replies[0]["status"] == "error"
    assert replies[1]["ok"] and replies[1]["status"] == "graded" and replies[1]["score"] == replies[1]["max_score"]


def test_a_closed_results_channel_ends_the_child_at_once(world):
    """Not at the call's deadline (which would say "timeout"): at the end of file, as a crash."""
    source = "import os\n\ndef tanh_local_grad(x):\n    os.close(4)\n    while True:\n        pass\n"
    limits = Limits(seconds_per_call=30.0, seconds_to_load=3.0)
    outcome = run_session(source, world.pool, limits=limits)
    assert (outcome.score, outcome.kind) == (0, "crash"), outcome
    assert "closed the channel the harness replies on" in outcome.message


def test_a_child_killed_from_outside_is_a_fault_of_the_grader(world):
    """SIGKILL from outside (an operator, the machine's OOM killer) is not the student's crash."""
    if not world.pool.layers().get("seccomp", "").startswith("on"):
        pytest.skip("without seccomp a child could signal itself")
    source = "def tanh_local_grad(x):\n    while True:\n        pass\n"
    limits = Limits(seconds_per_call=30.0, seconds_to_load=3.0)
    with Session(source, "student.py", "student", ["tanh_local_grad"], [], limits, pool=world.pool) as session:
        assert session.load().ok
        pid = session.child.pid

        def kill_when_running():
            for _ in range(500):  # until its CPU time shows it is in the loop
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[11]) > 0:
                            break
                except OSError:
                    return
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_running)
        killer.start()
        with pytest.raises(SandboxError, match="killed from outside"):
            session.run([Call(0, "tanh_local_grad", (0.5,))])
        killer.join()
    assert run_session(HONEST, world.pool).score == len(POINTS)


def test_a_fault_is_not_stored_and_the_next_run_grades_the_file(world, tmp_path, monkeypatch):
    """The worker turns the SandboxError into a fault (no result stored); graded again, it counts."""
    from grader.isolation import sandbox

    state = WorkerState("tests-secret-0123456789", "en")
    work = {
        "id": 1,
        "kind": "exercise",
        "student": "s1",
        "item": "sbx_open",
        "exercise_path": str(EXERCISES / "sbx_open.yaml"),
        "filename": "sbx_open.py",
        "path": "/nonexistent/sbx_open.py",
        "source": base64.b64encode(HONEST.encode()).decode(),
    }
    real = sandbox.Session._receive

    def killed(self, call):
        raise SandboxError("a child was killed from outside the grader (SIGKILL)")

    monkeypatch.setattr(sandbox.Session, "_receive", killed)
    reply = grade_work(work, state)
    assert reply["ok"] is False and "killed from outside" in reply["fault"]
    monkeypatch.setattr(sandbox.Session, "_receive", real)
    reply = grade_work(work, state)
    assert reply["ok"] and reply["score"] == reply["max_score"]


def test_the_harness_holds_no_call_it_has_not_been_asked(world):
    """Whatever the function finds in the garbage collector, its frames and their bytes: the inputs
    of the calls made so far (its own included), never those of a call still to come. (Calls the
    parent queued in the pipe are there only if their inputs answer no check still unanswered:
    test_flow.py; the harness itself reads exactly one frame at a time.)"""
    probe = (
        "import gc\nimport json\nimport sys\n\ndef tanh_local_grad(x):\n"
        "    found = set()\n"
        "    for o in gc.get_objects():\n"
        "        if type(o) is dict and 'args' in o and type(o['args']) is list:\n"
        "            found.update(a for a in o['args'] if type(a) is float)\n"
        "    frame = sys._getframe()\n"
        "    while frame is not None:\n"
        "        for v in list(frame.f_locals.values()):\n"
        "            if type(v) in (bytes, bytearray):\n"
        "                for line in bytes(v).split(b'\\n'):\n"
        "                    try:\n"
        "                        found.update(json.loads(line)['call']['args'])\n"
        "                    except Exception:\n"
        "                        pass\n"
        "        frame = frame.f_back\n"
        "    return sorted(found)\n"
    )
    limits = Limits(seconds_per_call=5.0)
    imports = ["gc", "json", "sys"]
    with Session(probe, "student.py", "student", ["tanh_local_grad"], imports, limits, pool=world.pool) as s:
        assert s.load().ok
        results = s.run([Call(i, "tanh_local_grad", (x,)) for i, x in enumerate(POINTS)])
    for i in range(len(POINTS)):
        assert set(results[i].value) <= set(POINTS[: i + 1]), (i, results[i])
        assert POINTS[i] in results[i].value  # the probe does see its own call


def test_a_worker_survives_a_reply_it_cannot_encode():
    """Whatever slips past the checks (a lone surrogate in a reply), the worker reports a fault for
    that submission and grades the next: it never dies, so the next student is never blamed."""
    import subprocess
    import sys

    script = (
        "import grader.classroom.worker as w\n"
        "real = w.grade_work\n"
        "w.grade_work = lambda work, state: {'id': work['id'], 'ok': True, 'text': '\\ud800'} "
        "if work['id'] == 1 else {'id': work['id'], 'ok': True, 'text': 'fine'}\n"
        "w.worker_main()\n"
    )
    lines = [json.dumps({"secret": "s", "lang": "en"}), json.dumps({"id": 1}), json.dumps({"id": 2})]
    run = subprocess.run(
        [sys.executable, "-c", script], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60
    )
    replies = [json.loads(line) for line in run.stdout.splitlines()][1:]  # after the warm-up reply
    assert run.returncode == 0, run.stderr[-2000:]
    assert replies[0]["id"] == 1 and replies[0]["ok"] is False and "UnicodeEncodeError" in replies[0]["fault"]
    assert replies[1] == {"id": 2, "ok": True, "text": "fine"}
