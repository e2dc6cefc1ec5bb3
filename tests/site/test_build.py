"""`grade site`: the pages, their privacy, valid HTML, escaping, and incremental rebuilds."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path

import html5lib
import pytest

from grader import __version__
from grader.report.theme import report_token
from grader.site import data as site_data

from .conftest import HERE, SECRET, make_book

EXERCISES = HERE.parents[1] / "exercises"


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "static" not in p.parts)


def test_pages_exist(built):
    out, report = built
    assert (out / "index.html").is_file() and (out / "dashboard.html").is_file()
    assert {p.name for p in (out / "exercises").iterdir()} == {
        f"{p.stem}.html" for p in EXERCISES.glob("exercise*.yaml")
    }
    assert len(report.reports) == 14 and all((out / p).is_file() for p in report.reports.values())
    assert (out / "static" / "vendor" / "katex" / "LICENSE").is_file()
    assert (out / "r" / "index.html").is_file()  # a web server's folder listing shows no report


def test_report_paths_are_unguessable(built):
    out, report = built
    for student, path in report.reports.items():
        token = hmac.new(SECRET.encode(), b"grade-site-report\0" + student.encode(), hashlib.sha256).hexdigest()[:32]
        assert path == f"r/{token}.html" == f"r/{report_token(SECRET, student)}.html"
        assert student not in path
    index = (out / "index.html").read_text()
    assert "s2026001" not in index and "/r/" not in index  # the index names nobody


def test_every_page_parses_strictly_and_has_unique_ids(built):
    out, _ = built
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in pages(out):
        text = page.read_text(encoding="utf-8")
        try:
            parser.parse(text)  # raises on any parse error
        except Exception as exc:
            raise AssertionError(f"{page}: {exc}: {parser.errors[:3]}") from None
        ids = re.findall(r'\sid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), page
        assert text.startswith("<!DOCTYPE html>")


def test_nothing_is_fetched_from_outside(built):
    out, _ = built
    for page in pages(out):
        text = page.read_text(encoding="utf-8")
        for url in re.findall(r'(?:src|href)="([^"]*)"', text):
            assert not re.match(r"^[a-z]+:", url) or url.startswith("#"), (page, url)
        assert "default-src &#39;none&#39;" in text  # the Content-Security-Policy


def test_hostile_output_and_messages_are_text(built):
    out, report = built
    text = (out / report.reports["s2026666"]).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(&#39;out&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert text.count("<script") == 3  # lang.js, katex, site.js: nothing else


def test_late_work_and_policy(built):
    out, report = built
    late = (out / report.reports["s2026666"]).read_text(encoding="utf-8")
    assert "◷" in late
    five = (out / report.reports["s2026005"]).read_text(encoding="utf-8")
    assert "History of attempts</span> (2)" in five and "★" in five
    dash = (out / "dashboard.html").read_text(encoding="utf-8")
    for kind in ("syntax_error", "forbidden", "timeout", "missing_upstream", "overwrote_fanout"):
        assert kind in dash


def test_students_only_has_no_dashboard_nor_names(book, secret_env, tmp_path):
    out = tmp_path / "public"
    report = site_data.build(book, out, lang="ko", students_only=True, exercises_dir=EXERCISES)
    assert report.dashboard is None and not (out / "dashboard.html").exists()
    for page in pages(out):
        if page.parent.name != "r":
            text = page.read_text(encoding="utf-8")
            assert not re.search(r"s20260\d\d", text) and "dashboard" not in text


def test_rebuild_writes_only_what_changed(book, secret_env, tmp_path):
    db = tmp_path / "grades.db"
    shutil.copy(book, db)
    out = tmp_path / "site"
    first = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert len(first.written) == first.pages + 1  # every page and r/index.html
    again = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert again.written == [] and again.rendered == 0 and again.static_written == 0
    _add_attempt(db, "s2026004", "exercise02")
    third = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert sorted(third.written) == sorted(["dashboard.html", first.reports["s2026004"]])
    manifest = json.loads((out / ".grade-site.json").read_text())
    assert first.reports["s2026004"] in manifest


def _add_attempt(db: Path, student: str, item: str) -> None:
    """A new, full-marks attempt: the solution's verdict from the fixture, re-keyed."""
    from grader.classroom.batch import secret_id
    from grader.classroom.gradebook import Gradebook, Key, rows_of
    from grader.exercise.loader import find_exercise

    rows = [json.loads(line) for line in (HERE / "fixtures" / "verdicts.jsonl").read_text().splitlines()]
    verdict = next(
        r["verdict"] for r in rows if r["item"] == item and r["verdict"]["score"] == r["verdict"]["max_score"]
    )
    verdict = {**verdict, "student": student}
    text = json.dumps(verdict, sort_keys=True)
    tasks, checks = rows_of(verdict)
    with Gradebook(db) as gb:
        gb.record(
            Key(
                student,
                item,
                "new" + hashlib.sha256(text.encode()).hexdigest()[3:],
                find_exercise(item, EXERCISES).digest,
                __version__,
                secret_id(SECRET),
            ),
            kind="exercise",
            size=1,
            filename=f"{item}.py",
            submitted_at="2026-03-12T09:00:00+09:00",
            time_source="manifest",
            verdict_json=text,
            status="graded",
            score=verdict["score"],
            max_score=verdict["max_score"],
            error_kind=None,
            tasks=tasks,
            checks=checks,
            seconds=0.0,
            batch_id=None,
        )


def test_wrong_secret_is_refused(book, tmp_path, monkeypatch):
    from grader.errors import UsageError

    monkeypatch.setenv("GRADE_SECRET", "another-secret-of-this-course-0000")
    with pytest.raises(UsageError, match="another course secret"):
        site_data.build(book, tmp_path / "x", exercises_dir=EXERCISES)


def test_no_gradebook_is_a_usage_error(tmp_path, secret_env):
    from grader.errors import UsageError

    with pytest.raises(UsageError, match="no gradebook"):
        site_data.build(tmp_path / "none.db", tmp_path / "x", exercises_dir=EXERCISES)


def test_make_book_is_repeatable(tmp_path):
    make_book(tmp_path / "a.db")


def test_quiz_results_are_reported(built):
    out, report = built
    text = (out / report.reports["s2026002"]).read_text(encoding="utf-8")
    assert 'id="item-quiz01"' in text and "Quiz 1" in text
    assert "&#39;&lt;i&gt;two&lt;/i&gt;&#39; is not a choice number" in text
    assert "quiz01" in (out / "dashboard.html").read_text(encoding="utf-8")
