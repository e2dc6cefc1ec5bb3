"""Issue 12, point 2: at hidden points the student controls nothing that is shown, anywhere.

The hostile file ``leaks/exercise02_inputs_in_names.py`` publishes its inputs through every channel a
student has: an exception class named after them, the exception's message, printed output, a returned
string, a returned object's type name, a wrong value. At public points those channels are open (their
inputs are public, and the test checks the marker does get through there, so the search means
something); at hidden points the marker of their inputs must appear in no byte the grader produces:
the terminal report, the stored and printed JSON, a notebook's report, the standalone HTML, the
gradebook, every export (CSV, JSONL, Gradescope's results.json) and the site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grader.exercise.loader import find_exercise
from grader.exercise.points import hidden_points
from grader.grading.probes import probes_for
from tests.conftest import EXERCISES

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "leaks" / "exercise02_inputs_in_names.py"
SECRET = "tests-withheld-secret-0123456789"


def leak_name(*args: float) -> str:  # the fixture's own encoding of its inputs
    return "ZZLEAK" + "_".join(f"{a:+.6f}".replace("-", "m").replace("+", "p").replace(".", "d") for a in args)


def markers(student: str | None, source: str = "") -> tuple[set[str], set[str]]:
    """(the markers of the public points' inputs, those of the student's hidden points)."""
    ex = find_exercise("exercise02", EXERCISES)
    public, hidden = set(), set()
    for probe in probes_for(ex, hidden_points(ex, SECRET, student, source)):
        (public if probe.point.public else hidden).add(leak_name(*probe.args))
    return public, hidden - public


def assert_withheld(blobs: dict[str, bytes], hidden: set[str]) -> None:
    found = {(name, m) for name, blob in blobs.items() for m in hidden if m.encode() in blob}
    assert not found, f"hidden inputs shown: {sorted(found)[:5]}"


def test_nothing_a_student_controls_at_hidden_points_reaches_a_verdict_or_its_faces(tmp_path):
    from grader.grading import api
    from grader.notebook import grade as notebook
    from grader.notebook import html
    from grader.report import standalone, terminal

    ex = find_exercise("exercise02", EXERCISES)
    path = tmp_path / "exercise02.py"
    path.write_text(HOSTILE.read_text(encoding="utf-8"), encoding="utf-8")
    verdict = api.submit(path, "exercise02", student="alice", exercises_dir=EXERCISES, secret=SECRET)
    hidden_checks = [c for t in verdict.tasks for c in t.checks if not c.public]
    assert hidden_checks and not any(c.ok for c in hidden_checks)
    assert {(c.got, c.expected, c.why.code, tuple(c.why.params)) for c in hidden_checks} == {
        (None, None, "wrong_secret", ())
    }  # no value, type, message, line or limit: one bit per check
    assert verdict.output_withheld and "ZZLEAK" not in verdict.output
    nb_path = tmp_path / "exercise02.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(HOSTILE.read_text(encoding="utf-8"))]), str(nb_path))
    nb_verdict, notes = notebook.submit_with_notes(nb_path, student="alice", exercises_dir=EXERCISES, secret=SECRET)
    blobs = {}
    for name, v in (("py", verdict), ("ipynb", nb_verdict)):
        blobs[f"{name}.json"] = json.dumps(v.to_json(), ensure_ascii=False).encode()
        blobs[f"{name}.terminal"] = terminal.render(terminal.report(v), colour=False).encode()
        blobs[f"{name}.html"] = standalone.render(v, ex).encode()
        blobs[f"{name}.notebook"] = html.fragment(ex, v, notes).encode()
    public, hidden = markers("alice")
    assert hidden and any(m.encode() in blobs["py.json"] for m in public)  # the channels work where shown
    assert_withheld(blobs, hidden)


def grade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_SECRET", "GRADE_EXERCISES")}
    env.update(GRADE_SECRET=SECRET, GRADE_EXERCISES=str(EXERCISES), NO_COLOR="1")
    run = subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=cwd, env=env, capture_output=True, timeout=300
    )
    assert run.returncode in (0, 1), run.stderr.decode(errors="replace")
    return run


def test_hidden_inputs_reach_neither_the_gradebook_nor_exports_nor_the_site(tmp_path):
    source = HOSTILE.read_text(encoding="utf-8")
    for student in ("alice", "bob", "carol"):
        (tmp_path / "class" / student).mkdir(parents=True)
        if student == "carol":  # the same code as a notebook
            notebook = new_notebook(cells=[new_code_cell(source)])
            nbformat.write(notebook, str(tmp_path / "class" / student / "exercise02.ipynb"))
        else:
            (tmp_path / "class" / student / "exercise02.py").write_text(source, encoding="utf-8")
    runs = [grade("batch", "class", "--db", "grades.db", "--json", "--quiet", cwd=tmp_path)]
    summary = json.loads(runs[0].stdout)
    assert summary["statuses"] == {"graded": 3} and summary["faults"] == 0
    for fmt, out in (("csv", "grades.csv"), ("jsonl", "grades.jsonl"), ("gradescope", "gradescope")):
        runs.append(grade("export", "--db", "grades.db", "--format", fmt, "--out", out, cwd=tmp_path))
    runs.append(grade("site", "--db", "grades.db", "--out", "site", cwd=tmp_path))
    blobs = {f"run{i}": r.stdout + r.stderr for i, r in enumerate(runs)}
    for file in tmp_path.rglob("*"):
        if file.is_file() and "class" not in file.parts:
            blobs[str(file.relative_to(tmp_path))] = file.read_bytes()
    assert any(name.endswith("results.json") for name in blobs) and any(name.endswith(".html") for name in blobs)
    public, hidden = markers("alice")
    assert any(m.encode() in blobs["grades.db"] for m in public)
    assert_withheld(blobs, hidden | markers("bob")[1] | markers("carol")[1])
