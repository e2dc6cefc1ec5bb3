"""The packaged sample class grades end to end with the stated demo secret (the README's quick start)."""

from __future__ import annotations

from grader.classroom import batch
from grader.exercise.shipped import sample_class_dir


def test_run_sample_grades_the_packaged_class(tmp_path):
    summary = batch.run_sample(tmp_path / "demo")
    assert (tmp_path / "demo" / "grades.db").is_file()
    expected = sum(1 for p in sample_class_dir().glob("*/*") if p.suffix in (".py", ".yaml") and p.is_file())
    assert summary["graded"] == expected and summary["faults"] == 0
    assert summary["secret"]["source"].startswith("the built-in demo secret")
    assert summary["secret"]["id"] == batch.secret_id(batch.DEMO_SECRET)
    assert summary["items"]  # a distribution per exercise
    again = batch.run_sample(tmp_path / "demo")
    assert (again["graded"], again["up_to_date"]) == (0, expected)
