"""Quiz answers files in the submissions folder are graded by the quiz module, with the course secret."""

from __future__ import annotations

import json
import sqlite3

from tests.batch.helpers import write_class


def test_quiz_answers_are_graded_and_stored_with_their_questions(tmp_path, run_batch):
    folder = write_class(
        tmp_path / "class",
        {
            ("s1", "quiz01.yaml"): "student: s1\nanswers: {node_meaning: 3}\n",
            ("s2", "quiz01.yaml"): "student: s2\nanswers: [not, closed\n",
            ("s3", "quiz01.yaml"): "student: s1\nanswers: {node_meaning: 3}\n",  # another student's answers
        },
    )
    db = tmp_path / "g.db"
    summary = run_batch(folder, db)
    assert summary["graded"] == 3 and summary["faults"] == 0 and "quiz_not_supported" not in summary["problems"]
    con = sqlite3.connect(db)
    stored = {
        s: json.loads(v)
        for s, v in con.execute(
            "SELECT s.student, r.verdict FROM results r JOIN submissions s ON s.id = r.submission_id"
        )
    }
    assert stored["s1"]["kind"] == "quiz" and stored["s1"]["status"] == "graded"
    assert stored["s2"]["status"] == "error" and stored["s3"]["status"] == "error"
    questions = con.execute(
        "SELECT COUNT(*) FROM tasks t JOIN results r ON r.id = t.result_id "
        "JOIN submissions s ON s.id = r.submission_id WHERE s.student = 's1'"
    ).fetchone()[0]
    assert questions == len(stored["s1"]["questions"])
