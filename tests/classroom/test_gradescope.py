"""examples/gradescope/run_autograder, run against a fake /autograder tree (AUTOGRADER_ROOT): a .py
exercise, a Jupyter notebook and a quiz's answers are all graded into one results.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.batch.helpers import EXERCISES, SECRET, solution
from tests.notebook.helpers import filled_stub

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "gradescope" / "run_autograder"


def autograder(tmp: Path, files: dict[str, str], sid: str = "s2026001") -> Path:
    root = tmp / "autograder"
    source = root / "source"
    shutil.copytree(EXERCISES, source / "exercises")
    (source / "course.yaml").write_text("timezone: UTC\n")
    (source / "course.secret").write_text(SECRET)
    (source / "course.secret").chmod(0o600)
    submission = root / "submission"
    submission.mkdir(parents=True)
    for name, text in files.items():
        (submission / name).write_text(text, encoding="utf-8")
    meta = {"created_at": "2026-03-10T12:00:00+00:00", "users": [{"id": 777, "sid": sid, "name": "Kim Minji"}]}
    (root / "submission_metadata.json").write_text(json.dumps(meta))
    return root


def run(root: Path) -> dict:
    bin_dir = Path(sys.executable).parent
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("GRADE_SECRET", "GRADE_EXERCISES")},
        "AUTOGRADER_ROOT": str(root),
        "GRADER_PYTHON": sys.executable,
        "GRADER_GRADE": str(bin_dir / "grade"),
    }
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr + (root / "results/batch-stderr.txt").read_text()
    return json.loads((root / "results/results.json").read_text())


@pytest.mark.skipif(not (Path(sys.executable).parent / "grade").exists(), reason="the grade script is not installed")
def test_py_notebook_and_quiz_are_graded(tmp_path):
    notebook = nbformat.writes(filled_stub("exercise05"))
    answers = "student: s2026001\nanswers: {q1: 0, q2: '1', q3: 0}\n"
    root = autograder(
        tmp_path, {"exercise04.py": solution("exercise04"), "exercise05.ipynb": notebook, "quiz01.yml": answers}
    )
    results = run(root)
    tags = {t["tags"][0] for t in results["tests"]}
    assert tags == {"exercise04", "exercise05", "quiz01"}, results["output"]
    items = results["extra_data"]["items"]
    assert items["exercise04"]["score"] == items["exercise04"]["max_score"]
    assert items["exercise05"]["score"] == items["exercise05"]["max_score"]  # the notebook's solution: full marks
    assert items["quiz01"]["status"] == "graded"
    assert results["score"] == pytest.approx(sum(i["score"] for i in items.values()))


@pytest.mark.skipif(not (Path(sys.executable).parent / "grade").exists(), reason="the grade script is not installed")
def test_nothing_gradable_still_writes_a_results_json(tmp_path):
    results = run(autograder(tmp_path, {"notes.txt": "hello"}))
    assert results["score"] == 0 and results["tests"] == []
    assert "name each file after its exercise" in results["output"].lower()
