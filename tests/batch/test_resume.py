"""Killing `grade batch` at any moment, even with SIGKILL, loses nothing graded and leaves no half row;
the rerun grades exactly the rest. Two batches on one gradebook at once neither lose nor duplicate.

No timing is asserted: the kill moments are chosen by watching the gradebook's row count.
"""

from __future__ import annotations

import signal
import subprocess
import time

from tests.batch.helpers import (
    batch_env,
    check_gradebook,
    count_results,
    grade_cmd,
    mixed_class,
    run_grade,
    summary_of,
)

STUDENTS = 14  # x 3 cheap exercises = 42 files


def _kill_when(folder, db, at_least: int, sig=signal.SIGKILL) -> tuple[int, int]:
    """Start a batch, wait until ``at_least`` results are committed, send ``sig``; return (rc, count at kill)."""
    proc = subprocess.Popen(
        grade_cmd(folder, db, "--jobs", "2"),
        cwd=folder.parent,
        env=batch_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        seen = count_results(db)
        while seen < at_least and proc.poll() is None:
            time.sleep(0.005)
            seen = count_results(db)
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return rc, seen


def test_sigkill_at_several_moments_then_rerun(tmp_path):
    folder = mixed_class(tmp_path / "class", STUDENTS)
    db = tmp_path / "grades.db"
    total = STUDENTS * 3
    counts, killed = [], 0
    for at_least in (0, 6, 20):  # at once (before any worker is up), early, past the middle
        rc, seen = _kill_when(folder, db, at_least)
        counts.append(count_results(db))
        assert rc in (0, -signal.SIGKILL)
        killed += rc == -signal.SIGKILL and counts[-1] < total
        check_gradebook(db)  # after every kill: no half-written result, nothing twice
    assert counts == sorted(counts)  # what was committed stayed committed
    assert killed >= 2, f"the kills mostly came after the batch had finished: {counts}"
    final = summary_of(run_grade(grade_cmd(folder, db, "--jobs", "2"), cwd=tmp_path))
    assert final["up_to_date"] == counts[-1]  # the rerun trusts what the killed runs stored...
    assert final["graded"] == total - counts[-1]  # ...and grades exactly the rest
    assert final["faults"] == 0
    per_file = check_gradebook(db)
    assert len(per_file) == total and set(per_file.values()) == {1}
    again = summary_of(run_grade(grade_cmd(folder, db, "--jobs", "2"), cwd=tmp_path))
    assert (again["graded"], again["up_to_date"]) == (0, total)


def test_results_after_kills_equal_an_uninterrupted_run(tmp_path, run_batch):
    import sqlite3

    folder = mixed_class(tmp_path / "class", 6)
    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    _kill_when(folder, killed, 5)
    run_grade(grade_cmd(folder, killed, "--jobs", "2"), cwd=tmp_path)
    run_batch(folder, clean)

    def scores(db):
        con = sqlite3.connect(db)
        rows = con.execute(
            "SELECT s.student, s.item, r.status, r.score FROM results r "
            "JOIN submissions s ON s.id = r.submission_id ORDER BY 1, 2"
        ).fetchall()
        con.close()
        return rows

    assert scores(killed) == scores(clean)


def test_ctrl_c_saves_what_is_done_and_says_how_to_finish(tmp_path):
    folder = mixed_class(tmp_path / "class", 10)
    db = tmp_path / "grades.db"
    proc = subprocess.Popen(
        grade_cmd(folder, db, "--jobs", "2")[:-2] + ["--quiet"],
        cwd=tmp_path,
        env=batch_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while count_results(db) < 4 and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 130:  # interrupted mid-way (not already finished)
        assert "run the same command again" in err
        assert "Traceback" not in err
    check_gradebook(db)
    final = summary_of(run_grade(grade_cmd(folder, db, "--jobs", "2"), cwd=tmp_path))
    assert final["graded"] + final["up_to_date"] == 30
    assert set(check_gradebook(db).values()) == {1}


def test_two_batches_at_once_neither_lose_nor_duplicate(tmp_path):
    folder = mixed_class(tmp_path / "class", 12)
    db = tmp_path / "grades.db"  # not created yet: both race to create and migrate it too
    procs = [
        subprocess.Popen(
            grade_cmd(folder, db, "--jobs", "1"),
            cwd=tmp_path,
            env=batch_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    summaries = [summary_of(subprocess.CompletedProcess([], 0, out, err)) for out, err in results]
    assert sum(s["graded"] for s in summaries) == 36  # each file stored by exactly one of them
    per_file = check_gradebook(db)
    assert len(per_file) == 36 and set(per_file.values()) == {1}
