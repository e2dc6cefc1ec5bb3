"""The numbers of the site's data (issue 13, cases 7 and 10): counts follow the gradebook on a rebuild,
and a student's total is out of the whole course, a missing item counting 0."""

from __future__ import annotations

import re
import shutil

from grader.site import data as site_data
from tests.conftest import EXERCISES
from tests.site.test_build import _add_attempt


def _students_on_index(out) -> int:
    html = (out / "index.html").read_text(encoding="utf-8")
    return int(re.search(r"(\d+)\s*(?:students|명)", html).group(1))


def test_7_the_index_counts_students_graded_after_the_first_build(book, secret_env, tmp_path):
    db = tmp_path / "grades.db"
    shutil.copy(book, db)
    out = tmp_path / "site"
    first = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    before = _students_on_index(out)
    assert before == len(first.reports)
    _add_attempt(db, "s2026999", "exercise02")  # a student graded later
    again = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert "index.html" in again.written
    assert _students_on_index(out) == before + 1 == len(again.reports)
