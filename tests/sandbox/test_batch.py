"""A batch: no state passes from one submission to the next, sessions run in parallel, and the
pool survives its zygote dying, a fork of the grader, and submissions that break their child.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from grader.errors import SandboxError
from grader.isolation.sandbox import Call, Pool, Session
from tests.sandbox.conftest import EXERCISES, HONEST, LIMITS, OPEN_IMPORTS, POINTS, run_session

MISCHIEF = """
import builtins, gc, math, os, sys
math.tanh = lambda x: 0.0
math.pi = 3.0
builtins.LEFTOVER = "from A"
builtins.abs = lambda x: 0.0
sys.modules["__main__"].A_WAS_HERE = True
sys.setrecursionlimit(50)
os.environ["A_WAS_HERE"] = "1"
gc.disable()
for folder in ("/tmp", "/dev/shm", os.getcwd()):
    try:
        with open(os.path.join(folder, "state-from-A"), "w") as f:
            f.write("A")
    except OSError:
        pass
STATE = {"calls": 0}

def tanh_local_grad(x):
    STATE["calls"] += 1
    return 0.0
"""

# B returns the right answer only if it sees nothing of A.
CLEAN = """
import builtins, gc, math, os, sys

def tanh_local_grad(x):
    assert math.tanh(0.5) > 0.46 and math.pi > 3.14
    assert not hasattr(builtins, "LEFTOVER") and builtins.abs(-1) == 1
    assert not hasattr(sys.modules["__main__"], "A_WAS_HERE")
    assert sys.getrecursionlimit() == 2000 and "A_WAS_HERE" not in os.environ and gc.isenabled()
    for folder in ("/tmp", "/dev/shm", os.getcwd()):
        assert not os.path.exists(os.path.join(folder, "state-from-A"))
    assert "STATE" not in globals()
    return 1 - math.tanh(x) ** 2
