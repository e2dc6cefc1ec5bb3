"""Golden HTML for a fixed gradebook (fixtures/verdicts.jsonl).

Refresh after an intended change with:  GRADE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/site/test_golden.py
then read the diff of tests/site/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from grader import __version__

from .conftest import HERE, VERDICTS

GOLDEN = HERE / "golden"
UPDATE = os.environ.get("GRADE_UPDATE_GOLDEN") == "1"


def check(name: str, text: str) -> None:
    text = text.replace(f"backprop-grader {__version__}", "backprop-grader VERSION")
    path = GOLDEN / name
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{path} did not exist and was written: check it in")
        return
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        first = next(i for i, (a, b) in enumerate(zip(text, expected + "\0")) if a != b)
        pytest.fail(
            f"{name} differs from its golden file at char {first}:\n  got      {text[first - 80 : first + 80]!r}\n"
            f"  expected {expected[first - 80 : first + 80]!r}\n(GRADE_UPDATE_GOLDEN=1 to accept)"
        )


@pytest.mark.parametrize(
    "page,name",
    [
        ("index.html", "index.html"),
        ("exercises/exercise03.html", "exercise03.html"),
        ("exercises/exercise07.html", "exercise07.html"),
        ("dashboard.html", "dashboard.html"),
    ],
)
def test_site_pages(built, page, name):
    out, _ = built
    check(name, (out / page).read_text(encoding="utf-8"))


@pytest.mark.parametrize("student", ["s2026005", "s2026007", "s2026666"])
def test_reports(built, student):
    out, report = built
    check(f"report-{student}.html", (out / report.reports[student]).read_text(encoding="utf-8"))


def test_self_contained_report():
    from grader.exercise.loader import find_exercise
    from grader.grading.verdict import from_json
    from grader.report import standalone as report_html

    rows = [json.loads(line) for line in VERDICTS.read_text(encoding="utf-8").splitlines()]
    row = next(r for r in rows if r["student"] == "s2026007" and r["item"] == "exercise07")
    ex = find_exercise("exercise07", HERE.parents[1] / "exercises")
    text = report_html.render(from_json(row["verdict"]), ex, "ko")
    assert "data:font/woff2;base64," in text
    text = re.sub(r"(<style>|<script>).*?(</style>|</script>)", r"\1…\2", text, flags=re.S)
    assert "<link" not in text and 'src="' not in text  # nothing to fetch
    text = re.sub(r"'sha256-[A-Za-z0-9+/=]+'", "'sha256-…'", text)
    check("submit-report-s2026007-exercise07.html", text)


def test_golden_files_are_checked_in():
    names = {p.name for p in GOLDEN.glob("*.html")} if GOLDEN.exists() else set()
    assert UPDATE or "dashboard.html" in names, Path(GOLDEN)
