"""The ``grade`` command as students and instructors use it: exit codes, JSON, stubs, trace, check."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXERCISES, FIXTURES, ROOT, SOLUTIONS

GRADE = [sys.executable, "-m", "grader.cli"]
COURSE = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))


def grade(*args, cwd=None, env=None):
    full_env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [*GRADE, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=120
    )


@pytest.mark.parametrize("exercise", COURSE)
def test_every_solution_scores_full_marks_through_the_cli(exercise):
    run = grade("submit", SOLUTIONS / f"{exercise}.py", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["status"] == "graded" and result["score"] == result["max_score"] > 0


def test_json_follows_the_spec_schema():
    run = grade(
        "submit", FIXTURES / "mistakes" / "missing_upstream.py", "--exercise", "exercise03", "--json", "--student", "s1"
    )
    assert run.returncode == 1
    result = json.loads(run.stdout)
    assert result["schema"] == "grade.result/1"
    assert {"exercise", "student", "status", "score", "max_score", "error", "tasks"} <= set(result)
    assert result["student"] == "s1"
    task = next(t for t in result["tasks"] if t["function"] == "exp_backward")
    assert {"function", "kind", "score", "max_score", "passed", "checks", "blame"} <= set(task)
    assert set(task["blame"]) >= {"node", "mistake", "message"}
    check = task["checks"][0]
    assert {"point", "node", "expected", "got", "ok"} <= set(check)


def test_verdict_json_round_trips():
    from grader.grading import api
    from grader.grading.verdict import from_json

    verdict = api.submit(FIXTURES / "mistakes" / "overwrote_fanout.py", "exercise07", exercises_dir=EXERCISES)
    again = from_json(json.loads(json.dumps(verdict.to_json())))
    assert again == verdict


def test_a_wrong_answer_exits_1_and_explains_in_korean():
    run = grade("submit", FIXTURES / "mistakes" / "sign_error.py", "--exercise", "exercise02", "--lang", "ko")
    assert run.returncode == 1
    assert "노드 n" in run.stdout and "부호가 반대" in run.stdout


def test_unknown_exercise_is_a_usage_error_listing_the_known_ones(tmp_path):
    (tmp_path / "nothing.py").write_text("x = 1\n")
    run = grade("submit", tmp_path / "nothing.py")
    assert run.returncode == 2
    assert "unknown exercise 'nothing'" in run.stderr and "exercise03" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_bad_exercise_yaml_exits_2_with_file_line_and_key(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "id: broken\ntitle: x\ngraph:\n  inputs: [a]\n  nodes:\n    h: {op: mul, args: [a, q]}\n"
        "  output: h\npoints: [{a: 1}]\ntasks: [{function: f, kind: forward, op: mul}]\n"
    )
    (tmp_path / "broken.py").write_text("def f(a, b):\n    return a * b\n")
    run = grade("submit", tmp_path / "broken.py", "--exercise", bad)
    assert run.returncode == 2
    assert f"{bad}:6: graph.nodes.h.args[1]: 'q' is not an input or node (known: a, h)" in run.stderr


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("exercise", COURSE)
def test_init_writes_a_stub_that_is_graded_not_crashed(tmp_path, exercise, lang):
    run = grade("init", exercise, "--lang", lang, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    stub = tmp_path / f"{exercise}.py"
    source = stub.read_text(encoding="utf-8")
    compile(source, str(stub), "exec")
    assert ("게이트" in source or "기울기" in source) and "gate" in source.lower() or "gradient" in source
    result = json.loads(grade("submit", stub, "--json").stdout)
    assert result["status"] == "graded" and result["score"] == 0


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "exercise02.py").write_text("# my work\n")
    run = grade("init", "exercise02", cwd=tmp_path)
    assert run.returncode == 2 and "already exists" in run.stderr
    assert (tmp_path / "exercise02.py").read_text() == "# my work\n"


def test_trace_gives_the_lecture_numbers():
    data = json.loads(grade("trace", "exercise03", "--json").stdout)
    assert round(data["nodes"]["yhat"]["value"], 6) == 0.731059
    assert round(data["nodes"]["yhat"]["grad"], 6) == -1.367879
    assert round(data["nodes"]["z"]["grad"], 6) == -0.268941
    assert round(data["value"], 6) == 0.313262
    assert set(data["inputs"]["w0"]) == {"value", "grad"}


def test_trace_at_another_point_and_a_bad_name():
    data = json.loads(grade("trace", "exercise03", "--at", "y=0", "--json").stdout)
    assert data["point"]["y"] == 0.0
    run = grade("trace", "exercise03", "--at", "q=1")
    assert run.returncode == 2 and "'q' is not an input of exercise03" in run.stderr


def test_check_passes_over_the_course():
    run = grade("check")
    assert run.returncode == 0, run.stdout
    n = len(list(EXERCISES.glob("*.yaml")))
    assert f"{n} of {n} exercise(s) and quiz(zes) sound" in run.stdout


def test_check_reports_a_weak_exercise(tmp_path):
    # At this only point the upstream gradient of n is 1 and... a neg gate's sign cannot be seen if
    # its value never matters: here z is always 0 so every local gradient check of mul is 0.
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises" / "weak.yaml").write_text(
        "id: weak\ntitle: weak\ngraph:\n  inputs: [a, b]\n  nodes:\n    m: {op: mul, args: [a, b]}\n"
        "  output: m\npoints: [{a: 1, b: 1}]\ntasks: [{function: mul_local_grad, kind: local_grad, op: mul}]\n"
    )
    (tmp_path / "solutions" / "weak.py").write_text("def mul_local_grad(a, b):\n    return (b, a)\n")
    run = grade("check", tmp_path / "exercises" / "weak.yaml")
    assert run.returncode == 1
    assert "weak: cannot tell this mutant from the truth: mul_local_grad: swapped_operands" in run.stdout