"""


def test_submission_b_sees_nothing_of_submission_a():
    with Pool(1) as pool:  # one zygote: B's child is forked from the very process A's came from
        a = run_session(MISCHIEF, pool)
        assert a.score == 0 and a.kind == "value"
        b = run_session(CLEAN, pool)
        assert (b.score, b.kind) == (len(POINTS), "value"), b
    assert not os.path.exists("/tmp/state-from-A") and not os.path.exists("/dev/shm/state-from-A")


def test_submission_b_sees_nothing_of_submission_a_through_api(tmp_path):
    from grader.grading import api

    path = tmp_path / "sbx_open.py"
    path.write_text(MISCHIEF)
    assert api.submit(path, "sbx_open", exercises_dir=EXERCISES).score == 0
    path.write_text(CLEAN)
    assert api.submit(path, "sbx_open", exercises_dir=EXERCISES).full_marks


def test_sessions_in_parallel_threads_share_a_pool():
    hostile = "import os\ndef tanh_local_grad(x):\n    os.fork()\n"
    results, errors = [], []

    def work(i: int) -> None:
        try:
            source = hostile if i % 3 == 0 else (MISCHIEF if i % 3 == 1 else CLEAN)
            results.append((i, run_session(source, pool)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with Pool(2) as pool:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert len(results) == 12
        for i, outcome in results:
            expected = ("forbidden", 0) if i % 3 == 0 else (("value", 0) if i % 3 == 1 else ("value", 3))
            assert (outcome.kind, outcome.score) == expected, (i, outcome)
        assert pool._count <= 2


def children_of(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def test_closing_a_pool_leaves_no_process_and_no_cgroup_behind():
    with Pool(1) as pool:
        assert run_session(HONEST, pool).score == len(POINTS)
        zygote = pool.acquire()
        pool.release(zygote)
        children = children_of(zygote.pid)  # the standby child, at least
        assert children
    assert zygote.proc.returncode is not None
    deadline = time.monotonic() + 20  # bounded, not timed: on a busy machine dying takes a while
    while True:
        alive = [pid for pid in children if pid in children_of(1) or os.path.exists(f"/proc/{pid}/exe")]
        tasks = [p for p in zygote.cgroups if os.path.exists(p) and Path(p, "cgroup.procs").read_text().strip()]
        if not (alive or tasks) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (alive, tasks) == ([], [])


def test_pool_replaces_a_zygote_that_died():
    with Pool(1) as pool:
        assert run_session(HONEST, pool).score == len(POINTS)
        zygote = pool.acquire()
        pool.release(zygote)
        os.kill(zygote.pid, signal.SIGKILL)
        zygote.proc.wait()
        assert run_session(HONEST, pool).score == len(POINTS)


def test_zygote_dying_mid_session_is_the_graders_fault_not_a_hang():
    with Pool(1) as pool:
        with Session(HONEST, "s.py", "s", ["tanh_local_grad"], ["math"], LIMITS, pool=pool) as session:
            assert session.load().ok
            child = session.child
            os.kill(child.zygote.pid, signal.SIGKILL)
            child.zygote.proc.wait()
            for _ in range(500):  # its death signal takes the child with it
                if not os.path.exists(f"/proc/{child.pid}"):
                    break
                time.sleep(0.01)
            with pytest.raises(SandboxError):
                session.run([Call(0, "tanh_local_grad", (0.5,))])
        assert run_session(HONEST, pool).score == len(POINTS)


def test_a_forked_grader_starts_its_own_zygotes():
    with Pool(1) as pool:
        assert run_session(HONEST, pool).score == len(POINTS)
        parent_zygote = pool._idle[0].pid
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            try:
                outcome = run_session(HONEST, pool)
                mine = pool._idle[0].pid if pool._idle else 0
                os.write(write, f"{outcome.score} {mine}".encode())
            finally:
                os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        score, child_zygote = os.read(read, 100).decode().split()
        os.close(read)
        assert int(score) == len(POINTS) and int(child_zygote) not in (0, parent_zygote)
        assert run_session(HONEST, pool).score == len(POINTS)  # the parent's zygote was left alone


def test_source_and_secret_never_reach_the_zygote(world):
    marker = "student-marker-" + world.token
    source = f"# {marker}\n{HONEST}MARK = {marker!r}\n"
    assert run_session(source, world.pool).score == len(POINTS)
    zygote = world.pool.acquire()
    try:
        pid = zygote.pid
        with open(f"/proc/{pid}/environ", "rb") as f:
            environ = f.read()
        assert world.secret.encode() not in environ and b"GRADE_SECRET" not in environ
        heap = b""
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
            for line in maps:
                span, perms = line.split()[:2]
                if "r" in perms and ("[heap]" in line or len(line.split()) < 6):
                    start, end = (int(v, 16) for v in span.split("-"))
                    try:
                        mem.seek(start)
                        heap += mem.read(end - start)
                    except OSError:
                        continue
        assert heap, "could not read the zygote's memory"
        assert marker.encode() not in heap
        assert world.secret.encode() not in heap
    finally:
        world.pool.release(zygote)


def test_allowed_imports_are_preloaded_for_children_that_cannot_read_the_stdlib():
    source = "import fractions\n\ndef tanh_local_grad(x):\n    return float(fractions.Fraction(1, 4))\n"
    with Pool(1) as pool:
        outcome = run_session(source, pool, ["math", "fractions"])
    assert outcome.kind == "value" and outcome.message == "0.25"


def test_honest_students_get_a_clear_message_for_a_forbidden_import():
    outcome = run_session("import numpy\n\ndef tanh_local_grad(x):\n    return 0.0\n", pool=None, imports=["math"])
    assert outcome.kind == "load:forbidden"
    assert "import of 'numpy' is not allowed in this exercise (allowed: math)" in outcome.message
    future = "from __future__ import annotations\n" + HONEST
    assert run_session(future, pool=None, imports=["math"]).score == len(POINTS)


def test_open_imports_list_is_what_the_open_exercise_allows():
    from grader.exercise.loader import find_exercise

    assert find_exercise("sbx_open", EXERCISES).allowed_imports == OPEN_IMPORTS
