"""Instructor grading draws hidden points with the course secret: hard-coded public answers lose marks.
A batch refuses to run without a secret, and a gradebook refuses a secret other than its own."""

from __future__ import annotations

import json
import sqlite3

from grader.grading import api
from tests.batch.helpers import EXERCISES, batch_env, grade_cmd, run_grade, solution, summary_of, write_class


def hard_coded_answers() -> str:
    """exercise04 answered by a lookup table of the public points' answers (and a guess elsewhere)."""
    from grader.exercise.loader import find_exercise

    ex = find_exercise("exercise04", EXERCISES)
    table = {}
    for point in ex.points:
        tr = api.trace("exercise04", {k: float(v) for k, v in point.items()}, EXERCISES)
        for node in tr["nodes"].values():
            args = [
                tr["nodes"][a]["value"]
                if a in tr["nodes"]
                else tr["inputs"][a]["value"]
                if isinstance(a, str)
                else float(a)
                for a in node["args"]
            ]
            if node["op"] == "sigmoid":
                table[("sigmoid", round(args[0], 9))] = node["local"][0]
            elif node["op"] == "bce":
                table[("bce", round(args[0], 9), args[1])] = node["local"][0]
    return (
        f"TABLE = {table!r}\n\n"
        "def sigmoid_local_grad(z, out):\n    return TABLE.get(('sigmoid', round(z, 9)), 0.25)\n\n"
        "def bce_local_grad(p, y):\n    return TABLE.get(('bce', round(p, 9), y), -1.0)\n"
    )


def test_hard_coded_public_answers_lose_marks(tmp_path, run_batch):
    folder = write_class(
        tmp_path / "class",
        {("cheater", "exercise04.py"): hard_coded_answers(), ("honest", "exercise04.py"): solution("exercise04")},
    )
    db = tmp_path / "grades.db"
    summary = run_batch(folder, db)
    assert summary["graded"] == 2 and summary["faults"] == 0, summary
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT s.student, r.verdict FROM results r JOIN submissions s ON s.id = r.submission_id"))
    honest, cheater = json.loads(rows["honest"]), json.loads(rows["cheater"])
    assert honest["score"] == honest["max_score"]
    assert cheater["score"] < cheater["max_score"]
    checks = [c for t in cheater["tasks"] for c in t["checks"]]
    assert all(c["ok"] for c in checks if c["point"].startswith("public-"))  # the table is right where it can be
    hidden = [c for c in checks if c["point"].startswith("hidden-")]
    assert hidden and not any(c["ok"] for c in hidden)
    assert all(c["expected"] is None for c in hidden)  # and the hidden answers are not revealed
    failed = con.execute("SELECT COUNT(*) FROM checks WHERE ok = 0 AND point LIKE 'hidden-%'").fetchone()[0]
    assert failed == len(hidden)  # the checks table holds them too


def test_batch_refuses_to_run_without_a_secret(tmp_path):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    env = batch_env()
    del env["GRADE_SECRET"]
    proc = run_grade(grade_cmd(folder, tmp_path / "grades.db"), cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert "needs the course secret" in proc.stderr and "GRADE_SECRET" in proc.stderr and ".grade-secret" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "grades.db").exists()


def test_secret_from_a_file_and_from_course_yaml(tmp_path):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    secret = tmp_path / "course.secret"
    secret.write_text("file-secret-0123456789abcdef\n")
    secret.chmod(0o600)
    env = batch_env()
    del env["GRADE_SECRET"]
    first = summary_of(run_grade(grade_cmd(folder, tmp_path / "a.db", "--secret-file", str(secret)), tmp_path, env))
    assert first["secret"]["source"].startswith("--secret-file") and first["graded"] == 1
    (tmp_path / "course.yaml").write_text("policy: last\nsecret_file: course.secret\n")
    second = summary_of(
        run_grade(grade_cmd(folder, tmp_path / "b.db", "--course", str(tmp_path / "course.yaml")), tmp_path, env)
    )
    assert second["secret"]["id"] == first["secret"]["id"] and second["policy"] == "last"
    assert "file-secret" not in json.dumps(second)  # the secret itself is never printed


def test_a_gradebook_refuses_another_secret_unless_told(tmp_path):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    db = tmp_path / "grades.db"
    assert run_grade(grade_cmd(folder, db), tmp_path).returncode == 0
    other = batch_env(GRADE_SECRET="another-secret-0123456789abcdef")
    refused = run_grade(grade_cmd(folder, db), tmp_path, other)
    assert refused.returncode == 2 and "another course secret" in refused.stderr and "--new-secret" in refused.stderr
    accepted = summary_of(run_grade(grade_cmd(folder, db, "--new-secret"), tmp_path, other))
    assert accepted["graded"] == 1  # every file graded again: the hidden points changed
