"""The workers: a verdict's JSON as `grade submit --json` has it, a grader fault as a value, a dead worker retried."""

from __future__ import annotations

import base64
import json

from grader.classroom.executor import LocalExecutor
from grader.classroom.worker import WorkerState, grade_work, verdict_json
from grader.grading import api
from tests.batch.helpers import EXERCISES, SECRET, SOLUTIONS, wrong


def work(n: int, item: str, source: str, student: str = "s1") -> dict:
    return {
        "id": n,
        "kind": "exercise",
        "student": student,
        "item": item,
        "exercise_path": str(EXERCISES / f"{item}.yaml"),
        "filename": f"{item}.py",
        "path": f"/nonexistent/{item}.py",
        "source": base64.b64encode(source.encode()).decode(),
    }


def test_the_fast_json_is_the_verdicts_own(tmp_path):
    for source in ((SOLUTIONS / "exercise03.py").read_text(), wrong("exercise03"), "def broken(:\n"):
        path = tmp_path / "exercise03.py"
        path.write_text(source)
        verdict = api.submit(path, "exercise03", student="s1", exercises_dir=EXERCISES, secret=SECRET)
        assert json.dumps(verdict_json(verdict)) == json.dumps(verdict.to_json())


def test_a_fault_of_the_grader_is_a_value():
    reply = grade_work(
        {**work(7, "exercise04", "x = 1\n"), "exercise_path": "/nonexistent.yaml"}, WorkerState(SECRET, "en")
    )
    assert reply["id"] == 7 and reply["ok"] is False and "nonexistent" in reply["fault"]


def test_a_worker_that_dies_costs_a_retry_not_a_result():
    source = (SOLUTIONS / "exercise08.py").read_text()
    works = [work(i, "exercise08", f"# {i}\n{source}") for i in range(12)]
    executor = LocalExecutor(2, SECRET)
    replies = []
    for reply in executor.map(works, expected=len(works)):
        replies.append(reply)
        if len(replies) == 2:
            executor.workers[0].proc.kill()  # as the OOM killer would
    assert sorted(r["id"] for r in replies) == list(range(12))
    assert all(r["ok"] and r["score"] == r["max_score"] for r in replies), [
        r for r in replies if not r["ok"] or r["score"] != r["max_score"]
    ]


def test_workers_that_cannot_start_stop_the_batch(monkeypatch):
    import pytest

    from grader.classroom import executor as ex
    from grader.errors import SandboxError

    monkeypatch.setattr(ex, "WORKER_CODE", "raise SystemExit(3)")
    runner = LocalExecutor(1, SECRET)
    runner.can_fork = False
    with pytest.raises(SandboxError, match="exit status 3"):
        list(runner.map([work(0, "exercise08", "x = 1\n")], expected=1))
